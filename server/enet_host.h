// The thin ENet layer of the server: one RAII ENet host bound with
// SO_REUSEPORT, so that several loop threads can each own a host on the same
// UDP port (SPEC.md "ENet usage" lists the limits set here).
#ifndef HAIL_SERVER_ENET_HOST_H_
#define HAIL_SERVER_ENET_HOST_H_

#include <enet/enet.h>

#include <memory>

#include "protocol/byte_io.h"
#include "protocol/endpoint.h"
#include "protocol/status.h"

namespace hail::server {

struct EnetHostLimits {
  size_t peers = 4095;  // ENet's maximum per host
  size_t peers_per_ip = 64;
  size_t maximum_packet_size = 65536;
  size_t maximum_waiting_data = 262144;
};

// Per-peer keepalive and timeout values (SPEC.md 4.7). Clients ping every
// 10 s; the server pings only a client silent for 15 s, so an idle client
// costs it one datagram each way per 10 s (ENet's 500 ms default would be
// 20 times that: ~8% of a core per 4,000 idle peers).
inline constexpr enet_uint32 kPeerPingIntervalMs = 15000;
inline constexpr enet_uint32 kPeerTimeoutLimit = 32;
inline constexpr enet_uint32 kPeerTimeoutMinimumMs = 5000;
inline constexpr enet_uint32 kPeerTimeoutMaximumMs = 15000;

// Calls enet_initialize once per process.
void EnsureEnetInitialized();

protocol::Endpoint ToEndpoint(const ENetAddress& address);
ENetAddress ToEnetAddress(const protocol::Endpoint& endpoint);

class EnetHost {
 public:
  // Creates a host with CRC32 checksums and `limits`, bound to `listen` with
  // SO_REUSEPORT (port 0 picks one; pass the same port to later hosts).
  static Result<std::unique_ptr<EnetHost>> Bind(
      const protocol::Endpoint& listen, const EnetHostLimits& limits);
  ~EnetHost();
  EnetHost(const EnetHost&) = delete;
  EnetHost& operator=(const EnetHost&) = delete;

  ENetHost* get() { return host_; }
  int socket_fd() const { return static_cast<int>(host_->socket); }
  protocol::Endpoint bound() const;
  // Sends one raw datagram from the host's socket (pre-session replies).
  bool SendRaw(const ENetAddress& to, protocol::ByteSpan datagram);

 private:
  explicit EnetHost(ENetHost* host) : host_(host) {}
  ENetHost* host_;
};

}  // namespace hail::server

#endif  // HAIL_SERVER_ENET_HOST_H_
