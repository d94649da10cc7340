// What the routing core asks of the mailbox store, and what comes back. The
// core never touches the store: it emits a StoreRequest, the loop runs it
// (server/store_bridge.h), and the StoreDone returns to the loop that asked
// (request.loop), inside an Envelope. Synced requests are durable before
// their StoreDone; buffered ones are written but not yet synced (the next
// synced write of the store covers them: one LevelDB log).
#ifndef HAIL_SERVER_CORE_STORE_REQUEST_H_
#define HAIL_SERVER_CORE_STORE_REQUEST_H_

#include <cstdint>
#include <optional>
#include <string>

#include "protocol/chat_messages.h"
#include "protocol/error_code.h"
#include "server/core/mail_item.h"
#include "server/core/session_address.h"

namespace hail::server::core {

struct StoreRequest {
  enum class Kind : uint8_t {
    // Seq and dedup record for a live delivery to `session`; buffered.
    kAcceptLive,
    // Seq, dedup record and a mailbox entry for `recipient` (quotas apply);
    // synced. With send_now the entry goes to the recipient once stored.
    kAcceptStored,
    // Seq and dedup record of a message the recipient blocked; synced.
    kAcceptBlocked,
    // A live delivery without ITEM_ACK goes into the mailbox; synced.
    kStoreAfterLive,
    // The receipt `item` into the mailbox of `recipient` (the message's
    // sender); synced. With send_now it goes to the recipient once stored,
    // after `live_answer` if there is one.
    kReceipt,
    // Deletes the entry (item.item_id, item.sender_id) of `recipient`'s
    // mailbox; buffered (a lost delete only repeats a delivery).
    kAcknowledge,
  };
  Kind kind = Kind::kAcceptLive;
  uint32_t loop = 0;           // where StoreDone goes
  SessionAddress session;      // kAcceptLive: the recipient's session
  uint64_t recipient = 0;      // whose mailbox (or conversation partner)
  std::string recipient_name;  // kAcknowledge: for the receipt it may earn
  uint64_t now_unix = 0;       // kAcknowledge: the receipt's time
  MailItem item;
  SentRecord record;
  bool send_now = false;
  // kAcceptStored: false for a message stored only to keep a logged-in
  // recipient's conversation in order (SPEC.md 10.10).
  bool per_sender_quota = true;
  // kAcceptStored, kStoreAfterLive: the recipient is offline, so the
  // message may be forwarded by the recipient's rules (SPEC.md 17.4).
  bool forwardable = false;
  std::optional<protocol::MessageAccepted> live_answer;
  // The accepts: the message was delivered live and undecided
  // (UndecidedMessages) when this request was made, so a duplicate gets no
  // answer of its own; the decision answers (SPEC.md 10.5).
  bool undecided = false;
  // kAcceptLive: this request opened the message in UndecidedMessages, so
  // whatever ends it decides it.
  bool opened_undecided = false;
  // kAcceptStored sent at a session: this request made the message pending
  // for that session (SPEC.md 10.6); one that stores nothing takes that
  // back. A duplicate of a message already pending there leaves it pending.
  bool opened_pending = false;

  bool synced() const {
    return kind != Kind::kAcceptLive && kind != Kind::kAcknowledge;
  }
};

struct StoreDone {
  StoreRequest request;
  // kOk, kMailboxFull (nothing written), or kInternal (store failure).
  protocol::ErrorCode error = protocol::ErrorCode::kOk;
  uint64_t conversation_seq = 0;  // the accepts
  bool found = false;             // kAcknowledge: an entry was deleted
  // The accepts: (sender, message id) was accepted before; nothing written.
  std::optional<SentRecord> duplicate;
};

}  // namespace hail::server::core

#endif  // HAIL_SERVER_CORE_STORE_REQUEST_H_
