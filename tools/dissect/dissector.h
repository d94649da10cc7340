// The sans-I/O core of hail-dissect: one captured link-layer frame in, one
// structured DatagramResult out (SPEC.md sections 3, 4, 5, 11 and 13). It
// keeps per-connection state across calls: the CLIENT_HELLO key that names a
// session in the key log, reliable sequence numbers (to mark ENet
// retransmissions) and incomplete fragment sets. No clock, no files, no
// printing; pcap reading and output live in pcap_source.h and the printers.
//
// A connection is (client endpoint, server endpoint). The server is whichever
// side uses Options::server_port when that is given; otherwise it is learnt
// from the traffic, as the Wireshark plugin does: a pre-session HELLO names
// its destination, a COOKIE or REJECT its source, an ENet CONNECT (not of a
// direct link) its destination and a VERIFY_CONNECT its source; until one
// was seen, port kDefaultServerPort is taken for the server. A direct link
// (SPEC.md section 15) is a connection between two other endpoints, recognised
// once a PROBE between them, or an ENet CONNECT whose data names a logged link
// session, was seen; its connector plays the client's part (it seals with
// client_to_server). A TCP connection to or from the server (port, or learnt
// endpoint) is the TCP fallback (SPEC.md 3.8): each direction is put back in
// order (TcpStreamReassembler), split into records, and each record's frame
// decoded like an ENet packet's; the records a segment completes are reported
// with that segment. Every problem found is reported in the result, classified,
// and counted; nothing in the input is trusted.
#ifndef HAIL_TOOLS_DISSECT_DISSECTOR_H_
#define HAIL_TOOLS_DISSECT_DISSECTOR_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "protocol/byte_io.h"
#include "protocol/enet_wire.h"
#include "protocol/field_visitor.h"
#include "protocol/handshake.h"
#include "protocol/p2p_link.h"
#include "protocol/secure_channel.h"
#include "protocol/stream_framing.h"
#include "tools/dissect/fragment_reassembler.h"
#include "tools/dissect/link_layer.h"
#include "tools/dissect/tcp_stream_reassembler.h"

