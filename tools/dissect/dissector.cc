#include "tools/dissect/dissector.h"

#include <algorithm>
#include <cassert>
#include <cstdio>

#include "protocol/error_code.h"
#include "protocol/p2p_link.h"
#include "protocol/presession.h"
#include "protocol/registry.h"
#include "protocol/stun.h"

namespace hail::dissect {
namespace {

namespace enet_wire = protocol::enet_wire;
using enet_wire::CommandType;
using protocol::ByteReader;
using protocol::ByteSpan;

std::string Hex16(uint16_t value) {
  char text[8];
  std::snprintf(text, sizeof text, "0x%04x", value);
  return text;
}

Field Number(std::string name, uint64_t value) {
  return Field{std::move(name), std::to_string(value), true};
}

Field Text(std::string name, std::string value) {
  return Field{std::move(name), std::move(value), false};
}

std::string TcpFlagsText(uint8_t flags) {
  std::string out;
  for (auto [bit, name] : {std::pair{kTcpSyn, "SYN"},
                           {kTcpFin, "FIN"},
                           {kTcpRst, "RST"},
                           {kTcpPsh, "PSH"},
                           {kTcpAck, "ACK"}}) {
    if (!(flags & bit)) continue;
    if (!out.empty()) out += ",";
    out += name;
  }
  return out.empty() ? "none" : out;
}

std::string ErrorName(uint16_t code) {
  return std::string(
             protocol::ErrorCodeName(static_cast<protocol::ErrorCode>(code))) +
         "(" + std::to_string(code) + ")";
}

}  // namespace

std::string_view DatagramClassName(DatagramClass c) {
  switch (c) {
    case DatagramClass::kPresession:
      return "presession";
    case DatagramClass::kStun:
      return "stun";
    case DatagramClass::kEnet:
      return "enet";
    case DatagramClass::kTcp:
      return "tcp";
    case DatagramClass::kOther:
      return "other";
  }
  return "other";
}

std::vector<Field> CommandFields(const enet_wire::Command& c) {
  std::vector<Field> f;
  auto connect_fields = [&] {
    f.push_back(Number("outgoing_peer_id", c.outgoing_peer_id));
    f.push_back(Number("incoming_session_id", c.incoming_session_id));
    f.push_back(Number("outgoing_session_id", c.outgoing_session_id));
    f.push_back(Number("mtu", c.mtu));
    f.push_back(Number("window_size", c.window_size));
    f.push_back(Number("channel_count", c.channel_count));
    f.push_back(Number("incoming_bandwidth", c.incoming_bandwidth));
    f.push_back(Number("outgoing_bandwidth", c.outgoing_bandwidth));
    f.push_back(Number("packet_throttle_interval", c.packet_throttle_interval));
    f.push_back(
        Number("packet_throttle_acceleration", c.packet_throttle_acceleration));
    f.push_back(
        Number("packet_throttle_deceleration", c.packet_throttle_deceleration));
    f.push_back(Number("connect_id", c.connect_id));
  };
  auto fragment_fields = [&] {
    f.push_back(Number("start_seq", c.start_sequence_number));
    f.push_back(Number("data_length", c.data_length));
    f.push_back(Number("fragment_count", c.fragment_count));
    f.push_back(Number("fragment_number", c.fragment_number));
    f.push_back(Number("total_length", c.total_length));
    f.push_back(Number("fragment_offset", c.fragment_offset));
  };
  switch (c.type) {
    case CommandType::kAcknowledge:
      f.push_back(
          Number("received_reliable_seq", c.received_reliable_sequence_number));
      f.push_back(Number("received_sent_time", c.received_sent_time));
      break;
    case CommandType::kConnect:
      connect_fields();
      f.push_back(Number("data", c.data));
      break;
    case CommandType::kVerifyConnect:
      connect_fields();
      break;
    case CommandType::kDisconnect:
      f.push_back(Number("data", c.data));
      if (c.data <= 0xffff) {
        f.push_back(Text("reason", ErrorName(static_cast<uint16_t>(c.data))));
      }
      break;
    case CommandType::kSendReliable:
      f.push_back(Number("data_length", c.data_length));
      break;
    case CommandType::kSendUnreliable:
      f.push_back(Number("unreliable_seq", c.unreliable_sequence_number));
      f.push_back(Number("data_length", c.data_length));
      break;
    case CommandType::kSendUnsequenced:
      f.push_back(Number("unsequenced_group", c.unsequenced_group));
      f.push_back(Number("data_length", c.data_length));
      break;
    case CommandType::kSendFragment:
    case CommandType::kSendUnreliableFragment:
      fragment_fields();
      break;
    case CommandType::kBandwidthLimit:
      f.push_back(Number("incoming_bandwidth", c.incoming_bandwidth));
      f.push_back(Number("outgoing_bandwidth", c.outgoing_bandwidth));
      break;
    case CommandType::kThrottleConfigure:
      f.push_back(
          Number("packet_throttle_interval", c.packet_throttle_interval));
      f.push_back(Number("packet_throttle_acceleration",
                         c.packet_throttle_acceleration));
      f.push_back(Number("packet_throttle_deceleration",
                         c.packet_throttle_deceleration));
      break;
    case CommandType::kNone:
    case CommandType::kPing:
      break;
  }
  return f;
}

bool Dissector::SequenceTracker::SeenBefore(uint16_t sequence) {
  // Unwrap around the highest number seen; the first one lands far from 0
  // so that numbers "before" it stay representable.
  uint64_t unwrapped;
  if (!any_) {
    unwrapped = (uint64_t{1} << 32) + sequence;
  } else {
    auto delta = static_cast<int16_t>(
        static_cast<uint16_t>(sequence - static_cast<uint16_t>(highest_)));
    unwrapped = highest_ + static_cast<uint64_t>(int64_t{delta});
  }
  if (!window_.IsFresh(unwrapped)) return true;
  window_.Accept(unwrapped);
  if (!any_ || unwrapped > highest_) highest_ = unwrapped;
  any_ = true;
  return false;
}

Dissector::Dissector(Options options) : options_(options) {}

void Dissector::AddKeys(const protocol::KeyLogEntry& entry) {
  keys_[entry.client_ephemeral] = entry.keys;
}

void Dissector::AddLinkKeys(const protocol::LinkKeyLogEntry& entry) {
  link_keys_[entry.session_id] =
      protocol::DeriveLinkKeys(entry.session_key, entry.session_id);
}

void Dissector::AddProblem(DatagramResult* result, ProblemKind kind,
                           std::string text) {
  result->problems.push_back(Problem{kind, std::move(text)});
}

DatagramResult Dissector::Dissect(const CapturedFrame& frame) {
  DatagramResult result;
  result.frame = ++frame_number_;
  result.seconds = frame.seconds;
  result.microseconds = frame.microseconds;
  ++counts_.datagrams;
  if (frame.data.size() < frame.original_length) {
    AddProblem(&result, ProblemKind::kMalformed,
               "captured only " + std::to_string(frame.data.size()) + " of " +
                   std::to_string(frame.original_length) + " bytes");
  }
  LinkResult link = DecodeLinkLayer(frame.link_type, frame.data);
  if (link.status == LinkResult::Status::kMalformed) {
    AddProblem(&result, ProblemKind::kMalformed, link.error);
  }
  if (link.status == LinkResult::Status::kTcp &&
      SideOf(link.source, link.destination) != ServerSide::kNeither) {
    DissectTcp(link, &result);
  }
  if (link.status == LinkResult::Status::kUdp) {
    result.source = link.source.ToString();
    result.destination = link.destination.ToString();
    result.length = link.payload.size();
    if (!options_.server_port) LearnServer(link);
    ServerSide side = SideOf(link.source, link.destination);
    // Otherwise a direct link, or not Hail traffic.
    bool involves_server = side != ServerSide::kNeither;
    result.to_server = side == ServerSide::kToServer;
    switch (protocol::ClassifyDatagram(link.payload)) {
      case protocol::DatagramClass::kHail:
        // Between clients only PROBEs belong to Hail (section 15.4).
        if (!involves_server && !protocol::PeekProbeSession(link.payload)) {
          break;
        }
        result.datagram_class = DatagramClass::kPresession;
        result.direct_link = !involves_server;
        DissectPresession(link, &result);
        break;
      case protocol::DatagramClass::kStun:
        if (involves_server) {
          result.datagram_class = DatagramClass::kStun;
          DissectStun(link.payload, &result);
        }
        break;
      case protocol::DatagramClass::kEnet: {
        Connection* connection = nullptr;
        if (involves_server) {
          ConnectionKey key =
              result.to_server ? ConnectionKey{link.source, link.destination}
                               : ConnectionKey{link.destination, link.source};
          connection = FindConnection(key);
        } else {
          connection = FindLinkConnection(link, &result);
        }
        if (connection) {
          result.datagram_class = DatagramClass::kEnet;
          DissectEnet(link.payload, connection, &result);
        }
        break;
      }
    }
  }
  if (!result.problems.empty()) ++counts_.with_problems;
  for (const Problem& p : result.problems) {
    switch (p.kind) {
      case ProblemKind::kMalformed:
        ++counts_.malformed;
        break;
      case ProblemKind::kUnknown:
        ++counts_.unknown;
        break;
      case ProblemKind::kUndecryptable:
        ++counts_.undecryptable;
        break;
    }
  }
  return result;
}

Dissector::ServerSide Dissector::SideOf(const UdpEndpoint& source,
                                        const UdpEndpoint& destination) const {
  if (options_.server_port) {
    if (destination.port == *options_.server_port) return ServerSide::kToServer;
    if (source.port == *options_.server_port) return ServerSide::kFromServer;
    return ServerSide::kNeither;
  }
  auto known = [this](const UdpEndpoint& endpoint) {
    return std::find(servers_.begin(), servers_.end(), endpoint) !=
           servers_.end();
  };
  if (known(destination)) return ServerSide::kToServer;
  if (known(source)) return ServerSide::kFromServer;
  if (destination.port == kDefaultServerPort) return ServerSide::kToServer;
  if (source.port == kDefaultServerPort) return ServerSide::kFromServer;
  return ServerSide::kNeither;
}

void Dissector::AddServer(const UdpEndpoint& server) {
  if (std::find(servers_.begin(), servers_.end(), server) != servers_.end()) {
    return;
  }
  if (servers_.size() >= kMaxConnections) servers_.erase(servers_.begin());
  servers_.push_back(server);
}

void Dissector::LearnServer(const LinkResult& link) {
  ByteSpan payload = link.payload;
  switch (protocol::ClassifyDatagram(payload)) {
    case protocol::DatagramClass::kHail:
      if (protocol::DecodeHello(payload)) {
        AddServer(link.destination);
      } else if (protocol::DecodeCookie(payload) ||
                 protocol::DecodePresessionReject(payload)) {
        AddServer(link.source);
      }
      return;
    case protocol::DatagramClass::kEnet:
      break;
    case protocol::DatagramClass::kStun:
      return;
  }
  // Direct links open with an ENet CONNECT too (section 15.5): not between
  // endpoints that exchanged PROBEs, nor naming a logged link session.
  if (links_.count(PairOf(link.source, link.destination))) return;
  enet_wire::Datagram datagram =
      enet_wire::ParseDatagram(payload, options_.enet_crc);
  for (const enet_wire::Command& c : datagram.commands) {
    if (c.type == CommandType::kVerifyConnect) {
      AddServer(link.source);
      return;
    }
    if (c.type != CommandType::kConnect) continue;
    for (const auto& [session_id, keys] : link_keys_) {
      if (static_cast<uint32_t>(session_id) == c.data) return;
    }
    AddServer(link.destination);
    return;
  }
}

void Dissector::DissectPresession(const LinkResult& link,
                                  DatagramResult* result) {
  ByteSpan payload = link.payload;
  PresessionView view;
  uint8_t type = payload.size() > 4 ? payload[4] : 0;
  if (protocol::PeekProbeSession(payload)) {
    DissectProbe(link, &view, result);
  } else if (auto hello = protocol::DecodeHello(payload)) {
    view.type = "HELLO";
    view.fields = {Number("version", hello->version),
                   Number("client_nonce", hello->client_nonce)};
  } else if (auto cookie = protocol::DecodeCookie(payload)) {
    view.type = "COOKIE";
    view.fields = {Number("version", cookie->version),
                   Number("client_nonce", cookie->client_nonce),
                   Number("cookie", cookie->cookie),
                   Number("valid_for_seconds", cookie->valid_for_seconds)};
  } else if (auto reject = protocol::DecodePresessionReject(payload)) {
    view.type = "REJECT";
    view.fields = {
        Number("highest_version", reject->highest_version),
        Number("client_nonce", reject->client_nonce),
        Text("error", ErrorName(static_cast<uint16_t>(reject->error)))};
  } else {
    view.type = "MALFORMED";
    view.fields = {Number("length", payload.size())};
    if (payload.size() > 4) view.fields.push_back(Number("type", type));
    AddProblem(result, ProblemKind::kMalformed,
               "pre-session datagram of " + std::to_string(payload.size()) +
                   " bytes with wrong size, type or padding");
  }
  result->presession = std::move(view);
}

void Dissector::DissectProbe(const LinkResult& link, PresessionView* view,
                             DatagramResult* result) {
  ByteSpan payload = link.payload;
  assert(payload.size() == protocol::kProbeSize);
  // Offsets of SPEC.md section 15.4; magic, type, version and size are
  // already checked.
  ByteReader r(payload.subspan(6));
  uint64_t session_id = 0;
  uint8_t role = 0, reserved = 0;
  uint32_t seq = 0;
  r.U64(&session_id);
  r.U8(&role);
  r.U8(&reserved);
  r.U32(&seq);
  ByteSpan tag =
      payload.subspan(protocol::kProbeSize - protocol::kProbeTagSize);
  view->type = "PROBE";
  view->fields = {Number("version", payload[5]),
                  Number("session_id", session_id),
                  Text("role", role == 1   ? "connector"
                               : role == 0 ? "listener"
                                           : std::to_string(role)),
                  Number("seq", seq), Text("tag", protocol::ToHex(tag))};
  bool shape_ok = role <= 1 && reserved == 0;
  if (!shape_ok) {
    view->fields.push_back(Number("reserved", reserved));
    AddProblem(result, ProblemKind::kMalformed,
               "PROBE with role " + std::to_string(role) + " and reserved " +
                   std::to_string(reserved) + " (role 0 or 1, reserved 0)");
  }
  auto keys = link_keys_.find(session_id);
  std::string tag_status = "unverified (no link keys)";
  if (keys != link_keys_.end()) {
    bool valid = protocol::DecodeProbe(payload, keys->second.probe).has_value();
    tag_status = valid ? "valid" : "invalid";
    if (!valid && shape_ok) {
      AddProblem(result, ProblemKind::kMalformed,
                 "PROBE tag does not verify with the logged link keys");
    }
  } else if (options_.expect_keys) {
    AddProblem(result, ProblemKind::kUndecryptable,
               "no HAIL_LINK_KEYS entry for PROBE session " +
                   std::to_string(session_id));
  }
  view->fields.push_back(Text("tag_status", tag_status));
  if (!result->direct_link || !shape_ok) return;
  result->to_server = role == 1;  // connector to listener
  // The endpoints are a link of this session; the role names the connector.
  if (links_.size() >= kMaxConnections) links_.erase(links_.begin());
  LinkPath& path = links_[PairOf(link.source, link.destination)];
  if (path.session_id != session_id) path = LinkPath{session_id, {}};
  path.connector = role == 1 ? link.source : link.destination;
}

Dissector::EndpointPair Dissector::PairOf(const UdpEndpoint& a,
                                          const UdpEndpoint& b) {
  return a < b ? EndpointPair{a, b} : EndpointPair{b, a};
}

Dissector::Connection* Dissector::FindLinkConnection(const LinkResult& link,
                                                     DatagramResult* result) {
  EndpointPair pair = PairOf(link.source, link.destination);
  auto path = links_.find(pair);
  // A CONNECT names the session by the low 32 bits of its id and makes its
  // sender the connector (section 15.5).
  enet_wire::Datagram datagram =
      enet_wire::ParseDatagram(link.payload, options_.enet_crc);
  for (const enet_wire::Command& c : datagram.commands) {
    if (c.type != CommandType::kConnect) continue;
    if (path != links_.end() &&
        static_cast<uint32_t>(path->second.session_id) == c.data) {
      path->second.connector = link.source;
      continue;
    }
    for (const auto& [session_id, keys] : link_keys_) {
      if (static_cast<uint32_t>(session_id) != c.data) continue;
      if (links_.size() >= kMaxConnections) links_.erase(links_.begin());
      path = links_.insert_or_assign(pair, LinkPath{session_id, link.source})
                 .first;
      break;
    }
  }
  if (path == links_.end() || !path->second.connector) return nullptr;
  const UdpEndpoint& connector = *path->second.connector;
  const UdpEndpoint& listener =
      connector == link.source ? link.destination : link.source;
  result->direct_link = true;
  result->to_server = connector == link.source;
  Connection* connection = FindConnection({connector, listener});
  connection->direct_link = true;
  if (connection->link_session != path->second.session_id) {
    connection->keys.reset();
    connection->link_session = path->second.session_id;
  }
  return connection;
}

void Dissector::DissectStun(protocol::ByteSpan payload,
                            DatagramResult* result) {
  namespace stun = protocol::stun;
  StunView view;
  stun::DecodeResult decoded = stun::Decode(payload, /*allow_classic=*/true);
  if (!decoded.message) {
    view.type = "MALFORMED";
    view.fields = {Number("length", payload.size())};
    AddProblem(result, ProblemKind::kMalformed,
               "STUN message of " + std::to_string(payload.size()) +
                   " bytes with a bad attribute or FINGERPRINT");
    result->stun = std::move(view);
    return;
  }
  const stun::Message& m = *decoded.message;
  view.type = stun::MessageTypeName(m.type);
  view.fields.push_back(Text(
      "transaction_id", protocol::ToHex(protocol::ByteSpan(m.transaction.id))));
  if (m.transaction.classic()) view.fields.push_back(Text("classic", "yes"));
  for (const stun::Attribute& a : m.attributes) {
    std::string name = stun::AttributeName(a.type);
    bool xored =
        a.type == static_cast<uint16_t>(stun::AttributeType::kXorMappedAddress);
    bool address =
        xored ||
        a.type == static_cast<uint16_t>(stun::AttributeType::kMappedAddress) ||
        a.type == static_cast<uint16_t>(stun::AttributeType::kOtherAddress) ||
        a.type == static_cast<uint16_t>(stun::AttributeType::kResponseOrigin);
    protocol::Endpoint endpoint;
    if (address &&
        stun::DecodeAddressValue(a.value, xored, m.transaction, &endpoint)) {
      view.fields.push_back(Text(name, endpoint.ToString()));
    } else if (a.type ==
               static_cast<uint16_t>(stun::AttributeType::kSoftware)) {
      view.fields.push_back(
          Text(name, std::string(a.value.begin(), a.value.end())));
    } else if (a.type ==
                   static_cast<uint16_t>(stun::AttributeType::kErrorCode) &&
               a.value.size() >= 4) {
      view.fields.push_back(
          Number(name, (a.value[2] & 0x07) * 100 + a.value[3]));
    } else {
      view.fields.push_back(
          Text(name, std::to_string(a.value.size()) + " bytes"));
    }
  }
  if (m.had_fingerprint) view.fields.push_back(Text("FINGERPRINT", "ok"));
  result->stun = std::move(view);
}

Dissector::Connection* Dissector::FindConnection(const ConnectionKey& key) {
  auto it = connections_.find(key);
  if (it != connections_.end()) return &it->second;
  if (connections_.size() >= kMaxConnections) {
    auto oldest = connections_.find(connection_order_.front());
    reassembler_.DropConnection(oldest->second.id);
    connections_.erase(oldest);
    connection_order_.erase(connection_order_.begin());
    ++counts_.connections_evicted;
  }
  connection_order_.push_back(key);
  Connection& c = connections_[key];
  c.id = next_connection_id_++;
  return &c;
}

Dissector::TcpConnection* Dissector::FindTcpConnection(
    const ConnectionKey& key) {
  auto it = tcp_connections_.find(key);
  if (it != tcp_connections_.end()) return &it->second;
  if (tcp_connections_.size() >= kMaxConnections) {
    tcp_connections_.erase(tcp_connection_order_.front());
    tcp_connection_order_.erase(tcp_connection_order_.begin());
    ++counts_.connections_evicted;
  }
  tcp_connection_order_.push_back(key);
  TcpConnection& c = tcp_connections_[key];
  c.session.id = next_connection_id_++;
  return &c;
}

void Dissector::DissectTcp(const LinkResult& link, DatagramResult* result) {
  result->datagram_class = DatagramClass::kTcp;
  result->source = link.source.ToString();
  result->destination = link.destination.ToString();
  result->length = link.payload.size();
  result->to_server =
      SideOf(link.source, link.destination) == ServerSide::kToServer;
  ConnectionKey key = result->to_server
                          ? ConnectionKey{link.source, link.destination}
                          : ConnectionKey{link.destination, link.source};
  TcpConnection* tcp = FindTcpConnection(key);
  TcpView& view = result->tcp.emplace();
  const TcpHeader& header = link.tcp;
  view.flags = TcpFlagsText(header.flags);
  bool syn = header.flags & kTcpSyn;
  // A client's SYN with another initial sequence number: the port was
  // reused for a new connection.
  if (syn && !(header.flags & kTcpAck) && result->to_server &&
      tcp->to_server.stream.started() &&
      tcp->to_server.stream.initial_sequence() != header.sequence) {
    *tcp = TcpConnection{};
    tcp->session.id = next_connection_id_++;
    view.notes.push_back("new connection on a reused port");
  }
  TcpDirection& direction = result->to_server ? tcp->to_server : tcp->to_client;
  TcpDirection& other = result->to_server ? tcp->to_client : tcp->to_server;
  TcpStreamReassembler::Result added =
      direction.stream.Add(header.sequence, syn, link.payload);
  view.sequence = direction.stream.Relative(header.sequence);
  if (header.flags & kTcpAck) {
    view.acknowledgment = other.stream.Relative(header.acknowledgment);
  }
  if (added.duplicate_bytes > 0) {
    view.notes.push_back(
        "retransmission: " + std::to_string(added.duplicate_bytes) +
        " bytes already seen, skipped");
    ++counts_.retransmissions;
  }
  if (added.held_bytes > 0) {
    view.notes.push_back("out of order: " + std::to_string(added.held_bytes) +
                         " bytes held until the gap before them fills");
  }
  if (added.midstream || added.dropped_bytes > 0) {
    if (!direction.reported) {
      direction.reported = true;
      AddProblem(
          result, ProblemKind::kMalformed,
          added.midstream
              ? "TCP capture starts mid-stream (no SYN seen): this "
                "direction is not decoded"
              : "TCP: " + std::to_string(added.dropped_bytes) +
                    " bytes beyond the reassembly window dropped; the rest "
                    "of this direction is not decoded");
    } else {
      view.notes.push_back(
          "not decoded (" +
          std::string(added.midstream ? "no SYN seen" : "earlier gap") + ")");
    }
  }
  if (!added.delivered.empty()) {
    DissectTcpRecords(added.delivered, tcp, &direction, result);
  }
  if ((header.flags & kTcpFin) && direction.stream.held() == 0 &&
      !direction.stream.broken() &&
      direction.decoder.error() == protocol::stream::StreamError::kNone &&
      direction.decoder.pending() > 0) {
    AddProblem(result, ProblemKind::kMalformed,
               "TCP stream ends inside a record (" +
                   std::to_string(direction.decoder.pending()) +
                   " bytes of it)");
  }
}

void Dissector::DissectTcpRecords(ByteSpan delivered, TcpConnection* tcp,
                                  TcpDirection* direction,
                                  DatagramResult* result) {
  namespace stream = protocol::stream;
  if (direction->decoder.closed()) {
    AddProblem(result, ProblemKind::kMalformed,
               std::to_string(delivered.size()) +
                   " bytes after the stream's CLOSE record");
    return;
  }
  if (direction->decoder.error() != stream::StreamError::kNone) return;
  direction->decoder.Append(delivered);
  while (std::optional<stream::Record> record = direction->decoder.Next()) {
    TcpRecordView view;
    view.channel = record->type == stream::Record::Type::kClose
                       ? stream::kCloseChannel
                       : record->channel;
    if (record->type == stream::Record::Type::kClose) {
      view.close_reason = ErrorName(record->close_code);
      result->tcp->records.push_back(std::move(view));
      continue;
    }
    view.length = record->frame.size();
    HailFrame hail;
    hail.channel = record->channel;
    hail.command_index = result->tcp->records.size();
    result->tcp->records.push_back(std::move(view));
    DissectFrame(record->frame, &tcp->session, hail, result);
  }
  if (direction->decoder.error() != stream::StreamError::kNone &&
      !direction->reported) {
    direction->reported = true;
    AddProblem(
        result, ProblemKind::kMalformed,
        "TCP record stream refused: " +
            std::string(stream::StreamErrorName(direction->decoder.error())) +
            "; the rest of this direction is not decoded");
  }
}

void Dissector::ResetConnection(Connection* connection) {
  reassembler_.DropConnection(connection->id);
  connection->id = next_connection_id_++;
  connection->connect_id.reset();
  connection->client_ephemeral.reset();
  connection->keys.reset();
  connection->reliable.clear();
}

void Dissector::DissectEnet(ByteSpan payload, Connection* connection,
                            DatagramResult* result) {
  enet_wire::Datagram datagram =
      enet_wire::ParseDatagram(payload, options_.enet_crc);
  EnetView view;
  view.header = datagram.header;
  if (datagram.error != enet_wire::ParseError::kOk) {
    AddProblem(result, ProblemKind::kMalformed,
               std::string(enet_wire::ParseErrorName(datagram.error)) +
                   " at offset " + std::to_string(datagram.error_offset));
  }
  // A new CONNECT (another connect_id) starts a new connection from the
  // same client endpoint: forget the old one's state first.
  for (const enet_wire::Command& c : datagram.commands) {
    if (c.type == CommandType::kConnect && result->to_server &&
        connection->connect_id != c.connect_id) {
      if (connection->connect_id) ResetConnection(connection);
      connection->connect_id = c.connect_id;
    }
  }
  result->enet.emplace(std::move(view));
  for (size_t i = 0; i < datagram.commands.size(); ++i) {
    const enet_wire::Command& c = datagram.commands[i];
    EnetCommandView command{c, false, ""};
    if (c.acknowledge) {
      command.retransmission =
          connection->reliable[{result->to_server, c.channel_id}].SeenBefore(
              c.reliable_sequence_number);
      if (command.retransmission) ++counts_.retransmissions;
    }
    HailFrame hail;
    hail.channel = c.channel_id;
    hail.command_index = i;
    hail.retransmission = command.retransmission;
    switch (c.type) {
      case CommandType::kSendReliable:
      case CommandType::kSendUnreliable:
      case CommandType::kSendUnsequenced:
        result->enet->commands.push_back(command);
        DissectFrame(c.payload, connection, hail, result);
        continue;
      case CommandType::kSendFragment:
      case CommandType::kSendUnreliableFragment: {
        command.note = "fragment " + std::to_string(c.fragment_number + 1) +
                       "/" + std::to_string(c.fragment_count);
        if (command.retransmission) {
          command.note += " (retransmitted, not reassembled again)";
          result->enet->commands.push_back(command);
          continue;
        }
        FragmentReassembler::SetKey key{
            connection->id, result->to_server, c.channel_id,
            c.type == CommandType::kSendUnreliableFragment,
            c.start_sequence_number};
        FragmentReassembler::Result added = reassembler_.Add(
            key, {c.fragment_count, c.fragment_number, c.total_length,
                  c.fragment_offset, c.payload});
        switch (added.outcome) {
          case FragmentReassembler::Outcome::kIncomplete:
            command.note += ", " + std::to_string(added.received) + " of " +
                            std::to_string(c.fragment_count) + " received";
            break;
          case FragmentReassembler::Outcome::kDuplicate:
            command.note += ", duplicate";
            break;
          case FragmentReassembler::Outcome::kInvalid:
            command.note += ", invalid";
            AddProblem(result, ProblemKind::kMalformed,
                       "ENet fragment: " + added.error);
            break;
          case FragmentReassembler::Outcome::kComplete:
            command.note += ", reassembled " +
                            std::to_string(added.packet.size()) + " bytes";
            break;
        }
        result->enet->commands.push_back(command);
        if (added.outcome == FragmentReassembler::Outcome::kComplete) {
          hail.reassembled = true;
          DissectFrame(added.packet, connection, hail, result);
        }
        continue;
      }
      case CommandType::kDisconnect:
        if (c.data <= 0xffff) {
          command.note = "reason " + ErrorName(static_cast<uint16_t>(c.data));
        }
        break;
      default:
        break;
    }
    result->enet->commands.push_back(command);
  }
}

void Dissector::DissectFrame(ByteSpan frame, Connection* connection,
                             HailFrame hail, DatagramResult* result) {
  hail.length = frame.size();
  if (frame.empty()) {
    AddProblem(result, ProblemKind::kMalformed, "empty ENet packet");
    return;
  }
  if (frame[0] == protocol::kFramePlain) {
    ++counts_.hail_frames;
    DecodePlaintext(frame.subspan(1), false, connection, &hail, result);
    result->hail.push_back(std::move(hail));
    return;
  }
  if (frame[0] != protocol::kFrameSealed) {
    AddProblem(result, ProblemKind::kMalformed,
               "unknown frame type " + Hex16(frame[0]));
    return;
  }
  hail.sealed = true;
  ByteReader reader(frame.subspan(1));
  uint64_t counter = 0;
  if (frame.size() < protocol::kSealedOverhead || !reader.U64(&counter)) {
    AddProblem(result, ProblemKind::kMalformed,
               "SEALED frame of " + std::to_string(frame.size()) +
                   " bytes (at least 25)");
    return;
  }
  ++counts_.hail_frames;
  hail.counter = counter;
  if (!connection->keys && connection->client_ephemeral) {
    auto it = keys_.find(*connection->client_ephemeral);
    if (it != keys_.end()) connection->keys = it->second;
  }
  if (!connection->keys && connection->link_session) {
    auto it = link_keys_.find(*connection->link_session);
    if (it != link_keys_.end()) connection->keys = it->second.channel;
  }
  if (!connection->keys) {
    if (options_.expect_keys) {
      AddProblem(result, ProblemKind::kUndecryptable,
                 connection->direct_link
                     ? "no HAIL_LINK_KEYS entry for this link's session"
                 : connection->client_ephemeral
                     ? "no key log entry for this session's CLIENT_HELLO"
                     : "no CLIENT_HELLO captured for this connection");
    }
    result->hail.push_back(std::move(hail));
    return;
  }
  const protocol::Key& key = result->to_server
                                 ? connection->keys->client_to_server
                                 : connection->keys->server_to_client;
  protocol::Bytes plaintext;
  protocol::OpenStatus status =
      protocol::OpenSealedFrame(key, hail.channel, frame, &plaintext);
  if (status != protocol::OpenStatus::kOk) {
    AddProblem(result, ProblemKind::kUndecryptable,
               "SEALED frame counter " + std::to_string(counter) +
                   " does not open with the logged keys (bad tag)");
    result->hail.push_back(std::move(hail));
    return;
  }
  hail.decrypted = true;
  ++counts_.decrypted;
  DecodePlaintext(plaintext, true, connection, &hail, result);
  result->hail.push_back(std::move(hail));
}

void Dissector::DecodePlaintext(ByteSpan plaintext, bool sealed,
                                Connection* connection, HailFrame* hail,
                                DatagramResult* result) {
  protocol::Decoded decoded = protocol::DecodeMessage(plaintext);
  if (plaintext.size() < 2) {
    AddProblem(result, ProblemKind::kMalformed, "frame too short for a kind");
    return;
  }
  hail->kind_id = decoded.kind;
  const protocol::KindInfo* info = protocol::FindKind(decoded.kind);
  if (!info) {
    hail->kind = "UNKNOWN(" + Hex16(decoded.kind) + ")";
    hail->fields.push_back(
        {"raw", protocol::ToHex(plaintext.subspan(2)), false});
    hail->has_fields = true;
    AddProblem(result, ProblemKind::kUnknown,
               "unknown message kind " + Hex16(decoded.kind));
    return;
  }
  hail->kind = std::string(info->name);
  if (decoded.status != protocol::DecodeStatus::kOk) {
    std::string what = "invalid ";
    if (decoded.status == protocol::DecodeStatus::kTruncated) {
      what = "truncated ";
    } else if (decoded.status == protocol::DecodeStatus::kOversized) {
      what = "oversized (over 16384 bytes) ";
    }
    AddProblem(result, ProblemKind::kMalformed, what + hail->kind + " body");
    return;
  }
  hail->fields = protocol::DescribeMessage(decoded.message);
  hail->has_fields = true;
  bool want_sealed = info->framing == protocol::Framing::kSealed;
  if (want_sealed != sealed) {
    AddProblem(result, ProblemKind::kMalformed,
               hail->kind + (sealed ? " in a SEALED frame (must be PLAIN)"
                                    : " in a PLAIN frame (must be SEALED)"));
  }
  if (info->channel != hail->channel) {
    AddProblem(result, ProblemKind::kMalformed,
               hail->kind + " on channel " + std::to_string(hail->channel) +
                   " (registry: " + std::to_string(info->channel) + ")");
  }
  // A direct link carries only peer-to-peer kinds (section 15.6), and a
  // server session never does.
  bool right_direction =
      connection->direct_link
          ? info->direction == protocol::Direction::kPeerToPeer
          : info->direction == protocol::Direction::kBoth ||
                (info->direction != protocol::Direction::kPeerToPeer &&
                 (info->direction == protocol::Direction::kClientToServer) ==
                     result->to_server);
  if (!right_direction) {
    AddProblem(result, ProblemKind::kMalformed,
               hail->kind + (connection->direct_link
                                 ? " on a direct link (peer-to-peer kinds only)"
                                 : " sent in the wrong direction"));
  }
  if (!sealed && result->to_server && !connection->direct_link &&
      decoded.kind == static_cast<uint16_t>(protocol::Kind::kClientHello)) {
    const auto& hello = std::get<protocol::ClientHello>(decoded.message);
    if (connection->client_ephemeral != hello.client_ephemeral_key) {
      connection->keys.reset();
      connection->client_ephemeral = hello.client_ephemeral_key;
    }
  }
}

}  // namespace hail::dissect
