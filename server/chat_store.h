// Contacts, the offline mailbox, message dedup and conversation sequence
// numbers, in the data dir's LevelDB (key schema: SPEC.md "Server storage").
//
// Threading: reads (List*, Get*, Find*) may run on any thread; they are
// short point or prefix reads. Every write goes through the store thread
// owned by this class: writes queued while a synced write is in flight are
// committed together in one WriteBatch with sync=true (group commit), and
// each caller's `done` runs on the store thread after its data is durable.
// Callers on a network loop hand `done`'s result back with Shard::Post.
//
// While the database is read-only (a full disk, see Database) every write
// completes with Unavailable and nothing of it is applied; reads go on.
#ifndef HAIL_SERVER_CHAT_STORE_H_
#define HAIL_SERVER_CHAT_STORE_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "protocol/chat_messages.h"
#include "protocol/contact_messages.h"
#include "protocol/error_code.h"
#include "protocol/kind.h"
#include "protocol/status.h"
#include "server/base/mutex.h"
#include "server/core/mail_item.h"
#include "server/database.h"
#include "server/store_records.h"

namespace hail::server {

// Extended delivery's part in a mailbox write (SPEC.md 14.2): asked inside
// the write that stores a message for a recipient who is offline which
// records go into the same synced batch (forward jobs), so that the message
// and its jobs are durable together or not at all.
class MailboxForwarding {
 public:
  // The store as the write sees it: LevelDB, then the writes before it in
  // the same group commit. (A Database::Handle is held meanwhile, so the
  // forwarding must read through this and never acquire its own.)
  class Reader {
   public:
    virtual ~Reader() = default;
    virtual Status Get(std::string_view key,
                       std::optional<std::string>* value) const = 0;
    // Every key under `prefix` with its value, in key order.
    virtual Status Scan(std::string_view prefix,
                        std::map<std::string, std::string>* out) const = 0;
  };
  virtual ~MailboxForwarding() = default;
  struct Extra {
    std::vector<std::pair<std::string, std::string>> puts;
    // Runs on the store thread once the batch carrying `puts` is durable.
    std::function<void()> after_commit;
  };
  // On the store thread (never a network loop), for `item` (a message)
  // just appended to `recipient`'s mailbox. A failure fails the write.
  virtual Result<Extra> OnMessageStored(const Reader& store, uint64_t recipient,
                                        const MailItem& item,
                                        uint64_t now_unix) = 0;
};

struct MailboxLimits {
  size_t per_recipient = 1000;
  size_t per_sender = 200;  // messages from one sender in one mailbox
  uint64_t retention_seconds = 30ull * 24 * 3600;
  uint64_t dedup_seconds = 7ull * 24 * 3600;
};

class ChatStore {
 public:
  // Where writes run. kInline is for single-threaded simulations: each
  // write is a group of its own, committed inside the call that submits it,
  // which also runs its completion (so that must not submit another).
  enum class Threading : uint8_t { kStoreThread, kInline };
  // `database` is the data dir's, owned elsewhere and outliving this.
  ChatStore(Database* database, MailboxLimits limits,
            Threading threading = Threading::kStoreThread);
  ~ChatStore();  // finishes queued writes, then stops the store thread
  ChatStore(const ChatStore&) = delete;
  ChatStore& operator=(const ChatStore&) = delete;

  // Asked about every message stored with `forwardable` (below); set
  // before the first write, outliving this store. Null: none.
  void set_forwarding(MailboxForwarding* forwarding) {
    forwarding_ = forwarding;
  }

  // --- reads, any thread ---
  Result<std::vector<ContactEntry>> ListContacts(uint64_t owner) const;
  // Relation::kNone when there is no entry.
  protocol::Relation GetRelation(uint64_t owner, uint64_t peer) const;
  // Mailbox entries of `recipient` in mailbox order.
  Result<std::vector<MailItem>> ListMailbox(uint64_t recipient) const;
  std::optional<SentRecord> FindSent(uint64_t sender,
                                     const protocol::ItemId& message_id,
                                     uint64_t now_unix) const;
  size_t MailboxSize(uint64_t recipient) const;

  // --- writes, durable (synced) before `done` runs on the store thread,
  // unless asked for kBuffered: then `done` runs as soon as the write is
  // applied, in order, to the group's batch, before that batch reaches the
  // log; a crash may lose it until the next synced write, which covers it
  // (every write goes to the same LevelDB log). So a buffered write never
  // waits behind another caller's sync ---
  enum class Durability : uint8_t { kSynced, kBuffered };
  using Done = std::function<void(Status)>;
  // Sets both sides' relations in one batch (kNone deletes the entry).
  void SetRelations(uint64_t a, uint64_t b, protocol::Relation a_to_b,
                    protocol::Relation b_to_a, std::string request_text,
                    uint64_t now_unix, Done done);
  // Sets only `owner`'s side (blocking and unblocking).
  void SetRelation(uint64_t owner, uint64_t peer, protocol::Relation relation,
                   uint64_t now_unix, Done done);

