#include "server/forward/subprocess.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cassert>
#include <map>
#include <tuple>

extern char** environ;

namespace hail::server::forward {
namespace {

// Both ends close-on-exec; the spawn's dup2 clears it on the child's copy.
struct Pipe {
  int read_end = -1;
  int write_end = -1;
  bool Open() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return false;
    read_end = fds[0];
    write_end = fds[1];
    return true;
  }
  ~Pipe() {
    CloseRead();
    CloseWrite();
  }
  void CloseRead() {
    if (read_end >= 0) ::close(read_end);
    read_end = -1;
  }
  void CloseWrite() {
    if (write_end >= 0) ::close(write_end);
    write_end = -1;
  }
};

// The child's environment: ours, with `overrides` added or replaced.
std::vector<std::string> ChildEnvironment(
    const std::vector<std::string>& overrides) {
  std::map<std::string, std::string> entries;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    std::string_view text(*entry);
    entries[std::string(text.substr(0, text.find('=')))] = std::string(text);
  }
  for (const std::string& entry : overrides) {
    entries[entry.substr(0, entry.find('='))] = entry;
  }
  std::vector<std::string> result;
  for (auto& [name, entry] : entries) result.push_back(std::move(entry));
  return result;
}

std::vector<char*> Pointers(std::vector<std::string>& strings) {
  std::vector<char*> pointers;
  for (std::string& text : strings) pointers.push_back(text.data());
  pointers.push_back(nullptr);
  return pointers;
}

void Append(std::string& to, const char* bytes, size_t count) {
  if (to.size() < kMaxCapturedBytes) {
    to.append(bytes, std::min(count, kMaxCapturedBytes - to.size()));
  }
}

// Blocks SIGPIPE in this thread for its lifetime, so a child that exits
// without reading its stdin gives EPIPE, not a dead server; a SIGPIPE
// raised meanwhile is consumed before the old mask returns.
class SigpipeBlock {
 public:
  SigpipeBlock() {
    sigset_t pipe_set;
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    sigset_t pending;
    sigpending(&pending);
    was_pending_ = sigismember(&pending, SIGPIPE) == 1;
    pthread_sigmask(SIG_BLOCK, &pipe_set, &old_mask_);
  }
  ~SigpipeBlock() {
    if (!was_pending_) {
      sigset_t pipe_set;
      sigemptyset(&pipe_set);
      sigaddset(&pipe_set, SIGPIPE);
      timespec zero{};
      while (sigtimedwait(&pipe_set, nullptr, &zero) == SIGPIPE) {
      }
    }
    pthread_sigmask(SIG_SETMASK, &old_mask_, nullptr);
  }
  SigpipeBlock(const SigpipeBlock&) = delete;
  SigpipeBlock& operator=(const SigpipeBlock&) = delete;

 private:
  sigset_t old_mask_;
  bool was_pending_ = false;
};

}  // namespace

std::string ProgramResult::Describe() const {
  auto last_line = [](std::string_view text) {
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) {
      text.remove_suffix(1);
    }
    size_t newline = text.rfind('\n');
    if (newline != std::string_view::npos) text.remove_prefix(newline + 1);
    return std::string(text);
  };
  switch (outcome) {
    case Outcome::kExited:
      return "exit " + std::to_string(exit_code) +
             (err.empty() ? "" : ": " + last_line(err));
    case Outcome::kSignaled:
      return "killed by signal " + std::to_string(signal);
    case Outcome::kTimedOut:
      return "timed out";
    case Outcome::kNotStarted:
      return "not started: " + error;
  }
  return "unknown";
}

