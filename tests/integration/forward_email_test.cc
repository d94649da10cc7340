// Issue 11, extended delivery by e-mail through the real haild and a real
// SMTP server (aiosmtpd writing a Maildir): the verification code and its
// rules (wrong codes, throttling, STARTTLS), the seed story (Bob offline,
// Alice writes, the mail arrives once and Alice is told), and who is never
// forwarded to: an unverified address, a blocked sender, a contact the
// rule does not list, quiet hours and the daily cap. Skewing the
// forwarding clock by 120 s makes a rule's after_minutes=1 due at once.
// "Nothing happened" checks use a control recipient (Carol) whose mail
// proves the workers ran past the moment in question, then watch the
// counters a little longer.
#include <gtest/gtest.h>

#include <cctype>
#include <ctime>
#include <map>
#include <string>

#include "tests/integration/forward_rig.h"

namespace hail::testing {
namespace {

using protocol::ErrorCode;
using protocol::ForwardChannel;
using protocol::ForwardState;

class ForwardEmailTest : public ForwardEmailRig {};

// The rig's reader of code texts (what the other tests rely on).
TEST(ForwardCodeTextTest, FindCodeReadsTheCodeOfTheContractTextOnly) {
  EXPECT_EQ(FindCode("Hail code 493027 for bob on hail.test. Unexpected? "
                     "Ignore it.",
                     "bob"),
            "493027");
  EXPECT_EQ(FindCode("x\nHail code 000123 for bob on\nhail.test.\n"
                     "Unexpected? Ignore it.\n",
                     "bob"),
            "000123");
  EXPECT_FALSE(
      FindCode("Hail code 493027 for carol on hail.test. "
               "Unexpected? Ignore it.",
               "bob"));
  EXPECT_FALSE(
      FindCode("Hail code 49302 for bob on hail.test. Unexpected? "
               "Ignore it.",
               "bob"));
  EXPECT_FALSE(
      FindCode("Hail code 493027 for bob on hailXtest. Unexpected? "
               "Ignore it.",
               "bob"));
}

TEST_F(ForwardEmailTest, AddedAddressGetsOneCodeMailAndOnlyThatCodeVerifies) {
  ASSERT_NO_FATAL_FAILURE(StartHaild(EmailFlags(0)));
  std::unique_ptr<TestClient> bob = LogIn("bob");
  std::string code;
  ASSERT_NO_FATAL_FAILURE(AddEmail(*bob, "bob", "bob@example.org", &code));
  std::vector<SmtpSink::Message> mails = sink_.Messages();
  ASSERT_EQ(mails.size(), 1u);
  EXPECT_NE(mails[0]["from"].find("hail@hail.test"), std::string::npos)
      << mails[0]["from"];
  EXPECT_NE(mails[0]["to"].find("bob@example.org"), std::string::npos);

  std::vector<client::ForwardSetting> list = ForwardList(*bob);
  ASSERT_EQ(list.size(), 3u);
  EXPECT_EQ(list[0].channel, static_cast<uint8_t>(ForwardChannel::kEmail));
  EXPECT_EQ(list[0].address, "bob@example.org");
  EXPECT_FALSE(list[0].verified);

  std::string wrong = code;
  wrong[5] = wrong[5] == '9' ? '0' : static_cast<char>(wrong[5] + 1);
  EXPECT_EQ(
      Answer(*bob, (*bob)->VerifyForwardAddress(ForwardChannel::kEmail, wrong)),
      ErrorCode::kWrongCode);
  EXPECT_FALSE(ForwardList(*bob).at(0).verified);
  EXPECT_EQ(
      Answer(*bob, (*bob)->VerifyForwardAddress(ForwardChannel::kEmail, code)),
      ErrorCode::kOk);

  list = ForwardList(*bob);
  ASSERT_EQ(list.size(), 3u);
  EXPECT_EQ(list[0].address, "bob@example.org");
  EXPECT_TRUE(list[0].verified);
  EXPECT_EQ(list[1].channel, static_cast<uint8_t>(ForwardChannel::kSms));
  EXPECT_EQ(list[1].address, "");
  EXPECT_EQ(list[2].channel, static_cast<uint8_t>(ForwardChannel::kFax));
  EXPECT_EQ(list[2].address, "");
  // A rule never set shows the defaults (SPEC.md 11.53).
  EXPECT_EQ(list[1].rule.enabled, 0);
  EXPECT_EQ(list[1].rule.after_minutes, 10);
  EXPECT_EQ(list[1].rule.quiet_start, list[1].rule.quiet_end);
  EXPECT_EQ(list[1].rule.daily_cap, 10);
  EXPECT_EQ(list[1].rule.contacts_mode, 0);
  // Verifying sends nothing more.
  EXPECT_EQ(Stat("forward_email_queued"), 1);
  EXPECT_EQ(Stat("forward_email_cancelled"), 0);
  EXPECT_EQ(Stat("forward_email_sent"), 1);
  EXPECT_EQ(sink_.Messages().size(), 1u);
}

TEST_F(ForwardEmailTest,
       FifthWrongCodeVoidsTheCodeAndAChannelWithoutAddressSaysSo) {
  ASSERT_NO_FATAL_FAILURE(StartHaild(EmailFlags(0)));
  std::unique_ptr<TestClient> bob = LogIn("bob");
  EXPECT_EQ(Answer(*bob, (*bob)->VerifyForwardAddress(ForwardChannel::kEmail,
                                                      "123456")),
            ErrorCode::kNoAddress);
  std::string code;
  ASSERT_NO_FATAL_FAILURE(AddEmail(*bob, "bob", "bob@example.org", &code));
  std::string wrong = code;
  wrong[2] = wrong[2] == '9' ? '0' : static_cast<char>(wrong[2] + 1);
  for (int attempt = 1; attempt <= 5; ++attempt) {
    EXPECT_EQ(Answer(*bob, (*bob)->VerifyForwardAddress(ForwardChannel::kEmail,
                                                        wrong)),
              ErrorCode::kWrongCode)
        << "attempt " << attempt;
  }
  EXPECT_EQ(
      Answer(*bob, (*bob)->VerifyForwardAddress(ForwardChannel::kEmail, code)),
      ErrorCode::kCodeExpired);
  EXPECT_FALSE(ForwardList(*bob).at(0).verified);
}

TEST_F(ForwardEmailTest, FourthCodeToOneAddressInADayIsThrottled) {
  ASSERT_NO_FATAL_FAILURE(StartHaild(EmailFlags(0)));
  std::unique_ptr<TestClient> bob = LogIn("bob");
  for (int round = 1; round <= 3; ++round) {
    std::string code;
    ASSERT_NO_FATAL_FAILURE(AddEmail(*bob, "bob", "bob@example.org", &code))
        << "round " << round;
  }
  EXPECT_EQ(Answer(*bob, (*bob)->AddForwardAddress(ForwardChannel::kEmail,
                                                   "bob@example.org")),
            ErrorCode::kThrottled);
  EXPECT_TRUE(StatStays("forward_email_queued", 3, 1000));
  EXPECT_EQ(sink_.Messages().size(), 3u);
}

TEST_F(ForwardEmailTest, StatsReportEveryForwardingCounter) {
  ASSERT_NO_FATAL_FAILURE(StartHaild(EmailFlags(0)));
  std::map<std::string, int64_t> stats = haild_->Stats();
  for (const char* channel : {"email", "sms", "fax"}) {
    for (const char* counter : {"queued", "sent", "retried", "deferred",
                                "failed", "cancelled", "delivered"}) {
      const std::string name =
          std::string("forward_") + channel + "_" + counter;
      ASSERT_TRUE(stats.contains(name)) << name;
      EXPECT_EQ(stats[name], 0) << name;
    }
  }
  ASSERT_TRUE(stats.contains("forward_notices_dropped"));
  EXPECT_EQ(stats["forward_notices_dropped"], 0);
}

// This aiosmtpd refuses MAIL before STARTTLS: a delivery proves TLS.
TEST_F(ForwardEmailTest, CodeMailTravelsOverStartTlsTrustingTheCaFile) {
  sink_.Stop();
  ASSERT_TRUE(sink_.Start({.starttls = true}).ok());
  std::vector<std::string> flags = EmailFlags(0);
  flags.insert(flags.end(),
               {"--forward-smtp-require-tls", "--forward-smtp-ca-file",
                sink_.certificate().string()});
  ASSERT_NO_FATAL_FAILURE(StartHaild(flags));
  std::unique_ptr<TestClient> bob = LogIn("bob");
  std::string code;
  ASSERT_NO_FATAL_FAILURE(AddEmail(*bob, "bob", "bob@example.org", &code));
  EXPECT_EQ(Stat("forward_email_sent"), 1);
}

TEST_F(ForwardEmailTest, UntrustedCertificateHoldsTheCodeUntilInsecureIsSet) {
  sink_.Stop();
  ASSERT_TRUE(sink_.Start({.starttls = true}).ok());
  ASSERT_NO_FATAL_FAILURE(StartHaild(EmailFlags(0)));
  {
    std::unique_ptr<TestClient> bob = LogIn("bob");
    ASSERT_EQ(Answer(*bob, (*bob)->AddForwardAddress(ForwardChannel::kEmail,
                                                     "bob@example.org")),
              ErrorCode::kOk);
    // The system CAs do not know the sink's certificate: retried, never
    // sent in the clear.
    EXPECT_GE(WaitForStat("forward_email_retried", 1), 1) << haild_->log();
    EXPECT_EQ(Stat("forward_email_sent"), 0);
    EXPECT_EQ(Stat("forward_email_failed"), 0);
    EXPECT_TRUE(sink_.Messages().empty());
  }
  // The operator opts out of the check: the stored code job goes out.
  ASSERT_EQ(haild_->Stop(), 0) << haild_->log();
  std::vector<std::string> flags = EmailFlags(0);
  flags.push_back("--forward-smtp-insecure");
  ASSERT_NO_FATAL_FAILURE(StartHaild(flags));
  std::vector<SmtpSink::Message> mails = WaitForMails(1);
  ASSERT_EQ(mails.size(), 1u) << haild_->log();
  EXPECT_TRUE(FindCode(mails[0]["body"], "bob")) << mails[0]["body"];
  EXPECT_EQ(Stat("forward_email_sent"), 1);
}

TEST_F(ForwardEmailTest, OfflineMessageIsMailedOnceInUtf8AndTheSenderIsTold) {
  ASSERT_NO_FATAL_FAILURE(StartHaild(EmailFlags(120)));
  std::unique_ptr<TestClient> alice = LogIn("alice");
  ASSERT_NO_FATAL_FAILURE(
      SetUpRecipient(*alice, "bob", "bob@example.org", EnabledRule(1)));

  const std::string text = "Grüße 你好";
  protocol::ItemId id{};
  ASSERT_NO_FATAL_FAILURE(Send(*alice, "bob", text, &id));

  std::vector<SmtpSink::Message> mails = WaitForMails(2);
  ASSERT_EQ(mails.size(), 2u) << haild_->log();
  std::vector<SmtpSink::Message> forwarded = MailsWith(text);
  ASSERT_EQ(forwarded.size(), 1u);
  EXPECT_NE(forwarded[0]["from"].find("alice"), std::string::npos)
      << forwarded[0]["from"];
  EXPECT_NE(forwarded[0]["to"].find("bob@example.org"), std::string::npos);
  EXPECT_NE(forwarded[0]["subject"].find("alice"), std::string::npos)
      << forwarded[0]["subject"];
  std::string content_type = forwarded[0]["content-type"];
  for (char& c : content_type) c = static_cast<char>(std::tolower(c));
  EXPECT_NE(content_type.find("charset=\"utf-8\""), std::string::npos)
      << forwarded[0]["content-type"];

  std::optional<client::MessageForwarded> notice =
      WaitForNotice(*alice, id, ForwardState::kHandedOver);
  ASSERT_TRUE(notice);
  EXPECT_EQ(notice->channel, static_cast<uint8_t>(ForwardChannel::kEmail));
  EXPECT_EQ(notice->recipient, "bob");

  EXPECT_EQ(WaitForStat("forward_email_sent", 2), 2);
  EXPECT_EQ(Stat("forward_email_queued"), 2);
  EXPECT_TRUE(StatStays("forward_email_sent", 2, 2000));
  EXPECT_EQ(Stat("forward_email_failed"), 0);
  EXPECT_EQ(Stat("forward_notices_dropped"), 0);
  EXPECT_EQ(sink_.Messages().size(), 2u);

  // Forwarding leaves the message in Bob's mailbox.
  std::unique_ptr<TestClient> bob = LogIn("bob");
  std::optional<client::MessageReceived> received =
      bob->WaitUntil<client::MessageReceived>(
          [&](const client::MessageReceived& m) { return m.message_id == id; });
  ASSERT_TRUE(received);
  EXPECT_EQ(received->text, text);
}

TEST_F(ForwardEmailTest, UnverifiedAddressReceivesNothingButTheCode) {
  ASSERT_NO_FATAL_FAILURE(StartHaild(EmailFlags(120)));
  std::unique_ptr<TestClient> alice = LogIn("alice");
  {
    std::unique_ptr<TestClient> bob = LogIn("bob");
    ASSERT_NO_FATAL_FAILURE(Befriend(*alice, "alice", *bob, "bob"));
    std::string code;
    ASSERT_NO_FATAL_FAILURE(AddEmail(*bob, "bob", "bob@example.org", &code));
    ASSERT_EQ(Answer(*bob, (*bob)->SetForwardRules(ForwardChannel::kEmail,
                                                   EnabledRule(1))),
              ErrorCode::kOk);
    ASSERT_NO_FATAL_FAILURE(LogOut(bob));
  }
  ASSERT_NO_FATAL_FAILURE(
      SetUpRecipient(*alice, "carol", "carol@example.org", EnabledRule(1)));

  protocol::ItemId to_bob{}, to_carol{};
  ASSERT_NO_FATAL_FAILURE(Send(*alice, "bob", "for bob in Hail only", &to_bob));
  ASSERT_NO_FATAL_FAILURE(Send(*alice, "carol", "Carol's copy", &to_carol));
  ASSERT_TRUE(WaitForNotice(*alice, to_carol, ForwardState::kHandedOver));

  EXPECT_EQ(MailsWith("Carol's copy").size(), 1u);
  EXPECT_TRUE(MailsWith("for bob in Hail only").empty());
  // Bob's code, Carol's code and Carol's message.
  EXPECT_EQ(Stat("forward_email_queued"), 3);
  EXPECT_TRUE(StatStays("forward_email_sent", 3, 1500));
  size_t to_bob_mails = 0;
  for (SmtpSink::Message& mail : sink_.Messages()) {
    if (mail["to"].find("bob@example.org") == std::string::npos) continue;
    ++to_bob_mails;
    EXPECT_TRUE(FindCode(mail["body"], "bob")) << mail["body"];
  }
  EXPECT_EQ(to_bob_mails, 1u);
  // Alice hears of Carol's copy only.
  alice->Drain(300);
  for (const client::Event& event : alice->others()) {
    if (auto* n = std::get_if<client::MessageForwarded>(&event)) {
      EXPECT_NE(n->message_id, to_bob);
    }
  }
}

TEST_F(ForwardEmailTest, BlockedSendersMessageIsNeitherStoredNorForwarded) {
  ASSERT_NO_FATAL_FAILURE(StartHaild(EmailFlags(120)));
  std::unique_ptr<TestClient> alice = LogIn("alice");
  {
    std::unique_ptr<TestClient> bob = LogIn("bob");
    ASSERT_NO_FATAL_FAILURE(Befriend(*alice, "alice", *bob, "bob"));
    ASSERT_NO_FATAL_FAILURE(VerifyEmail(*bob, "bob", "bob@example.org"));
    ASSERT_EQ(Answer(*bob, (*bob)->SetForwardRules(ForwardChannel::kEmail,
                                                   EnabledRule(1))),
              ErrorCode::kOk);
    ASSERT_EQ(Answer(*bob, (*bob)->BlockContact("alice", true)),
              ErrorCode::kOk);
    ASSERT_NO_FATAL_FAILURE(LogOut(bob));
  }
  ASSERT_NO_FATAL_FAILURE(
      SetUpRecipient(*alice, "carol", "carol@example.org", EnabledRule(1)));

  // Answered as stored (SPEC.md 10.11), dropped.
  protocol::ItemId to_bob{}, to_carol{};
  ASSERT_NO_FATAL_FAILURE(Send(*alice, "bob", "blocked words", &to_bob));
  ASSERT_NO_FATAL_FAILURE(Send(*alice, "carol", "control words", &to_carol));
  ASSERT_TRUE(WaitForNotice(*alice, to_carol, ForwardState::kHandedOver));

  EXPECT_TRUE(MailsWith("blocked words").empty());
  EXPECT_EQ(MailsWith("control words").size(), 1u);
  // Two codes and Carol's message.
  EXPECT_EQ(Stat("forward_email_queued"), 3);
  EXPECT_TRUE(StatStays("forward_email_sent", 3, 1500));
  EXPECT_EQ(sink_.Messages().size(), 3u);

  std::unique_ptr<TestClient> bob = LogIn("bob");
  bob->Drain(300);
  for (const client::Event& event : bob->others()) {
    EXPECT_FALSE(std::holds_alternative<client::MessageReceived>(event));
  }
}

TEST_F(ForwardEmailTest, RuleForListedContactsForwardsOnlyTheirMessages) {
  ASSERT_NO_FATAL_FAILURE(StartHaild(EmailFlags(120)));
  std::unique_ptr<TestClient> alice = LogIn("alice");
  std::unique_ptr<TestClient> carol = LogIn("carol");
  {
    std::unique_ptr<TestClient> bob = LogIn("bob");
    ASSERT_NO_FATAL_FAILURE(Befriend(*alice, "alice", *bob, "bob"));
    ASSERT_NO_FATAL_FAILURE(Befriend(*carol, "carol", *bob, "bob"));
    ASSERT_NO_FATAL_FAILURE(VerifyEmail(*bob, "bob", "bob@example.org"));
    protocol::ForwardRuleFields listed = EnabledRule(1);
    listed.contacts_mode =
        static_cast<uint8_t>(protocol::ForwardContactsMode::kList);
    listed.contacts = "nobody";
    EXPECT_EQ(
        Answer(*bob, (*bob)->SetForwardRules(ForwardChannel::kEmail, listed)),
        ErrorCode::kUserNotFound);
    listed.contacts = "Carol";
    ASSERT_EQ(
        Answer(*bob, (*bob)->SetForwardRules(ForwardChannel::kEmail, listed)),
        ErrorCode::kOk);
    EXPECT_EQ(ForwardList(*bob).at(0).rule.contacts, "carol");
    ASSERT_NO_FATAL_FAILURE(LogOut(bob));
  }

  protocol::ItemId from_alice{}, from_carol{};
  ASSERT_NO_FATAL_FAILURE(
      Send(*alice, "bob", "words of an unlisted contact", &from_alice));
  ASSERT_NO_FATAL_FAILURE(
      Send(*carol, "bob", "words of a listed contact", &from_carol));
  ASSERT_TRUE(WaitForNotice(*carol, from_carol, ForwardState::kHandedOver));

  EXPECT_EQ(MailsWith("words of a listed contact").size(), 1u);
  EXPECT_TRUE(MailsWith("words of an unlisted contact").empty());
  EXPECT_EQ(Stat("forward_email_queued"), 2);  // the code, Carol's message
  EXPECT_TRUE(StatStays("forward_email_sent", 2, 1500));
}

// The offset that makes the local time 02:00 now, within -12:00..+12:00.
int16_t OffsetForLocalTwoAm() {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  const int minute = utc.tm_hour * 60 + utc.tm_min;
  int offset = ((120 - minute) % 1440 + 1440) % 1440;
  if (offset > 720) offset -= 1440;
  return static_cast<int16_t>(offset);
}

TEST_F(ForwardEmailTest, MessageDueInQuietHoursStaysQueued) {
  ASSERT_NO_FATAL_FAILURE(StartHaild(EmailFlags(120)));
  std::unique_ptr<TestClient> alice = LogIn("alice");
  // Quiet 00:00-04:00 local, and it is 02:00 local now.
  protocol::ForwardRuleFields quiet = EnabledRule(1);
  quiet.quiet_start = 0;
  quiet.quiet_end = 240;
  quiet.utc_offset_minutes = OffsetForLocalTwoAm();
  ASSERT_NO_FATAL_FAILURE(
      SetUpRecipient(*alice, "bob", "bob@example.org", quiet));
  ASSERT_NO_FATAL_FAILURE(
      SetUpRecipient(*alice, "carol", "carol@example.org", EnabledRule(1)));

  protocol::ItemId to_bob{}, to_carol{};
  ASSERT_NO_FATAL_FAILURE(Send(*alice, "bob", "sent at night", &to_bob));
  ASSERT_NO_FATAL_FAILURE(Send(*alice, "carol", "control words", &to_carol));
  ASSERT_TRUE(WaitForNotice(*alice, to_carol, ForwardState::kHandedOver));

  // Bob's job exists but waits for 04:00 local.
  EXPECT_EQ(Stat("forward_email_queued"), 4);
  EXPECT_TRUE(StatStays("forward_email_sent", 3, 2000));
  EXPECT_TRUE(MailsWith("sent at night").empty());
  EXPECT_EQ(Stat("forward_email_failed"), 0);
}

TEST_F(ForwardEmailTest, DailyCapOfOneQueuesOnlyTheFirstOfTwoMessages) {
  ASSERT_NO_FATAL_FAILURE(StartHaild(EmailFlags(120)));
  std::unique_ptr<TestClient> alice = LogIn("alice");
  protocol::ForwardRuleFields capped = EnabledRule(1);
  capped.daily_cap = 1;
  ASSERT_NO_FATAL_FAILURE(
      SetUpRecipient(*alice, "bob", "bob@example.org", capped));

  protocol::ItemId first{}, second{};
  ASSERT_NO_FATAL_FAILURE(Send(*alice, "bob", "first of two", &first));
  ASSERT_NO_FATAL_FAILURE(Send(*alice, "bob", "second of two", &second));
  // The code and the first message: the cap counts messages (SPEC.md 17.4
  // item 6), not the code sent to verify the address.
  ASSERT_EQ(haild_->WaitForStat("forward_email_queued", 2, 5000), 2);
  ASSERT_TRUE(WaitForNotice(*alice, first, ForwardState::kHandedOver));

  EXPECT_EQ(MailsWith("first of two").size(), 1u);
  EXPECT_EQ(Stat("forward_email_queued"), 2);
  EXPECT_TRUE(StatStays("forward_email_sent", 2, 2000));
  EXPECT_TRUE(MailsWith("second of two").empty());
}

}  // namespace
}  // namespace hail::testing
