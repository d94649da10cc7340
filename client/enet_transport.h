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
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "client/transport.h"
#include "protocol/byte_io.h"
#include "protocol/endpoint.h"
#include "protocol/server_session.h"
#include "protocol/status.h"

namespace hail::client {

class EnetTransport final : public Transport {
 public:
  // ENet peer settings (SPEC.md "ENet usage"), the same as the server's.
  // SPEC.md 4.7: the client keeps its NAT mapping and the server's view of
  // it alive, and learns within seconds that the server no longer answers
  // (Client's liveness rule, SPEC.md 6.8.1, counts on an acknowledged PING
  // every 5 s).
  static constexpr uint32_t kPingIntervalMs = 5000;
  static constexpr uint32_t kTimeoutLimit = 32;
  static constexpr uint32_t kTimeoutMinimumMs = 5000;
  static constexpr uint32_t kTimeoutMaximumMs = 15000;
  static constexpr size_t kMaximumPacketSize = 65536;
  // Direct links to other clients (SPEC.md "Direct links") share the host.
  static constexpr size_t kMaxLinks = 16;
  static constexpr uint32_t kLinkPingIntervalMs = 500;
  static constexpr uint32_t kLinkTimeoutMinimumMs = 2000;
  static constexpr uint32_t kLinkTimeoutMaximumMs = 4000;
  // Link id of the server connection; direct links get ids from 1.
  static constexpr uint32_t kServerLink = 0;

  // Decides whether an ENet CONNECT from another client (`from`, carrying
  // `data`) may open a direct link. Without a filter none is admitted.
  using ConnectFilter =
      std::function<bool(const protocol::Endpoint& from, uint32_t data)>;

  // Datagrams the intercept consumed and dropped instead of handing on.
  struct Counters {
    uint64_t foreign_presession = 0;  // "HAIL" datagrams from other sources
    uint64_t service_errors = 0;      // enet_host_service returned -1
    uint64_t connects_refused = 0;    // CONNECTs the filter did not admit
  };

  // Resolves `host` (a DNS name or dotted IPv4), opens an ENet host on an
  // ephemeral UDP port of every local address and works out the endpoint to
  // declare to the server. Errors: InvalidArgument (unresolvable host),
  // IoError (ENet or socket failure).
  // `local_host`: the local IPv4 address to send from; empty: any.
  static Result<std::unique_ptr<EnetTransport>> Open(
      const std::string& host, uint16_t port,
      const std::string& local_host = {});

  ~EnetTransport() override;
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
  Status Send(const protocol::OutgoingFrame& frame) override;
  // Liveness (SPEC.md 6.8.1). How long the server had been silent when
  // Service last looked at the socket: milliseconds from the last ENet
  // datagram from the server's address (or from Connect, when none came)
  // to the end of the last Service call; 0 when there is no server peer.
  uint64_t ServerSilenceMs() const;
  // Sends one more ENet PING to the server peer now (a fresh reliable
  // command, so it does not wait out the retransmission delay of the
  // last). No effect unless connected.
  void ProbeServer();
  // Graceful close: ENet delivers what is queued, then kDisconnected.
  void Disconnect(uint32_t data) override;
  // Immediate close: one unreliable DISCONNECT is sent (nothing while still
  // connecting), no event follows.
  void DisconnectNow(uint32_t data) override;

  // Waits up to `timeout_ms` for one event. Never fails: ENet's -1 (it
  // returns it, for example, for a received datagram over 4096 bytes) is
  // counted and reported as kNone.
  Event Service(uint32_t timeout_ms) override;

  // Direct links. Their datagrams (SendRawTo) leave from the same socket as
  // the server session, so they use the same NAT mapping.
  void set_connect_filter(ConnectFilter filter) {
    connect_filter_ = std::move(filter);
  }
  // Starts an ENet connection to another client; returns its link id.
  // Errors: InvalidArgument (not IPv4), IoError (no free peer).
  Result<uint32_t> ConnectLink(const protocol::Endpoint& to, uint32_t data);
  // Queues `frame` reliably on a connected direct link and flushes.
  Status SendOnLink(uint32_t link, const protocol::OutgoingFrame& frame);
  // Drops a direct link at once; no event follows.
  void CloseLink(uint32_t link);

  // Raises the largest packet this host sends (and accepts) above
  // kMaximumPacketSize: only for tools that test a server's limit
  // (hail-conform).
  void set_maximum_packet_size(size_t bytes) {
    host_->maximumPacketSize = bytes;
  }

  TransportKind kind() const override { return TransportKind::kUdp; }
  bool connected() const override { return connected_; }
  // The server's address as resolved.
  protocol::Endpoint server_endpoint() const;
  // The local address the OS routes toward the server, with the ENet
  // host's port: what LOGIN and RESUME declare as the LAN endpoint. Empty
  // when it cannot be determined.
  const protocol::Endpoint& lan_endpoint() const override {
    return lan_endpoint_;
  }
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
  // An ENet datagram from someone other than the server: a CONNECT is let
  // through only if the connect filter admits it. Returns 1 to consume.
  int FilterPeerless(protocol::ByteSpan datagram);
  Event Translate(const ENetEvent& event);
  Event TranslateLink(const ENetEvent& event);
  // Gives a direct-link peer its id and the link timeouts; returns the id.
  uint32_t RegisterLink(ENetPeer* peer);

  HostPtr host_;
  ENetAddress server_address_;
  protocol::Endpoint lan_endpoint_;
  Status SendPacket(ENetPeer* peer, const protocol::OutgoingFrame& frame);

  ENetPeer* peer_ = nullptr;  // owned by host_; null when there is none
  // enet_time_get() of the last ENet datagram from the server's address,
  // and of the end of the last Service call.
  uint32_t last_server_datagram_ = 0;
  uint32_t last_serviced_ = 0;
  bool connected_ = false;
  ConnectFilter connect_filter_;
  std::map<uint32_t, ENetPeer*> links_;  // direct links by id
  uint32_t next_link_ = 1;
  std::deque<Event> pending_;  // filled by the intercept and Service
  Counters counters_;
};

}  // namespace hail::client

#endif  // HAIL_CLIENT_ENET_TRANSPORT_H_
