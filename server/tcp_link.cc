#include "server/tcp_link.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace hail::server {
namespace {

constexpr int kListenBacklog = 1024;
constexpr int kMaxAcceptsPerTurn = 64;
// Reads per connection per loop turn, so one busy client cannot hold the
// loop; what is left stays readable for the next turn.
constexpr int kMaxReadsPerTurn = 4;
constexpr size_t kReadChunk = 16384;

protocol::Endpoint FromSockaddr(const sockaddr_in& address) {
  return protocol::Endpoint::Ipv4(ntohl(address.sin_addr.s_addr),
                                  ntohs(address.sin_port));
}

}  // namespace

bool TcpIpCounter::TryAcquire(uint32_t ip) {
  MutexLock lock(&mutex_);
  size_t& count = counts_[ip];
  if (count >= limit_) return false;
  ++count;
  return true;
}

void TcpIpCounter::Release(uint32_t ip) {
  MutexLock lock(&mutex_);
  auto it = counts_.find(ip);
  if (it == counts_.end()) return;
  if (--it->second == 0) counts_.erase(it);
}

void ConfigureTcpKeepalive(int fd) {
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

// One accepted connection.
//
//   OPEN --CloseLater--> CLOSING (CLOSE record queued; after it is written
//   the write side is shut down) --client's EOF or linger--> DEAD
//   OPEN or CLOSING --EOF, CLOSE, error, malformed, slow reader--> DEAD
//   DEAD: removed (socket closed, session told) by the next Sweep
struct TcpListener::Connection {
  enum class State : uint8_t { kOpen, kClosing, kDead };

  Connection(int fd, uint64_t session_id, uint32_t ip)
      : fd(fd), session_id(session_id), ip(ip) {}
  ~Connection() { ::close(fd); }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  size_t queued() const { return out.size() - out_offset; }

  int fd;
  uint64_t session_id;
  uint32_t ip;
  State state = State::kOpen;
  protocol::stream::StreamDecoder decoder;
  protocol::Bytes out;  // bytes not yet taken by the kernel, from out_offset
  size_t out_offset = 0;
  bool write_shut = false;
  uint64_t linger_deadline_ms = 0;
};

Result<std::unique_ptr<TcpListener>> TcpListener::Listen(
    const protocol::Endpoint& address, Callbacks callbacks, Counters* counters,
    TcpIpCounter* per_ip, TcpLimits limits) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return Status::IoError(std::string("TCP socket: ") + std::strerror(errno));
  }
  auto fail = [fd](const std::string& what) {
    std::string message = what + ": " + std::strerror(errno);
    ::close(fd);
    return Status::IoError(message);
  };
  int one = 1;
  if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
      setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0) {
    return fail("SO_REUSEPORT on TCP");
  }
  sockaddr_in bind_address{};
  bind_address.sin_family = AF_INET;
  bind_address.sin_addr.s_addr = htonl(address.Ipv4HostOrder());
  bind_address.sin_port = htons(address.port);
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&bind_address),
             sizeof bind_address) != 0) {
    return fail("cannot bind TCP " + address.ToString());
  }
  if (::listen(fd, kListenBacklog) != 0) return fail("TCP listen");
  sockaddr_in bound{};
  socklen_t length = sizeof bound;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &length) != 0) {
    return fail("TCP getsockname");
  }
  return std::unique_ptr<TcpListener>(
      new TcpListener(fd, ntohs(bound.sin_port), std::move(callbacks), counters,
                      per_ip, limits));
}

TcpListener::TcpListener(int fd, uint16_t port, Callbacks callbacks,
                         Counters* counters, TcpIpCounter* per_ip,
                         TcpLimits limits)
    : fd_(fd),
      port_(port),
      callbacks_(std::move(callbacks)),
      counters_(counters),
      per_ip_(per_ip),
      limits_(limits) {}

TcpListener::~TcpListener() {
  for (auto& [id, c] : connections_) {
    per_ip_->Release(c->ip);
    counters_->tcp_current--;
  }
  connections_.clear();
  ::close(fd_);
}

void TcpListener::AddPollFds(std::vector<pollfd>* fds) const {
  fds->push_back({fd_, POLLIN, 0});
  for (const auto& [id, c] : connections_) {
    short events = 0;
    if (c->state != Connection::State::kDead) {
      events = POLLIN;
      if (c->queued() > 0) events |= POLLOUT;
    }
    fds->push_back({c->fd, events, 0});
  }
}

void TcpListener::Service(std::span<const pollfd> fds, uint64_t now_ms) {
  now_ms_ = now_ms;
  bool accept_ready = false;
  if (!fds.empty() && fds[0].fd == fd_) {
    accept_ready = (fds[0].revents & POLLIN) != 0;
    fds = fds.subspan(1);
  }
  // connections_ has not changed since AddPollFds (only Sweep and Accept
  // change it, and both run only here), so the entries line up.
  auto it = connections_.begin();
  for (const pollfd& entry : fds) {
    if (it == connections_.end()) break;
    Connection& c = *it->second;
    ++it;
    if (c.fd != entry.fd || c.state == Connection::State::kDead) continue;
    if (entry.revents & (POLLIN | POLLHUP | POLLERR)) Read(c);
    if (c.state != Connection::State::kDead && (entry.revents & POLLOUT)) {
      Write(c);
    }
  }
  for (auto& [id, c] : connections_) {
    if (c->state == Connection::State::kClosing &&
        now_ms >= c->linger_deadline_ms) {
      Drop(*c, &counters_->tcp_close_linger_expired);
    }
  }
  if (accept_ready) Accept();
  Sweep();
}

