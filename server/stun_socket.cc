#include "server/stun_socket.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <string>

namespace hail::server {
namespace {

// Datagrams handled per Serve call.
constexpr int kMaxDatagramsPerServe = 256;

sockaddr_in ToSockaddr(const protocol::Endpoint& endpoint) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(endpoint.Ipv4HostOrder());
  address.sin_port = htons(endpoint.port);
  return address;
}

}  // namespace

Result<std::unique_ptr<StunSocket>> StunSocket::Bind(
    const protocol::Endpoint& listen, StunResponder* responder) {
  if (listen.family != protocol::Endpoint::Family::kIpv4) {
    return Status::InvalidArgument("the STUN port is IPv4 only");
  }
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return Status::IoError("socket: " + std::string(strerror(errno)));
  sockaddr_in address = ToSockaddr(listen);
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    std::string error = strerror(errno);
    close(fd);
    return Status::IoError("cannot bind the STUN port " + listen.ToString() +
                           ": " + error);
  }
  socklen_t length = sizeof address;
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  protocol::Endpoint bound = protocol::Endpoint::Ipv4(
      ntohl(address.sin_addr.s_addr), ntohs(address.sin_port));
  return std::unique_ptr<StunSocket>(new StunSocket(fd, bound, responder));
}

StunSocket::~StunSocket() { close(fd_); }

void StunSocket::Serve(uint64_t now_ms) {
  std::array<uint8_t, 2048> buffer;
  for (int i = 0; i < kMaxDatagramsPerServe; ++i) {
    sockaddr_in from{};
    socklen_t from_length = sizeof from;
    ssize_t n = recvfrom(fd_, buffer.data(), buffer.size(), MSG_TRUNC,
                         reinterpret_cast<sockaddr*>(&from), &from_length);
    if (n < 0) return;  // EAGAIN: drained (other errors: try next turn)
    protocol::Endpoint source = protocol::Endpoint::Ipv4(
        ntohl(from.sin_addr.s_addr), ntohs(from.sin_port));
    // MSG_TRUNC reports the real size: an oversized datagram is cut, hence
    // malformed (its length field no longer matches).
    size_t size = std::min(static_cast<size_t>(n), buffer.size());
    std::optional<protocol::Bytes> reply =
        responder_->Answer(protocol::ByteSpan(buffer.data(), size), source,
                           /*on_alternate=*/true, now_ms);
    if (!reply) continue;
    sendto(fd_, reply->data(), reply->size(), 0,
           reinterpret_cast<sockaddr*>(&from), from_length);
  }
}

}  // namespace hail::server
