// The bytes of a direct link between two clients (SPEC.md "Direct links"):
// the keys both sides derive from the server's P2P_READY, and the PROBE
// datagram that opens NAT mappings before ENet connects. Sans-I/O.
#ifndef HAIL_PROTOCOL_P2P_LINK_H_
#define HAIL_PROTOCOL_P2P_LINK_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "protocol/byte_io.h"
#include "protocol/messages.h"
#include "protocol/secure_channel.h"

namespace hail::protocol {

inline constexpr size_t kProbeSize = 36;
inline constexpr size_t kProbeTagSize = 16;

// Keys of one direct link. `channel.client_to_server` protects what the
// connector sends, `channel.server_to_client` what the listener sends, so
// the connector uses SecureChannel::Role::kClient.
struct LinkKeys {
  SessionKeys channel;
  Key probe{};  // authenticates PROBE datagrams
};
LinkKeys DeriveLinkKeys(const SessionKey& session_key, uint64_t session_id);

struct ProbeDatagram {
  uint64_t session_id = 0;
  LinkRole sender_role = LinkRole::kListener;
  uint32_t seq = 0;
};

Bytes EncodeProbe(const ProbeDatagram& probe, const Key& probe_key);
// The session a PROBE-shaped datagram claims (magic, type, version and
// size checked; the tag is not), to find its key.
std::optional<uint64_t> PeekProbeSession(ByteSpan datagram);
// Checks shape and tag (in constant time); nullopt when either is wrong.
std::optional<ProbeDatagram> DecodeProbe(ByteSpan datagram,
                                         const Key& probe_key);

// HAIL_KEYLOGFILE line of one direct link (SPEC.md "Key log file"):
// "HAIL_LINK_KEYS <session_id, 16 hex digits> <session_key, 64 hex>\n".
// The session key, not the derived keys, so that a reader can check PROBE
// tags too (DeriveLinkKeys gives all three).
std::string FormatLinkKeyLogLine(uint64_t session_id,
                                 const SessionKey& session_key);
struct LinkKeyLogEntry {
  uint64_t session_id = 0;
  SessionKey session_key{};
};
// Tolerates a trailing "\r\n" or "\n"; nullopt for any other line.
std::optional<LinkKeyLogEntry> ParseLinkKeyLogLine(std::string_view line);

}  // namespace hail::protocol

#endif  // HAIL_PROTOCOL_P2P_LINK_H_
