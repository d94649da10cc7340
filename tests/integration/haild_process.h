// Test harness: starts the real haild binary on loopback with a fresh data
// dir and a free UDP port, reads its counters through the admin socket, and
// stops it (SIGTERM, or SIGKILL to simulate a crash).
#ifndef HAIL_TESTS_INTEGRATION_HAILD_PROCESS_H_
#define HAIL_TESTS_INTEGRATION_HAILD_PROCESS_H_

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "tests/support/temp_dir.h"

namespace hail::testing {

// A port number on 127.0.0.1 that was free a moment ago for UDP and TCP.
uint16_t FreeUdpPort();

// Where haild listens: by default loopback in this network namespace. With
// `netns` (a name from `ip netns add`) it runs under `ip netns exec`; its
// admin socket is a file, so Stats and AdminCommand still work from here.
struct HaildPlacement {
  std::string host = "127.0.0.1";
  std::string netns;
};

class HaildProcess {
 public:
  // Does not start anything; call Start.
  HaildProcess(std::filesystem::path data_dir, uint16_t port,
               HaildPlacement placement = {});
  ~HaildProcess();  // SIGKILLs a process still running
  HaildProcess(const HaildProcess&) = delete;
  HaildProcess& operator=(const HaildProcess&) = delete;

  // Starts haild with these extra flags and waits until its admin socket
  // answers. With HAIL_TEST_LOOP_THREADS=N in the environment (the suite's
  // multi-loop runs) haild gets --loop-threads N unless the flags set it.
  // Returns false (with the log in log()) when it does not.
  bool Start(const std::vector<std::string>& extra_args = {},
             const std::map<std::string, std::string>& env = {});
  // SIGTERM and wait; returns the exit status (or -1).
  int Stop();
  void Kill();  // SIGKILL and wait
  // SIGTERM without waiting: haild drains while the test goes on; Stop()
  // (or the destructor) reaps it later.
  void BeginStop();
  // True while the process has not exited (reaps it when it has).
  bool Alive();
  bool running() const { return pid_ > 0; }

  // The counters of `haild --stats`; empty map when it does not answer.
  std::map<std::string, int64_t> Stats() const;
  int64_t Stat(const std::string& name) const;
  // Polls the counter until it is at least `minimum` or `timeout_ms` passes;
  // returns its last value.
  int64_t WaitForStat(const std::string& name, int64_t minimum,
                      int timeout_ms = 5000) const;
  // The same, until it is at most `maximum`.
  int64_t WaitForStatAtMost(const std::string& name, int64_t maximum,
                            int timeout_ms = 5000) const;
  std::string AdminCommand(const std::string& command) const;
  std::string log() const;

  uint16_t port() const { return port_; }
  // The address haild listens on (set before Start); the default is the
  // placement's host.
  void set_listen_host(std::string host) { placement_.host = std::move(host); }
  // Where clients reach it: the listen host, or loopback for 0.0.0.0.
  std::string address() const {
    return (placement_.host == "0.0.0.0" ? std::string("127.0.0.1")
                                         : placement_.host) +
           ":" + std::to_string(port_);
  }
  const std::filesystem::path& data_dir() const { return data_dir_; }
  // Runs another build of haild (set before Start), e.g. haild-faulty.
  void set_binary(std::string path) { binary_ = std::move(path); }

 private:
  std::filesystem::path data_dir_;
  uint16_t port_;
  std::string binary_;  // empty: the haild of this build
  HaildPlacement placement_;
  pid_t pid_ = -1;
  std::filesystem::path log_path_;
};

// Runs a command line (argv) with extra environment and optional stdin;
// captures stdout and stderr and the exit code. Kills it after timeout_ms.
struct CommandResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};
CommandResult RunCommand(const std::vector<std::string>& argv,
                         const std::map<std::string, std::string>& env = {},
                         int timeout_ms = 30000);

}  // namespace hail::testing

#endif  // HAIL_TESTS_INTEGRATION_HAILD_PROCESS_H_