namespace hail::dissect {

enum class DatagramClass : uint8_t {
  kPresession,
  kStun,
  kEnet,
  kTcp,  // a TCP segment of the TCP fallback (SPEC.md 3.8)
  kOther
};
std::string_view DatagramClassName(DatagramClass c);  // "presession", ...

enum class ProblemKind : uint8_t {
  kMalformed,      // truncated, out of bounds, breaks a rule
  kUnknown,        // an unregistered message kind
  kUndecryptable,  // a key log was given but a SEALED frame did not open
};

struct Problem {
  ProblemKind kind = ProblemKind::kMalformed;
  std::string text;
};

// A named value shown for pre-session datagrams and ENet commands. `number`
// says whether JSON writes it unquoted.
struct Field {
  std::string name;
  std::string value;
  bool number = false;
};

struct PresessionView {
  std::string type;  // "HELLO", "COOKIE", "REJECT", "PROBE" or "MALFORMED"
  std::vector<Field> fields;
};

// A STUN message (SPEC.md 3.4): its type name ("Binding request", ...,
// "MALFORMED") and fields: transaction_id, then each attribute by name
// (addresses as IP:PORT, XOR-MAPPED-ADDRESS already un-XORed).
struct StunView {
  std::string type;
  std::vector<Field> fields;
};

struct EnetCommandView {
  protocol::enet_wire::Command command;
  // A reliable command whose sequence number was already seen in this
  // connection, direction and channel.
  bool retransmission = false;
  std::string note;  // e.g. "fragment 2/3", "DISCONNECT reason"
};

struct EnetView {
  protocol::enet_wire::Header header;
  std::vector<EnetCommandView> commands;
};

// One record of the TCP fallback completed by a segment (SPEC.md 3.8).
struct TcpRecordView {
  uint8_t channel = 0;       // 0, 1, or protocol::stream::kCloseChannel
  size_t length = 0;         // frame bytes; 0 for CLOSE
  std::string close_reason;  // CLOSE only: "NAME(code)"
};

// A TCP segment to or from the server port. Sequence numbers are relative
// to the direction's initial sequence number once its SYN was seen (the
// first data byte is 1), raw otherwise.
struct TcpView {
  std::string flags;  // "SYN,ACK", "PSH,ACK", ...
  uint32_t sequence = 0;
  std::optional<uint32_t> acknowledgment;  // when ACK is set
  std::vector<std::string> notes;  // retransmitted, held out of order, ...
  std::vector<TcpRecordView> records;
};

// One Hail frame (one ENet packet payload, after reassembly, or one TCP
// record's frame: then command_index is the index in TcpView::records).
struct HailFrame {
  uint8_t channel = 0;
  bool sealed = false;
  size_t command_index = 0;  // the ENet command that completed it
  bool retransmission = false;
  bool reassembled = false;
  size_t length = 0;                // frame bytes
  std::optional<uint64_t> counter;  // SEALED only
  bool decrypted = false;           // SEALED frame opened
  // Known once the kind is readable: PLAIN, or SEALED and decrypted.
  std::optional<uint16_t> kind_id;
  std::string kind;  // registry name, "UNKNOWN(0x00ff)", empty when unknown
  bool has_fields = false;  // the message decoded completely
  std::vector<protocol::PrintedField> fields;
};

struct CapturedFrame {
  int64_t seconds = 0;
  int64_t microseconds = 0;
  int link_type = kLinkEthernet;
  protocol::ByteSpan data;
  size_t original_length = 0;  // on the wire; data may be shorter (snaplen)
};

struct DatagramResult {
  uint64_t frame = 0;  // 1-based, in capture order
  int64_t seconds = 0;
  int64_t microseconds = 0;
  std::string source;  // "IP:PORT" (empty when not UDP)
  std::string destination;
  DatagramClass datagram_class = DatagramClass::kOther;
  // On a direct link: sent by the connector (to the listener).
  bool to_server = false;
  bool direct_link = false;  // between two clients, not to or from the server
  size_t length = 0;         // UDP payload or TCP segment data bytes
  std::optional<PresessionView> presession;
  std::optional<StunView> stun;
  std::optional<EnetView> enet;
  std::optional<TcpView> tcp;
  std::vector<HailFrame> hail;
  std::vector<Problem> problems;
};

// The fields of one ENet command besides its type and channel, SPEC-style
// names (reliable_seq, data_length, fragment_count, ...).
std::vector<Field> CommandFields(const protocol::enet_wire::Command& command);

class Dissector {
 public:
  // SPEC.md 3.1.
  static constexpr uint16_t kDefaultServerPort = 4000;
  struct Options {
    // The server's port (hail-dissect --port); unset: learnt, see above.
    std::optional<uint16_t> server_port;
    // A key log was given: SEALED frames that cannot be opened are
    // problems (kUndecryptable), not just opaque.
    bool expect_keys = false;
    // Whether ENet headers carry the 4-byte CRC32 field (Hail requires it).
    bool enet_crc = true;
  };
  struct Counts {
    uint64_t datagrams = 0;
    uint64_t with_problems = 0;
    uint64_t malformed = 0;
    uint64_t unknown = 0;
    uint64_t undecryptable = 0;
    uint64_t hail_frames = 0;
    uint64_t decrypted = 0;
    uint64_t retransmissions = 0;
    uint64_t connections_evicted = 0;
  };
  // At most this many connections are tracked; the oldest is forgotten.
  static constexpr size_t kMaxConnections = 1024;

  explicit Dissector(Options options);
  Dissector(const Dissector&) = delete;
  Dissector& operator=(const Dissector&) = delete;

  // Keys for the session whose CLIENT_HELLO carries entry.client_ephemeral.
  // May be called at any time (a live key log grows).
  void AddKeys(const protocol::KeyLogEntry& entry);
  // Keys of the direct link `entry.session_id` (HAIL_LINK_KEYS); likewise
  // at any time.
  void AddLinkKeys(const protocol::LinkKeyLogEntry& entry);

  DatagramResult Dissect(const CapturedFrame& frame);

  const Counts& counts() const { return counts_; }
  uint64_t dropped_fragment_sets() const { return reassembler_.dropped_sets(); }

 private:
  // Unwraps 16-bit reliable sequence numbers and remembers the last 1024.
  class SequenceTracker {
   public:
    // True when `sequence` was seen before (or is older than the window).
    bool SeenBefore(uint16_t sequence);

