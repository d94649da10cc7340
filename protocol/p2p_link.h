// The bytes of a direct link between two clients (SPEC.md "Direct links"):
// the keys both sides derive from the server's P2P_READY, and the PROBE
// datagram that opens NAT mappings before ENet connects. Sans-I/O.
#ifndef HAIL_PROTOCOL_P2P_LINK_H_
#define HAIL_PROTOCOL_P2P_LINK_H_

#include <cstdint>
#include <optional>

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

}  // namespace hail::protocol

#endif  // HAIL_PROTOCOL_P2P_LINK_H_
