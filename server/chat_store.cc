#include "server/chat_store.h"

#include <leveldb/db.h>
#include <leveldb/write_batch.h>
#include <pthread.h>
#include <sodium.h>

#include <algorithm>
#include <cassert>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "server/store_coding.h"

// Keys and values: server/store_records.h (SPEC.md 14.2). mbox/ and mboxid/
// entries are written and deleted together, so the quota counts are taken
// from the small mboxid/ keys alone.

namespace hail::server {

namespace {

using store::AsSlice;
using store::ContactKey;
using store::ContactPrefix;
using store::ConversationSeqKey;
using store::ConversationSeqPrefix;
using store::DecodeContact;
using store::DecodeMailItem;
using store::DecodeSentRecord;
using store::DecodeU64Value;
using store::DedupKey;
using store::DedupPrefix;
using store::EncodeContact;
using store::EncodeMailItem;
using store::EncodeSentRecord;
using store::EncodeU64;
using store::FromLevelDb;
using store::KeyU64;
using store::kItemIdSize;
using store::kNextMailboxSeqKey;
using store::kU64Size;
using store::MailboxIndexKey;
using store::MailboxIndexPrefix;
using store::MailboxKey;
using store::MailboxPrefix;
using store::ReadKey;
using store::SyncedWrite;

using protocol::ItemId;
using protocol::Relation;
using protocol::Route;

constexpr uint64_t kFirstMailboxSeq = 1;

// The sender an ITEM_ACK names for this item: 0 for notices.
uint64_t IndexSender(const MailItem& item) {
  return item.kind == MailItemKind::kMessage ? item.sender_id : 0;
}

// True when `then` lies more than `window` seconds before `now`.
bool OlderThan(uint64_t then, uint64_t now, uint64_t window) {
  return now > then && now - then > window;
}

// --- LevelDB ---

// Calls visit(key, value) for every committed key under `prefix`, in key
// order, until it returns a non-ok Status.
template <typename Visit>
Status ScanCommitted(leveldb::DB* db, std::string_view prefix, Visit visit) {
  std::unique_ptr<leveldb::Iterator> it(
      db->NewIterator(leveldb::ReadOptions()));
  for (it->Seek(AsSlice(prefix));
       it->Valid() && it->key().starts_with(AsSlice(prefix)); it->Next()) {
    Status visited =
        visit(std::string_view(it->key().data(), it->key().size()),
              std::string_view(it->value().data(), it->value().size()));
    if (!visited.ok()) return visited;
  }
  if (!it->status().ok()) return FromLevelDb(it->status(), "scan");
  return Status::Ok();
}

// --- the store thread's view of the data ---

// Pending puts (a value) and deletes (nullopt), ordered bytewise as LevelDB
// orders keys.
using Overlay = std::map<std::string, std::optional<std::string>, std::less<>>;

// What the quotas count in one mailbox.
struct MailboxCounts {
  size_t total = 0;
  std::unordered_map<uint64_t, size_t> messages_by_sender;
};

// Counts of the mailboxes touched so far, as of LevelDB plus the group being
// built. Loaded on first use by scanning mboxid/. Store thread only.
using MailboxCountCache = std::unordered_map<uint64_t, MailboxCounts>;

// The writes of one group commit: the batch handed to LevelDB and the same
// mutations as an overlay that the group's later writes read through.
struct GroupBatch {
  explicit GroupBatch(leveldb::DB* database) : db(database) {}
  leveldb::DB* db;
  leveldb::WriteBatch batch;
  Overlay overlay;
  // Items the batch adds to (or, negative, removes from) all mailboxes.
  int64_t mailbox_items_delta = 0;
};

// One queued write's view of the store. Reads see LevelDB, then the group's
// earlier writes, then this write's own staged mutations. Mutations stay
// staged until Commit, so a write that fails halfway leaves no trace.
class WriteView : public MailboxForwarding::Reader {
 public:
  WriteView(GroupBatch* group, MailboxCountCache* counts)
      : group_(group), counts_(counts) {}
  WriteView(const WriteView&) = delete;
  WriteView& operator=(const WriteView&) = delete;

  Status Get(std::string_view key,
             std::optional<std::string>* value) const override {
    if (auto it = staged_.find(key); it != staged_.end()) {
      *value = it->second;
      return Status::Ok();
    }
    if (auto it = group_->overlay.find(key); it != group_->overlay.end()) {
      *value = it->second;
      return Status::Ok();
    }
    return ReadKey(group_->db, key, value);
  }

