// Issue 11, extended delivery by e-mail when things go wrong, through the
// real haild and a real SMTP server (aiosmtpd): the mail server is down
// when the message is due, the recipient logs in before it is due, and
// haild is killed (-9) between the decision to forward and the hand-over,
// and an address is replaced while its code waits for the mail server.
// Each time the mail arrives exactly once, or not at all when cancelled.
#include <gtest/gtest.h>
#include <leveldb/db.h>

#include <memory>

#include "server/forward/forward_records.h"
#include "tests/integration/forward_rig.h"

namespace hail::testing {
namespace {

using protocol::ErrorCode;
using protocol::ForwardState;

class ForwardRecoveryTest : public ForwardEmailRig {};

// How many keys of the data dir's LevelDB start with `prefix` (haild
// stopped: the operator's view of the records).
size_t KeysUnder(const std::filesystem::path& data_dir,
                 const std::string& prefix) {
  leveldb::DB* raw = nullptr;
  leveldb::Status opened =
      leveldb::DB::Open(leveldb::Options(), (data_dir / "db").string(), &raw);
  EXPECT_TRUE(opened.ok()) << opened.ToString();
  if (!opened.ok()) return 0;
  std::unique_ptr<leveldb::DB> db(raw);
  std::unique_ptr<leveldb::Iterator> it(
      db->NewIterator(leveldb::ReadOptions()));
  size_t count = 0;
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix);
       it->Next()) {
    ++count;
  }
  return count;
}

TEST_F(ForwardRecoveryTest, SixthCodeForOneUserInADayIsThrottledAfterARestart) {
  ASSERT_NO_FATAL_FAILURE(StartHaild(EmailFlags(0)));
  {
    std::unique_ptr<TestClient> bob = LogIn("bob");
    for (int i = 1; i <= 5; ++i) {
      std::string code;
      ASSERT_NO_FATAL_FAILURE(AddEmail(
          *bob, "bob", "bob" + std::to_string(i) + "@example.org", &code));
    }
  }
  ASSERT_EQ(haild_->Stop(), 0);
  ASSERT_NO_FATAL_FAILURE(StartHaild(EmailFlags(0)));
  std::unique_ptr<TestClient> bob = LogIn("bob");
  EXPECT_EQ(
      Answer(*bob, (*bob)->AddForwardAddress(protocol::ForwardChannel::kEmail,
                                             "bob6@example.org")),
      ErrorCode::kThrottled);
  EXPECT_EQ(Stat("forward_email_queued"), 0);
  EXPECT_EQ(sink_.Messages().size(), 5u);
}

TEST_F(ForwardRecoveryTest, DeletedAccountTakesItsAddressesRulesAndJobs) {
  ASSERT_NO_FATAL_FAILURE(StartHaild(EmailFlags(0)));
  std::unique_ptr<TestClient> alice = LogIn("alice");
  ASSERT_NO_FATAL_FAILURE(
      SetUpRecipient(*alice, "bob", "bob@example.org", EnabledRule(60)));
  protocol::ItemId id{};
  ASSERT_NO_FATAL_FAILURE(Send(*alice, "bob", "due in an hour", &id));
  EXPECT_EQ(WaitForStat("forward_email_queued", 2), 2);  // code, message
  {
    std::unique_ptr<TestClient> bob = LogIn("bob");
    ASSERT_TRUE((*bob)->DeleteAccount("bob-password").ok());
    std::optional<client::AccountDeleted> deleted =
        bob->WaitFor<client::AccountDeleted>();
    ASSERT_TRUE(deleted);
    ASSERT_EQ(deleted->error, ErrorCode::kOk);
  }
  ASSERT_EQ(haild_->Stop(), 0);
  // Nothing of bob's forwarding is left: settings, jobs and both indexes.
  for (std::string_view prefix :
       {server::forward::kSettingsPrefix, server::forward::kJobPrefix,
        server::forward::kDuePrefix, server::forward::kUserJobPrefix}) {
    EXPECT_EQ(KeysUnder(haild_->data_dir(), std::string(prefix)), 0u) << prefix;
  }
}

TEST_F(ForwardRecoveryTest, MailServerDownWhenDueGetsTheMailOnceItIsBack) {
  ASSERT_NO_FATAL_FAILURE(StartHaild(EmailFlags(120)));
  std::unique_ptr<TestClient> alice = LogIn("alice");
  ASSERT_NO_FATAL_FAILURE(
      SetUpRecipient(*alice, "bob", "bob@example.org", EnabledRule(1)));

  sink_.Stop();
  const std::string text = "written while the mail server was down";
  protocol::ItemId id{};
  ASSERT_NO_FATAL_FAILURE(Send(*alice, "bob", text, &id));
  ASSERT_GE(WaitForStat("forward_email_retried", 1), 1) << haild_->log();
  EXPECT_EQ(Stat("forward_email_sent"), 1);  // the code only
  EXPECT_EQ(Stat("forward_email_failed"), 0);

  const Status restarted = sink_.Start({});
  ASSERT_TRUE(restarted.ok()) << restarted.message();
  std::optional<client::MessageForwarded> notice =
      WaitForNotice(*alice, id, ForwardState::kHandedOver);
  ASSERT_TRUE(notice) << haild_->log();
  EXPECT_EQ(WaitForMails(2).size(), 2u);
  EXPECT_EQ(MailsWith(text).size(), 1u);
  EXPECT_TRUE(StatStays("forward_email_sent", 2, 2000));
  EXPECT_EQ(sink_.Messages().size(), 2u);
}

