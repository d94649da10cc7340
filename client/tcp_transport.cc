#include "client/tcp_transport.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace hail::client {
namespace {

constexpr size_t kReadChunk = 16384;
constexpr int kMaxReadsPerService = 16;

// TCP_NODELAY and the keepalive of protocol/stream_framing.h (SPEC.md 3.8),
// the TCP stand-in for ENet's pings.
void ConfigureSocket(int fd) {
  int one = 1;
  int idle_s = protocol::stream::kKeepaliveIdleSeconds;
  int interval_s = protocol::stream::kKeepaliveIntervalSeconds;
  int probes = protocol::stream::kKeepaliveProbes;
  unsigned user_timeout_ms = protocol::stream::kUserTimeoutMs;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
  setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle_s, sizeof idle_s);
  setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &interval_s, sizeof interval_s);
  setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &probes, sizeof probes);
  setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &user_timeout_ms,
             sizeof user_timeout_ms);
}

}  // namespace

std::string_view TransportKindName(TransportKind kind) {
  return kind == TransportKind::kTcp ? "tcp" : "udp";
}

Result<std::unique_ptr<TcpTransport>> TcpTransport::Open(
    const std::string& host, uint16_t port, const std::string& local_host) {
  addrinfo hints{};
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (getaddrinfo(host.c_str(), nullptr, &hints, &found) != 0 ||
      found == nullptr) {
    return Status::InvalidArgument(
        fmt::format("cannot resolve server host '{}'", host));
  }
  sockaddr_in server{};
  std::memcpy(&server, found->ai_addr, sizeof server);
  freeaddrinfo(found);
  server.sin_port = htons(port);
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return Status::IoError(
        fmt::format("cannot open a TCP socket: {}", std::strerror(errno)));
  }
  ConfigureSocket(fd);
  std::unique_ptr<TcpTransport> transport(new TcpTransport(fd));
  if (!local_host.empty()) {
    sockaddr_in local{};
    local.sin_family = AF_INET;
    if (::inet_pton(AF_INET, local_host.c_str(), &local.sin_addr) != 1) {
      return Status::InvalidArgument(
          fmt::format("'{}' is not a local IPv4 address", local_host));
    }
    if (::bind(fd, reinterpret_cast<const sockaddr*>(&local), sizeof local) !=
        0) {
      return Status::IoError(fmt::format("cannot send from {}: {}", local_host,
                                         std::strerror(errno)));
    }
  }
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&server),
                sizeof server) != 0 &&
      errno != EINPROGRESS) {
    // Refused at once (loopback): reported as an event, like ENet would.
    transport->Lost(0);
  }
  return transport;
}

TcpTransport::~TcpTransport() { CloseSocket(); }

void TcpTransport::CloseSocket() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

void TcpTransport::Lost(uint32_t data) {
  if (state_ == State::kClosed) return;
  CloseSocket();
  state_ = State::kClosed;
  Event event;
  event.type = Event::Type::kDisconnected;
  event.disconnect_data = data;
  pending_.push_back(std::move(event));
}

Status TcpTransport::Send(const protocol::OutgoingFrame& frame) {
  if (state_ != State::kConnected) {
    return Status::InvalidArgument("not connected");
  }
  protocol::Bytes record =
      protocol::stream::EncodeFrameRecord(frame.channel, frame.bytes);
  if (record.empty()) {
    return Status::InvalidArgument("a field is longer than SPEC.md allows");
  }
  if (out_.size() - out_offset_ + record.size() > kMaxQueuedBytes) {
    return Status::IoError("the server does not read fast enough over TCP");
  }
  out_.insert(out_.end(), record.begin(), record.end());
  if (!Flush()) {
    Lost(0);
    return Status::IoError("the TCP connection to the server failed");
  }
  return Status::Ok();
}

bool TcpTransport::Flush() {
  while (out_offset_ < out_.size()) {
    ssize_t n = ::send(fd_, out_.data() + out_offset_,
                       out_.size() - out_offset_, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) break;
      return false;
    }
    out_offset_ += static_cast<size_t>(n);
  }
  if (out_offset_ == out_.size()) {
    out_.clear();
    out_offset_ = 0;
    if (state_ == State::kClosing) ::shutdown(fd_, SHUT_WR);
  }
  return true;
}

void TcpTransport::Disconnect(uint32_t data) {
  if (state_ == State::kConnecting) {
    DisconnectNow(data);
    return;
  }
  if (state_ != State::kConnected) return;
  protocol::Bytes record =
      protocol::stream::EncodeCloseRecord(static_cast<uint16_t>(data));
  out_.insert(out_.end(), record.begin(), record.end());
  state_ = State::kClosing;
  if (!Flush()) Lost(0);
}

void TcpTransport::DisconnectNow(uint32_t data) {
  if (state_ == State::kConnected) {
    protocol::Bytes record =
        protocol::stream::EncodeCloseRecord(static_cast<uint16_t>(data));
    out_.insert(out_.end(), record.begin(), record.end());
    Flush();
  }
  CloseSocket();
  state_ = State::kClosed;
  pending_.clear();
}

TransportEvent TcpTransport::Service(uint32_t timeout_ms) {
  if (pending_.empty() && fd_ >= 0) {
    pollfd entry{fd_, POLLIN, 0};
    if (state_ == State::kConnecting || out_offset_ < out_.size()) {
      entry.events |= POLLOUT;
    }
    int ready = ::poll(&entry, 1, static_cast<int>(timeout_ms));
    if (ready > 0 && state_ == State::kConnecting) {
      int error = 0;
      socklen_t length = sizeof error;
      getsockopt(fd_, SOL_SOCKET, SO_ERROR, &error, &length);
      if (error != 0 || (entry.revents & (POLLERR | POLLHUP))) {
        Lost(0);
      } else if (entry.revents & POLLOUT) {
        state_ = State::kConnected;
        Event event;
        event.type = Event::Type::kConnected;
        pending_.push_back(std::move(event));
      }
    } else if (ready > 0) {
      if ((entry.revents & POLLOUT) && !Flush()) Lost(0);
      if (entry.revents & (POLLIN | POLLHUP | POLLERR)) ReadAvailable();
    }
  }
  if (pending_.empty()) return Event{};
  Event next = std::move(pending_.front());
  pending_.pop_front();
  return next;
}

void TcpTransport::ReadAvailable() {
  uint8_t buffer[kReadChunk];
  for (int i = 0; i < kMaxReadsPerService && fd_ >= 0; ++i) {
    ssize_t n = ::recv(fd_, buffer, sizeof buffer, MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return;
      Lost(0);
      return;
    }
    if (n == 0) {
      Lost(0);
      return;
    }
    decoder_.Append(protocol::ByteSpan(buffer, static_cast<size_t>(n)));
    while (std::optional<protocol::stream::Record> record = decoder_.Next()) {
      if (record->type == protocol::stream::Record::Type::kClose) {
        Lost(record->close_code);
        return;
      }
      Event event;
      event.type = Event::Type::kPacket;
      event.channel = record->channel;
      event.data = std::move(record->frame);
      pending_.push_back(std::move(event));
    }
    if (decoder_.error() != protocol::stream::StreamError::kNone) {
      Lost(0);  // stream_error() says why
      return;
    }
  }
}

}  // namespace hail::client
