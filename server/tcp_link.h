// haild's TCP fallback (SPEC.md 3.8): a listening socket per loop thread
// (SO_REUSEPORT on the TCP port, as the ENet hosts share the UDP port, so
// the kernel spreads connections over the loops and no connection ever
// changes threads), its non-blocking connections, and the Link that puts a
// session on one of them.
//
// Threading: a TcpListener and its connections belong to one loop thread;
// only TcpIpCounter is shared.
#ifndef HAIL_SERVER_TCP_LINK_H_
#define HAIL_SERVER_TCP_LINK_H_

#include <poll.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <unordered_map>
#include <vector>

#include "protocol/endpoint.h"
#include "protocol/status.h"
#include "protocol/stream_framing.h"
#include "server/base/mutex.h"
#include "server/counters.h"
#include "server/link.h"

namespace hail::server {

// TCP connections per source IP over all loop threads. Thread-safe.
class TcpIpCounter {
 public:
  explicit TcpIpCounter(size_t limit) : limit_(limit) {}
  // Takes one slot for `ip`; false when it already has `limit` connections.
  bool TryAcquire(uint32_t ip);
  void Release(uint32_t ip);

 private:
  Mutex mutex_;
  size_t limit_;
  std::unordered_map<uint32_t, size_t> counts_ GUARDED_BY(mutex_);
};

struct TcpLimits {
  // Bytes queued for one client beyond what the kernel took; a reader that
  // falls further behind is disconnected (tcp_closed_slow_reader).
  size_t write_buffer = 1 << 20;
  // After CloseLater: how long the queued bytes and the client's own close
  // may take before the socket is closed anyway.
  uint64_t close_linger_ms = 3000;
};

// TCP_NODELAY and the keepalive of protocol/stream_framing.h (SPEC.md
// 3.8), for an accepted connection.
void ConfigureTcpKeepalive(int fd);

class TcpListener {
 public:
  struct Callbacks {
    // A connection was accepted from `observed`: returns the id of the
    // session created for it, or 0 to refuse it (draining).
    std::function<uint64_t(const protocol::Endpoint& observed)> opened;
    // One frame record arrived for `session_id`.
    std::function<void(uint64_t session_id, uint8_t channel,
                       protocol::ByteSpan frame)>
        frame;
    // The connection is gone, for whatever reason; called once per opened
    // session, never from inside Send or CloseLater.
    std::function<void(uint64_t session_id)> closed;
  };

  // Listens on `address` with SO_REUSEPORT (port 0 picks one; pass the
  // same port to later listeners). `counters` and `per_ip` must outlive it.
  static Result<std::unique_ptr<TcpListener>> Listen(
      const protocol::Endpoint& address, Callbacks callbacks,
      Counters* counters, TcpIpCounter* per_ip, TcpLimits limits = {});
  ~TcpListener();
  TcpListener(const TcpListener&) = delete;
  TcpListener& operator=(const TcpListener&) = delete;

  uint16_t port() const { return port_; }

  // Appends the descriptors to poll (the listener and every connection)
  // to `fds`; pass the same entries, with revents, to Service.
  void AddPollFds(std::vector<pollfd>* fds) const;
  // Accepts, reads and writes what `fds` says is ready, closes connections
  // whose linger time ran out at `now_ms`, and reports the closed ones.
  void Service(std::span<const pollfd> fds, uint64_t now_ms);

  void Send(uint64_t session_id, const protocol::OutgoingFrame& frame);
  void CloseLater(uint64_t session_id, protocol::ErrorCode reason);
  size_t connections() const { return connections_.size(); }

 private:
  struct Connection;

  TcpListener(int fd, uint16_t port, Callbacks callbacks, Counters* counters,
              TcpIpCounter* per_ip, TcpLimits limits);
  void Accept();
  void Read(Connection& c);
  void Write(Connection& c);
  // Marks `c` for removal by Sweep, counting `reason` once.
  void Drop(Connection& c, std::atomic<uint64_t>* reason);
  void Sweep();

  int fd_;
  uint16_t port_;
  Callbacks callbacks_;
  Counters* counters_;
  TcpIpCounter* per_ip_;
  TcpLimits limits_;
  uint64_t now_ms_ = 0;
  // By session id; ordered, so that AddPollFds and Service agree.
  std::map<uint64_t, std::unique_ptr<Connection>> connections_;
};

// The Link of a session on a TCP connection of `listener`.
class TcpLink final : public Link {
 public:
  TcpLink(TcpListener* listener, uint64_t session_id)
      : listener_(listener), session_id_(session_id) {}
  Kind kind() const override { return Kind::kTcp; }
  void Send(const protocol::OutgoingFrame& frame) override {
    listener_->Send(session_id_, frame);
  }
  void CloseLater(protocol::ErrorCode reason) override {
    listener_->CloseLater(session_id_, reason);
  }

 private:
  TcpListener* listener_;
  uint64_t session_id_;
};

}  // namespace hail::server

#endif  // HAIL_SERVER_TCP_LINK_H_
