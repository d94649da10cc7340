#include "server/admin_socket.h"

#include <arpa/inet.h>
#include <netinet/in.h>
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

Result<std::unique_ptr<AdminSocket>> AdminSocket::ListenTcp(
    const protocol::Endpoint& listen, Handler handler) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Status::IoError("socket: " + std::string(strerror(errno)));
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(listen.Ipv4HostOrder());
  address.sin_port = htons(listen.port);
  socklen_t size = sizeof address;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), size) != 0 ||
      ::listen(fd, 16) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size) != 0) {
    std::string error = strerror(errno);
    ::close(fd);
    return Status::IoError("cannot listen on TCP " + listen.ToString() + ": " +
                           error);
  }
  int stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (stop_fd < 0) {
    ::close(fd);
    return Status::IoError("eventfd failed");
  }
  auto socket = std::unique_ptr<AdminSocket>(
      new AdminSocket({}, fd, stop_fd, std::move(handler)));
  socket->port_ = ntohs(address.sin_port);
  return socket;
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
  if (!path_.empty()) ::unlink(path_.c_str());
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
    if (!command.empty() && command.back() == '\r') command.pop_back();
    std::string reply = handler_(command);
    size_t sent = 0;
    while (sent < reply.size()) {
      ssize_t n = ::send(client, reply.data() + sent, reply.size() - sent,
                         MSG_NOSIGNAL);
      if (n <= 0) break;
      sent += static_cast<size_t>(n);
    }
    // What the client sent beyond its first line (HTTP headers) is read
    // and dropped before closing: closing with unread bytes would reset the
    // connection and could cost the client the reply.
    ::shutdown(client, SHUT_WR);
    for (int i = 0; i < 16; ++i) {
      pollfd in = {client, POLLIN, 0};
      if (::poll(&in, 1, 100) <= 0) break;
      if (::read(client, buf, sizeof buf) <= 0) break;
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

std::string MetricsHttpReply(const std::string& request_line,
                             const std::function<std::string()>& metrics,
                             const HttpCallback& callback) {
  auto reply = [](std::string_view status, std::string_view type,
                  const std::string& body) {
    return "HTTP/1.1 " + std::string(status) +
           "\r\nContent-Type: " + std::string(type) +
           "\r\nContent-Length: " + std::to_string(body.size()) +
           "\r\nConnection: close\r\n\r\n" + body;
  };
  size_t space = request_line.find(' ');
  std::string method = request_line.substr(0, space);
  std::string target;
  if (space != std::string::npos) {
    target = request_line.substr(space + 1);
    target = target.substr(0, target.find(' '));
  }
  if (method != "GET") {
    return reply("405 Method Not Allowed", "text/plain", "GET only\n");
  }
  if (callback.handle && !callback.path.empty()) {
    std::string_view path = std::string_view(target).substr(
        0, std::min(target.find('?'), target.size()));
    if (path == callback.path) {
      return callback.handle(target)
                 ? reply("200 OK", "text/plain", "ok\n")
                 : reply("400 Bad Request", "text/plain", "not understood\n");
    }
  }
  if (target != "/metrics") {
    return reply("404 Not Found", "text/plain", "try /metrics\n");
  }
  return reply("200 OK", "text/plain; version=0.0.4; charset=utf-8", metrics());
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
