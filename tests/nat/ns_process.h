// Test harness for issue #5: a line-oriented child process inside a network
// namespace (`ip netns exec`), driven through its stdin and stdout. Its
// stderr goes to a log file in a private temp dir.
#ifndef HAIL_TESTS_NAT_NS_PROCESS_H_
#define HAIL_TESTS_NAT_NS_PROCESS_H_

#include <sys/types.h>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/status.h"
#include "tests/integration/haild_process.h"

namespace hail::testing {

// Owns the child: the destructor terminates it (SIGTERM, then SIGKILL) and
// removes the log. The child also gets SIGKILL if the test process dies.
// Not thread-safe; one test thread drives it.
class NsProcess {
 public:
  // Starts argv (argv[0] a path or a name on PATH) in namespace `ns` (empty:
  // this one), with `env` added (an empty value unsets). Fails only when the
  // pipes or fork fail; an exec failure shows as exit code 127.
  static Result<std::unique_ptr<NsProcess>> Start(
      const std::string& ns, const std::vector<std::string>& argv,
      const std::map<std::string, std::string>& env = {});
  ~NsProcess();
  NsProcess(const NsProcess&) = delete;
  NsProcess& operator=(const NsProcess&) = delete;

  // Writes line plus '\n' to the child's stdin. False when the child no
  // longer reads (never raises SIGPIPE).
  bool WriteLine(std::string_view line);
  void CloseStdin();

  // The next stdout line without its '\n', or nullopt after timeout_ms or at
  // end of output (a final unterminated line is still returned).
  std::optional<std::string> ReadLine(int timeout_ms);
  // Reads lines until one satisfies `match` and returns it; lines read on
  // the way are dropped (but kept in transcript()). nullopt on timeout/EOF.
  std::optional<std::string> WaitForLine(
      const std::function<bool(const std::string&)>& match, int timeout_ms);
  // WaitForLine for a line starting with `prefix`.
  std::optional<std::string> WaitForPrefix(std::string_view prefix,
                                           int timeout_ms);

  // SIGTERM, then SIGKILL after grace_ms; reaps. Returns the exit code, or
  // 128+signal when a signal ended it, or -1 when it was not running.
  int Terminate(int grace_ms = 2000);
  bool running() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }

  // Every stdout line read so far, and the stderr log, for failure messages.
  std::string transcript() const;
  std::string log() const;

 private:
  NsProcess() = default;

  pid_t pid_ = -1;
  int stdin_fd_ = -1;
  int stdout_fd_ = -1;
  bool stdout_eof_ = false;
  std::string pending_;  // stdout bytes after the last complete line
  std::vector<std::string> lines_;
  TempDir dir_;
  std::string log_path_;
};

}  // namespace hail::testing

#endif  // HAIL_TESTS_NAT_NS_PROCESS_H_
