#include "tools/bench/child_process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sodium.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "protocol/presession.h"

namespace hail::bench {
namespace {

using Clock = std::chrono::steady_clock;

// argv as execv wants it; built before fork, since only async-signal-safe
// calls may come between fork and exec.
std::vector<char*> ExecArgs(const std::vector<std::string>& argv) {
  std::vector<char*> args;
  for (const std::string& a : argv) {
    args.push_back(const_cast<char*>(a.c_str()));
  }
  args.push_back(nullptr);
  return args;
}

[[noreturn]] void Exec(const std::vector<char*>& args) {
  // A server must not outlive the process that started it.
  prctl(PR_SET_PDEATHSIG, SIGTERM);
  execv(args[0], args.data());
  _exit(127);
}

}  // namespace

ChildProcess::~ChildProcess() {
  if (pid_ > 0) Stop(5000);
}

Status ChildProcess::Start(const std::vector<std::string>& argv,
                           const std::filesystem::path& log,
                           const Options& options) {
  int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) return Status::IoError("cannot open " + log.string());
  int in = options.stdin_fd >= 0 ? options.stdin_fd
                                 : open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (in < 0) {
    close(fd);
    return Status::IoError("cannot open /dev/null");
  }
  std::vector<char*> args = ExecArgs(argv);
  const std::string working_dir = options.working_dir.string();
  pid_ = fork();
  if (pid_ < 0) {
    close(fd);
    if (in != options.stdin_fd) close(in);
    return Status::IoError("fork failed");
  }
  if (pid_ == 0) {
    if (dup2(in, 0) < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0 ||
        (!working_dir.empty() && chdir(working_dir.c_str()) != 0) ||
        (options.own_process_group && setpgid(0, 0) != 0)) {
      _exit(127);
    }
    Exec(args);
  }
  own_process_group_ = options.own_process_group;
  close(fd);
  if (in != options.stdin_fd) close(in);
  return Status::Ok();
}

Result<uint16_t> ChildProcess::StartAndReadPort(
    const std::vector<std::string>& argv, int timeout_ms) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return Status::IoError("pipe failed");
  std::vector<char*> args = ExecArgs(argv);
  pid_ = fork();
  if (pid_ < 0) return Status::IoError("fork failed");
  if (pid_ == 0) {
    dup2(fds[1], 1);
    Exec(args);
  }
  close(fds[1]);
  std::string line;
  auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  while (line.find('\n') == std::string::npos && Clock::now() < deadline) {
    pollfd p{fds[0], POLLIN, 0};
    if (poll(&p, 1, 100) <= 0) continue;
    char buffer[128];
    ssize_t n = read(fds[0], buffer, sizeof buffer);
    if (n <= 0) break;
    line.append(buffer, static_cast<size_t>(n));
  }
  close(fds[0]);
  unsigned port = 0;
  if (std::sscanf(line.c_str(), "ready %u", &port) != 1 || port == 0 ||
      port > 65535) {
    Stop(2000);
    return Status::IoError("the relay did not report ready");
  }
  return static_cast<uint16_t>(port);
}

bool ChildProcess::Exited() {
  if (pid_ <= 0) return true;
  int status;
  if (waitpid(pid_, &status, WNOHANG) == pid_) {
    pid_ = -1;
    return true;
  }
  return false;
}

int ChildProcess::Stop(int grace_ms) {
  if (pid_ <= 0) return -1;
  const pid_t pid = pid_;
  pid_ = -1;
  kill(pid, SIGTERM);
  int status = 0;
  bool killed = false;
  auto deadline = Clock::now() + std::chrono::milliseconds(grace_ms);
  while (waitpid(pid, &status, WNOHANG) == 0) {
    if (Clock::now() > deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      killed = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  // Children the daemon forked are in its group (its id is the group's).
  if (own_process_group_) kill(-pid, SIGKILL);
  if (killed) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

Status WaitForHello(uint16_t port, ChildProcess* child, int timeout_ms) {
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Status::IoError("socket failed");
  sockaddr_in server{};
  server.sin_family = AF_INET;
  server.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  server.sin_port = htons(port);
  protocol::HelloDatagram hello;
  randombytes_buf(&hello.client_nonce, sizeof hello.client_nonce);
  protocol::Bytes datagram = protocol::EncodeHello(hello);
  auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  Status result = Status::IoError("the server did not answer HELLO in time");
  while (Clock::now() < deadline) {
    if (child != nullptr && child->Exited()) {
      result = Status::IoError("the server exited while starting");
      break;
    }
    sendto(fd, datagram.data(), datagram.size(), 0,
           reinterpret_cast<const sockaddr*>(&server), sizeof server);
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 100) <= 0) continue;
    uint8_t buffer[64];
    ssize_t n = recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) continue;
    std::optional<protocol::CookieDatagram> cookie = protocol::DecodeCookie(
        protocol::ByteSpan(buffer, static_cast<size_t>(n)));
    if (cookie && cookie->client_nonce == hello.client_nonce) {
      result = Status::Ok();
      break;
    }
  }
  close(fd);
  return result;
}

uint16_t PickFreeUdpPort() {
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  uint16_t port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
    port = ntohs(address.sin_port);
  }
  close(fd);
  return port;
}

}  // namespace hail::bench
