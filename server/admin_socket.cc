#include "server/admin_socket.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace hail::server {
namespace {

constexpr size_t kMaxCommand = 256;
constexpr int kClientTimeoutMs = 2000;

bool FillAddress(const std::filesystem::path& path, sockaddr_un* address) {
  std::memset(address, 0, sizeof *address);
  address->sun_family = AF_UNIX;
  std::string text = path.string();
  if (text.size() >= sizeof address->sun_path) return false;
  std::memcpy(address->sun_path, text.c_str(), text.size() + 1);
  return true;
}

}  // namespace

Result<std::unique_ptr<AdminSocket>> AdminSocket::Listen(
    const std::filesystem::path& path, Handler handler) {
  sockaddr_un address;
  if (!FillAddress(path, &address)) {
    return Status::InvalidArgument("admin socket path too long: " +
                                   path.string());
  }
  // The data dir lock is held, so any socket file left here is stale.
  ::unlink(path.c_str());
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return Status::IoError("admin socket: " + std::string(strerror(errno)));
  mode_t old_mask = ::umask(0177);
  int rc = ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
  ::umask(old_mask);
  if (rc != 0 || ::listen(fd, 16) != 0) {
    std::string error = strerror(errno);
    ::close(fd);
    return Status::IoError("cannot listen on " + path.string() + ": " + error);
  }
  int stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (stop_fd < 0) {
    ::close(fd);
    return Status::IoError("eventfd failed");
  }
  return std::unique_ptr<AdminSocket>(
      new AdminSocket(path, fd, stop_fd, std::move(handler)));
}

AdminSocket::AdminSocket(std::filesystem::path path, int listen_fd, int stop_fd,
                         Handler handler)
    : path_(std::move(path)),
      listen_fd_(listen_fd),
      stop_fd_(stop_fd),
      handler_(std::move(handler)) {
  thread_ = std::thread([this] { Run(); });
}

AdminSocket::~AdminSocket() {
  uint64_t one = 1;
  [[maybe_unused]] ssize_t n = ::write(stop_fd_, &one, sizeof one);
  thread_.join();
  ::close(listen_fd_);
  ::close(stop_fd_);
  ::unlink(path_.c_str());
}

void AdminSocket::Run() {
  while (true) {
    pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {stop_fd_, POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds[1].revents) return;
    if (!(fds[0].revents & POLLIN)) continue;
    int client = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) continue;
    // One short command per connection; a slow or silent client is cut off.
    std::string command;
    char buf[kMaxCommand];
    while (command.size() < kMaxCommand &&
           command.find('\n') == std::string::npos) {
      pollfd in = {client, POLLIN, 0};
      if (::poll(&in, 1, kClientTimeoutMs) <= 0) break;
      ssize_t n = ::read(client, buf, sizeof buf);
      if (n <= 0) break;
      command.append(buf, static_cast<size_t>(n));
    }
    size_t newline = command.find('\n');
    if (newline != std::string::npos) command.resize(newline);
    std::string reply = handler_(command) + "\n";
    size_t sent = 0;
    while (sent < reply.size()) {
      ssize_t n = ::send(client, reply.data() + sent, reply.size() - sent,
                         MSG_NOSIGNAL);
      if (n <= 0) break;
      sent += static_cast<size_t>(n);
    }
    ::close(client);
  }
}

Result<std::string> AdminRequest(const std::filesystem::path& path,
                                 const std::string& command) {
  sockaddr_un address;
  if (!FillAddress(path, &address)) {
    return Status::InvalidArgument("admin socket path too long");
  }
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Status::IoError("socket failed");
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) !=
      0) {
    std::string error = strerror(errno);
    ::close(fd);
    return Status::IoError("no haild answers at " + path.string() + ": " +
                           error);
  }
  std::string line = command + "\n";
  if (::send(fd, line.data(), line.size(), MSG_NOSIGNAL) !=
      static_cast<ssize_t>(line.size())) {
    ::close(fd);
    return Status::IoError("cannot send to " + path.string());
  }
  std::string reply;
  char buf[4096];
  while (true) {
    pollfd in = {fd, POLLIN, 0};
    if (::poll(&in, 1, kClientTimeoutMs) <= 0) break;
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) break;
    reply.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  while (!reply.empty() && reply.back() == '\n') reply.pop_back();
  if (reply.empty())
    return Status::IoError("empty reply from " + path.string());
  return reply;
}

std::map<std::string, int64_t> ParseStatsLine(const std::string& json) {
  std::map<std::string, int64_t> stats;
  size_t pos = 0;
  while ((pos = json.find('"', pos)) != std::string::npos) {
    size_t end = json.find('"', pos + 1);
    if (end == std::string::npos || end + 1 >= json.size() ||
        json[end + 1] != ':') {
      break;
    }
    std::string key = json.substr(pos + 1, end - pos - 1);
    stats[key] = std::strtoll(json.c_str() + end + 2, nullptr, 10);
    pos = end + 2;
  }
  return stats;
}

}  // namespace hail::server