  // Assigns the next conversation seq for (sender, recipient) and records
  // `record` for dedup; with `store`, also appends the message to the
  // recipient's mailbox. Quota errors (kMailboxFull) write nothing.
  // When (sender, message_id) already has a live dedup record, nothing is
  // written and `duplicate` holds it (SPEC.md 10.5): the caller answers
  // with it, or ID_REUSED.
  struct AcceptOutcome {
    protocol::ErrorCode error = protocol::ErrorCode::kOk;
    uint64_t conversation_seq = 0;
    std::optional<SentRecord> duplicate;
  };
  void AcceptMessage(uint64_t sender, uint64_t recipient,
                     const protocol::ItemId& message_id, SentRecord record,
                     std::optional<MailItem> store, uint64_t now_unix,
                     std::function<void(Status, AcceptOutcome)> done,
                     Durability durability = Durability::kSynced,
                     bool per_sender_quota = true, bool forwardable = false);
  // Updates the route of an accepted message (a live delivery that fell back
  // to the mailbox) and stores it. Ignores quotas: it was already accepted.
  // `forwardable` (here and above): the recipient is offline, so the
  // stored message may be forwarded (MailboxForwarding).
  void StoreAccepted(uint64_t recipient, MailItem item, Done done,
                     bool forwardable = false);
  // Appends a notice (request, answer, receipt). Dropped with kMailboxFull
  // only when the recipient's mailbox is at its total limit.
  void AppendNotice(uint64_t recipient, MailItem item,
                    std::function<void(Status, protocol::ErrorCode)> done);
  // Deletes the entry `item_id` from `sender_id` (0 for notices) in the
  // recipient's mailbox. found=false when there was none.
  void Acknowledge(uint64_t recipient, const protocol::ItemId& item_id,
                   uint64_t sender_id,
                   std::function<void(Status, bool found)> done,
                   Durability durability = Durability::kSynced);
  // Drops mailbox entries older than the retention and dedup records older
  // than their window; returns how many entries were dropped.
  void Expire(uint64_t recipient, uint64_t now_unix,
              std::function<void(Status, size_t dropped)> done);
  // Deletes everything about `user` (account deletion).
  void ForgetUser(uint64_t user, Done done);

  // Blocks until every write queued so far is durable (tests, shutdown).
  void Flush();
  // Synced write batches committed so far, and writes they carried: the
  // difference shows group commit at work.
  uint64_t batches_committed() const;
  // Batches written without a sync (only kBuffered writes in them).
  uint64_t buffered_batches_committed() const;
  uint64_t writes_committed() const;
  // Items waiting in all mailboxes (messages, notices, receipts), as of the
  // last durable write: counted at start, then kept by every write.
  int64_t mailbox_items() const {
    return mailbox_items_.load(std::memory_order_relaxed);
  }

 private:
  // Implementation detail of the store thread.
  struct PendingWrite;
  struct CountCache;
  using Group = std::deque<std::unique_ptr<PendingWrite>>;
  void Enqueue(std::unique_ptr<PendingWrite> write);
  void Run();
  // Applies, writes (one batch) and completes `group`; store thread, or
  // the submitting thread when inline.
  void Commit(Group& group, CountCache& counts);

  Database* const database_;
  MailboxForwarding* forwarding_ = nullptr;
  MailboxLimits limits_;
  mutable Mutex mutex_;
  CondVar wake_{&mutex_};
  CondVar idle_{&mutex_};
  std::deque<std::unique_ptr<PendingWrite>> queue_ GUARDED_BY(mutex_);
  bool stopping_ GUARDED_BY(mutex_) = false;
  bool busy_ GUARDED_BY(mutex_) = false;
  uint64_t batches_ GUARDED_BY(mutex_) = 0;
  uint64_t buffered_batches_ GUARDED_BY(mutex_) = 0;
  bool unsynced_ =
      false;  // store thread only: a buffered batch since the last sync
  uint64_t writes_ GUARDED_BY(mutex_) = 0;
  const Threading threading_;
  std::thread thread_;                         // kStoreThread only
  std::unique_ptr<CountCache> inline_counts_;  // kInline only
  // Written by the committing thread (store thread, or the caller when
  // inline); read by anyone.
  std::atomic<int64_t> mailbox_items_{0};
};

}  // namespace hail::server

#endif  // HAIL_SERVER_CHAT_STORE_H_
