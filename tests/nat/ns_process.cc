#include "tests/nat/ns_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include "tests/nat/netns_topology.h"

namespace hail::testing {
namespace {

using Clock = std::chrono::steady_clock;

int MillisecondsLeft(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                  deadline - Clock::now())
                  .count();
  return left > 0 ? static_cast<int>(left) : 0;
}

// write() with SIGPIPE blocked on this thread and any pending one consumed,
// so a child that exited yields EPIPE instead of killing the test.
bool WriteAllNoSigpipe(int fd, std::string_view data) {
  sigset_t pipe_set, old_set;
  sigemptyset(&pipe_set);
  sigaddset(&pipe_set, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_set, &old_set);
  bool ok = true;
  while (!data.empty()) {
    ssize_t n = write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ok = false;
      break;
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  if (!ok && errno == EPIPE) {
    timespec zero{};
    sigtimedwait(&pipe_set, nullptr, &zero);
  }
  pthread_sigmask(SIG_SETMASK, &old_set, nullptr);
  return ok;
}

}  // namespace

Result<std::unique_ptr<NsProcess>> NsProcess::Start(
    const std::string& ns, const std::vector<std::string>& argv_in,
    const std::map<std::string, std::string>& env) {
  if (argv_in.empty()) return Status::InvalidArgument("empty argv");
  std::unique_ptr<NsProcess> process(new NsProcess());
  process->log_path_ = (process->dir_.path() / "stderr.log").string();
  int in_pipe[2], out_pipe[2];
  if (pipe2(in_pipe, O_CLOEXEC) != 0) return Status::IoError("pipe failed");
  if (pipe2(out_pipe, O_CLOEXEC) != 0) {
    close(in_pipe[0]);
    close(in_pipe[1]);
    return Status::IoError("pipe failed");
  }
  std::vector<std::string> args = NetnsExec(ns, argv_in);
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  pid_t parent = getpid();

  pid_t pid = fork();
  if (pid < 0) {
    for (int fd : {in_pipe[0], in_pipe[1], out_pipe[0], out_pipe[1]}) {
      close(fd);
    }
    return Status::IoError("fork failed");
  }
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    int log = open(process->log_path_.c_str(),
                   O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    dup2(in_pipe[0], 0);
    dup2(out_pipe[1], 1);
    if (log >= 0) dup2(log, 2);
    setsid();
    for (const auto& [key, value] : env) {
      if (value.empty()) {
        unsetenv(key.c_str());
      } else {
        setenv(key.c_str(), value.c_str(), 1);
      }
    }
    execvp(argv[0], argv.data());
    _exit(127);
  }
  close(in_pipe[0]);
  close(out_pipe[1]);
  process->pid_ = pid;
  process->stdin_fd_ = in_pipe[1];
  process->stdout_fd_ = out_pipe[0];
  return process;
}

NsProcess::~NsProcess() {
  Terminate(500);
  if (stdout_fd_ >= 0) close(stdout_fd_);
}

bool NsProcess::WriteLine(std::string_view line) {
  if (stdin_fd_ < 0) return false;
  std::string data(line);
  data += '\n';
  return WriteAllNoSigpipe(stdin_fd_, data);
}

void NsProcess::CloseStdin() {
  if (stdin_fd_ >= 0) close(stdin_fd_);
  stdin_fd_ = -1;
}

std::optional<std::string> NsProcess::ReadLine(int timeout_ms) {
  Clock::time_point deadline =
      Clock::now() + std::chrono::milliseconds(timeout_ms);
  while (true) {
    size_t newline = pending_.find('\n');
    if (newline != std::string::npos) {
      std::string line = pending_.substr(0, newline);
      pending_.erase(0, newline + 1);
      lines_.push_back(line);
      return line;
    }
    if (stdout_eof_) {
      if (pending_.empty()) return std::nullopt;
      std::string line = std::move(pending_);
      pending_.clear();
      lines_.push_back(line);
      return line;
    }
    pollfd fd{stdout_fd_, POLLIN, 0};
    int ready = poll(&fd, 1, MillisecondsLeft(deadline));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) return std::nullopt;
    char buffer[4096];
    ssize_t n = read(stdout_fd_, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      stdout_eof_ = true;
    } else {
      pending_.append(buffer, static_cast<size_t>(n));
    }
  }
}

std::optional<std::string> NsProcess::WaitForLine(
    const std::function<bool(const std::string&)>& match, int timeout_ms) {
  Clock::time_point deadline =
      Clock::now() + std::chrono::milliseconds(timeout_ms);
  while (true) {
    std::optional<std::string> line = ReadLine(MillisecondsLeft(deadline));
    if (!line) return std::nullopt;
    if (match(*line)) return line;
  }
}

std::optional<std::string> NsProcess::WaitForPrefix(std::string_view prefix,
                                                    int timeout_ms) {
  return WaitForLine(
      [prefix](const std::string& line) { return line.starts_with(prefix); },
      timeout_ms);
}

int NsProcess::Terminate(int grace_ms) {
  CloseStdin();
  if (pid_ <= 0) return -1;
  kill(pid_, SIGTERM);
  int status = 0;
  Clock::time_point deadline =
      Clock::now() + std::chrono::milliseconds(grace_ms);
  pid_t reaped;
  while ((reaped = waitpid(pid_, &status, WNOHANG)) == 0) {
    if (Clock::now() >= deadline) {
      kill(pid_, SIGKILL);
      reaped = waitpid(pid_, &status, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  pid_ = -1;
  if (reaped <= 0) return -1;
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : -1;
}

std::string NsProcess::transcript() const {
  std::string text;
  for (const std::string& line : lines_) text += line + '\n';
  return text;
}

std::string NsProcess::log() const {
  std::ifstream in(log_path_);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

}  // namespace hail::testing
