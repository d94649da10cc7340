// The link between a Client and the server: ENet over UDP
// (client/enet_transport.h) or the TCP fallback of SPEC.md 3.8
// (client/tcp_transport.h). Both report the same events, so that the
// handshake, login, chat and reconnection logic of Client is one.
//
// Threading: single-threaded; every method runs on the owner's thread.
#ifndef HAIL_CLIENT_TRANSPORT_H_
#define HAIL_CLIENT_TRANSPORT_H_

#include <cstdint>
#include <string_view>

#include "protocol/byte_io.h"
#include "protocol/endpoint.h"
#include "protocol/server_session.h"
#include "protocol/status.h"

namespace hail::client {

enum class TransportKind : uint8_t { kUdp, kTcp };
// "udp" or "tcp".
std::string_view TransportKindName(TransportKind kind);

// Which link a Client connects (and reconnects) with.
enum class TransportChoice : uint8_t {
  kAuto,  // UDP; TCP when UDP gets no COOKIE in time (SPEC.md 3.8)
  kUdp,
  kTcp,
};

struct TransportEvent {
  enum class Type : uint8_t {
    kNone,                // nothing happened within the timeout
    kPresessionDatagram,  // UDP only: a "HAIL" datagram from the server
    kRawDatagram,         // UDP only: a "HAIL" datagram from `from`
    kConnected,           // the ENet peer or TCP connection (`link`) is up
    kPacket,              // a frame on `link` and `channel`: `data`
    kDisconnected,        // `link` is gone; `disconnect_data` says why
  };
  Type type = Type::kNone;
  // 0: the server; otherwise a direct link to another client (UDP only).
  uint32_t link = 0;
  uint8_t channel = 0;
  protocol::Bytes data;
  // A wire error code (SPEC.md 4.8: ENet disconnect data, or the code of a
  // TCP CLOSE record); 0 when the link just died.
  // For kConnected of an accepted direct link: its CONNECT data.
  uint32_t disconnect_data = 0;
  protocol::Endpoint from;  // kRawDatagram; kConnected of a direct link
};

class Transport {
 public:
  using Event = TransportEvent;

  virtual ~Transport() = default;
  virtual TransportKind kind() const = 0;
  // Queues `frame` reliably on its channel and starts sending it.
  // REQUIRES: connected(). Errors: InvalidArgument (not connected, empty
  // frame), IoError.
  virtual Status Send(const protocol::OutgoingFrame& frame) = 0;
  // Graceful close: what is queued is delivered, then kDisconnected.
  virtual void Disconnect(uint32_t data) = 0;
  // Immediate close: no event follows.
  virtual void DisconnectNow(uint32_t data) = 0;
  // Waits up to `timeout_ms` for one event.
  virtual Event Service(uint32_t timeout_ms) = 0;
  virtual bool connected() const = 0;
  // What LOGIN and RESUME declare as the LAN endpoint (SPEC.md 7.3);
  // empty when there is none to declare.
  virtual const protocol::Endpoint& lan_endpoint() const = 0;
};

}  // namespace hail::client

#endif  // HAIL_CLIENT_TRANSPORT_H_
