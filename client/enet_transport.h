// The client's only contact with ENet (SPEC.md "ENet usage"): one host with
// one peer and two channels, CRC32 checksums on, compression off, and an
// intercept that takes pre-session datagrams (those starting with "HAIL")
// and STUN datagrams off the socket before ENet parses them. Raw HELLO
// datagrams leave from the ENet host's own socket, so the server's cookie is
// bound to the address ENet will connect from.
//
// Threading: single-threaded, like the ENet host it owns. Every method, and
// the intercept callback (which runs only inside Service), run on the
// owner's thread.
#ifndef HAIL_CLIENT_ENET_TRANSPORT_H_
#define HAIL_CLIENT_ENET_TRANSPORT_H_

#include <enet/enet.h>

#include <cstdint>
#include <deque>
#include <memory>
#include <string>

#include "protocol/byte_io.h"
#include "protocol/endpoint.h"
#include "protocol/server_session.h"
#include "protocol/status.h"

namespace hail::client {

class EnetTransport {
 public:
  // ENet peer settings (SPEC.md "ENet usage"), the same as the server's.
  static constexpr uint32_t kPingIntervalMs = 1000;
  static constexpr uint32_t kTimeoutLimit = 32;
  static constexpr uint32_t kTimeoutMinimumMs = 5000;
  static constexpr uint32_t kTimeoutMaximumMs = 15000;
  static constexpr size_t kMaximumPacketSize = 65536;

  struct Event {
    enum class Type : uint8_t {
      kNone,                // nothing happened within the timeout
      kPresessionDatagram,  // a "HAIL" datagram from the server: `data`
      kConnected,           // ENet connected to the server
      kPacket,              // a packet on `channel`: `data`
      kDisconnected,        // the peer is gone; `disconnect_data` says why
      kRawDatagram,  // a datagram outside ENet (STUN) from `from`: `data`
    };
    Type type = Type::kNone;
    uint8_t channel = 0;
    protocol::Bytes data;
    uint32_t disconnect_data = 0;
    protocol::Endpoint from;  // kRawDatagram only
  };

  // Datagrams the intercept consumed and dropped instead of handing on.
  struct Counters {
    uint64_t foreign_presession = 0;  // "HAIL" datagrams from other sources
    uint64_t service_errors = 0;      // enet_host_service returned -1
  };

  // Resolves `host` (a DNS name or dotted IPv4), opens an ENet host on an
  // ephemeral UDP port of every local address and works out the endpoint to
  // declare to the server. Errors: InvalidArgument (unresolvable host),
  // IoError (ENet or socket failure).
  static Result<std::unique_ptr<EnetTransport>> Open(const std::string& host,
                                                     uint16_t port);

  ~EnetTransport();
  EnetTransport(const EnetTransport&) = delete;
  EnetTransport& operator=(const EnetTransport&) = delete;

  // Sends `datagram` as-is from the ENet socket to the server.
  Status SendRaw(protocol::ByteSpan datagram);
  // Sends `datagram` as-is from the ENet socket to `to` (IPv4): STUN and
  // other datagrams outside ENet that must leave from the session's port.
  // Errors: InvalidArgument (not IPv4), IoError.
  Status SendRawTo(const protocol::Endpoint& to, protocol::ByteSpan datagram);
  // Starts the ENet connection; `connect_data` travels in the CONNECT
  // command (Hail puts the cookie there). kConnected or kDisconnected
  // follows from Service. Errors: InvalidArgument when already connecting.
  Status Connect(uint32_t connect_data);
  // Queues `frame` reliably on its channel and flushes it to the socket.
  // REQUIRES: connected(). Errors: IoError when ENet refuses the packet.
  Status Send(const protocol::OutgoingFrame& frame);
  // Graceful close: ENet delivers what is queued, then kDisconnected.
  void Disconnect(uint32_t data);
  // Immediate close: one unreliable DISCONNECT is sent, no event follows.
  void DisconnectNow(uint32_t data);

  // Waits up to `timeout_ms` for one event. Never fails: ENet's -1 (it
  // returns it, for example, for a received datagram over 4096 bytes) is
  // counted and reported as kNone.
  Event Service(uint32_t timeout_ms);

  bool connected() const { return connected_; }
  // The server's address as resolved.
  protocol::Endpoint server_endpoint() const;
  // The local address the OS routes toward the server, with the ENet
  // host's port: what LOGIN and RESUME declare as the LAN endpoint. Empty
  // when it cannot be determined.
  const protocol::Endpoint& lan_endpoint() const { return lan_endpoint_; }
  const Counters& counters() const { return counters_; }

 private:
  struct HostDeleter {
    void operator()(ENetHost* host) const { enet_host_destroy(host); }
  };
  using HostPtr = std::unique_ptr<ENetHost, HostDeleter>;

  EnetTransport(HostPtr host, ENetAddress server,
                protocol::Endpoint lan_endpoint);

  // ENet's intercept hook; returns 1 when the datagram was consumed.
  static int ENET_CALLBACK Intercept(ENetHost* host, ENetEvent* event);
  int OnRawDatagram();
  Event Translate(const ENetEvent& event);

  HostPtr host_;
  ENetAddress server_address_;
  protocol::Endpoint lan_endpoint_;
  ENetPeer* peer_ = nullptr;  // owned by host_; null when there is none
  bool connected_ = false;
  std::deque<Event> pending_;  // filled by the intercept and Service
  Counters counters_;
};

}  // namespace hail::client

#endif  // HAIL_CLIENT_ENET_TRANSPORT_H_
