#include "server/enet_host.h"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <mutex>
#include <string>

#include "server/peer_datagram_check.h"

namespace hail::server {

void EnsureEnetInitialized() {
  static std::once_flag once;
  std::call_once(once, [] { enet_initialize(); });
}

protocol::Endpoint ToEndpoint(const ENetAddress& address) {
  return protocol::Endpoint::Ipv4(ntohl(address.host), address.port);
}

ENetAddress ToEnetAddress(const protocol::Endpoint& endpoint) {
  ENetAddress address;
  address.host = htonl(endpoint.Ipv4HostOrder());
  address.port = endpoint.port;
  return address;
}

Result<std::unique_ptr<EnetHost>> EnetHost::Bind(
    const protocol::Endpoint& listen, const EnetHostLimits& limits) {
  EnsureEnetInitialized();
  // A null address makes ENet create the socket without binding it, so that
  // SO_REUSEPORT can be set first.
  ENetHost* raw = enet_host_create(nullptr, limits.peers, 2, 0, 0);
  if (raw == nullptr) return Status::IoError("enet_host_create failed");
  std::unique_ptr<EnetHost> host(new EnetHost(raw));
  int one = 1;
  if (setsockopt(host->socket_fd(), SOL_SOCKET, SO_REUSEPORT, &one,
                 sizeof one) != 0) {
    return Status::IoError(std::string("SO_REUSEPORT: ") +
                           std::strerror(errno));
  }
  ENetAddress address = ToEnetAddress(listen);
  if (enet_socket_bind(raw->socket, &address) != 0) {
    return Status::IoError("cannot bind UDP " + listen.ToString() + ": " +
                           std::strerror(errno));
  }
  enet_socket_get_address(raw->socket, &raw->address);
  // CRC32 (SPEC.md 4.1), computed once per received datagram.
  raw->checksum = PeerChecksum;
  raw->duplicatePeers = limits.peers_per_ip;
  raw->maximumPacketSize = limits.maximum_packet_size;
  raw->maximumWaitingData = limits.maximum_waiting_data;
  return host;
}

EnetHost::~EnetHost() { enet_host_destroy(host_); }

protocol::Endpoint EnetHost::bound() const {
  return ToEndpoint(host_->address);
}

bool EnetHost::SendRaw(const ENetAddress& to, protocol::ByteSpan datagram) {
  ENetBuffer buffer;
  buffer.data = const_cast<uint8_t*>(datagram.data());
  buffer.dataLength = datagram.size();
  return enet_socket_send(host_->socket, &to, &buffer, 1) ==
         static_cast<int>(datagram.size());
}

}  // namespace hail::server
