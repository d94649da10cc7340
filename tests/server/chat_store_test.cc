#include "server/chat_store.h"

#include <gtest/gtest.h>
#include <leveldb/db.h>
#include <sodium.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "protocol/byte_io.h"

namespace hail::server {
namespace {

using protocol::ErrorCode;
using protocol::ItemId;
using protocol::Relation;
using protocol::Route;

constexpr uint64_t kNow = 1'700'000'000;
constexpr uint64_t kAlice = 10001;
constexpr uint64_t kBob = 10002;
constexpr uint64_t kCarol = 10003;
constexpr uint64_t kDave = 10004;

// An id whose last four bytes hold `n` (big-endian) over a fill byte.
ItemId Id(uint32_t n, uint8_t fill = 0xa0) {
  ItemId id;
  id.fill(fill);
  for (int i = 0; i < 4; ++i) {
    id[id.size() - 1 - i] = static_cast<uint8_t>(n >> (8 * i));
  }
  return id;
}

// Big-endian u64 as raw key bytes, written out independently of the store.
std::string U64(uint64_t value) {
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) {
    out[i] = static_cast<char>(value >> (56 - 8 * i));
  }
  return out;
}

std::string Raw(const ItemId& id) { return std::string(id.begin(), id.end()); }

std::string Hex(std::string_view text) {
  return protocol::ToHex(protocol::ByteSpan(
      reinterpret_cast<const uint8_t*>(text.data()), text.size()));
}

struct Accepted {
  Status status;
  ChatStore::AcceptOutcome outcome;
};

// A real LevelDB in a fresh temp directory, removed at the end.
class ChatStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static std::atomic<int> counter{0};
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = std::filesystem::temp_directory_path() /
           ("hail_chat_store_" + std::string(info->name()) + "_" +
            std::to_string(::getpid()) + "_" + std::to_string(counter++));
    std::filesystem::remove_all(dir_);
    OpenDb();
    store_ = std::make_unique<ChatStore>(db_.get(), limits_);
  }

  void TearDown() override {
    store_.reset();
    db_.reset();
    std::filesystem::remove_all(dir_);
  }

  void OpenDb() {
    Result<std::unique_ptr<Database>> opened = Database::Open(dir_);
    ASSERT_TRUE(opened.ok()) << opened.status().message();
    db_ = std::move(*opened);
  }

  // A new ChatStore with `limits` on the same, still open, database.
  void UseLimits(MailboxLimits limits) {
    limits_ = limits;
    store_.reset();
    store_ = std::make_unique<ChatStore>(db_.get(), limits_);
  }

  // Closes the store and the database, then opens both again (a restart).
  void Reopen() {
    store_.reset();
    db_.reset();
    OpenDb();
    store_ = std::make_unique<ChatStore>(db_.get(), limits_);
  }

  // --- synchronous wrappers: each waits for its write's `done` ---

  Status SetRelations(uint64_t a, uint64_t b, Relation a_to_b, Relation b_to_a,
                      std::string text = "", uint64_t now = kNow) {
    std::promise<Status> done;
    store_->SetRelations(a, b, a_to_b, b_to_a, std::move(text), now,
                         [&done](Status s) { done.set_value(std::move(s)); });
    return done.get_future().get();
  }

  Status SetRelation(uint64_t owner, uint64_t peer, Relation relation,
                     uint64_t now = kNow) {
    std::promise<Status> done;
    store_->SetRelation(owner, peer, relation, now,
                        [&done](Status s) { done.set_value(std::move(s)); });
    return done.get_future().get();
  }

  static SentRecord Record(uint64_t recipient, std::string_view text,
                           Route route, uint64_t now) {
    SentRecord record;
    record.recipient_id = recipient;
    record.content_hash = MessageContentHash(recipient, text);
    record.route = route;
    record.accepted_unix = now;
    return record;
  }

  static MailItem Message(uint64_t sender, const ItemId& id,
                          std::string_view text, uint64_t now) {
    MailItem item;
    item.kind = MailItemKind::kMessage;
    item.item_id = id;
    item.sender_id = sender;
    item.sender_name = "user" + std::to_string(sender);
    item.accepted_unix = now;
    item.text = std::string(text);
    return item;
  }

  static MailItem Notice(MailItemKind kind, uint64_t from, const ItemId& id,
                         uint64_t now) {
    MailItem item;
    item.kind = kind;
    item.item_id = id;
    item.sender_id = from;
    item.sender_name = "user" + std::to_string(from);
    item.accepted_unix = now;
    item.flag = 1;
    item.ref_id = Id(77, 0x5e);
    item.text = "may I add you?";
    return item;
  }

  // Starts AcceptMessage; `store` puts the message in the mailbox.
  void StartAccept(uint64_t sender, uint64_t recipient, const ItemId& id,
                   bool store, uint64_t now,
                   std::function<void(Status, ChatStore::AcceptOutcome)> done,
                   std::string_view text = "hello") {
    std::optional<MailItem> item;
    if (store) item = Message(sender, id, text, now);
    store_->AcceptMessage(
        sender, recipient, id,
        Record(recipient, text, store ? Route::kStored : Route::kLive, now),
        std::move(item), now, std::move(done));
  }

  Accepted Accept(uint64_t sender, uint64_t recipient, const ItemId& id,
                  bool store = true, uint64_t now = kNow,
                  std::string_view text = "hello") {
    std::promise<Accepted> done;
    StartAccept(
        sender, recipient, id, store, now,
        [&done](Status s, ChatStore::AcceptOutcome o) {
          done.set_value({std::move(s), o});
        },
        text);
    return done.get_future().get();
  }

  Status StoreAccepted(uint64_t recipient, MailItem item) {
    std::promise<Status> done;
    store_->StoreAccepted(recipient, std::move(item),
                          [&done](Status s) { done.set_value(std::move(s)); });
    return done.get_future().get();
  }

  std::pair<Status, ErrorCode> AppendNotice(uint64_t recipient, MailItem item) {
    std::promise<std::pair<Status, ErrorCode>> done;
    store_->AppendNotice(recipient, std::move(item),
                         [&done](Status s, ErrorCode e) {
                           done.set_value({std::move(s), e});
                         });
    return done.get_future().get();
  }

  std::pair<Status, bool> Acknowledge(uint64_t recipient, const ItemId& id,
                                      uint64_t sender) {
    std::promise<std::pair<Status, bool>> done;
    store_->Acknowledge(recipient, id, sender, [&done](Status s, bool found) {
      done.set_value({std::move(s), found});
    });
    return done.get_future().get();
  }

  std::pair<Status, size_t> Expire(uint64_t recipient, uint64_t now) {
    std::promise<std::pair<Status, size_t>> done;
    store_->Expire(recipient, now, [&done](Status s, size_t dropped) {
      done.set_value({std::move(s), dropped});
    });
    return done.get_future().get();
  }

  Status ForgetUser(uint64_t user) {
    std::promise<Status> done;
    store_->ForgetUser(user,
                       [&done](Status s) { done.set_value(std::move(s)); });
    return done.get_future().get();
  }

  std::vector<MailItem> Mailbox(uint64_t recipient) {
    Result<std::vector<MailItem>> items = store_->ListMailbox(recipient);
    EXPECT_TRUE(items.ok()) << items.status().message();
    return items.ok() ? *items : std::vector<MailItem>();
  }

  std::map<uint64_t, ContactEntry> Contacts(uint64_t owner) {
    Result<std::vector<ContactEntry>> entries = store_->ListContacts(owner);
    EXPECT_TRUE(entries.ok()) << entries.status().message();
    std::map<uint64_t, ContactEntry> by_peer;
    if (entries.ok()) {
      for (ContactEntry& entry : *entries) by_peer[entry.user_id] = entry;
    }
    return by_peer;
  }

  // --- raw LevelDB access, for schema and corruption tests ---

  std::optional<std::string> RawGet(const std::string& key) {
    std::string value;
    leveldb::Status status =
        db_->Acquire()->Get(leveldb::ReadOptions(), key, &value);
    if (status.IsNotFound()) return std::nullopt;
    EXPECT_TRUE(status.ok()) << status.ToString();
    return value;
  }

  void RawPut(const std::string& key, const std::string& value) {
    leveldb::WriteOptions options;
    options.sync = true;
    ASSERT_TRUE(db_->Acquire()->Put(options, key, value).ok());
  }

  // Every key starting with `prefix`.
  std::vector<std::string> RawKeys(const std::string& prefix) {
    std::vector<std::string> keys;
    Database::Handle db = db_->Acquire();
    std::unique_ptr<leveldb::Iterator> it(
        db->NewIterator(leveldb::ReadOptions()));
    for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix);
         it->Next()) {
      keys.push_back(it->key().ToString());
    }
    return keys;
  }

  std::filesystem::path dir_;
  MailboxLimits limits_;
  std::unique_ptr<Database> db_;
  std::unique_ptr<ChatStore> store_;
};

