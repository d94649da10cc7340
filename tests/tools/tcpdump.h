// tcpdump as a child process, for the capture tests of hail-dissect
// (tests/tools/dissect_*capture_test.cc). Needs root; loopback only.
#ifndef HAIL_TESTS_TOOLS_TCPDUMP_H_
#define HAIL_TESTS_TOOLS_TCPDUMP_H_

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/haild_process.h"

namespace hail::testing {

// tcpdump writing one capture file; stopped with SIGINT like a user would.
class Tcpdump {
 public:
  Tcpdump(std::filesystem::path file, std::string filter)
      : file_(std::move(file)), filter_(std::move(filter)) {}
  ~Tcpdump() { Stop(); }
  Tcpdump(const Tcpdump&) = delete;
  Tcpdump& operator=(const Tcpdump&) = delete;

  // Starts tcpdump and waits until it says "listening". False (with its
  // output in output()) when it does not.
  bool Start() {
    int err[2];
    if (pipe(err) != 0) return false;
    pid_ = fork();
    if (pid_ == 0) {
      dup2(err[1], 2);
      dup2(err[1], 1);
      close(err[0]);
      execlp("tcpdump", "tcpdump", "-i", "lo", "-U", "-Z", "root", "-w",
             file_.c_str(), filter_.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    close(err[1]);
    err_fd_ = err[0];
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    char buffer[512];
    while (std::chrono::steady_clock::now() < deadline) {
      ssize_t n = read(err_fd_, buffer, sizeof buffer);
      if (n <= 0) return false;
      output_.append(buffer, static_cast<size_t>(n));
      if (output_.find("listening") != std::string::npos) return true;
    }
    return false;
  }

  // Stops it after giving it time to write what it still holds: tcpdump
  // drops what it has not read yet when interrupted.
  int FlushAndStop() {
    std::this_thread::sleep_for(std::chrono::milliseconds(700));
    return Stop();
  }

  int Stop() {
    if (pid_ <= 0) return -1;
    kill(pid_, SIGINT);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    if (err_fd_ >= 0) close(err_fd_);
    err_fd_ = -1;
    return status;
  }
  const std::string& output() const { return output_; }

 private:
  std::filesystem::path file_;
  std::string filter_;  // pcap-filter(7) expression
  pid_t pid_ = -1;
  int err_fd_ = -1;
  std::string output_;
};

#ifdef HAIL_DISSECT_PATH
// hail-dissect on `pcap`, plus `extra` arguments.
inline CommandResult DissectCapture(const std::filesystem::path& pcap,
                                    const std::vector<std::string>& extra) {
  std::vector<std::string> argv = {HAIL_DISSECT_PATH, "-r", pcap.string()};
  argv.insert(argv.end(), extra.begin(), extra.end());
  return RunCommand(argv, {}, 60000);
}

// The same, told that Hail is on `port` (--port).
inline CommandResult DissectCapture(const std::filesystem::path& pcap,
                                    uint16_t port,
                                    std::vector<std::string> extra) {
  extra.insert(extra.begin(), {"--port", std::to_string(port)});
  return DissectCapture(pcap, extra);
}
#endif

}  // namespace hail::testing

#endif  // HAIL_TESTS_TOOLS_TCPDUMP_H_
