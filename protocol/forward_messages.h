// Extended delivery (SPEC.md section 17, messages 11.48 to 11.55): the
// recipient's forwarding addresses and rules, and the sender's notice that
// a message left Hail by e-mail, SMS or fax. The settings messages travel
// SEALED on channel 0; FORWARD_NOTICE is a mailbox item on channel 1.
#ifndef HAIL_PROTOCOL_FORWARD_MESSAGES_H_
#define HAIL_PROTOCOL_FORWARD_MESSAGES_H_

#include <cstdint>
#include <string>

#include "protocol/account_rules.h"
#include "protocol/field_visitor.h"
#include "protocol/forward_rules.h"
#include "protocol/kind.h"

namespace hail::protocol {

// Sets (or replaces) the sender's address for one channel. The server
// then sends a verification code over that channel.
struct ForwardAddressAdd {
  static constexpr Kind kKind = Kind::kForwardAddressAdd;
  uint32_t request_id = 0;
  uint8_t channel = 0;  // ForwardChannel
  std::string address;
  template <class V>
  void Fields(V& v) {
    v.U32("request_id", request_id);
    v.U8("channel", channel);
    v.Str8("address", address, kForwardAddressMaxLength);
  }
};

// Echoes the code that arrived over the channel.
struct ForwardAddressVerify {
  static constexpr Kind kKind = Kind::kForwardAddressVerify;
  uint32_t request_id = 0;
  uint8_t channel = 0;
  std::string code;
  template <class V>
  void Fields(V& v) {
    v.U32("request_id", request_id);
    v.U8("channel", channel);
    v.Str8("code", code, kForwardCodeLength);
  }
};

// Deletes the address of one channel: forwarding on it stops at once.
struct ForwardAddressRemove {
  static constexpr Kind kKind = Kind::kForwardAddressRemove;
  uint32_t request_id = 0;
  uint8_t channel = 0;
  template <class V>
  void Fields(V& v) {
    v.U32("request_id", request_id);
    v.U8("channel", channel);
  }
};

// The rule fields shared by FORWARD_RULES_SET and FORWARD_ENTRY, in wire
// order. Ranges in protocol/forward_rules.h.
struct ForwardRuleFields {
  uint8_t enabled = 0;
  uint16_t after_minutes = kForwardDefaultAfterMinutes;
  uint16_t quiet_start = 0;  // minute of the local day
  uint16_t quiet_end = 0;    // equal to quiet_start: no quiet hours
  int16_t utc_offset_minutes = 0;
  uint16_t daily_cap = kForwardDefaultDailyCap;
  uint8_t contacts_mode = 0;  // ForwardContactsMode
  std::string contacts;       // usernames separated by ","; kList only
  template <class V>
  void Fields(V& v) {
    v.U8("enabled", enabled);
    v.U16("after_minutes", after_minutes);
    v.U16("quiet_start", quiet_start);
    v.U16("quiet_end", quiet_end);
    v.I16("utc_offset_minutes", utc_offset_minutes);
    v.U16("daily_cap", daily_cap);
    v.U8("contacts_mode", contacts_mode);
    v.Str16("contacts", contacts, kForwardContactsMaxLength);
  }
};

// Replaces the whole rule of one channel.
struct ForwardRulesSet {
  static constexpr Kind kKind = Kind::kForwardRulesSet;
  uint32_t request_id = 0;
  uint8_t channel = 0;
  ForwardRuleFields rule;
  template <class V>
  void Fields(V& v) {
    v.U32("request_id", request_id);
    v.U8("channel", channel);
    rule.Fields(v);
  }
};

// Asks for the sender's forwarding settings: answered by one FORWARD_ENTRY
// per channel, then FORWARD_LIST_END.
struct ForwardListRequest {
  static constexpr Kind kKind = Kind::kForwardListRequest;
  uint32_t request_id = 0;
  template <class V>
  void Fields(V& v) {
    v.U32("request_id", request_id);
  }
};

// One channel's address (empty: none), whether it is verified, and its rule.
struct ForwardEntry {
  static constexpr Kind kKind = Kind::kForwardEntry;
  uint32_t request_id = 0;
  uint8_t channel = 0;
  std::string address;
  uint8_t verified = 0;
  ForwardRuleFields rule;
  template <class V>
  void Fields(V& v) {
    v.U32("request_id", request_id);
    v.U8("channel", channel);
    v.Str8("address", address, kForwardAddressMaxLength);
    v.U8("verified", verified);
    rule.Fields(v);
  }
};

struct ForwardListEnd {
  static constexpr Kind kKind = Kind::kForwardListEnd;
  uint32_t request_id = 0;
  uint32_t count = 0;  // FORWARD_ENTRY messages sent before it
  template <class V>
  void Fields(V& v) {
    v.U32("request_id", request_id);
    v.U32("count", count);
  }
};

// A mailbox item of a message's sender: the recipient's copy left Hail on
// a channel, or its state there changed. Never names the address.
// Acknowledged with ITEM_ACK{item_id, 0}.
struct ForwardNotice {
  static constexpr Kind kKind = Kind::kForwardNotice;
  ItemId item_id{};
  ItemId message_id{};
  uint64_t recipient_id = 0;
  std::string recipient;
  uint8_t channel = 0;  // ForwardChannel
  uint8_t state = 0;    // ForwardState
  std::string reason;   // kFailed only: why, printable ASCII
  uint64_t state_unix = 0;
  template <class V>
  void Fields(V& v) {
    v.Fixed("item_id", item_id);
    v.Fixed("message_id", message_id);
    v.U64("recipient_id", recipient_id);
    v.Str8("recipient", recipient, kUsernameMaxLength);
    v.U8("channel", channel);
    v.U8("state", state);
    v.Str8("reason", reason, kForwardReasonMaxLength);
    v.U64("state_unix", state_unix);
  }
};

}  // namespace hail::protocol

#endif  // HAIL_PROTOCOL_FORWARD_MESSAGES_H_
