#include "protocol/enet_wire.h"

namespace hail::protocol::enet_wire {

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