ProgramResult RunProgram(const ProgramRun& run) {
  assert(!run.argv.empty());
  ProgramResult result;
  Pipe in, out, err;
  if (!in.Open() || !out.Open() || !err.Open()) {
    result.error = std::string("pipe: ") + strerror(errno);
    return result;
  }
  std::vector<std::string> argv_strings = run.argv;
  std::vector<std::string> env_strings = ChildEnvironment(run.environment);
  std::vector<char*> argv = Pointers(argv_strings);
  std::vector<char*> envp = Pointers(env_strings);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in.read_end, STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&actions, out.write_end, STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err.write_end, STDERR_FILENO);
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  sigset_t no_signals, default_signals;
  sigemptyset(&no_signals);
  sigemptyset(&default_signals);
  sigaddset(&default_signals, SIGPIPE);
  sigaddset(&default_signals, SIGTERM);
  sigaddset(&default_signals, SIGINT);
  posix_spawnattr_setsigmask(&attributes, &no_signals);
  posix_spawnattr_setsigdefault(&attributes, &default_signals);
  posix_spawnattr_setpgroup(&attributes, 0);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGMASK |
                                            POSIX_SPAWN_SETSIGDEF |
                                            POSIX_SPAWN_SETPGROUP);
  SigpipeBlock sigpipe_block;
  pid_t pid = -1;
  int spawn_error = posix_spawnp(&pid, argv[0], &actions, &attributes,
                                 argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  if (spawn_error != 0) {
    result.error = run.argv[0] + ": " + strerror(spawn_error);
    return result;
  }
  in.CloseRead();
  out.CloseWrite();
  err.CloseWrite();

  const auto deadline = std::chrono::steady_clock::now() + run.timeout;
  size_t written = 0;
  if (run.stdin_bytes.empty()) in.CloseWrite();
  if (in.write_end >= 0) ::fcntl(in.write_end, F_SETFL, O_NONBLOCK);
  bool timed_out = false;
  while (in.write_end >= 0 || out.read_end >= 0 || err.read_end >= 0) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    pollfd fds[3] = {{in.write_end, POLLOUT, 0},
                     {out.read_end, POLLIN, 0},
                     {err.read_end, POLLIN, 0}};
    int ready = ::poll(fds, 3, static_cast<int>(left.count()));
    if (ready < 0 && errno != EINTR) break;
    if (ready <= 0) continue;
    if (fds[0].revents != 0) {
      ssize_t n = ::write(in.write_end, run.stdin_bytes.data() + written,
                          run.stdin_bytes.size() - written);
      if (n > 0) written += static_cast<size_t>(n);
      if ((n < 0 && errno != EAGAIN && errno != EINTR) ||
          written == run.stdin_bytes.size()) {
        in.CloseWrite();
      }
    }
    char buffer[65536];
    for (auto [index, pipe, to] :
         {std::tuple{1, &out, &result.out}, std::tuple{2, &err, &result.err}}) {
      if (fds[index].revents == 0) continue;
      ssize_t n = ::read(pipe->read_end, buffer, sizeof buffer);
      if (n > 0) {
        Append(*to, buffer, static_cast<size_t>(n));
      } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
        pipe->CloseRead();
      }
    }
  }
  in.CloseWrite();
  int status = 0;
  if (timed_out) {
    ::kill(-pid, SIGKILL);
    ::kill(pid, SIGKILL);
  } else {
    // The pipes are closed, so the child is at its end (or has handed
    // them to a daemon of its own): wait for it within what is left.
    while (::waitpid(pid, &status, WNOHANG) == 0) {
      if (std::chrono::steady_clock::now() >= deadline) {
        timed_out = true;
        ::kill(-pid, SIGKILL);
        ::kill(pid, SIGKILL);
        break;
      }
      timespec pause{0, 5'000'000};
      nanosleep(&pause, nullptr);
    }
    if (!timed_out) {
      if (WIFEXITED(status)) {
        result.outcome = ProgramResult::Outcome::kExited;
        result.exit_code = WEXITSTATUS(status);
      } else {
        result.outcome = ProgramResult::Outcome::kSignaled;
        result.signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
      }
      return result;
    }
  }
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  result.outcome = ProgramResult::Outcome::kTimedOut;
  return result;
}

}  // namespace hail::server::forward
