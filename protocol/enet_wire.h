// A read-only view of the ENet 1.3 datagram header, enough for the server's
// intercept to judge peerless datagrams (CONNECT) before ENet allocates a
// peer, and for tools to label ENet traffic. SPEC.md "ENet usage" gives the
// layout; all fields are big-endian.
#ifndef HAIL_PROTOCOL_ENET_WIRE_H_
#define HAIL_PROTOCOL_ENET_WIRE_H_

#include <cstdint>
#include <optional>

#include "protocol/byte_io.h"

namespace hail::protocol::enet_wire {

inline constexpr uint16_t kNoPeerId = 0xfff;
inline constexpr uint16_t kPeerIdMask = 0x0fff;
inline constexpr uint16_t kFlagCompressed = 1 << 14;
inline constexpr uint16_t kFlagSentTime = 1 << 15;
inline constexpr uint8_t kCommandMask = 0x0f;
inline constexpr uint8_t kCommandConnect = 2;
// Command header (4) plus the CONNECT body (44).
inline constexpr size_t kConnectCommandSize = 48;

struct Header {
  uint16_t peer_id = 0;  // low 12 bits of the first field
  uint8_t session_id = 0;
  bool sent_time_present = false;
  bool compressed = false;
  uint16_t sent_time = 0;
  uint32_t checksum = 0;
  size_t size = 0;  // bytes before the first command
};

struct Connect {
  uint16_t outgoing_peer_id = 0;
  uint32_t mtu = 0;
  uint32_t window_size = 0;
  uint32_t channel_count = 0;
  uint32_t connect_id = 0;
  uint32_t data = 0;
};

// Parses the header; `with_checksum` says whether the host uses ENet's CRC32
// (Hail requires it).
std::optional<Header> ParseHeader(ByteSpan datagram, bool with_checksum);

// For a datagram addressed to no peer: returns the CONNECT when it is the
// first command and all 48 of its bytes are present (bytes after it are
// left to ENet); nullopt for anything else.
std::optional<Connect> ParsePeerlessConnect(ByteSpan datagram,
                                            bool with_checksum);

}  // namespace hail::protocol::enet_wire

#endif  // HAIL_PROTOCOL_ENET_WIRE_H_
