// What the mailbox holds and what the server remembers of each accepted
// message (SPEC.md 10.5, 10.7): plain values shared by the routing core
// (server/core) and the store (server/chat_store.h).
#ifndef HAIL_SERVER_CORE_MAIL_ITEM_H_
#define HAIL_SERVER_CORE_MAIL_ITEM_H_

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "protocol/chat_messages.h"

namespace hail::server {

enum class MailItemKind : uint8_t {
  kMessage = 1,
  kContactRequest = 2,
  kContactAnswer = 3,
  kReceipt = 4,
  kForwardNotice = 5,
};

// One mailbox entry. Which fields mean what depends on `kind`:
//   kMessage:        item_id = message id, sender_id/sender_name = author,
//                    conversation_seq, accepted_unix, text
//   kContactRequest: item_id random, sender = requester, text = note
//   kContactAnswer:  item_id random, sender = answerer, flag = accepted
//   kReceipt:        item_id random, sender = recipient of the message,
//                    ref_id = the message id, accepted_unix = delivered time
//   kForwardNotice:  item_id random, sender = recipient of the message,
//                    ref_id = the message id, flag = channel,
//                    conversation_seq = state (SPEC.md 11.55),
//                    accepted_unix = state time, text = failure reason
struct MailItem {
  uint64_t mailbox_seq = 0;  // set by the store: order within the mailbox
  MailItemKind kind = MailItemKind::kMessage;
  protocol::ItemId item_id{};
  uint64_t sender_id = 0;
  std::string sender_name;
  uint64_t conversation_seq = 0;
  uint64_t accepted_unix = 0;
  uint8_t flag = 0;
  protocol::ItemId ref_id{};
  std::string text;

  friend bool operator==(const MailItem&, const MailItem&) = default;
};

// What the server answered for (sender, message_id), kept for dedup.
struct SentRecord {
  uint64_t recipient_id = 0;
  std::array<uint8_t, 32> content_hash{};
  protocol::Route route = protocol::Route::kStored;
  uint64_t conversation_seq = 0;
  uint64_t accepted_unix = 0;

  friend bool operator==(const SentRecord&, const SentRecord&) = default;
};

// BLAKE2b-256 of (recipient id, text): what dedup compares.
std::array<uint8_t, 32> MessageContentHash(uint64_t recipient,
                                           std::string_view text);

}  // namespace hail::server

#endif  // HAIL_SERVER_CORE_MAIL_ITEM_H_