// --- contacts ---

TEST_F(ChatStoreTest, SetRelationsStoresBothSidesWithTheRequestTextOnPending) {
  ASSERT_TRUE(SetRelations(kAlice, kBob, Relation::kRequested,
                           Relation::kPending, "hi, it's Alice")
                  .ok());

  EXPECT_EQ(store_->GetRelation(kAlice, kBob), Relation::kRequested);
  EXPECT_EQ(store_->GetRelation(kBob, kAlice), Relation::kPending);
  std::map<uint64_t, ContactEntry> alice = Contacts(kAlice);
  ASSERT_EQ(alice.size(), 1u);
  EXPECT_EQ(alice[kBob].relation, Relation::kRequested);
  EXPECT_EQ(alice[kBob].since_unix, kNow);
  EXPECT_EQ(alice[kBob].request_text, "");
  std::map<uint64_t, ContactEntry> bob = Contacts(kBob);
  ASSERT_EQ(bob.size(), 1u);
  EXPECT_EQ(bob[kAlice].relation, Relation::kPending);
  EXPECT_EQ(bob[kAlice].request_text, "hi, it's Alice");
}

TEST_F(ChatStoreTest, SetRelationsToNoneDeletesBothEntries) {
  ASSERT_TRUE(
      SetRelations(kAlice, kBob, Relation::kAccepted, Relation::kAccepted)
          .ok());
  ASSERT_TRUE(
      SetRelations(kAlice, kBob, Relation::kNone, Relation::kNone).ok());

  EXPECT_EQ(store_->GetRelation(kAlice, kBob), Relation::kNone);
  EXPECT_EQ(store_->GetRelation(kBob, kAlice), Relation::kNone);
  EXPECT_TRUE(Contacts(kAlice).empty());
  EXPECT_TRUE(Contacts(kBob).empty());
  EXPECT_TRUE(RawKeys("contact/").empty());
}

TEST_F(ChatStoreTest, SetRelationChangesOnlyTheOwnersSide) {
  ASSERT_TRUE(
      SetRelations(kAlice, kBob, Relation::kAccepted, Relation::kAccepted)
          .ok());

  ASSERT_TRUE(SetRelation(kAlice, kBob, Relation::kBlocked).ok());
  EXPECT_EQ(store_->GetRelation(kAlice, kBob), Relation::kBlocked);
  EXPECT_EQ(store_->GetRelation(kBob, kAlice), Relation::kAccepted);

  ASSERT_TRUE(SetRelation(kAlice, kBob, Relation::kNone).ok());
  EXPECT_EQ(store_->GetRelation(kAlice, kBob), Relation::kNone);
  EXPECT_EQ(store_->GetRelation(kBob, kAlice), Relation::kAccepted);
}

