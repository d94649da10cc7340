#include "client/password_prompt.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>

namespace hail::client {
namespace {

constexpr int kRestoredSignals[] = {SIGINT, SIGTERM, SIGHUP};

// Shared with the signal handler: the terminal and its settings to restore.
volatile sig_atomic_t prompt_fd = -1;
termios saved_settings;

void RestoreAndReraise(int signal_number) {
  if (prompt_fd >= 0) tcsetattr(prompt_fd, TCSANOW, &saved_settings);
  std::signal(signal_number, SIG_DFL);
  std::raise(signal_number);
}

// Turns echo off for its lifetime (newlines still echo) and restores the
// terminal afterwards, also on the signals above.
class EchoOff {
 public:
  explicit EchoOff(int fd) {
    if (tcgetattr(fd, &saved_settings) != 0) return;
    termios quiet = saved_settings;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    quiet.c_lflag |= ECHONL;
    struct sigaction action {};
    action.sa_handler = RestoreAndReraise;
    sigemptyset(&action.sa_mask);
    for (size_t i = 0; i < std::size(kRestoredSignals); ++i) {
      sigaction(kRestoredSignals[i], &action, &previous_[i]);
    }
    prompt_fd = fd;
    tcsetattr(fd, TCSAFLUSH, &quiet);
  }
  ~EchoOff() {
    if (prompt_fd >= 0) {
      tcsetattr(prompt_fd, TCSAFLUSH, &saved_settings);
      prompt_fd = -1;
      for (size_t i = 0; i < std::size(kRestoredSignals); ++i) {
        sigaction(kRestoredSignals[i], &previous_[i], nullptr);
      }
    }
  }
  EchoOff(const EchoOff&) = delete;
  EchoOff& operator=(const EchoOff&) = delete;

 private:
  struct sigaction previous_[std::size(kRestoredSignals)]{};
};

}  // namespace

Result<std::string> ReadPasswordFromTerminal(std::string_view prompt) {
  int fd = ::open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) {
    return Status::NotFound("no terminal to ask for the password on");
  }
  std::string password;
  Status status = Status::Ok();
  {
    if (::write(fd, prompt.data(), prompt.size()) < 0) {
      status = Status::IoError("cannot write to the terminal");
    }
    EchoOff echo_off(fd);
    char c;
    while (status.ok()) {
      ssize_t n = ::read(fd, &c, 1);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        status = Status::IoError(
            fmt::format("cannot read the terminal: {}", std::strerror(errno)));
      }
      if (n <= 0 || c == '\n') break;
      password.push_back(c);
    }
  }
  ::close(fd);
  if (!status.ok()) return status;
  if (!password.empty() && password.back() == '\r') password.pop_back();
  return password;
}

}  // namespace hail::client
