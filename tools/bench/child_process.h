// A server process hail-bench starts and stops itself: haild (ready when it
// answers a pre-session HELLO with a COOKIE) or the bench's own relay (ready
// when it prints "ready PORT" on stdout). Stopped by its pid only: SIGTERM,
// then SIGKILL after a grace period. Owned by the main thread.
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

  // Starts argv with stdout and stderr appended to `log`.
  Status Start(const std::vector<std::string>& argv,
               const std::filesystem::path& log);
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
};

// Waits until a Hail server on 127.0.0.1:port answers a HELLO, while `child`
// (if any) keeps running.
Status WaitForHello(uint16_t port, ChildProcess* child, int timeout_ms);

// A UDP port on 127.0.0.1 that was free a moment ago.
uint16_t PickFreeUdpPort();

}  // namespace hail::bench

#endif  // HAIL_TOOLS_BENCH_CHILD_PROCESS_H_