TEST_F(ChatStoreTest, UnchangedRelationKeepsItsSinceTime) {
  ASSERT_TRUE(SetRelations(kAlice, kBob, Relation::kAccepted,
                           Relation::kAccepted, "", 100)
                  .ok());
  ASSERT_TRUE(SetRelations(kAlice, kBob, Relation::kAccepted,
                           Relation::kAccepted, "", 200)
                  .ok());
  EXPECT_EQ(Contacts(kAlice)[kBob].since_unix, 100u);

  ASSERT_TRUE(SetRelation(kAlice, kBob, Relation::kBlocked, 300).ok());
  EXPECT_EQ(Contacts(kAlice)[kBob].since_unix, 300u);
  EXPECT_EQ(Contacts(kBob)[kAlice].since_unix, 100u);
}

TEST_F(ChatStoreTest, RelationWithOneselfIsInvalidArgument) {
  Status status =
      SetRelations(kAlice, kAlice, Relation::kAccepted, Relation::kAccepted);
  EXPECT_EQ(status.code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(SetRelation(kAlice, kAlice, Relation::kBlocked).code(),
            Status::Code::kInvalidArgument);
  EXPECT_TRUE(RawKeys("contact/").empty());
}

// --- conversation seqs and dedup ---

TEST_F(ChatStoreTest, AcceptMessageNumbersEachConversationFromOne) {
  for (uint64_t expected = 1; expected <= 3; ++expected) {
    Accepted accepted = Accept(kAlice, kBob, Id(expected));
    ASSERT_TRUE(accepted.status.ok()) << accepted.status.message();
    EXPECT_EQ(accepted.outcome.error, ErrorCode::kOk);
    EXPECT_EQ(accepted.outcome.conversation_seq, expected);
  }
  EXPECT_EQ(Accept(kBob, kAlice, Id(1)).outcome.conversation_seq, 1u);
  EXPECT_EQ(Accept(kAlice, kCarol, Id(4)).outcome.conversation_seq, 1u);
  EXPECT_EQ(
      Accept(kAlice, kBob, Id(5), /*store=*/false).outcome.conversation_seq,
      4u);
}

TEST_F(ChatStoreTest, ConversationSeqAndMailboxOrderContinueAfterReopen) {
  for (uint32_t i = 1; i <= 3; ++i) Accept(kAlice, kBob, Id(i));
  const uint64_t last_mailbox_seq = Mailbox(kBob).back().mailbox_seq;

  Reopen();
  Accepted accepted = Accept(kAlice, kBob, Id(4));
  ASSERT_TRUE(accepted.status.ok());
  EXPECT_EQ(accepted.outcome.conversation_seq, 4u);
  std::vector<MailItem> mailbox = Mailbox(kBob);
  ASSERT_EQ(mailbox.size(), 4u);
  EXPECT_GT(mailbox.back().mailbox_seq, last_mailbox_seq);
  EXPECT_EQ(mailbox.back().item_id, Id(4));
  EXPECT_EQ(mailbox.back().conversation_seq, 4u);
}

TEST_F(ChatStoreTest, QuotaCountsAreRebuiltAfterReopen) {
  MailboxLimits limits;
  limits.per_sender = 2;
  UseLimits(limits);
  ASSERT_EQ(Accept(kAlice, kBob, Id(1)).outcome.error, ErrorCode::kOk);
  ASSERT_EQ(Accept(kAlice, kBob, Id(2)).outcome.error, ErrorCode::kOk);

  Reopen();
  EXPECT_EQ(store_->MailboxSize(kBob), 2u);
  EXPECT_EQ(Accept(kAlice, kBob, Id(3)).outcome.error, ErrorCode::kMailboxFull);
  EXPECT_EQ(Accept(kCarol, kBob, Id(3)).outcome.error, ErrorCode::kOk);
}

TEST_F(ChatStoreTest, SentRecordIsFoundUntilTheDedupWindowEnds) {
  Accept(kAlice, kBob, Id(1));
  Accepted accepted =
      Accept(kAlice, kBob, Id(2), /*store=*/true, kNow, "second message");
  ASSERT_TRUE(accepted.status.ok());

  std::optional<SentRecord> found = store_->FindSent(kAlice, Id(2), kNow + 5);
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->recipient_id, kBob);
  EXPECT_EQ(found->content_hash, MessageContentHash(kBob, "second message"));
  EXPECT_EQ(found->route, Route::kStored);
  EXPECT_EQ(found->conversation_seq, 2u);
  EXPECT_EQ(found->accepted_unix, kNow);

  const uint64_t window = limits_.dedup_seconds;
  EXPECT_TRUE(store_->FindSent(kAlice, Id(2), kNow + window).has_value());
  EXPECT_FALSE(store_->FindSent(kAlice, Id(2), kNow + window + 1).has_value());
  EXPECT_FALSE(store_->FindSent(kAlice, Id(9), kNow).has_value());
  EXPECT_FALSE(store_->FindSent(kCarol, Id(2), kNow).has_value());
}

// --- mailbox ---

TEST_F(ChatStoreTest, MailboxListsEntriesInTheOrderTheyWereStored) {
  Accept(kAlice, kBob, Id(1), true, kNow, "one");
  Accept(kCarol, kBob, Id(2), true, kNow + 1, "two");
  ASSERT_EQ(AppendNotice(kBob, Notice(MailItemKind::kContactRequest, kDave,
                                      Id(3, 0x77), kNow + 2))
                .second,
            ErrorCode::kOk);
  Accept(kAlice, kBob, Id(4), true, kNow + 3, "four");

  std::vector<MailItem> mailbox = Mailbox(kBob);
  ASSERT_EQ(mailbox.size(), 4u);
  EXPECT_EQ(mailbox[0].item_id, Id(1));
  EXPECT_EQ(mailbox[1].item_id, Id(2));
  EXPECT_EQ(mailbox[2].item_id, Id(3, 0x77));
  EXPECT_EQ(mailbox[3].item_id, Id(4));
  for (size_t i = 1; i < mailbox.size(); ++i) {
    EXPECT_GT(mailbox[i].mailbox_seq, mailbox[i - 1].mailbox_seq);
  }

  EXPECT_EQ(mailbox[0].kind, MailItemKind::kMessage);
  EXPECT_EQ(mailbox[0].sender_id, kAlice);
  EXPECT_EQ(mailbox[0].sender_name, "user10001");
  EXPECT_EQ(mailbox[0].conversation_seq, 1u);
  EXPECT_EQ(mailbox[0].text, "one");
  EXPECT_EQ(mailbox[3].conversation_seq, 2u);
  EXPECT_EQ(mailbox[1].accepted_unix, kNow + 1);

  const MailItem& notice = mailbox[2];
  EXPECT_EQ(notice.kind, MailItemKind::kContactRequest);
  EXPECT_EQ(notice.sender_id, kDave);
  EXPECT_EQ(notice.flag, 1);
  EXPECT_EQ(notice.ref_id, Id(77, 0x5e));
  EXPECT_EQ(notice.text, "may I add you?");
  EXPECT_EQ(store_->MailboxSize(kBob), 4u);
}