  // Every key under `prefix` with its value, as this write sees them.
  Status Scan(std::string_view prefix,
              std::map<std::string, std::string>* out) const override {
    return ScanWith(prefix, /*include_staged=*/true, out);
  }

  void Put(std::string key, std::string value) {
    staged_[std::move(key)] = std::move(value);
  }
  void Delete(std::string key) { staged_[std::move(key)] = std::nullopt; }

  // The recipient's mailbox size and the messages from `sender` in it.
  Status CountMailbox(uint64_t recipient, uint64_t sender, size_t* total,
                      size_t* from_sender) {
    const MailboxCounts* counts;
    Status loaded = LoadCounts(recipient, &counts);
    if (!loaded.ok()) return loaded;
    auto by_sender = counts->messages_by_sender.find(sender);
    int64_t total_now = static_cast<int64_t>(counts->total);
    int64_t from_sender_now = by_sender == counts->messages_by_sender.end()
                                  ? 0
                                  : static_cast<int64_t>(by_sender->second);
    for (const CountChange& change : changes_) {
      if (change.recipient != recipient) continue;
      total_now += change.step;
      if (change.sender == sender && sender != 0) {
        from_sender_now += change.step;
      }
    }
    *total = static_cast<size_t>(std::max<int64_t>(total_now, 0));
    *from_sender = static_cast<size_t>(std::max<int64_t>(from_sender_now, 0));
    return Status::Ok();
  }

  // Appends `item` to the recipient's mailbox with the next mailbox seq
  // (stored in item->mailbox_seq). When an entry that ITEM_ACK would name
  // the same way is already there, nothing is written.
  Status AppendMailItem(uint64_t recipient, MailItem* item) {
    const uint64_t index_sender = IndexSender(*item);
    std::string index_key =
        MailboxIndexKey(recipient, item->item_id, index_sender);
    std::optional<std::string> existing;
    Status read = Get(index_key, &existing);
    if (!read.ok()) return read;
    if (existing) return Status::Ok();

    std::optional<std::string> next_value;
    read = Get(kNextMailboxSeqKey, &next_value);
    if (!read.ok()) return read;
    uint64_t mailbox_seq = kFirstMailboxSeq;
    if (next_value) {
      Result<uint64_t> next = DecodeU64Value(*next_value, kNextMailboxSeqKey);
      if (!next.ok()) return next.status();
      mailbox_seq = *next;
    }
    item->mailbox_seq = mailbox_seq;
    Result<std::string> value = EncodeMailItem(*item);
    if (!value.ok()) return value.status();

    Put(MailboxKey(recipient, mailbox_seq), std::move(*value));
    Put(std::move(index_key), EncodeU64(mailbox_seq));
    Put(std::string(kNextMailboxSeqKey), EncodeU64(mailbox_seq + 1));
    changes_.push_back({recipient, index_sender, +1});
    return Status::Ok();
  }

  // Deletes the entry at `mailbox_seq` and its index key.
  Status RemoveMailItem(uint64_t recipient, uint64_t mailbox_seq,
                        const ItemId& item_id, uint64_t index_sender) {
    std::string index_key = MailboxIndexKey(recipient, item_id, index_sender);
    std::optional<std::string> indexed;
    Status read = Get(index_key, &indexed);
    if (!read.ok()) return read;
    Delete(MailboxKey(recipient, mailbox_seq));
    if (indexed) {
      Delete(std::move(index_key));
      changes_.push_back({recipient, index_sender, -1});
    }
    return Status::Ok();
  }

  // The recipient's counts are recounted from the data on next use (after
  // bulk deletes of `removed_items` that do not go through RemoveMailItem).
  void ForgetCounts(uint64_t recipient, size_t removed_items) {
    forgotten_.push_back(recipient);
    removed_items_ += removed_items;
  }

  bool empty() const { return staged_.empty(); }

