// Contact list ("may I add you?") and presence messages (SPEC.md sections
// "Contacts" and "Presence"). All travel SEALED on channel 0.
#ifndef HAIL_PROTOCOL_CONTACT_MESSAGES_H_
#define HAIL_PROTOCOL_CONTACT_MESSAGES_H_

#include <cstdint>
#include <string>

#include "protocol/account_rules.h"
#include "protocol/field_visitor.h"
#include "protocol/kind.h"

namespace hail::protocol {

// Text limits (bytes of UTF-8).
inline constexpr size_t kContactRequestTextMaxLength = 256;
inline constexpr size_t kStatusTextMaxLength = 128;
// Contacts one user may have in any relation; bounds presence fan-out.
inline constexpr size_t kMaxContacts = 500;

// How the receiver of a CONTACT_UPDATE stands with that user.
enum class Relation : uint8_t {
  kNone = 0,       // not a contact (removed, denied, or never)
  kAccepted = 1,   // both agreed: presence and messages flow
  kRequested = 2,  // I asked; waiting for their answer
  kPending = 3,    // they asked; waiting for my answer
  kBlocked = 4,    // I blocked them
};
inline constexpr uint8_t kRelationEnd = 5;

// What others see. kInvisible is only ever set by the user; others see it
// as kOffline.
enum class Presence : uint8_t {
  kOffline = 0,
  kOnline = 1,
  kAway = 2,
  kBusy = 3,
  kInvisible = 4,
};
inline constexpr uint8_t kPresenceEnd = 5;

struct ContactAdd {
  static constexpr Kind kKind = Kind::kContactAdd;
  uint32_t request_id = 0;
  std::string username;
  std::string text;  // "may I add you?" note, may be empty
  template <class V>
  void Fields(V& v) {
    v.U32("request_id", request_id);
    v.Str8("username", username, kUsernameMaxLength);
    v.Str16("text", text, kContactRequestTextMaxLength);
  }
};

struct ContactAnswer {
  static constexpr Kind kKind = Kind::kContactAnswer;
  uint32_t request_id = 0;
  std::string username;
  uint8_t accept = 0;  // 1 accept, 0 deny
  template <class V>
  void Fields(V& v) {
    v.U32("request_id", request_id);
    v.Str8("username", username, kUsernameMaxLength);
    v.U8("accept", accept);
  }
};

struct ContactRemove {
  static constexpr Kind kKind = Kind::kContactRemove;
  uint32_t request_id = 0;
  std::string username;
  template <class V>
  void Fields(V& v) {
    v.U32("request_id", request_id);
    v.Str8("username", username, kUsernameMaxLength);
  }
};

struct ContactBlock {
  static constexpr Kind kKind = Kind::kContactBlock;
  uint32_t request_id = 0;
  std::string username;
  uint8_t blocked = 1;  // 1 block, 0 unblock
  template <class V>
  void Fields(V& v) {
    v.U32("request_id", request_id);
    v.Str8("username", username, kUsernameMaxLength);
    v.U8("blocked", blocked);
  }
};

struct ContactListRequest {
  static constexpr Kind kKind = Kind::kContactListRequest;
  uint32_t request_id = 0;
  template <class V>
  void Fields(V& v) {
    v.U32("request_id", request_id);
  }
};

// One contact as the receiver sees it, with that contact's presence as the
// receiver may see it (kOffline unless both sides are kAccepted).
struct ContactUpdate {
  static constexpr Kind kKind = Kind::kContactUpdate;
  uint64_t user_id = 0;
  std::string username;
  uint8_t relation = 0;  // Relation
  uint8_t presence = 0;  // Presence, never kInvisible
  std::string status_text;
  template <class V>
  void Fields(V& v) {
    v.U64("user_id", user_id);
    v.Str8("username", username, kUsernameMaxLength);
    v.U8("relation", relation);
    v.U8("presence", presence);
    v.Str8("status_text", status_text, kStatusTextMaxLength);
  }
};

// Someone asks to add the receiver. Live or from the mailbox; acknowledged
// with ITEM_ACK{item_id, 0}.
struct ContactRequestNotice {
  static constexpr Kind kKind = Kind::kContactRequestNotice;
  ItemId item_id{};
  uint64_t from_user_id = 0;
  std::string from_username;
  std::string text;
  uint64_t sent_unix = 0;
  template <class V>
  void Fields(V& v) {
    v.Fixed("item_id", item_id);
    v.U64("from_user_id", from_user_id);
    v.Str8("from_username", from_username, kUsernameMaxLength);
    v.Str16("text", text, kContactRequestTextMaxLength);
    v.U64("sent_unix", sent_unix);
  }
};

// The answer to the receiver's earlier CONTACT_ADD. Acknowledged with
// ITEM_ACK{item_id, 0}.
struct ContactAnswerNotice {
  static constexpr Kind kKind = Kind::kContactAnswerNotice;
  ItemId item_id{};
  uint64_t user_id = 0;
  std::string username;
  uint8_t accepted = 0;
  uint64_t answered_unix = 0;
  template <class V>
  void Fields(V& v) {
    v.Fixed("item_id", item_id);
    v.U64("user_id", user_id);
    v.Str8("username", username, kUsernameMaxLength);
    v.U8("accepted", accepted);
    v.U64("answered_unix", answered_unix);
  }
};

// Ends the contact list sent at login (request_id 0) or for a
// CONTACT_LIST_REQUEST.
struct ContactListEnd {
  static constexpr Kind kKind = Kind::kContactListEnd;
  uint32_t request_id = 0;
  uint16_t count = 0;
  template <class V>
  void Fields(V& v) {
    v.U32("request_id", request_id);
    v.U16("count", count);
  }
};

struct SetPresence {
  static constexpr Kind kKind = Kind::kSetPresence;
  uint32_t request_id = 0;
  uint8_t presence = 1;  // Presence other than kOffline
  std::string status_text;
  template <class V>
  void Fields(V& v) {
    v.U32("request_id", request_id);
    v.U8("presence", presence);
    v.Str8("status_text", status_text, kStatusTextMaxLength);
  }
};

struct PresenceUpdate {
  static constexpr Kind kKind = Kind::kPresenceUpdate;
  uint64_t user_id = 0;
  std::string username;
  uint8_t presence = 0;  // never kInvisible
  std::string status_text;
  template <class V>
  void Fields(V& v) {
    v.U64("user_id", user_id);
    v.Str8("username", username, kUsernameMaxLength);
    v.U8("presence", presence);
    v.Str8("status_text", status_text, kStatusTextMaxLength);
  }
};

}  // namespace hail::protocol

#endif  // HAIL_PROTOCOL_CONTACT_MESSAGES_H_