TEST_F(ChatStoreTest, AcknowledgeRemovesExactlyThatEntry) {
  for (uint32_t i = 1; i <= 3; ++i) Accept(kAlice, kBob, Id(i));
  Accept(kBob, kCarol, Id(2));  // same id, another sender

  std::pair<Status, bool> acked = Acknowledge(kBob, Id(2), kAlice);
  ASSERT_TRUE(acked.first.ok());
  EXPECT_TRUE(acked.second);

  std::vector<MailItem> mailbox = Mailbox(kBob);
  ASSERT_EQ(mailbox.size(), 2u);
  EXPECT_EQ(mailbox[0].item_id, Id(1));
  EXPECT_EQ(mailbox[1].item_id, Id(3));
  EXPECT_EQ(Mailbox(kCarol).size(), 1u);
  EXPECT_EQ(RawKeys("mboxid/" + U64(kBob)).size(), 2u);

  for (int attempt = 0; attempt < 2; ++attempt) {
    acked = Acknowledge(kBob, Id(2), kAlice);
    EXPECT_TRUE(acked.first.ok());
    EXPECT_FALSE(acked.second);
  }
  // The id alone is not enough: the sender must match too.
  acked = Acknowledge(kBob, Id(1), kCarol);
  EXPECT_TRUE(acked.first.ok());
  EXPECT_FALSE(acked.second);
  EXPECT_EQ(store_->MailboxSize(kBob), 2u);
}

// Issue 9: the fast path of a message to a contact reads nothing before
// the store accepts it, so the accept itself finds a duplicate.
TEST_F(ChatStoreTest,
       AcceptOfAnAlreadyAcceptedIdWritesNothingAndReturnsTheRecord) {
  Accept(kAlice, kBob, Id(7));
  std::vector<MailItem> before = Mailbox(kBob);
  std::promise<ChatStore::AcceptOutcome> again;
  SentRecord record;
  record.recipient_id = kBob;
  store_->AcceptMessage(kAlice, kBob, Id(7), record, std::nullopt, kNow,
                        [&](Status, ChatStore::AcceptOutcome outcome) {
                          again.set_value(outcome);
                        });
  ChatStore::AcceptOutcome outcome = again.get_future().get();
  ASSERT_TRUE(outcome.duplicate.has_value());
  EXPECT_EQ(outcome.duplicate->recipient_id, kBob);
  EXPECT_EQ(outcome.duplicate->conversation_seq, 1u);
  EXPECT_EQ(Mailbox(kBob).size(), before.size());
}

TEST_F(ChatStoreTest, NoticeIsAcknowledgedWithSenderZero) {
  ASSERT_EQ(AppendNotice(kBob, Notice(MailItemKind::kContactAnswer, kAlice,
                                      Id(1, 0x33), kNow))
                .second,
            ErrorCode::kOk);

  EXPECT_FALSE(Acknowledge(kBob, Id(1, 0x33), kAlice).second);
  EXPECT_TRUE(Acknowledge(kBob, Id(1, 0x33), 0).second);
  EXPECT_TRUE(Mailbox(kBob).empty());
}

// --- quotas ---

TEST_F(ChatStoreTest, PerSenderQuotaRefusesWithMailboxFullAndKeepsEntries) {
  MailboxLimits limits;
  limits.per_sender = 3;
  limits.per_recipient = 10;
  UseLimits(limits);
  for (uint32_t i = 1; i <= 3; ++i) {
    ASSERT_EQ(Accept(kAlice, kBob, Id(i)).outcome.error, ErrorCode::kOk);
  }
  const std::vector<MailItem> before = Mailbox(kBob);

  Accepted refused = Accept(kAlice, kBob, Id(4));
  ASSERT_TRUE(refused.status.ok());
  EXPECT_EQ(refused.outcome.error, ErrorCode::kMailboxFull);
  EXPECT_EQ(refused.outcome.conversation_seq, 0u);
  EXPECT_FALSE(store_->FindSent(kAlice, Id(4), kNow).has_value());

  std::vector<MailItem> after = Mailbox(kBob);
  ASSERT_EQ(after.size(), before.size());
  for (size_t i = 0; i < after.size(); ++i) {
    EXPECT_EQ(after[i].mailbox_seq, before[i].mailbox_seq);
    EXPECT_EQ(after[i].item_id, before[i].item_id);
  }
  // Other senders still get in; the refusal used up no seq.
  EXPECT_EQ(Accept(kCarol, kBob, Id(1)).outcome.error, ErrorCode::kOk);
  ASSERT_TRUE(Acknowledge(kBob, Id(1), kAlice).second);
  Accepted accepted = Accept(kAlice, kBob, Id(4));
  EXPECT_EQ(accepted.outcome.error, ErrorCode::kOk);
  EXPECT_EQ(accepted.outcome.conversation_seq, 4u);
}