void TcpListener::Accept() {
  for (int i = 0; i < kMaxAcceptsPerTurn; ++i) {
    sockaddr_in peer{};
    socklen_t length = sizeof peer;
    int fd = ::accept4(fd_, reinterpret_cast<sockaddr*>(&peer), &length,
                       SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
          errno != ECONNABORTED) {
        counters_->tcp_accept_errors++;
      }
      if (errno == EINTR || errno == ECONNABORTED) continue;
      return;
    }
    uint32_t ip = ntohl(peer.sin_addr.s_addr);
    if (!per_ip_->TryAcquire(ip)) {
      counters_->tcp_refused_per_ip++;
      ::close(fd);
      continue;
    }
    uint64_t session_id = callbacks_.opened(FromSockaddr(peer));
    if (session_id == 0) {
      counters_->tcp_refused_draining++;
      protocol::Bytes close = protocol::stream::EncodeCloseRecord(
          static_cast<uint16_t>(protocol::ErrorCode::kShuttingDown));
      [[maybe_unused]] ssize_t n =
          ::send(fd, close.data(), close.size(), MSG_NOSIGNAL);
      per_ip_->Release(ip);
      ::close(fd);
      continue;
    }
    ConfigureTcpKeepalive(fd);
    counters_->tcp_accepted++;
    counters_->tcp_current++;
    auto c = std::make_unique<Connection>(fd, session_id, ip);
    connections_.emplace(session_id, std::move(c));
  }
}

void TcpListener::Read(Connection& c) {
  uint8_t buffer[kReadChunk];
  for (int i = 0; i < kMaxReadsPerTurn; ++i) {
    ssize_t n = ::recv(c.fd, buffer, sizeof buffer, 0);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return;
      Drop(c, &counters_->tcp_closed_errors);
      return;
    }
    if (n == 0) {
      if (c.state == Connection::State::kClosing) {
        Drop(c, nullptr);  // the client's answer to our CLOSE
      } else if (c.decoder.pending() > 0) {
        Drop(c, &counters_->tcp_closed_mid_record);
      } else {
        Drop(c, &counters_->tcp_closed_by_peer);
      }
      return;
    }
    // While closing, what the client still sends is read and discarded,
    // so that closing the socket does not reset the connection before the
    // client has read our CLOSE.
    if (c.state != Connection::State::kOpen) continue;
    c.decoder.Append(protocol::ByteSpan(buffer, static_cast<size_t>(n)));
    while (c.state == Connection::State::kOpen) {
      std::optional<protocol::stream::Record> record = c.decoder.Next();
      if (!record) break;
      if (record->type == protocol::stream::Record::Type::kClose) {
        Drop(c, &counters_->tcp_closed_by_peer);
        return;
      }
      callbacks_.frame(c.session_id, record->channel, record->frame);
    }
    switch (c.decoder.error()) {
      case protocol::stream::StreamError::kNone:
        break;
      case protocol::stream::StreamError::kOversized:
        Drop(c, &counters_->tcp_closed_oversized);
        return;
      default:
        Drop(c, &counters_->tcp_closed_malformed);
        return;
    }
  }
}

void TcpListener::Write(Connection& c) {
  while (c.queued() > 0) {
    ssize_t n = ::send(c.fd, c.out.data() + c.out_offset, c.queued(),
                       MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) break;
      Drop(c, &counters_->tcp_closed_errors);
      return;
    }
    c.out_offset += static_cast<size_t>(n);
  }
  if (c.queued() == 0) {
    c.out.clear();
    c.out_offset = 0;
    if (c.state == Connection::State::kClosing && !c.write_shut) {
      ::shutdown(c.fd, SHUT_WR);
      c.write_shut = true;
    }
  } else if (c.out_offset > limits_.write_buffer) {
    c.out.erase(c.out.begin(),
                c.out.begin() + static_cast<ptrdiff_t>(c.out_offset));
    c.out_offset = 0;
  }
}

void TcpListener::Send(uint64_t session_id,
                       const protocol::OutgoingFrame& frame) {
  auto it = connections_.find(session_id);
  if (it == connections_.end()) return;
  Connection& c = *it->second;
  if (c.state != Connection::State::kOpen) return;
  protocol::Bytes record =
      protocol::stream::EncodeFrameRecord(frame.channel, frame.bytes);
  if (record.empty()) return;
  if (c.queued() + record.size() > limits_.write_buffer) {
    Drop(c, &counters_->tcp_closed_slow_reader);
    return;
  }
  c.out.insert(c.out.end(), record.begin(), record.end());
  Write(c);
}

void TcpListener::CloseLater(uint64_t session_id, protocol::ErrorCode reason) {
  auto it = connections_.find(session_id);
  if (it == connections_.end()) return;
  Connection& c = *it->second;
  if (c.state != Connection::State::kOpen) return;
  protocol::Bytes record =
      protocol::stream::EncodeCloseRecord(static_cast<uint16_t>(reason));
  c.out.insert(c.out.end(), record.begin(), record.end());
  c.state = Connection::State::kClosing;
  c.linger_deadline_ms = now_ms_ + limits_.close_linger_ms;
  counters_->tcp_closed_by_server++;
  Write(c);
}

void TcpListener::Drop(Connection& c, std::atomic<uint64_t>* reason) {
  if (c.state == Connection::State::kDead) return;
  c.state = Connection::State::kDead;
  if (reason != nullptr) (*reason)++;
}

void TcpListener::Sweep() {
  std::vector<uint64_t> dead;
  for (const auto& [id, c] : connections_) {
    if (c->state == Connection::State::kDead) dead.push_back(id);
  }
  for (uint64_t id : dead) {
    auto it = connections_.find(id);
    per_ip_->Release(it->second->ip);
    counters_->tcp_current--;
    connections_.erase(it);
    callbacks_.closed(id);
  }
}

}  // namespace hail::server
