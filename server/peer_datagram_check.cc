#include "server/peer_datagram_check.h"

#include <cstring>

namespace hail::server {
namespace {

// Owned by the loop thread that received the datagram: the intercept and
// ENet's own check of the same datagram run on it, one after the other.
struct VerifiedDatagram {
  const void* data = nullptr;
  size_t length = 0;
  enet_uint32 checksum = 0;
};
thread_local VerifiedDatagram loop_thread_verified;

}  // namespace

void ForgetVerifiedDatagram() { loop_thread_verified = VerifiedDatagram{}; }

enet_uint32 PeerChecksum(const ENetBuffer* buffers, size_t count) {
  VerifiedDatagram& verified = loop_thread_verified;
  if (count == 1 && verified.data != nullptr &&
      buffers[0].data == verified.data &&
      buffers[0].dataLength == verified.length) {
    enet_uint32 checksum = verified.checksum;
    verified = VerifiedDatagram{};
    return checksum;
  }
  return enet_crc32(buffers, count);
}

PeerDatagramVerdict JudgePeerDatagram(
    ENetHost* host, const protocol::enet_wire::Header& header) {
  ForgetVerifiedDatagram();
  if (header.peer_id >= host->peerCount)
    return PeerDatagramVerdict::kNoSuchPeer;
  const ENetPeer& peer = host->peers[header.peer_id];
  if (peer.state == ENET_PEER_STATE_DISCONNECTED ||
      peer.state == ENET_PEER_STATE_ZOMBIE) {
    return PeerDatagramVerdict::kNoSuchPeer;
  }
  const ENetAddress& from = host->receivedAddress;
  if (from.host != peer.address.host || from.port != peer.address.port) {
    return PeerDatagramVerdict::kWrongSource;
  }
  if (peer.outgoingPeerID < ENET_PROTOCOL_MAXIMUM_PEER_ID &&
      header.session_id != peer.incomingSessionID) {
    return PeerDatagramVerdict::kWrongSession;
  }
  if (header.compressed) return PeerDatagramVerdict::kCompressed;
  if (host->checksum == nullptr) return PeerDatagramVerdict::kPass;
  // As ENet does: the checksum field holds the peer's connect id while the
  // CRC is computed; the received bytes are put back as they were.
  uint8_t* field = host->receivedData + header.size - sizeof(enet_uint32);
  enet_uint32 desired;
  std::memcpy(&desired, field, sizeof desired);
  std::memcpy(field, &peer.connectID, sizeof peer.connectID);
  ENetBuffer buffer{host->receivedData, host->receivedDataLength};
  enet_uint32 actual = host->checksum(&buffer, 1);
  std::memcpy(field, &desired, sizeof desired);
  if (actual != desired) return PeerDatagramVerdict::kBadChecksum;
  loop_thread_verified = {host->receivedData, host->receivedDataLength, actual};
  return PeerDatagramVerdict::kPass;
}

std::optional<uint32_t> OversizedPacketLength(protocol::ByteSpan datagram,
                                              size_t maximum_packet_size) {
  using protocol::enet_wire::CommandType;
  protocol::enet_wire::Datagram parsed =
      protocol::enet_wire::ParseDatagram(datagram, /*with_checksum=*/true);
  for (const protocol::enet_wire::Command& command : parsed.commands) {
    bool fragment = command.type == CommandType::kSendFragment ||
                    command.type == CommandType::kSendUnreliableFragment;
    if (fragment && command.total_length > maximum_packet_size) {
      return command.total_length;
    }
  }
  return std::nullopt;
}

}  // namespace hail::server
