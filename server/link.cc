#include "server/link.h"

namespace hail::server {

std::string_view LinkKindName(Link::Kind kind) {
  return kind == Link::Kind::kTcp ? "tcp" : "udp";
}

void EnetLink::Send(const protocol::OutgoingFrame& frame) {
  ENetPacket* packet = enet_packet_create(
      frame.bytes.data(), frame.bytes.size(), ENET_PACKET_FLAG_RELIABLE);
  if (packet == nullptr) return;
  if (enet_peer_send(peer_, frame.channel, packet) != 0) {
    enet_packet_destroy(packet);
  }
  *host_dirty_ = true;
}

void EnetLink::CloseLater(protocol::ErrorCode reason) {
  enet_peer_disconnect_later(peer_, static_cast<enet_uint32>(reason));
  *host_dirty_ = true;
}

}  // namespace hail::server
