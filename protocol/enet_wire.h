// A read-only view of the ENet 1.3 datagram header, enough for the server's
// intercept to judge peerless datagrams (CONNECT) before ENet allocates a
// peer, and for tools to label ENet traffic. SPEC.md "ENet usage" gives the
// layout; all fields are big-endian.
#ifndef HAIL_PROTOCOL_ENET_WIRE_H_
#define HAIL_PROTOCOL_ENET_WIRE_H_

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

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

// Every ENet 1.3 command number (enet/protocol.h ENetProtocolCommand).
enum class CommandType : uint8_t {
  kNone = 0,
  kAcknowledge = 1,
  kConnect = 2,
  kVerifyConnect = 3,
  kDisconnect = 4,
  kPing = 5,
  kSendReliable = 6,
  kSendUnreliable = 7,
  kSendFragment = 8,
  kSendUnsequenced = 9,
  kBandwidthLimit = 10,
  kThrottleConfigure = 11,
  kSendUnreliableFragment = 12,
};
inline constexpr uint8_t kCommandCount = 13;
inline constexpr uint8_t kCommandFlagAcknowledge = 0x80;
inline constexpr uint8_t kCommandFlagUnsequenced = 0x40;
inline constexpr size_t kCommandHeaderSize = 4;
// ENET_PROTOCOL_MAXIMUM_FRAGMENT_COUNT.
inline constexpr uint32_t kMaxFragmentCount = 1024 * 1024;

// "SEND_RELIABLE" etc.; "UNKNOWN" outside 1..12.
std::string_view CommandName(CommandType type);
// Fixed size of a command (header included, payload excluded): 0 for NONE
// and for numbers outside 1..12.
size_t CommandSize(uint8_t number);

// One parsed command. Only the fields of its type are meaningful; the others
// stay zero. `payload` views the datagram (SEND_* commands only).
struct Command {
  CommandType type = CommandType::kNone;
  bool acknowledge = false;  // flag 0x80: the receiver must ACK it
  bool unsequenced = false;  // flag 0x40
  uint8_t channel_id = 0;
  uint16_t reliable_sequence_number = 0;
  // ACKNOWLEDGE
  uint16_t received_reliable_sequence_number = 0;
  uint16_t received_sent_time = 0;
  // CONNECT, VERIFY_CONNECT (and their bandwidth / throttle fields also for
  // BANDWIDTH_LIMIT and THROTTLE_CONFIGURE)
  uint16_t outgoing_peer_id = 0;
  uint8_t incoming_session_id = 0;
  uint8_t outgoing_session_id = 0;
  uint32_t mtu = 0;
  uint32_t window_size = 0;
  uint32_t channel_count = 0;
  uint32_t incoming_bandwidth = 0;
  uint32_t outgoing_bandwidth = 0;
  uint32_t packet_throttle_interval = 0;
  uint32_t packet_throttle_acceleration = 0;
  uint32_t packet_throttle_deceleration = 0;
  uint32_t connect_id = 0;
  uint32_t data = 0;  // CONNECT, DISCONNECT
  // SEND_UNRELIABLE / SEND_UNSEQUENCED
  uint16_t unreliable_sequence_number = 0;
  uint16_t unsequenced_group = 0;
  // SEND_FRAGMENT / SEND_UNRELIABLE_FRAGMENT
  uint16_t start_sequence_number = 0;
  uint32_t fragment_count = 0;
  uint32_t fragment_number = 0;
  uint32_t total_length = 0;
  uint32_t fragment_offset = 0;
  // SEND_*: the declared data length and the bytes it covers.
  uint16_t data_length = 0;
  ByteSpan payload;
  size_t offset = 0;  // of the command in the datagram
};

enum class ParseError : uint8_t {
  kOk,
  kTruncatedHeader,   // shorter than the datagram header
  kCompressed,        // COMPRESSED flag: Hail never compresses
  kNoCommands,        // a header and nothing after it
  kUnknownCommand,    // command number 0 or above 12
  kTruncatedCommand,  // fewer bytes than the command's fixed size
  kTruncatedPayload,  // data_length runs past the end of the datagram
};
std::string_view ParseErrorName(ParseError error);

struct Datagram {
  Header header;
  // The commands parsed before `error` (all of them when kOk).
  std::vector<Command> commands;
  ParseError error = ParseError::kOk;
  size_t error_offset = 0;  // where parsing stopped on error
};

// Parses the header and every command, never reading past `datagram`.
// Payload spans point into `datagram`, which must outlive the result.
Datagram ParseDatagram(ByteSpan datagram, bool with_checksum);

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