// SPEC.md 10.10: a message stored only to keep a logged-in recipient's
// conversation in order is past the per-sender limit, not the mailbox's.
TEST_F(ChatStoreTest, OrderingStoresIgnoreThePerSenderQuotaButNotTheMailboxs) {
  MailboxLimits limits;
  limits.per_sender = 2;
  limits.per_recipient = 4;
  UseLimits(limits);
  auto accept = [&](uint32_t n) {
    std::promise<ChatStore::AcceptOutcome> done;
    store_->AcceptMessage(
        kAlice, kBob, Id(n), Record(kBob, "hello", Route::kStored, kNow),
        Message(kAlice, Id(n), "hello", kNow), kNow,
        [&done](Status, ChatStore::AcceptOutcome o) { done.set_value(o); },
        ChatStore::Durability::kSynced, /*per_sender_quota=*/false);
    return done.get_future().get().error;
  };
  for (uint32_t i = 1; i <= 4; ++i) EXPECT_EQ(accept(i), ErrorCode::kOk) << i;
  EXPECT_EQ(accept(5), ErrorCode::kMailboxFull);  // the mailbox is full
  EXPECT_EQ(Mailbox(kBob).size(), 4u);
}

TEST_F(ChatStoreTest, PerRecipientQuotaRefusesWithMailboxFullAndKeepsEntries) {
  MailboxLimits limits;
  limits.per_sender = 10;
  limits.per_recipient = 3;
  UseLimits(limits);
  ASSERT_EQ(Accept(kAlice, kBob, Id(1)).outcome.error, ErrorCode::kOk);
  ASSERT_EQ(Accept(kCarol, kBob, Id(2)).outcome.error, ErrorCode::kOk);
  ASSERT_EQ(Accept(kCarol, kBob, Id(3)).outcome.error, ErrorCode::kOk);

  Accepted refused = Accept(kDave, kBob, Id(4));
  ASSERT_TRUE(refused.status.ok());
  EXPECT_EQ(refused.outcome.error, ErrorCode::kMailboxFull);
  EXPECT_TRUE(RawGet("convseq/" + U64(kDave) + U64(kBob)) == std::nullopt);
  std::vector<MailItem> mailbox = Mailbox(kBob);
  ASSERT_EQ(mailbox.size(), 3u);
  EXPECT_EQ(mailbox[0].item_id, Id(1));
  EXPECT_EQ(mailbox[2].item_id, Id(3));
}

TEST_F(ChatStoreTest, LiveAcceptIgnoresTheMailboxQuota) {
  MailboxLimits limits;
  limits.per_sender = 1;
  limits.per_recipient = 1;
  UseLimits(limits);
  ASSERT_EQ(Accept(kAlice, kBob, Id(1)).outcome.error, ErrorCode::kOk);

  Accepted live = Accept(kAlice, kBob, Id(2), /*store=*/false);
  ASSERT_TRUE(live.status.ok());
  EXPECT_EQ(live.outcome.error, ErrorCode::kOk);
  EXPECT_EQ(live.outcome.conversation_seq, 2u);
  EXPECT_EQ(store_->FindSent(kAlice, Id(2), kNow)->route, Route::kLive);
  EXPECT_EQ(store_->MailboxSize(kBob), 1u);
}

TEST_F(ChatStoreTest, NoticesAreRefusedOnlyAtTheTotalLimit) {
  MailboxLimits limits;
  limits.per_sender = 1;
  limits.per_recipient = 3;
  UseLimits(limits);
  ASSERT_EQ(Accept(kAlice, kBob, Id(1)).outcome.error, ErrorCode::kOk);
  ASSERT_EQ(Accept(kAlice, kBob, Id(2)).outcome.error, ErrorCode::kMailboxFull);

  // Alice is at her per-sender limit; her notices still get in.
  for (uint32_t i = 1; i <= 2; ++i) {
    std::pair<Status, ErrorCode> appended = AppendNotice(
        kBob, Notice(MailItemKind::kReceipt, kAlice, Id(i, 0x11), kNow));
    ASSERT_TRUE(appended.first.ok());
    EXPECT_EQ(appended.second, ErrorCode::kOk);
  }
  std::pair<Status, ErrorCode> refused = AppendNotice(
      kBob, Notice(MailItemKind::kContactRequest, kCarol, Id(3, 0x11), kNow));
  ASSERT_TRUE(refused.first.ok());
  EXPECT_EQ(refused.second, ErrorCode::kMailboxFull);
  EXPECT_EQ(store_->MailboxSize(kBob), 3u);
  EXPECT_EQ(Mailbox(kBob).back().item_id, Id(2, 0x11));
}

TEST_F(ChatStoreTest, AppendNoticeRefusesMessages) {
  std::pair<Status, ErrorCode> appended =
      AppendNotice(kBob, Message(kAlice, Id(1), "hi", kNow));
  EXPECT_EQ(appended.first.code(), Status::Code::kInvalidArgument);
  EXPECT_TRUE(Mailbox(kBob).empty());
}

TEST_F(ChatStoreTest, StoreAcceptedIgnoresQuotaAndMarksTheRouteStored) {
  MailboxLimits limits;
  limits.per_sender = 1;
  limits.per_recipient = 1;
  UseLimits(limits);
  Accepted live = Accept(kAlice, kBob, Id(1), /*store=*/false);
  ASSERT_EQ(live.outcome.error, ErrorCode::kOk);
  ASSERT_EQ(Accept(kCarol, kBob, Id(2)).outcome.error, ErrorCode::kOk);

  MailItem item = Message(kAlice, Id(1), "hello", kNow);
  item.conversation_seq = live.outcome.conversation_seq;
  ASSERT_TRUE(StoreAccepted(kBob, item).ok());
  // Storing the same message again changes nothing.
  ASSERT_TRUE(StoreAccepted(kBob, item).ok());

  EXPECT_EQ(store_->MailboxSize(kBob), 2u);
  std::vector<MailItem> mailbox = Mailbox(kBob);
  ASSERT_EQ(mailbox.size(), 2u);
  EXPECT_EQ(mailbox[1].item_id, Id(1));
  EXPECT_EQ(mailbox[1].conversation_seq, 1u);
  std::optional<SentRecord> record = store_->FindSent(kAlice, Id(1), kNow);
  ASSERT_TRUE(record.has_value());
  EXPECT_EQ(record->route, Route::kStored);
  EXPECT_EQ(record->conversation_seq, 1u);
}

