#include "tests/integration/haild_process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include "server/admin_socket.h"

namespace hail::testing {
namespace {

std::vector<char*> CStrings(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (std::string& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

void ApplyEnv(const std::map<std::string, std::string>& env) {
  for (const auto& [key, value] : env) {
    if (value.empty()) {
      unsetenv(key.c_str());
    } else {
      setenv(key.c_str(), value.c_str(), 1);
    }
  }
}

std::string ReadAll(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

}  // namespace

uint16_t FreeUdpPort() {
  // haild also listens on TCP on the same number (SPEC.md 3.8), so the
  // port must be free for both.
  for (int attempt = 0; attempt < 100; ++attempt) {
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
    socklen_t length = sizeof address;
    getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
    close(fd);
    int tcp = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in tcp_address = address;
    tcp_address.sin_addr.s_addr = htonl(INADDR_ANY);
    bool tcp_free = bind(tcp, reinterpret_cast<sockaddr*>(&tcp_address),
                         sizeof tcp_address) == 0;
    close(tcp);
    if (tcp_free) return ntohs(address.sin_port);
  }
  return 0;
}

HaildProcess::HaildProcess(std::filesystem::path data_dir, uint16_t port,
                           HaildPlacement placement)
    : data_dir_(std::move(data_dir)),
      port_(port),
      placement_(std::move(placement)) {
  log_path_ = data_dir_.string() + ".log";
}

HaildProcess::~HaildProcess() {
  Kill();
  std::error_code ec;
  std::filesystem::remove(log_path_, ec);
}

bool HaildProcess::Start(const std::vector<std::string>& extra_args,
                         const std::map<std::string, std::string>& env) {
  std::vector<std::string> args = {
      binary_.empty() ? std::string(HAILD_PATH) : binary_, "--data-dir",
      data_dir_.string(), "--listen",
      placement_.host + ":" + std::to_string(port_)};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  // The multi-loop runs of the suite (tests/CMakeLists.txt) set this; a
  // test that chooses its own loop count keeps it.
  const char* loops = std::getenv("HAIL_TEST_LOOP_THREADS");
  if (loops != nullptr && *loops != '\0' &&
      std::find(args.begin(), args.end(), "--loop-threads") == args.end()) {
    args.insert(args.end(), {"--loop-threads", loops});
  }
  if (!placement_.netns.empty()) {
    // `ip netns exec` execs haild in place, so pid_ stays haild's pid.
    args.insert(args.begin(), {"ip", "netns", "exec", placement_.netns});
  }
  pid_ = fork();
  if (pid_ == 0) {
    int log = open(log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    dup2(log, 1);
    dup2(log, 2);
    ApplyEnv(env);
    std::vector<char*> argv = CStrings(args);
    execvp(argv[0], argv.data());
    _exit(127);
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  while (std::chrono::steady_clock::now() < deadline) {
    int status;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return false;
    }
    if (!Stats().empty()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

void HaildProcess::BeginStop() {
  if (pid_ > 0) kill(pid_, SIGTERM);
}

bool HaildProcess::Alive() {
  if (pid_ <= 0) return false;
  int status = 0;
  if (waitpid(pid_, &status, WNOHANG) == pid_) {
    pid_ = -1;
    return false;
  }
  return true;
}

int HaildProcess::Stop() {
  if (pid_ <= 0) return -1;
  kill(pid_, SIGTERM);
  int status = 0;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (waitpid(pid_, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid_, SIGKILL);
      waitpid(pid_, &status, 0);
      pid_ = -1;
      return -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  pid_ = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

void HaildProcess::Kill() {
  if (pid_ <= 0) return;
  kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

std::string HaildProcess::AdminCommand(const std::string& command) const {
  Result<std::string> reply =
      server::AdminRequest(data_dir_ / "admin.sock", command);
  return reply.ok() ? *reply : std::string();
}

std::map<std::string, int64_t> HaildProcess::Stats() const {
  return server::ParseStatsLine(AdminCommand("stats"));
}

int64_t HaildProcess::Stat(const std::string& name) const {
  std::map<std::string, int64_t> stats = Stats();
  auto it = stats.find(name);
  return it == stats.end() ? -1 : it->second;
}

int64_t HaildProcess::WaitForStat(const std::string& name, int64_t minimum,
                                  int timeout_ms) const {
  auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  int64_t value = Stat(name);
  while (value < minimum && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    value = Stat(name);
  }
  return value;
}

int64_t HaildProcess::WaitForStatAtMost(const std::string& name,
                                        int64_t maximum, int timeout_ms) const {
  auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  int64_t value = Stat(name);
  while (value > maximum && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    value = Stat(name);
  }
  return value;
}

std::string HaildProcess::log() const { return ReadAll(log_path_); }

CommandResult RunCommand(const std::vector<std::string>& argv_in,
                         const std::map<std::string, std::string>& env,
                         int timeout_ms) {
  CommandResult result;
  int out_pipe[2], err_pipe[2];
  if (pipe(out_pipe) != 0 || pipe(err_pipe) != 0) return result;
  pid_t pid = fork();
  if (pid == 0) {
    int null_in = open("/dev/null", O_RDONLY);
    dup2(null_in, 0);
    dup2(out_pipe[1], 1);
    dup2(err_pipe[1], 2);
    close(out_pipe[0]);
    close(err_pipe[0]);
    setsid();  // no controlling terminal: password prompts must not hang
    ApplyEnv(env);
    std::vector<std::string> args = argv_in;
    std::vector<char*> argv = CStrings(args);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(out_pipe[1]);
  close(err_pipe[1]);
  auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  int open_fds = 2;
  char buf[4096];
  while (open_fds > 0) {
    int left =
        static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(
                             deadline - std::chrono::steady_clock::now())
                             .count());
    if (left <= 0) {
      kill(pid, SIGKILL);
      break;
    }
    if (poll(fds, 2, left) <= 0) continue;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP))) continue;
      ssize_t n = read(fds[i].fd, buf, sizeof buf);
      if (n <= 0) {
        close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      } else {
        (i == 0 ? result.out : result.err).append(buf, static_cast<size_t>(n));
      }
    }
  }
  for (auto& fd : fds) {
    if (fd.fd >= 0) close(fd.fd);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

}  // namespace hail::testing
