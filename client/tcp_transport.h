// The client's TCP fallback link (SPEC.md 3.8): one non-blocking TCP
// connection to the server's TCP port carrying the records of
// protocol/stream_framing.h. No pre-session cookie: the TCP handshake
// proves the client's address.
//
// Threading: single-threaded; every method runs on the owner's thread.
#ifndef HAIL_CLIENT_TCP_TRANSPORT_H_
#define HAIL_CLIENT_TCP_TRANSPORT_H_

#include <cstdint>
#include <deque>
#include <memory>
#include <string>

#include "client/transport.h"
#include "protocol/stream_framing.h"

namespace hail::client {

class TcpTransport final : public Transport {
 public:
  // Bytes the client may queue beyond what the kernel took.
  static constexpr size_t kMaxQueuedBytes = 4 << 20;

  // Resolves `host` (a DNS name or dotted IPv4) and starts connecting to
  // `port`; kConnected or kDisconnected follows from Service. Errors:
  // InvalidArgument (unresolvable host), IoError (socket failure).
  // `local_host`: the local IPv4 address to connect from; empty: any.
  static Result<std::unique_ptr<TcpTransport>> Open(
      const std::string& host, uint16_t port,
      const std::string& local_host = {});
  ~TcpTransport() override;
  TcpTransport(const TcpTransport&) = delete;
  TcpTransport& operator=(const TcpTransport&) = delete;

  TransportKind kind() const override { return TransportKind::kTcp; }
  // Errors: InvalidArgument (not connected, empty frame), IoError (more
  // than kMaxQueuedBytes waiting, or the socket failed).
  Status Send(const protocol::OutgoingFrame& frame) override;
  // Sends a CLOSE record with `data` after what is queued; kDisconnected
  // follows when the server closes its side.
  void Disconnect(uint32_t data) override;
  // Tries to send a CLOSE record with `data`, then closes at once.
  void DisconnectNow(uint32_t data) override;
  Event Service(uint32_t timeout_ms) override;
  bool connected() const override { return state_ == State::kConnected; }
  // Always empty: the UDP port a LAN peer could reach is unknown on TCP.
  const protocol::Endpoint& lan_endpoint() const override {
    return lan_endpoint_;
  }
  // Why the server's stream was refused, if it was.
  protocol::stream::StreamError stream_error() const {
    return decoder_.error();
  }

 private:
  enum class State : uint8_t { kConnecting, kConnected, kClosing, kClosed };

  explicit TcpTransport(int fd) : fd_(fd) {}
  // Writes what the kernel takes; false on a socket error.
  bool Flush();
  void ReadAvailable();
  // Closes the socket and queues kDisconnected with `data`.
  void Lost(uint32_t data);
  void CloseSocket();

  int fd_;
  State state_ = State::kConnecting;
  protocol::Bytes out_;
  size_t out_offset_ = 0;
  protocol::stream::StreamDecoder decoder_;
  protocol::Endpoint lan_endpoint_;
  std::deque<Event> pending_;
};

}  // namespace hail::client

#endif  // HAIL_CLIENT_TCP_TRANSPORT_H_