// --- expiry and deletion ---

TEST_F(ChatStoreTest, ExpireDropsEntriesPastRetentionAndFreesQuota) {
  MailboxLimits limits;
  limits.per_recipient = 3;
  limits.retention_seconds = 100;
  limits.dedup_seconds = 100;
  UseLimits(limits);
  Accept(kAlice, kBob, Id(1), true, 1000);
  AppendNotice(
      kBob, Notice(MailItemKind::kContactRequest, kCarol, Id(2, 0x22), 1000));
  Accept(kAlice, kBob, Id(3), true, 1050);
  Accept(kAlice, kCarol, Id(4), true, 1000);
  Accept(kBob, kCarol, Id(5), true, 1000);  // Bob's own dedup record
  Accept(kBob, kCarol, Id(6), true, 1050);
  ASSERT_EQ(Accept(kDave, kBob, Id(7), true, 1060).outcome.error,
            ErrorCode::kMailboxFull);

  EXPECT_EQ(Expire(kBob, 1100).second, 0u);  // exactly at retention: kept
  std::pair<Status, size_t> expired = Expire(kBob, 1101);
  ASSERT_TRUE(expired.first.ok()) << expired.first.message();
  EXPECT_EQ(expired.second, 2u);

  std::vector<MailItem> mailbox = Mailbox(kBob);
  ASSERT_EQ(mailbox.size(), 1u);
  EXPECT_EQ(mailbox[0].item_id, Id(3));
  EXPECT_EQ(store_->MailboxSize(kBob), 1u);
  EXPECT_EQ(Mailbox(kCarol).size(), 3u);  // another mailbox: untouched
  EXPECT_FALSE(RawGet("dedup/" + U64(kBob) + Raw(Id(5))).has_value());
  EXPECT_TRUE(RawGet("dedup/" + U64(kBob) + Raw(Id(6))).has_value());
  EXPECT_TRUE(RawGet("dedup/" + U64(kAlice) + Raw(Id(1))).has_value());
  EXPECT_EQ(Accept(kDave, kBob, Id(7), true, 1101).outcome.error,
            ErrorCode::kOk);
}

// Issue 10: operators see the mailbox depth (haild's `mailbox_items`).
TEST_F(ChatStoreTest,
       MailboxItemsGaugeFollowsStoresAcksExpiryAndForgetAcrossARestart) {
  ASSERT_TRUE(
      SetRelations(kAlice, kBob, Relation::kAccepted, Relation::kAccepted)
          .ok());
  EXPECT_EQ(store_->mailbox_items(), 0);
  ASSERT_TRUE(Accept(kAlice, kBob, Id(1)).status.ok());
  ASSERT_TRUE(Accept(kAlice, kBob, Id(2)).status.ok());
  ASSERT_TRUE(Accept(kBob, kAlice, Id(3)).status.ok());
  ASSERT_TRUE(Accept(kAlice, kBob, Id(4), /*store=*/false).status.ok());
  ASSERT_TRUE(
      AppendNotice(kBob, Notice(MailItemKind::kReceipt, kAlice, Id(5), kNow))
          .first.ok());
  EXPECT_EQ(store_->mailbox_items(), 4);
  // A repeated store of the same item changes nothing.
  ASSERT_TRUE(Accept(kAlice, kBob, Id(1)).status.ok());
  EXPECT_EQ(store_->mailbox_items(), 4);
  ASSERT_TRUE(Acknowledge(kBob, Id(1), kAlice).first.ok());
  EXPECT_EQ(store_->mailbox_items(), 3);

  Reopen();  // counted again from the disk
  EXPECT_EQ(store_->mailbox_items(), 3);
  ASSERT_TRUE(Expire(kAlice, kNow + 31 * 86400).first.ok());
  EXPECT_EQ(store_->mailbox_items(), 2);
  ASSERT_TRUE(ForgetUser(kBob).ok());
  EXPECT_EQ(store_->mailbox_items(), 0);
}

TEST_F(ChatStoreTest, ForgetUserDeletesContactsMailboxDedupAndSeqs) {
  ASSERT_TRUE(
      SetRelations(kBob, kAlice, Relation::kAccepted, Relation::kAccepted)
          .ok());
  ASSERT_TRUE(
      SetRelations(kBob, kCarol, Relation::kRequested, Relation::kPending, "hi")
          .ok());
  ASSERT_TRUE(
      SetRelations(kAlice, kCarol, Relation::kAccepted, Relation::kAccepted)
          .ok());
  Accept(kAlice, kBob, Id(1));
  AppendNotice(kBob, Notice(MailItemKind::kReceipt, kAlice, Id(2, 0x44), kNow));
  Accept(kBob, kAlice, Id(3));
  Accept(kBob, kCarol, Id(4), /*store=*/false);

  ASSERT_TRUE(ForgetUser(kBob).ok());

  EXPECT_TRUE(Contacts(kBob).empty());
  EXPECT_EQ(store_->GetRelation(kAlice, kBob), Relation::kNone);
  EXPECT_EQ(store_->GetRelation(kCarol, kBob), Relation::kNone);
  EXPECT_EQ(store_->GetRelation(kAlice, kCarol), Relation::kAccepted);
  EXPECT_TRUE(Mailbox(kBob).empty());
  EXPECT_EQ(store_->MailboxSize(kBob), 0u);
  for (const char* prefix :
       {"contact/", "mbox/", "mboxid/", "dedup/", "convseq/"}) {
    EXPECT_TRUE(RawKeys(prefix + U64(kBob)).empty()) << prefix;
  }
  // What others hold is theirs: Alice's copy of Bob's message, Alice's
  // record of what she sent.
  EXPECT_EQ(Mailbox(kAlice).size(), 1u);
  EXPECT_TRUE(store_->FindSent(kAlice, Id(1), kNow).has_value());
}

