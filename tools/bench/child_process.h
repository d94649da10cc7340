// A server process started and stopped by its pid: haild and the relay for
// hail-bench (haild is ready when it answers a pre-session HELLO with a
// COOKIE, the relay when it prints "ready PORT"), and the gateway daemons
// the tests start (aiosmtpd, Kannel, HylaFAX). SIGTERM, then SIGKILL after
// a grace period. Owned by the thread that started it.
#ifndef HAIL_TOOLS_BENCH_CHILD_PROCESS_H_
#define HAIL_TOOLS_BENCH_CHILD_PROCESS_H_

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "protocol/status.h"

namespace hail::bench {

class ChildProcess {
 public:
  ChildProcess() = default;
  ~ChildProcess();  // stops a child still running
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  struct Options {
    int stdin_fd = -1;                  // -1: /dev/null
    std::filesystem::path working_dir;  // empty: this process's
    // The child leads a new process group, and Stop also kills what is left
    // of it (daemons that fork a child per client, such as hfaxd).
    bool own_process_group = false;
  };

  // Starts argv (argv[0] a path) with stdout and stderr appended to `log`.
  Status Start(const std::vector<std::string>& argv,
               const std::filesystem::path& log, const Options& options);
  Status Start(const std::vector<std::string>& argv,
               const std::filesystem::path& log) {
    return Start(argv, log, Options{});
  }
  // Starts argv with stdout on a pipe and waits for the line "ready PORT";
  // returns PORT.
  Result<uint16_t> StartAndReadPort(const std::vector<std::string>& argv,
                                    int timeout_ms);
  // SIGTERM; SIGKILL after `grace_ms`. Returns the exit status or -1.
  int Stop(int grace_ms = 20000);
  bool Exited();  // reaps the child if it has exited
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  bool own_process_group_ = false;
};

// Waits until a Hail server on 127.0.0.1:port answers a HELLO, while `child`
// (if any) keeps running.
Status WaitForHello(uint16_t port, ChildProcess* child, int timeout_ms);

// A UDP port on 127.0.0.1 that was free a moment ago.
uint16_t PickFreeUdpPort();

}  // namespace hail::bench

#endif  // HAIL_TOOLS_BENCH_CHILD_PROCESS_H_
