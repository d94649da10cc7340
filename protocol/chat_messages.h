// Messages between users, receipts and the offline mailbox (SPEC.md
// "Messages" and "Mailbox"). All travel SEALED on channel 1 (messaging), so
// that a burst of chat never delays control traffic.
#ifndef HAIL_PROTOCOL_CHAT_MESSAGES_H_
#define HAIL_PROTOCOL_CHAT_MESSAGES_H_

#include <cstdint>
#include <string>

#include "protocol/account_rules.h"
#include "protocol/field_visitor.h"
#include "protocol/kind.h"

namespace hail::protocol {

// Largest message text, in bytes of UTF-8.
inline constexpr size_t kMessageTextMaxLength = 4096;

enum class Route : uint8_t {
  kLive = 1,    // on the recipient's device: its client acknowledged it
  kStored = 2,  // durably in the recipient's mailbox
};

struct SendMessage {
  static constexpr Kind kKind = Kind::kSendMessage;
  ItemId message_id{};  // random, chosen by the sender; same id on resend
  std::string recipient;
  uint64_t sent_unix = 0;  // the sender's clock; informational
  std::string text;
  template <class V>
  void Fields(V& v) {
    v.Fixed("message_id", message_id);
    v.Str8("recipient", recipient, kUsernameMaxLength);
    v.U64("sent_unix", sent_unix);
    v.Str16("text", text, kMessageTextMaxLength);
  }
};

// The server has taken responsibility for the message (or refuses it).
struct MessageAccepted {
  static constexpr Kind kKind = Kind::kMessageAccepted;
  ItemId message_id{};
  ErrorCode error = ErrorCode::kOk;
  uint8_t route = 0;  // Route when error is OK
  uint64_t seq = 0;   // position in the sender->recipient conversation
  uint64_t accepted_unix = 0;
  template <class V>
  void Fields(V& v) {
    v.Fixed("message_id", message_id);
    v.Error("error", error);
    v.U8("route", route);
    v.U64("seq", seq);
    v.U64("accepted_unix", accepted_unix);
  }
};

// A message for the receiver, live or from its mailbox. Acknowledged with
// ITEM_ACK{message_id, sender_id}.
struct MessageDeliver {
  static constexpr Kind kKind = Kind::kMessageDeliver;
  ItemId message_id{};
  uint64_t sender_id = 0;
  std::string sender;
  uint64_t seq = 0;
  uint64_t accepted_unix = 0;
  uint8_t from_mailbox = 0;
  std::string text;
  template <class V>
  void Fields(V& v) {
    v.Fixed("message_id", message_id);
    v.U64("sender_id", sender_id);
    v.Str8("sender", sender, kUsernameMaxLength);
    v.U64("seq", seq);
    v.U64("accepted_unix", accepted_unix);
    v.U8("from_mailbox", from_mailbox);
    v.Str16("text", text, kMessageTextMaxLength);
  }
};

// The receiver has an item (message or notice) and the server may forget
// it. sender_id is the message's sender, or 0 for server notices.
struct ItemAck {
  static constexpr Kind kKind = Kind::kItemAck;
  ItemId item_id{};
  uint64_t sender_id = 0;
  template <class V>
  void Fields(V& v) {
    v.Fixed("item_id", item_id);
    v.U64("sender_id", sender_id);
  }
};

// The recipient's client acknowledged the receiver's message. Acknowledged
// with ITEM_ACK{item_id, 0}.
struct DeliveryReceipt {
  static constexpr Kind kKind = Kind::kDeliveryReceipt;
  ItemId item_id{};
  ItemId message_id{};
  uint64_t recipient_id = 0;
  std::string recipient;
  uint64_t delivered_unix = 0;
  template <class V>
  void Fields(V& v) {
    v.Fixed("item_id", item_id);
    v.Fixed("message_id", message_id);
    v.U64("recipient_id", recipient_id);
    v.Str8("recipient", recipient, kUsernameMaxLength);
    v.U64("delivered_unix", delivered_unix);
  }
};

// Every mailbox item waiting at login has been sent.
struct MailboxEnd {
  static constexpr Kind kKind = Kind::kMailboxEnd;
  uint32_t count = 0;
  template <class V>
  void Fields(V& v) {
    v.U32("count", count);
  }
};

}  // namespace hail::protocol

#endif  // HAIL_PROTOCOL_CHAT_MESSAGES_H_