// --- the store thread ---

TEST_F(ChatStoreTest, ConcurrentAcceptsAreGroupCommitted) {
  constexpr int kThreads = 4;
  constexpr uint32_t kPerThread = 50;
  // Threads 0 and 2 write Alice->Bob, threads 1 and 3 Carol->Bob.
  std::mutex mutex;
  std::map<uint64_t, std::vector<uint64_t>> seqs_by_sender;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      const uint64_t sender = t % 2 == 0 ? kAlice : kCarol;
      for (uint32_t i = 0; i < kPerThread; ++i) {
        StartAccept(sender, kBob, Id(t * kPerThread + i), true, kNow,
                    [&, sender](Status s, ChatStore::AcceptOutcome o) {
                      if (!s.ok() || o.error != ErrorCode::kOk) ++failures;
                      std::lock_guard<std::mutex> lock(mutex);
                      seqs_by_sender[sender].push_back(o.conversation_seq);
                    });
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  store_->Flush();

  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(store_->writes_committed(), kThreads * kPerThread);
  EXPECT_LT(store_->batches_committed(), kThreads * kPerThread);
  RecordProperty("batches", std::to_string(store_->batches_committed()));
  RecordProperty("writes", std::to_string(store_->writes_committed()));
  for (uint64_t sender : {kAlice, kCarol}) {
    std::vector<uint64_t> seqs = seqs_by_sender[sender];
    std::sort(seqs.begin(), seqs.end());
    ASSERT_EQ(seqs.size(), 2 * kPerThread);
    for (size_t i = 0; i < seqs.size(); ++i) EXPECT_EQ(seqs[i], i + 1);
  }
  // Within each conversation, mailbox order is seq order.
  std::map<uint64_t, uint64_t> last_seq;
  for (const MailItem& item : Mailbox(kBob)) {
    EXPECT_EQ(item.conversation_seq, last_seq[item.sender_id] + 1);
    last_seq[item.sender_id] = item.conversation_seq;
  }
  EXPECT_EQ(store_->MailboxSize(kBob), kThreads * kPerThread);
}

TEST_F(ChatStoreTest, LaterWritesInOneBatchSeeEarlierOnes) {
  MailboxLimits limits;
  limits.per_sender = 2;
  UseLimits(limits);
  // Hold the store thread in the first write's `done` so that everything
  // queued meanwhile is committed as one group.
  std::promise<void> entered;
  std::promise<void> release;
  store_->SetRelation(kAlice, kBob, Relation::kBlocked, kNow, [&](Status) {
    entered.set_value();
    release.get_future().wait();
  });
  entered.get_future().wait();

  std::vector<Accepted> accepted(4);
  auto keep = [&accepted](size_t i) {
    return [&accepted, i](Status s, ChatStore::AcceptOutcome o) {
      accepted[i] = {std::move(s), o};
    };
  };
  bool acked = false;
  StartAccept(kAlice, kBob, Id(1), true, kNow, keep(0));
  StartAccept(kAlice, kBob, Id(2), true, kNow, keep(1));
  StartAccept(kAlice, kBob, Id(3), true, kNow, keep(2));  // over per_sender
  store_->Acknowledge(kBob, Id(1), kAlice,
                      [&acked](Status, bool found) { acked = found; });
  StartAccept(kAlice, kBob, Id(4), true, kNow, keep(3));  // room again
  release.set_value();
  store_->Flush();

  EXPECT_EQ(store_->batches_committed(), 2u);
  EXPECT_EQ(store_->writes_committed(), 5u);  // the refusal wrote nothing
  EXPECT_EQ(accepted[0].outcome.conversation_seq, 1u);
  EXPECT_EQ(accepted[1].outcome.conversation_seq, 2u);
  EXPECT_EQ(accepted[2].outcome.error, ErrorCode::kMailboxFull);
  EXPECT_TRUE(acked);
  EXPECT_EQ(accepted[3].outcome.error, ErrorCode::kOk);
  EXPECT_EQ(accepted[3].outcome.conversation_seq, 3u);
  std::vector<MailItem> mailbox = Mailbox(kBob);
  ASSERT_EQ(mailbox.size(), 2u);
  EXPECT_EQ(mailbox[0].item_id, Id(2));
  EXPECT_EQ(mailbox[1].item_id, Id(4));
  EXPECT_GT(mailbox[1].mailbox_seq, mailbox[0].mailbox_seq);
}

TEST_F(ChatStoreTest, FlushWaitsForEveryQueuedWrite) {
  constexpr uint32_t kWrites = 50;
  std::atomic<uint32_t> done{0};
  for (uint32_t i = 0; i < kWrites; ++i) {
    store_->AppendNotice(kBob,
                         Notice(MailItemKind::kReceipt, kAlice, Id(i), kNow),
                         [&done](Status s, ErrorCode e) {
                           if (s.ok() && e == ErrorCode::kOk) ++done;
                         });
  }
  store_->Flush();
  EXPECT_EQ(done.load(), kWrites);
  EXPECT_EQ(store_->MailboxSize(kBob), kWrites);
  EXPECT_EQ(store_->writes_committed(), kWrites);
}

TEST_F(ChatStoreTest, DestructorFinishesQueuedWrites) {
  constexpr uint32_t kWrites = 20;
  std::atomic<uint32_t> done{0};
  for (uint32_t i = 0; i < kWrites; ++i) {
    StartAccept(kAlice, kBob, Id(i), true, kNow,
                [&done](Status s, ChatStore::AcceptOutcome) {
                  if (s.ok()) ++done;
                });
  }
  store_.reset();
  EXPECT_EQ(done.load(), kWrites);

  Reopen();
  EXPECT_EQ(Mailbox(kBob).size(), kWrites);
}

// --- storage format ---

TEST_F(ChatStoreTest, KeysAndValuesFollowTheSchema) {
  ASSERT_TRUE(SetRelations(kAlice, kBob, Relation::kRequested,
                           Relation::kPending, "hi", 0x0102)
                  .ok());
  const ItemId id = Id(0x0a0b0c0d, 0x11);
  MailItem item = Message(kAlice, id, "yo", 0x55);
  item.sender_name = "al";
  std::promise<Status> done;
  store_->AcceptMessage(kAlice, kBob, id,
                        Record(kBob, "yo", Route::kStored, 0x55), item, 0x55,
                        [&done](Status s, ChatStore::AcceptOutcome) {
                          done.set_value(std::move(s));
                        });
  ASSERT_TRUE(done.get_future().get().ok());

  EXPECT_EQ(Hex(RawGet("contact/" + U64(kAlice) + U64(kBob)).value_or("")),
            "02"
            "0000000000000102"
            "0000");
  EXPECT_EQ(Hex(RawGet("contact/" + U64(kBob) + U64(kAlice)).value_or("")),
            "03"
            "0000000000000102"
            "0002"
            "6869");
  EXPECT_EQ(Hex(RawGet("convseq/" + U64(kAlice) + U64(kBob)).value_or("")),
            "0000000000000001");
  EXPECT_EQ(Hex(RawGet("meta/next_mbox_seq").value_or("")), "0000000000000002");
  EXPECT_EQ(
      Hex(RawGet("mboxid/" + U64(kBob) + Raw(id) + U64(kAlice)).value_or("")),
      "0000000000000001");
  const std::string id_hex =
      "111111111111111111111111"
      "0a0b0c0d";
  EXPECT_EQ(Hex(RawGet("mbox/" + U64(kBob) + U64(1)).value_or("")),
            "01" + id_hex +
                "0000000000002711"
                "02"
                "616c"
                "0000000000000001"
                "0000000000000055"
                "00"
                "00000000000000000000000000000000"
                "0002"
                "796f");
  const std::array<uint8_t, 32> hash = MessageContentHash(kBob, "yo");
  EXPECT_EQ(Hex(RawGet("dedup/" + U64(kAlice) + Raw(id)).value_or("")),
            "0000000000002712" + protocol::ToHex(hash) +
                "02"
                "0000000000000001"
                "0000000000000055");
}

TEST_F(ChatStoreTest, MessageContentHashIsBlake2bOfRecipientAndText) {
  const std::string input = U64(kBob) + "hello";
  std::array<uint8_t, 32> expected;
  crypto_generichash(expected.data(), expected.size(),
                     reinterpret_cast<const unsigned char*>(input.data()),
                     input.size(), nullptr, 0);
  EXPECT_EQ(MessageContentHash(kBob, "hello"), expected);
  EXPECT_NE(MessageContentHash(kCarol, "hello"), expected);
  EXPECT_NE(MessageContentHash(kBob, "hello!"), expected);
}

// --- corruption ---

TEST_F(ChatStoreTest, CorruptedContactIsReportedAsCorruption) {
  RawPut("contact/" + U64(kAlice) + U64(kBob), "\x07garbage");
  Result<std::vector<ContactEntry>> contacts = store_->ListContacts(kAlice);
  ASSERT_FALSE(contacts.ok());
  EXPECT_EQ(contacts.status().code(), Status::Code::kCorruption);
  EXPECT_EQ(store_->GetRelation(kAlice, kBob), Relation::kNone);
}

TEST_F(ChatStoreTest, EveryTruncatedMailboxEntryIsCorruption) {
  Accept(kAlice, kBob, Id(1), true, kNow, "some text");
  const std::string key = "mbox/" + U64(kBob) + U64(1);
  const std::string value = RawGet(key).value_or("");
  ASSERT_FALSE(value.empty());

  std::vector<std::string> damaged;
  for (size_t length = 0; length < value.size(); ++length) {
    damaged.push_back(value.substr(0, length));
  }
  damaged.push_back(value + "x");               // trailing byte
  damaged.push_back("\x09" + value.substr(1));  // unknown kind
  for (const std::string& bad : damaged) {
    RawPut(key, bad);
    Result<std::vector<MailItem>> mailbox = store_->ListMailbox(kBob);
    ASSERT_FALSE(mailbox.ok()) << "length " << bad.size();
    EXPECT_EQ(mailbox.status().code(), Status::Code::kCorruption);
  }
  std::pair<Status, size_t> expired = Expire(kBob, kNow);
  EXPECT_EQ(expired.first.code(), Status::Code::kCorruption);
}

TEST_F(ChatStoreTest, CorruptedSeqFailsTheWriteAndWritesNothing) {
  RawPut("convseq/" + U64(kAlice) + U64(kBob), "\x01\x02\x03");
  Accepted accepted = Accept(kAlice, kBob, Id(1));
  EXPECT_EQ(accepted.status.code(), Status::Code::kCorruption);
  EXPECT_FALSE(RawGet("dedup/" + U64(kAlice) + Raw(Id(1))).has_value());
  EXPECT_TRUE(Mailbox(kBob).empty());
  EXPECT_EQ(store_->writes_committed(), 0u);
}

TEST_F(ChatStoreTest, CorruptedIndexAndDedupRecordAreCorruption) {
  Accept(kAlice, kBob, Id(1), /*store=*/false);
  RawPut("dedup/" + U64(kAlice) + Raw(Id(1)), "short");
  EXPECT_FALSE(store_->FindSent(kAlice, Id(1), kNow).has_value());
  EXPECT_EQ(StoreAccepted(kBob, Message(kAlice, Id(1), "hello", kNow)).code(),
            Status::Code::kCorruption);
  EXPECT_TRUE(Mailbox(kBob).empty());

  RawPut("mboxid/" + U64(kBob) + Raw(Id(2)) + U64(kAlice), "\x01");
  EXPECT_EQ(Acknowledge(kBob, Id(2), kAlice).first.code(),
            Status::Code::kCorruption);
}

}  // namespace
}  // namespace hail::server