  // Hands the staged mutations to the group (and its batch).
  void Commit() {
    for (auto& [key, value] : staged_) {
      if (value) {
        group_->batch.Put(key, *value);
      } else {
        group_->batch.Delete(key);
      }
      group_->overlay[key] = std::move(value);
    }
    staged_.clear();
    group_->mailbox_items_delta -= static_cast<int64_t>(removed_items_);
    removed_items_ = 0;
    for (const CountChange& change : changes_) {
      group_->mailbox_items_delta += change.step;
      auto it = counts_->find(change.recipient);
      // Not cached: a later load scans the group's overlay, change included.
      if (it == counts_->end()) continue;
      MailboxCounts& counts = it->second;
      counts.total = Step(counts.total, change.step);
      if (change.sender != 0) {
        size_t& from_sender = counts.messages_by_sender[change.sender];
        from_sender = Step(from_sender, change.step);
        if (from_sender == 0) counts.messages_by_sender.erase(change.sender);
      }
      // An empty mailbox is cheap to recount; keep the cache small.
      if (counts.total == 0) counts_->erase(it);
    }
    changes_.clear();
    for (uint64_t recipient : forgotten_) counts_->erase(recipient);
    forgotten_.clear();
  }

 private:
  // A +1 or -1 applied to a mailbox's counts when the write commits.
  struct CountChange {
    uint64_t recipient;
    uint64_t sender;  // 0 for notices
    int step;
  };

  static size_t Step(size_t count, int step) {
    if (step < 0 && count == 0) return 0;
    return step < 0 ? count - 1 : count + 1;
  }

  Status ScanWith(std::string_view prefix, bool include_staged,
                  std::map<std::string, std::string>* out) const {
    out->clear();
    Status scanned =
        ScanCommitted(group_->db, prefix,
                      [out](std::string_view key, std::string_view value) {
                        out->emplace(std::string(key), std::string(value));
                        return Status::Ok();
                      });
    if (!scanned.ok()) return scanned;
    ApplyOverlay(group_->overlay, prefix, out);
    if (include_staged) ApplyOverlay(staged_, prefix, out);
    return Status::Ok();
  }

  static void ApplyOverlay(const Overlay& overlay, std::string_view prefix,
                           std::map<std::string, std::string>* out) {
    for (auto it = overlay.lower_bound(prefix);
         it != overlay.end() && std::string_view(it->first).starts_with(prefix);
         ++it) {
      if (it->second) {
        (*out)[it->first] = *it->second;
      } else {
        out->erase(it->first);
      }
    }
  }

  // The recipient's counts as of LevelDB plus the group's committed writes
  // (this write's staged changes excluded: they are applied on Commit).
  Status LoadCounts(uint64_t recipient, const MailboxCounts** counts) {
    if (auto it = counts_->find(recipient); it != counts_->end()) {
      *counts = &it->second;
      return Status::Ok();
    }
    const std::string prefix = MailboxIndexPrefix(recipient);
    std::map<std::string, std::string> keys;
    Status scanned = ScanWith(prefix, /*include_staged=*/false, &keys);
    if (!scanned.ok()) return scanned;
    MailboxCounts loaded;
    for (const auto& [key, value] : keys) {
      if (key.size() != prefix.size() + kItemIdSize + kU64Size) {
        return Status::Corruption("bad mboxid key length " +
                                  std::to_string(key.size()));
      }
      ++loaded.total;
      const uint64_t sender = KeyU64(key, prefix.size() + kItemIdSize);
      if (sender != 0) ++loaded.messages_by_sender[sender];
    }
    *counts = &counts_->emplace(recipient, std::move(loaded)).first->second;
    return Status::Ok();
  }

