#include "tools/conform/udp_probe.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

namespace hail::conform {

Result<std::unique_ptr<UdpProbe>> UdpProbe::Open(
    const std::string& host, uint16_t port, const std::string& local_host) {
  addrinfo hints{};
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_DGRAM;
  addrinfo* found = nullptr;
  if (getaddrinfo(host.c_str(), nullptr, &hints, &found) != 0 || !found) {
    return Status::InvalidArgument(fmt::format("cannot resolve {}", host));
  }
  sockaddr_in to{};
  std::memcpy(&to, found->ai_addr, sizeof to);
  freeaddrinfo(found);
  to.sin_port = htons(port);
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Status::IoError("socket failed");
  sockaddr_in from{};
  from.sin_family = AF_INET;
  if (!local_host.empty() &&
      inet_pton(AF_INET, local_host.c_str(), &from.sin_addr) != 1) {
    close(fd);
    return Status::InvalidArgument(
        fmt::format("bad local address {}", local_host));
  }
  if (bind(fd, reinterpret_cast<sockaddr*>(&from), sizeof from) != 0 ||
      connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0) {
    close(fd);
    return Status::IoError(
        fmt::format("cannot bind or connect: {}", std::strerror(errno)));
  }
  socklen_t length = sizeof from;
  getsockname(fd, reinterpret_cast<sockaddr*>(&from), &length);
  protocol::Endpoint local = protocol::Endpoint::Ipv4(
      ntohl(from.sin_addr.s_addr), ntohs(from.sin_port));
  return std::unique_ptr<UdpProbe>(new UdpProbe(fd, local));
}

UdpProbe::UdpProbe(int fd, protocol::Endpoint local) : fd_(fd), local_(local) {}

UdpProbe::~UdpProbe() { close(fd_); }

Status UdpProbe::Send(protocol::ByteSpan datagram) {
  if (send(fd_, datagram.data(), datagram.size(), 0) !=
      static_cast<ssize_t>(datagram.size())) {
    return Status::IoError(
        fmt::format("send failed: {}", std::strerror(errno)));
  }
  return Status::Ok();
}

std::optional<protocol::Bytes> UdpProbe::Receive(int timeout_ms) {
  pollfd p{fd_, POLLIN, 0};
  if (poll(&p, 1, timeout_ms) <= 0) return std::nullopt;
  protocol::Bytes buffer(65536);
  ssize_t got = recv(fd_, buffer.data(), buffer.size(), 0);
  if (got < 0) return std::nullopt;
  buffer.resize(static_cast<size_t>(got));
  return buffer;
}

}  // namespace hail::conform