   private:
    bool any_ = false;
    uint64_t highest_ = 0;
    protocol::ReplayWindow window_;
  };

  struct Connection {
    uint64_t id = 0;
    std::optional<uint32_t> connect_id;
    std::optional<protocol::PublicKey> client_ephemeral;
    std::optional<protocol::SessionKeys> keys;
    std::map<std::pair<bool, uint8_t>, SequenceTracker> reliable;
    // Direct links only: the session named by PROBEs or the CONNECT data.
    bool direct_link = false;
    std::optional<uint64_t> link_session;
  };
  // (client, server), or (connector, listener) for a direct link.
  using ConnectionKey = std::pair<UdpEndpoint, UdpEndpoint>;
  // One direction of a TCP fallback connection.
  struct TcpDirection {
    TcpStreamReassembler stream;
    protocol::stream::StreamDecoder decoder;
    bool reported = false;  // its midstream, gap or stream error is reported
  };
  struct TcpConnection {
    Connection session;
    TcpDirection to_server;
    TcpDirection to_client;
  };
  // What is known of the two endpoints of a direct link.
  struct LinkPath {
    uint64_t session_id = 0;
    std::optional<UdpEndpoint> connector;
  };
  using EndpointPair = std::pair<UdpEndpoint, UdpEndpoint>;  // lower first

  // Which way a datagram or segment between `source` and `destination`
  // goes relative to the server.
  enum class ServerSide : uint8_t { kToServer, kFromServer, kNeither };
  ServerSide SideOf(const UdpEndpoint& source,
                    const UdpEndpoint& destination) const;
  // Without Options::server_port: remembers the server endpoint a UDP
  // datagram names (see the top of this file).
  void LearnServer(const LinkResult& link);
  void AddServer(const UdpEndpoint& server);

  void DissectPresession(const LinkResult& link, DatagramResult* result);
  void DissectProbe(const LinkResult& link, PresessionView* view,
                    DatagramResult* result);
  // The link connection for an ENet datagram between two non-server
  // endpoints, or nullptr when they are not known to be a direct link.
  Connection* FindLinkConnection(const LinkResult& link,
                                 DatagramResult* result);
  static EndpointPair PairOf(const UdpEndpoint& a, const UdpEndpoint& b);
  void DissectStun(protocol::ByteSpan payload, DatagramResult* result);
  void DissectTcp(const LinkResult& link, DatagramResult* result);
  // Decodes the records `direction` has complete after `delivered`.
  void DissectTcpRecords(protocol::ByteSpan delivered, TcpConnection* tcp,
                         TcpDirection* direction, DatagramResult* result);
  TcpConnection* FindTcpConnection(const ConnectionKey& key);
  void DissectEnet(protocol::ByteSpan payload, Connection* connection,
                   DatagramResult* result);
  void DissectFrame(protocol::ByteSpan frame, Connection* connection,
                    HailFrame hail, DatagramResult* result);
  void DecodePlaintext(protocol::ByteSpan plaintext, bool sealed,
                       Connection* connection, HailFrame* hail,
                       DatagramResult* result);
  Connection* FindConnection(const ConnectionKey& key);
  void ResetConnection(Connection* connection);
  static void AddProblem(DatagramResult* result, ProblemKind kind,
                         std::string text);

  Options options_;
  std::map<protocol::PublicKey, protocol::SessionKeys> keys_;
  std::map<uint64_t, protocol::LinkKeys> link_keys_;  // by session_id
  std::map<EndpointPair, LinkPath> links_;            // at most kMaxConnections
  // Learnt server endpoints, at most kMaxConnections (oldest forgotten).
  std::vector<UdpEndpoint> servers_;
  std::map<ConnectionKey, Connection> connections_;
  std::vector<ConnectionKey> connection_order_;  // oldest first
  std::map<ConnectionKey, TcpConnection> tcp_connections_;
  std::vector<ConnectionKey> tcp_connection_order_;  // oldest first
  uint64_t next_connection_id_ = 1;
  FragmentReassembler reassembler_;
  Counts counts_;
  uint64_t frame_number_ = 0;
};

}  // namespace hail::dissect

#endif  // HAIL_TOOLS_DISSECT_DISSECTOR_H_
