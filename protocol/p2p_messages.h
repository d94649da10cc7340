// Direct links between clients (SPEC.md "Direct links"): the rendezvous
// kinds a client and the server exchange over the secure session, and the
// kinds two clients exchange over their own direct, sealed ENet link.
// Included by protocol/messages.h; not on its own.
#ifndef HAIL_PROTOCOL_P2P_MESSAGES_H_
#define HAIL_PROTOCOL_P2P_MESSAGES_H_

#include <cstdint>
#include <string>

#include "protocol/account_rules.h"
#include "protocol/chat_messages.h"
#include "protocol/endpoint.h"
#include "protocol/field_visitor.h"
#include "protocol/kind.h"

namespace hail::protocol {

// What a client learned of its NAT's mapping (SPEC.md "NAT behaviour
// discovery"); it rides in P2P_REQUEST and P2P_ANSWER.
enum class MappingBehaviour : uint8_t {
  kUnknown = 0,
  kEndpointIndependent = 1,  // cone: one public endpoint for every peer
  kEndpointDependent = 2,    // symmetric: punching cannot work
};
inline constexpr uint8_t kMappingBehaviourEnd = 3;

// Role on a direct link: the user with the lower id connects.
enum class LinkRole : uint8_t { kListener = 0, kConnector = 1 };

using SessionKey = std::array<uint8_t, 32>;

// Asks for a direct link with an accepted contact.
struct P2pRequest {
  static constexpr Kind kKind = Kind::kP2pRequest;
  uint32_t request_id = 0;
  std::string peer;
  uint8_t mapping = 0;  // MappingBehaviour
  template <class V>
  void Fields(V& v) {
    v.U32("request_id", request_id);
    v.Str8("peer", peer, kUsernameMaxLength);
    v.U8("mapping", mapping);
  }
};

// A contact asks this user for a direct link; answer with P2P_ANSWER.
struct P2pOffer {
  static constexpr Kind kKind = Kind::kP2pOffer;
  uint64_t session_id = 0;
  uint64_t peer_id = 0;
  std::string peer;
  template <class V>
  void Fields(V& v) {
    v.U64("session_id", session_id);
    v.U64("peer_id", peer_id);
    v.Str8("peer", peer, kUsernameMaxLength);
  }
};

struct P2pAnswer {
  static constexpr Kind kKind = Kind::kP2pAnswer;
  uint32_t request_id = 0;
  uint64_t session_id = 0;
  uint8_t accept = 0;   // 1 accept, 0 decline
  uint8_t mapping = 0;  // MappingBehaviour
  template <class V>
  void Fields(V& v) {
    v.U32("request_id", request_id);
    v.U64("session_id", session_id);
    v.U8("accept", accept);
    v.U8("mapping", mapping);
  }
};

// Both sides consented: the other side's endpoints and the link's secret.
struct P2pReady {
  static constexpr Kind kKind = Kind::kP2pReady;
  uint64_t session_id = 0;
  uint64_t peer_id = 0;
  std::string peer;
  uint8_t role = 0;  // LinkRole
  Endpoint peer_public;
  Endpoint peer_lan;
  SessionKey session_key{};
  template <class V>
  void Fields(V& v) {
    v.U64("session_id", session_id);
    v.U64("peer_id", peer_id);
    v.Str8("peer", peer, kUsernameMaxLength);
    v.U8("role", role);
    v.Addr("peer_public", peer_public);
    v.Addr("peer_lan", peer_lan);
    v.Fixed("session_key", session_key, Sensitivity::kSecret);
  }
};

// The rendezvous ended without endpoints, and why.
struct P2pClosed {
  static constexpr Kind kKind = Kind::kP2pClosed;
  uint64_t session_id = 0;
  uint64_t peer_id = 0;
  std::string peer;
  ErrorCode reason = ErrorCode::kOk;
  template <class V>
  void Fields(V& v) {
    v.U64("session_id", session_id);
    v.U64("peer_id", peer_id);
    v.Str8("peer", peer, kUsernameMaxLength);
    v.Error("reason", reason);
  }
};

// First message each side seals on a direct link.
struct LinkHello {
  static constexpr Kind kKind = Kind::kLinkHello;
  uint64_t session_id = 0;
  uint64_t user_id = 0;  // the sender
  template <class V>
  void Fields(V& v) {
    v.U64("session_id", session_id);
    v.U64("user_id", user_id);
  }
};

// A chat message sent over a direct link.
struct DirectMessage {
  static constexpr Kind kKind = Kind::kDirectMessage;
  ItemId message_id{};
  uint64_t sent_unix = 0;
  std::string text;
  template <class V>
  void Fields(V& v) {
    v.Fixed("message_id", message_id);
    v.U64("sent_unix", sent_unix);
    v.Str16("text", text, kMessageTextMaxLength);
  }
};

// The receiver has the direct message (and reported or deduplicated it).
struct DirectAck {
  static constexpr Kind kKind = Kind::kDirectAck;
  ItemId message_id{};
  template <class V>
  void Fields(V& v) {
    v.Fixed("message_id", message_id);
  }
};

}  // namespace hail::protocol

#endif  // HAIL_PROTOCOL_P2P_MESSAGES_H_