TEST_F(ForwardRecoveryTest, LoginBeforeTheMessageIsDueCancelsItsJob) {
  // No skew: after_minutes=1 is a real minute away.
  ASSERT_NO_FATAL_FAILURE(StartHaild(EmailFlags(0)));
  std::unique_ptr<TestClient> alice = LogIn("alice");
  ASSERT_NO_FATAL_FAILURE(
      SetUpRecipient(*alice, "bob", "bob@example.org", EnabledRule(1)));
  const std::string text = "read in Hail before it was due";
  protocol::ItemId id{};
  ASSERT_NO_FATAL_FAILURE(Send(*alice, "bob", text, &id));
  ASSERT_EQ(WaitForStat("forward_email_queued", 2), 2);  // code, message

  {
    std::unique_ptr<TestClient> bob = LogIn("bob");
    ASSERT_TRUE(bob->WaitUntil<client::MessageReceived>(
        [&](const client::MessageReceived& m) { return m.message_id == id; }));
    EXPECT_GE(WaitForStat("forward_email_cancelled", 1), 1) << haild_->log();
    ASSERT_NO_FATAL_FAILURE(LogOut(bob));
  }
  alice.reset();

  // Now make it long overdue: haild again on the same data with the clock
  // 120 s ahead. Carol's message, due as well, shows the workers ran.
  ASSERT_EQ(haild_->Stop(), 0) << haild_->log();
  ASSERT_NO_FATAL_FAILURE(StartHaild(EmailFlags(120)));
  alice = LogIn("alice");
  ASSERT_NO_FATAL_FAILURE(
      SetUpRecipient(*alice, "carol", "carol@example.org", EnabledRule(1)));
  protocol::ItemId to_carol{};
  ASSERT_NO_FATAL_FAILURE(Send(*alice, "carol", "control words", &to_carol));
  ASSERT_TRUE(WaitForNotice(*alice, to_carol, ForwardState::kHandedOver));

  EXPECT_TRUE(MailsWith(text).empty());
  // Since the restart: Carol's code and her message.
  EXPECT_TRUE(StatStays("forward_email_sent", 2, 1500));
  EXPECT_EQ(sink_.Messages().size(), 3u);  // Bob's code, Carol's two
}

TEST_F(ForwardRecoveryTest, KillBetweenDecisionAndHandOverMailsItOnceAfter) {
  ASSERT_NO_FATAL_FAILURE(StartHaild(EmailFlags(120)));
  std::unique_ptr<TestClient> alice = LogIn("alice");
  ASSERT_NO_FATAL_FAILURE(
      SetUpRecipient(*alice, "bob", "bob@example.org", EnabledRule(1)));

  // The mail server is down, so the job cannot be handed over yet.
  sink_.Stop();
  const std::string text = "survives kill -9";
  protocol::ItemId id{};
  ASSERT_NO_FATAL_FAILURE(Send(*alice, "bob", text, &id));
  ASSERT_EQ(WaitForStat("forward_email_queued", 2), 2);
  haild_->Kill();
  alice.reset();

  const Status restarted = sink_.Start({});
  ASSERT_TRUE(restarted.ok()) << restarted.message();
  ASSERT_NO_FATAL_FAILURE(StartHaild(EmailFlags(120)));
  EXPECT_EQ(WaitForStat("forward_email_sent", 1), 1) << haild_->log();
  EXPECT_EQ(WaitForMails(2).size(), 2u);
  EXPECT_EQ(MailsWith(text).size(), 1u);

  // Alice learns of it from her mailbox at the next login.
  alice = LogIn("alice");
  std::optional<client::MessageForwarded> notice =
      WaitForNotice(*alice, id, ForwardState::kHandedOver);
  ASSERT_TRUE(notice);
  EXPECT_EQ(notice->recipient, "bob");
  EXPECT_TRUE(StatStays("forward_email_sent", 1, 1500));
  EXPECT_EQ(sink_.Messages().size(), 2u);
}

// SPEC.md 17.2: a new address replaces the old one at once, and a code
// not yet handed over for the old one is cancelled (login does not cancel
// codes, so only the replacement can have done it).
TEST_F(ForwardRecoveryTest, ReplacedAddressNeverGetsItsPendingCode) {
  ASSERT_NO_FATAL_FAILURE(StartHaild(EmailFlags(0)));
  std::unique_ptr<TestClient> bob = LogIn("bob");
  sink_.Stop();
  ASSERT_EQ(
      Answer(*bob, (*bob)->AddForwardAddress(protocol::ForwardChannel::kEmail,
                                             "old@example.org")),
      ErrorCode::kOk);
  ASSERT_GE(WaitForStat("forward_email_retried", 1), 1) << haild_->log();
  ASSERT_EQ(
      Answer(*bob, (*bob)->AddForwardAddress(protocol::ForwardChannel::kEmail,
                                             "new@example.org")),
      ErrorCode::kOk);
  EXPECT_EQ(WaitForStat("forward_email_cancelled", 1), 1);

  const Status restarted = sink_.Start({});
  ASSERT_TRUE(restarted.ok()) << restarted.message();
  std::vector<SmtpSink::Message> mails = WaitForMails(1);
  ASSERT_EQ(mails.size(), 1u) << haild_->log();
  EXPECT_NE(mails[0]["to"].find("new@example.org"), std::string::npos)
      << mails[0]["to"];
  std::optional<std::string> code = FindCode(mails[0]["body"], "bob");
  ASSERT_TRUE(code) << mails[0]["body"];
  EXPECT_TRUE(StatStays("forward_email_sent", 1, 1500));
  EXPECT_EQ(sink_.Messages().size(), 1u);
  EXPECT_EQ(Answer(*bob, (*bob)->VerifyForwardAddress(
                             protocol::ForwardChannel::kEmail, *code)),
            ErrorCode::kOk);
  EXPECT_EQ(ForwardList(*bob).at(0).address, "new@example.org");
}

}  // namespace
}  // namespace hail::testing
