// Runs an external program to completion: argv (no shell), bytes on its
// stdin, a deadline, and its stdout and stderr captured. The gateways use it
// for the tools that carry a message out of Hail (paps, gs, sendfax,
// faxstat).
//
// Thread-safe: any number of gateway worker threads may run programs at
// once (posix_spawn, close-on-exec pipes, SIGPIPE blocked only in the
// calling thread while it writes). Blocking: never call it on a network
// loop.
#ifndef HAIL_SERVER_FORWARD_SUBPROCESS_H_
#define HAIL_SERVER_FORWARD_SUBPROCESS_H_

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

namespace hail::server::forward {

struct ProgramRun {
  std::vector<std::string> argv;  // argv[0] is looked up in PATH
  // "NAME=value" entries added to (or replacing in) this process's
  // environment for the child.
  std::vector<std::string> environment;
  std::string stdin_bytes;  // written to the child's stdin, then closed
  std::chrono::milliseconds timeout{10000};
};

struct ProgramResult {
  enum class Outcome {
    kExited,      // ran to the end; see exit_code
    kSignaled,    // killed by a signal it did not expect (see signal)
    kTimedOut,    // ran past the timeout; its process group was SIGKILLed
    kNotStarted,  // could not be started (see error): no such program, ...
  };
  Outcome outcome = Outcome::kNotStarted;
  int exit_code = -1;  // kExited only
  int signal = 0;      // kSignaled only
  std::string out;     // stdout, at most kMaxCapturedBytes
  std::string err;     // stderr, at most kMaxCapturedBytes
  std::string error;   // kNotStarted: why

  bool Succeeded() const {
    return outcome == Outcome::kExited && exit_code == 0;
  }
  // One line for logs: "exit 2: <last stderr line>", "killed by signal 9",
  // "timed out", "not started: ...".
  std::string Describe() const;
};

// Output beyond this many bytes per stream is read and dropped.
inline constexpr size_t kMaxCapturedBytes = 32 * 1024 * 1024;

// Runs `run.argv` and waits for it (or its timeout). The child gets its
// own process group, default signal dispositions and an empty signal mask.
// REQUIRES: !run.argv.empty().
ProgramResult RunProgram(const ProgramRun& run);

}  // namespace hail::server::forward

#endif  // HAIL_SERVER_FORWARD_SUBPROCESS_H_