  GroupBatch* group_;
  MailboxCountCache* counts_;
  Overlay staged_;
  std::vector<CountChange> changes_;
  std::vector<uint64_t> forgotten_;
  size_t removed_items_ = 0;
};

// Stages `owner`'s side of a relation (kNone deletes it). An unchanged
// relation keeps its since_unix.
Status StageRelation(WriteView& view, uint64_t owner, uint64_t peer,
                     Relation relation, std::string_view text,
                     uint64_t now_unix) {
  std::string key = ContactKey(owner, peer);
  if (relation == Relation::kNone) {
    view.Delete(std::move(key));
    return Status::Ok();
  }
  std::optional<std::string> existing;
  Status read = view.Get(key, &existing);
  if (!read.ok()) return read;
  uint64_t since_unix = now_unix;
  if (existing) {
    Result<ContactEntry> entry = DecodeContact(peer, *existing);
    if (entry.ok() && entry->relation == relation) {
      since_unix = entry->since_unix;
    }
  }
  Result<std::string> value =
      EncodeContact(relation, since_unix,
                    relation == Relation::kPending ? text : std::string_view());
  if (!value.ok()) return value.status();
  view.Put(std::move(key), std::move(*value));
  return Status::Ok();
}

// Stages the deletion of every key under `prefix`; returns the keys.
Status DeleteAllUnder(WriteView& view, std::string_view prefix,
                      std::map<std::string, std::string>* deleted) {
  Status scanned = view.Scan(prefix, deleted);
  if (!scanned.ok()) return scanned;
  for (const auto& entry : *deleted) view.Delete(entry.first);
  return Status::Ok();
}

// Stages what `forwarding` adds to the write that just appended `item`
// (a message) to `recipient`'s mailbox; `after_commit` gets what runs once
// it is durable. Nothing when there is no forwarding or the item was there
// already (AppendMailItem set no mailbox_seq).
Status StageForwarding(MailboxForwarding* forwarding, WriteView& view,
                       uint64_t recipient, const MailItem& item,
                       uint64_t now_unix,
                       std::shared_ptr<std::function<void()>> after_commit) {
  if (forwarding == nullptr || item.mailbox_seq == 0) return Status::Ok();
  Result<MailboxForwarding::Extra> extra =
      forwarding->OnMessageStored(view, recipient, item, now_unix);
  if (!extra.ok()) return extra.status();
  for (auto& [key, value] : extra->puts) {
    view.Put(std::move(key), std::move(value));
  }
  *after_commit = std::move(extra->after_commit);
  return Status::Ok();
}

// Runs `after_commit` (if set) when the write it belongs to is durable.
std::function<void(Status)> ThenForwarded(
    std::function<void(Status)> done,
    std::shared_ptr<std::function<void()>> after_commit) {
  return [done = std::move(done),
          after_commit = std::move(after_commit)](Status status) {
    if (status.ok() && *after_commit) (*after_commit)();
    if (done) done(std::move(status));
  };
}

}  // namespace

// One queued write. `apply` runs on the store thread: it reads through the
// view, stages its mutations and returns its own Status (a non-ok one
// discards what it staged). `complete` runs on the store thread after the
// group's batch is durable, with apply's Status or the batch's.
struct ChatStore::PendingWrite {
  std::function<Status(WriteView&)> apply;
  std::function<void(Status)> complete;
  Durability durability = Durability::kSynced;
};

struct ChatStore::CountCache {
  MailboxCountCache counts;
};

ChatStore::ChatStore(Database* database, MailboxLimits limits,
                     Threading threading)
    : database_(database), limits_(limits), threading_(threading) {
  assert(database_ != nullptr);
  // The mailbox-depth gauge starts from what is on disk: one pass over the
  // index keys (small; the items themselves are not read).
  {
    Database::Handle db = database_->Acquire();
    int64_t items = 0;
    if (db.status().ok() &&
        ScanCommitted(db.get(), store::kMailboxIndexPrefix,
                      [&items](std::string_view, std::string_view) {
                        ++items;
                        return Status::Ok();
                      })
            .ok()) {
      mailbox_items_.store(items, std::memory_order_relaxed);
    }
  }
  if (threading_ == Threading::kStoreThread) {
    thread_ = std::thread([this] { Run(); });
  } else {
    inline_counts_ = std::make_unique<CountCache>();
  }
}

ChatStore::~ChatStore() {
  {
    MutexLock lock(&mutex_);
    stopping_ = true;
  }
  wake_.SignalAll();
  if (thread_.joinable()) thread_.join();
  assert(queue_.empty());
}

void ChatStore::Enqueue(std::unique_ptr<PendingWrite> write) {
  if (threading_ == Threading::kInline) {
    Group group;
    group.push_back(std::move(write));
    Commit(group, *inline_counts_);
    return;
  }
  {
    MutexLock lock(&mutex_);
    assert(!stopping_);
    queue_.push_back(std::move(write));
  }
  wake_.Signal();
}

void ChatStore::Run() {
  pthread_setname_np(pthread_self(), "hail-store");
  CountCache counts;  // lives as long as the store thread
  mutex_.Lock();
  for (;;) {
    while (!stopping_ && queue_.empty()) wake_.Wait();
    if (queue_.empty()) {  // stopping, and every write is done
      mutex_.Unlock();
      return;
    }
    Group group;
    group.swap(queue_);
    busy_ = true;
    mutex_.Unlock();
    Commit(group, counts);
    mutex_.Lock();
    busy_ = false;
    if (queue_.empty()) idle_.SignalAll();
  }
}

void ChatStore::Commit(Group& group, CountCache& cache) {
  MailboxCountCache& counts = cache.counts;
  std::vector<Status> statuses;
  statuses.reserve(group.size());
  bool written = false;
  bool sync = false;
  uint64_t carried = 0;
  {
    Database::Handle db = database_->Acquire();
    Status refused = db.status();
    if (refused.ok()) refused = db.Writable("mailbox write", group.size());
    if (!refused.ok()) {
      // Nothing of the group is applied: not even a buffered write's
      // caller may believe it was.
      for (size_t i = 0; i < group.size(); ++i) statuses.push_back(refused);
      counts.clear();
    } else {
      GroupBatch batch(db.get());
      for (const std::unique_ptr<PendingWrite>& write : group) {
        WriteView view(&batch, &counts);
        Status applied = write->apply(view);
        if (applied.ok() && !view.empty()) {
          view.Commit();
          ++carried;
        }
        if (write->durability == Durability::kBuffered && write->complete) {
          // Staged in order with the rest of the group: its caller need
          // not wait for the group's write, let alone a sync of someone
          // else.
          write->complete(applied);
          write->complete = nullptr;
        }
        statuses.push_back(std::move(applied));
      }
      for (const std::unique_ptr<PendingWrite>& write : group) {
        sync = sync || write->durability == Durability::kSynced;
      }
      // A synced group with nothing of its own still syncs when buffered
      // writes went before it: its callers rely on everything before them
      // being durable.
      if (carried > 0 || (sync && unsynced_)) {
        leveldb::WriteOptions options;
        options.sync = sync;
        Status status = db.Write(options, &batch.batch, "commit mailbox batch");
        if (status.ok()) {
          written = carried > 0;
          unsynced_ = !sync;
          mailbox_items_.fetch_add(batch.mailbox_items_delta,
                                   std::memory_order_relaxed);
        } else {
          // Every answer of the group rests on state that is not durable.
          for (Status& each : statuses) {
            if (each.ok()) each = status;
          }
          counts.clear();  // may count writes that were lost
        }
      }
    }
  }

  mutex_.Lock();
  if (written) {
    ++(sync ? batches_ : buffered_batches_);
    writes_ += carried;
  }
  mutex_.Unlock();
  for (size_t i = 0; i < group.size(); ++i) {
    if (group[i]->complete) group[i]->complete(std::move(statuses[i]));
  }
  group.clear();
}

void ChatStore::Flush() {
  assert(threading_ == Threading::kInline ||
         std::this_thread::get_id() != thread_.get_id());
  MutexLock lock(&mutex_);
  while (!queue_.empty() || busy_) idle_.Wait();
}

uint64_t ChatStore::batches_committed() const {
  MutexLock lock(&mutex_);
  return batches_;
}

uint64_t ChatStore::buffered_batches_committed() const {
  MutexLock lock(&mutex_);
  return buffered_batches_;
}

uint64_t ChatStore::writes_committed() const {
  MutexLock lock(&mutex_);
  return writes_;
}

// --- reads ---

Result<std::vector<ContactEntry>> ChatStore::ListContacts(
    uint64_t owner) const {
  const std::string prefix = ContactPrefix(owner);
  std::vector<ContactEntry> entries;
  Database::Handle db = database_->Acquire();
  if (!db.ok()) return db.status();
  Status scanned = ScanCommitted(
      db.get(), prefix, [&](std::string_view key, std::string_view value) {
        if (key.size() != prefix.size() + kU64Size) {
          return Status::Corruption("bad contact key length " +
                                    std::to_string(key.size()));
        }
        Result<ContactEntry> entry =
            DecodeContact(KeyU64(key, prefix.size()), value);
        if (!entry.ok()) return entry.status();
        entries.push_back(std::move(*entry));
        return Status::Ok();
      });
  if (!scanned.ok()) return scanned;
  return entries;
}

protocol::Relation ChatStore::GetRelation(uint64_t owner, uint64_t peer) const {
  std::optional<std::string> value;
  Database::Handle db = database_->Acquire();
  if (!db.ok() || !ReadKey(db.get(), ContactKey(owner, peer), &value).ok() ||
      !value) {
    return Relation::kNone;
  }
  Result<ContactEntry> entry = DecodeContact(peer, *value);
  return entry.ok() ? entry->relation : Relation::kNone;
}

Result<std::vector<MailItem>> ChatStore::ListMailbox(uint64_t recipient) const {
  const std::string prefix = MailboxPrefix(recipient);
  std::vector<MailItem> items;
  Database::Handle db = database_->Acquire();
  if (!db.ok()) return db.status();
  Status scanned = ScanCommitted(
      db.get(), prefix, [&](std::string_view key, std::string_view value) {
        if (key.size() != prefix.size() + kU64Size) {
          return Status::Corruption("bad mbox key length " +
                                    std::to_string(key.size()));
        }
        Result<MailItem> item =
            DecodeMailItem(KeyU64(key, prefix.size()), value);
        if (!item.ok()) return item.status();
        items.push_back(std::move(*item));
        return Status::Ok();
      });
  if (!scanned.ok()) return scanned;
  return items;
}

std::optional<SentRecord> ChatStore::FindSent(
    uint64_t sender, const protocol::ItemId& message_id,
    uint64_t now_unix) const {
  std::optional<std::string> value;
  Database::Handle db = database_->Acquire();
  if (!db.ok() ||
      !ReadKey(db.get(), DedupKey(sender, message_id), &value).ok() || !value) {
    return std::nullopt;
  }
  Result<SentRecord> record = DecodeSentRecord(*value);
  if (!record.ok() ||
      OlderThan(record->accepted_unix, now_unix, limits_.dedup_seconds)) {
    return std::nullopt;
  }
  return std::move(*record);
}

size_t ChatStore::MailboxSize(uint64_t recipient) const {
  size_t size = 0;
  Database::Handle db = database_->Acquire();
  if (!db.ok()) return 0;
  Status scanned = ScanCommitted(db.get(), MailboxIndexPrefix(recipient),
                                 [&size](std::string_view, std::string_view) {
                                   ++size;
                                   return Status::Ok();
                                 });
  (void)scanned;  // a failed scan reports what it counted
  return size;
}

// --- writes ---

void ChatStore::SetRelations(uint64_t a, uint64_t b, protocol::Relation a_to_b,
                             protocol::Relation b_to_a,
                             std::string request_text, uint64_t now_unix,
                             Done done) {
  auto write = std::make_unique<PendingWrite>();
  write->apply = [a, b, a_to_b, b_to_a, text = std::move(request_text),
                  now_unix](WriteView& view) {
    if (a == b) return Status::InvalidArgument("relation with oneself");
    Status staged = StageRelation(view, a, b, a_to_b, text, now_unix);
    if (!staged.ok()) return staged;
    return StageRelation(view, b, a, b_to_a, text, now_unix);
  };
  write->complete = std::move(done);
  Enqueue(std::move(write));
}

void ChatStore::SetRelation(uint64_t owner, uint64_t peer,
                            protocol::Relation relation, uint64_t now_unix,
                            Done done) {
  auto write = std::make_unique<PendingWrite>();
  write->apply = [owner, peer, relation, now_unix](WriteView& view) {
    if (owner == peer) return Status::InvalidArgument("relation with oneself");
    return StageRelation(view, owner, peer, relation, {}, now_unix);
  };
  write->complete = std::move(done);
  Enqueue(std::move(write));
}

void ChatStore::AcceptMessage(uint64_t sender, uint64_t recipient,
                              const protocol::ItemId& message_id,
                              SentRecord record, std::optional<MailItem> store,
                              uint64_t now_unix,
                              std::function<void(Status, AcceptOutcome)> done,
                              Durability durability, bool per_sender_quota,
                              bool forwardable) {
  auto outcome = std::make_shared<AcceptOutcome>();
  auto forwarded = std::make_shared<std::function<void()>>();
  MailboxForwarding* forwarding = forwardable ? forwarding_ : nullptr;
  auto write = std::make_unique<PendingWrite>();
  write->durability = durability;
  write->apply = [sender, recipient, message_id, record = std::move(record),
                  store = std::move(store), now_unix, outcome, per_sender_quota,
                  forwarding, forwarded,
                  limits = limits_](WriteView& view) mutable {
    std::optional<std::string> earlier;
    Status looked = view.Get(DedupKey(sender, message_id), &earlier);
    if (!looked.ok()) return looked;
    if (earlier) {
      Result<SentRecord> found = DecodeSentRecord(*earlier);
      if (found.ok() &&
          !OlderThan(found->accepted_unix, now_unix, limits.dedup_seconds)) {
        outcome->duplicate = std::move(*found);
        return Status::Ok();
      }
    }
    if (store) {
      size_t total = 0;
      size_t from_sender = 0;
      Status counted =
          view.CountMailbox(recipient, sender, &total, &from_sender);
      if (!counted.ok()) return counted;
      if (total >= limits.per_recipient ||
          (per_sender_quota && from_sender >= limits.per_sender)) {
        outcome->error = protocol::ErrorCode::kMailboxFull;
        return Status::Ok();
      }
    }

    std::string seq_key = ConversationSeqKey(sender, recipient);
    std::optional<std::string> last_value;
    Status read = view.Get(seq_key, &last_value);
    if (!read.ok()) return read;
    uint64_t seq = 1;
    if (last_value) {
      Result<uint64_t> last = DecodeU64Value(*last_value, "convseq");
      if (!last.ok()) return last.status();
      seq = *last + 1;
    }
    view.Put(std::move(seq_key), EncodeU64(seq));

    // The caller's accepted_unix is kept; 0 stands for now_unix.
    if (record.accepted_unix == 0) record.accepted_unix = now_unix;
    record.conversation_seq = seq;
    view.Put(DedupKey(sender, message_id), EncodeSentRecord(record));

    if (store) {
      MailItem& item = *store;
      // What ITEM_ACK{message_id, sender} will name.
      item.kind = MailItemKind::kMessage;
      item.item_id = message_id;
      item.sender_id = sender;
      item.conversation_seq = seq;
      if (item.accepted_unix == 0) item.accepted_unix = now_unix;
      item.mailbox_seq = 0;
      Status stored = view.AppendMailItem(recipient, &item);
      if (!stored.ok()) return stored;
      stored = StageForwarding(forwarding, view, recipient, item, now_unix,
                               forwarded);
      if (!stored.ok()) return stored;
    }
    outcome->error = protocol::ErrorCode::kOk;
    outcome->conversation_seq = seq;
    return Status::Ok();
  };
  write->complete = ThenForwarded(
      [outcome, done = std::move(done)](Status status) {
        if (done) done(std::move(status), *outcome);
      },
      forwarded);
  Enqueue(std::move(write));
}

void ChatStore::StoreAccepted(uint64_t recipient, MailItem item, Done done,
                              bool forwardable) {
  auto forwarded = std::make_shared<std::function<void()>>();
  MailboxForwarding* forwarding = forwardable ? forwarding_ : nullptr;
  auto write = std::make_unique<PendingWrite>();
  write->apply = [recipient, item = std::move(item), forwarding,
                  forwarded](WriteView& view) mutable {
    if (item.kind != MailItemKind::kMessage) {
      return Status::InvalidArgument("StoreAccepted takes messages only");
    }
    item.mailbox_seq = 0;
    Status stored = view.AppendMailItem(recipient, &item);
    if (!stored.ok()) return stored;
    stored = StageForwarding(forwarding, view, recipient, item,
                             item.accepted_unix, forwarded);
    if (!stored.ok()) return stored;

    std::string dedup_key = DedupKey(item.sender_id, item.item_id);
    std::optional<std::string> value;
    Status read = view.Get(dedup_key, &value);
    if (!read.ok()) return read;
    if (!value) return Status::Ok();  // dedup window already over
    Result<SentRecord> record = DecodeSentRecord(*value);
    if (!record.ok()) return record.status();
    if (record->route != Route::kStored) {
      record->route = Route::kStored;
      view.Put(std::move(dedup_key), EncodeSentRecord(*record));
    }
    return Status::Ok();
  };
  write->complete = ThenForwarded(std::move(done), forwarded);
  Enqueue(std::move(write));
}

void ChatStore::AppendNotice(
    uint64_t recipient, MailItem item,
    std::function<void(Status, protocol::ErrorCode)> done) {
  auto error = std::make_shared<protocol::ErrorCode>(protocol::ErrorCode::kOk);
  auto write = std::make_unique<PendingWrite>();
  write->apply = [recipient, item = std::move(item), error,
                  per_recipient =
                      limits_.per_recipient](WriteView& view) mutable {
    if (item.kind == MailItemKind::kMessage) {
      return Status::InvalidArgument("AppendNotice takes notices only");
    }
    size_t total = 0;
    size_t from_sender = 0;
    Status counted = view.CountMailbox(recipient, 0, &total, &from_sender);
    if (!counted.ok()) return counted;
    if (total >= per_recipient) {
      *error = protocol::ErrorCode::kMailboxFull;
      return Status::Ok();
    }
    return view.AppendMailItem(recipient, &item);
  };
  write->complete = [error, done = std::move(done)](Status status) {
    if (done) done(std::move(status), *error);
  };
  Enqueue(std::move(write));
}

void ChatStore::Acknowledge(uint64_t recipient, const protocol::ItemId& item_id,
                            uint64_t sender_id,
                            std::function<void(Status, bool found)> done,
                            Durability durability) {
  auto found = std::make_shared<bool>(false);
  auto write = std::make_unique<PendingWrite>();
  write->durability = durability;
  write->apply = [recipient, item_id, sender_id, found](WriteView& view) {
    std::optional<std::string> value;
    Status read =
        view.Get(MailboxIndexKey(recipient, item_id, sender_id), &value);
    if (!read.ok()) return read;
    if (!value) return Status::Ok();
    Result<uint64_t> mailbox_seq = DecodeU64Value(*value, "mboxid entry");
    if (!mailbox_seq.ok()) return mailbox_seq.status();
    *found = true;
    return view.RemoveMailItem(recipient, *mailbox_seq, item_id, sender_id);
  };
  write->complete = [found, done = std::move(done)](Status status) {
    if (done) done(std::move(status), *found);
  };
  Enqueue(std::move(write));
}

void ChatStore::Expire(uint64_t recipient, uint64_t now_unix,
                       std::function<void(Status, size_t dropped)> done) {
  auto dropped = std::make_shared<size_t>(0);
  auto write = std::make_unique<PendingWrite>();
  write->apply = [recipient, now_unix, dropped,
                  limits = limits_](WriteView& view) {
    *dropped = 0;
    const std::string mailbox_prefix = MailboxPrefix(recipient);
    std::map<std::string, std::string> entries;
    Status scanned = view.Scan(mailbox_prefix, &entries);
    if (!scanned.ok()) return scanned;
    size_t expired = 0;
    for (const auto& [key, value] : entries) {
      if (key.size() != mailbox_prefix.size() + kU64Size) {
        return Status::Corruption("bad mbox key length " +
                                  std::to_string(key.size()));
      }
      Result<MailItem> item =
          DecodeMailItem(KeyU64(key, mailbox_prefix.size()), value);
      if (!item.ok()) return item.status();
      if (!OlderThan(item->accepted_unix, now_unix, limits.retention_seconds)) {
        continue;
      }
      Status removed = view.RemoveMailItem(recipient, item->mailbox_seq,
                                           item->item_id, IndexSender(*item));
      if (!removed.ok()) return removed;
      ++expired;
    }

    // The user's own dedup records (as a sender) past their window.
    std::map<std::string, std::string> records;
    scanned = view.Scan(DedupPrefix(recipient), &records);
    if (!scanned.ok()) return scanned;
    for (const auto& [key, value] : records) {
      Result<SentRecord> record = DecodeSentRecord(value);
      if (!record.ok()) return record.status();
      if (OlderThan(record->accepted_unix, now_unix, limits.dedup_seconds)) {
        view.Delete(key);
      }
    }
    *dropped = expired;
    return Status::Ok();
  };
  write->complete = [dropped, done = std::move(done)](Status status) {
    if (done) done(std::move(status), *dropped);
  };
  Enqueue(std::move(write));
}

void ChatStore::ForgetUser(uint64_t user, Done done) {
  auto write = std::make_unique<PendingWrite>();
  write->apply = [user](WriteView& view) {
    // The user's contacts, and each peer's entry about the user.
    const std::string contact_prefix = ContactPrefix(user);
    std::map<std::string, std::string> deleted;
    Status status = DeleteAllUnder(view, contact_prefix, &deleted);
    if (!status.ok()) return status;
    for (const auto& entry : deleted) {
      const std::string& key = entry.first;
      // A malformed key of the user's is deleted all the same.
      if (key.size() != contact_prefix.size() + kU64Size) continue;
      view.Delete(ContactKey(KeyU64(key, contact_prefix.size()), user));
    }
    size_t items = 0;
    for (const std::string& prefix :
         {MailboxPrefix(user), MailboxIndexPrefix(user), DedupPrefix(user),
          ConversationSeqPrefix(user)}) {
      status = DeleteAllUnder(view, prefix, &deleted);
      if (!status.ok()) return status;
      if (prefix == MailboxIndexPrefix(user)) items = deleted.size();
    }
    view.ForgetCounts(user, items);
    return Status::Ok();
  };
  write->complete = std::move(done);
  Enqueue(std::move(write));
}

}  // namespace hail::server
