#include "protocol/enet_wire.h"

#include <array>

namespace hail::protocol::enet_wire {
namespace {

struct CommandInfo {
  std::string_view name;
  size_t size;
};

// Sizes from enet/protocol.h: a 4-byte command header plus the body.
constexpr std::array<CommandInfo, kCommandCount> kCommands = {{
    {"NONE", 0},
    {"ACKNOWLEDGE", 8},
    {"CONNECT", 48},
    {"VERIFY_CONNECT", 44},
    {"DISCONNECT", 8},
    {"PING", 4},
    {"SEND_RELIABLE", 6},
    {"SEND_UNRELIABLE", 8},
    {"SEND_FRAGMENT", 24},
    {"SEND_UNSEQUENCED", 8},
    {"BANDWIDTH_LIMIT", 12},
    {"THROTTLE_CONFIGURE", 16},
    {"SEND_UNRELIABLE_FRAGMENT", 24},
}};
static_assert(kCommands[kCommandConnect].size == kConnectCommandSize);

// Reads the body of a command whose fixed size is known to be present.
void ReadBody(ByteReader* r, Command* c) {
  switch (c->type) {
    case CommandType::kAcknowledge:
      r->U16(&c->received_reliable_sequence_number);
      r->U16(&c->received_sent_time);
      break;
    case CommandType::kConnect:
    case CommandType::kVerifyConnect:
      r->U16(&c->outgoing_peer_id);
      r->U8(&c->incoming_session_id);
      r->U8(&c->outgoing_session_id);
      r->U32(&c->mtu);
      r->U32(&c->window_size);
      r->U32(&c->channel_count);
      r->U32(&c->incoming_bandwidth);
      r->U32(&c->outgoing_bandwidth);
      r->U32(&c->packet_throttle_interval);
      r->U32(&c->packet_throttle_acceleration);
      r->U32(&c->packet_throttle_deceleration);
      r->U32(&c->connect_id);
      if (c->type == CommandType::kConnect) r->U32(&c->data);
      break;
    case CommandType::kDisconnect:
      r->U32(&c->data);
      break;
    case CommandType::kSendReliable:
      r->U16(&c->data_length);
      break;
    case CommandType::kSendUnreliable:
      r->U16(&c->unreliable_sequence_number);
      r->U16(&c->data_length);
      break;
    case CommandType::kSendUnsequenced:
      r->U16(&c->unsequenced_group);
      r->U16(&c->data_length);
      break;
    case CommandType::kSendFragment:
    case CommandType::kSendUnreliableFragment:
      r->U16(&c->start_sequence_number);
      r->U16(&c->data_length);
      r->U32(&c->fragment_count);
      r->U32(&c->fragment_number);
      r->U32(&c->total_length);
      r->U32(&c->fragment_offset);
      break;
    case CommandType::kBandwidthLimit:
      r->U32(&c->incoming_bandwidth);
      r->U32(&c->outgoing_bandwidth);
      break;
    case CommandType::kThrottleConfigure:
      r->U32(&c->packet_throttle_interval);
      r->U32(&c->packet_throttle_acceleration);
      r->U32(&c->packet_throttle_deceleration);
      break;
    case CommandType::kNone:
    case CommandType::kPing:
      break;
  }
}

bool HasPayload(CommandType type) {
  switch (type) {
    case CommandType::kSendReliable:
    case CommandType::kSendUnreliable:
    case CommandType::kSendUnsequenced:
    case CommandType::kSendFragment:
    case CommandType::kSendUnreliableFragment:
      return true;
    default:
      return false;
  }
}

}  // namespace

std::string_view CommandName(CommandType type) {
  auto number = static_cast<uint8_t>(type);
  if (number == 0 || number >= kCommandCount) return "UNKNOWN";
  return kCommands[number].name;
}

size_t CommandSize(uint8_t number) {
  return number < kCommandCount ? kCommands[number].size : 0;
}

std::string_view ParseErrorName(ParseError error) {
  switch (error) {
    case ParseError::kOk:
      return "ok";
    case ParseError::kTruncatedHeader:
      return "truncated ENet header";
    case ParseError::kCompressed:
      return "COMPRESSED flag set (Hail never compresses)";
    case ParseError::kNoCommands:
      return "no ENet command";
    case ParseError::kUnknownCommand:
      return "unknown ENet command";
    case ParseError::kTruncatedCommand:
      return "truncated ENet command";
    case ParseError::kTruncatedPayload:
      return "ENet data length runs past the datagram";
  }
  return "unknown";
}

Datagram ParseDatagram(ByteSpan datagram, bool with_checksum) {
  Datagram result;
  std::optional<Header> header = ParseHeader(datagram, with_checksum);
  if (!header) {
    result.error = ParseError::kTruncatedHeader;
    return result;
  }
  result.header = *header;
  if (header->compressed) {
    result.error = ParseError::kCompressed;
    result.error_offset = 0;
    return result;
  }
  size_t pos = header->size;
  if (pos >= datagram.size()) {
    result.error = ParseError::kNoCommands;
    result.error_offset = pos;
    return result;
  }
  while (pos < datagram.size()) {
    uint8_t raw = datagram[pos];
    uint8_t number = raw & kCommandMask;
    size_t size = CommandSize(number);
    if (size == 0) {
      result.error = ParseError::kUnknownCommand;
      result.error_offset = pos;
      return result;
    }
    if (datagram.size() - pos < size) {
      result.error = ParseError::kTruncatedCommand;
      result.error_offset = pos;
      return result;
    }
    ByteReader r(datagram.subspan(pos, size));
    Command c;
    c.offset = pos;
    c.type = static_cast<CommandType>(number);
    c.acknowledge = (raw & kCommandFlagAcknowledge) != 0;
    c.unsequenced = (raw & kCommandFlagUnsequenced) != 0;
    uint8_t ignored;
    r.U8(&ignored);
    r.U8(&c.channel_id);
    r.U16(&c.reliable_sequence_number);
    ReadBody(&r, &c);
    pos += size;
    if (HasPayload(c.type)) {
      if (datagram.size() - pos < c.data_length) {
        result.error = ParseError::kTruncatedPayload;
        result.error_offset = c.offset;
        return result;
      }
      c.payload = datagram.subspan(pos, c.data_length);
      pos += c.data_length;
    }
    result.commands.push_back(c);
  }
  return result;
}

std::optional<Header> ParseHeader(ByteSpan datagram, bool with_checksum) {
  ByteReader r(datagram);
  Header h;
  uint16_t first;
  if (!r.U16(&first)) return std::nullopt;
  h.peer_id = first & kPeerIdMask;
  h.session_id = static_cast<uint8_t>((first >> 12) & 3);
  h.sent_time_present = (first & kFlagSentTime) != 0;
  h.compressed = (first & kFlagCompressed) != 0;
  if (h.sent_time_present && !r.U16(&h.sent_time)) return std::nullopt;
  if (with_checksum && !r.U32(&h.checksum)) return std::nullopt;
  h.size = r.position();
  return h;
}

std::optional<Connect> ParsePeerlessConnect(ByteSpan datagram,
                                            bool with_checksum) {
  std::optional<Header> h = ParseHeader(datagram, with_checksum);
  if (!h || h->peer_id != kNoPeerId || h->compressed) return std::nullopt;
  ByteReader r(datagram.subspan(h->size));
  uint8_t command, channel, incoming_session, outgoing_session;
  uint16_t sequence;
  uint32_t incoming_bandwidth, outgoing_bandwidth, throttle_interval,
      acceleration, deceleration;
  Connect c;
  if (!r.U8(&command) || (command & kCommandMask) != kCommandConnect ||
      !r.U8(&channel) || !r.U16(&sequence) || !r.U16(&c.outgoing_peer_id) ||
      !r.U8(&incoming_session) || !r.U8(&outgoing_session) || !r.U32(&c.mtu) ||
      !r.U32(&c.window_size) || !r.U32(&c.channel_count) ||
      !r.U32(&incoming_bandwidth) || !r.U32(&outgoing_bandwidth) ||
      !r.U32(&throttle_interval) || !r.U32(&acceleration) ||
      !r.U32(&deceleration) || !r.U32(&c.connect_id) || !r.U32(&c.data)) {
    return std::nullopt;
  }
  return c;
}

}  // namespace hail::protocol::enet_wire
