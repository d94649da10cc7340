// The recipient's forwarding decision (server/forward/forward_rules.h):
// due times with quiet hours (also across midnight and in other time
// zones), daily caps per local day, contact lists, blocked senders,
// unverified addresses, and the verification code.
#include "server/forward/forward_rules.h"

#include <gtest/gtest.h>

#include <map>
#include <utility>

namespace hail::server::forward {
namespace {

constexpr uint64_t kAlice = 10000;
constexpr uint64_t kCarol = 10002;
// 2026-12-04 00:00:00 UTC, a Friday.
constexpr uint64_t kMidnight = 1796342400;

constexpr uint64_t At(int hours, int minutes) {
  return kMidnight + static_cast<uint64_t>(hours) * 3600 +
         static_cast<uint64_t>(minutes) * 60;
}

ForwardSettings EmailOnly(uint16_t after_minutes = 10) {
  ForwardSettings settings;
  ChannelSettings& email = settings.of(Channel::kEmail);
  email.address = ForwardAddress{"bob@example.org", true, std::nullopt};
  email.rule.enabled = true;
  email.rule.after_minutes = after_minutes;
  email.rule.daily_cap = 3;
  return settings;
}

// Counts of jobs per (channel, local day) the decision asks about.
struct DayCounts {
  std::map<std::pair<Channel, int64_t>, uint32_t> counts;
  std::function<uint32_t(Channel, int64_t)> Lookup() const {
    return [this](Channel channel, int64_t day) {
      auto it = counts.find({channel, day});
      return it == counts.end() ? 0u : it->second;
    };
  }
};

MessageFacts FromContact(uint64_t accepted, uint64_t now,
                         const DayCounts& counts) {
  MessageFacts facts;
  facts.sender = kAlice;
  facts.sender_is_contact = true;
  facts.accepted_unix = accepted;
  facts.now_unix = now;
  facts.jobs_on_day = counts.Lookup();
  return facts;
}

ChannelDecision Email(const ForwardSettings& settings,
                      const MessageFacts& facts) {
  return DecideForwarding(settings, facts)[ChannelIndex(Channel::kEmail)];
}

TEST(ForwardRulesTest, MessageIsDueAfterTheRulesMinutesInTheMailbox) {
  DayCounts counts;
  ChannelDecision decision =
      Email(EmailOnly(10), FromContact(At(12, 0), At(12, 0), counts));
  ASSERT_TRUE(decision.forward()) << SkipReasonName(decision.reason);
  EXPECT_EQ(decision.due_unix, At(12, 10));
}

TEST(ForwardRulesTest, DecisionMadeLateIsDueNowNotInThePast) {
  DayCounts counts;
  ChannelDecision decision =
      Email(EmailOnly(10), FromContact(At(12, 0), At(15, 0), counts));
  ASSERT_TRUE(decision.forward());
  EXPECT_EQ(decision.due_unix, At(15, 0));
}

TEST(ForwardRulesTest, OtherChannelsWithoutAddressDoNotForward) {
  DayCounts counts;
  auto decisions =
      DecideForwarding(EmailOnly(), FromContact(At(12, 0), At(12, 0), counts));
  EXPECT_EQ(decisions[0].channel, Channel::kEmail);
  EXPECT_TRUE(decisions[0].forward());
  EXPECT_EQ(decisions[1].channel, Channel::kSms);
  EXPECT_EQ(decisions[1].reason, SkipReason::kNoVerifiedAddress);
  EXPECT_EQ(decisions[2].channel, Channel::kFax);
  EXPECT_EQ(decisions[2].reason, SkipReason::kNoVerifiedAddress);
}

TEST(ForwardRulesTest, QuietHoursAcrossMidnightHoldTheMessageUntilMorning) {
  // 22:00 to 07:00 local time, one hour ahead of UTC.
  ForwardSettings settings = EmailOnly(10);
  settings.utc_offset_minutes = 60;
  settings.of(Channel::kEmail).rule.quiet_start = 22 * 60;
  settings.of(Channel::kEmail).rule.quiet_end = 7 * 60;
  DayCounts counts;
  // Due 21:40 UTC = 22:40 local: held until 07:00 local = 06:00 UTC.
  EXPECT_EQ(
      Email(settings, FromContact(At(21, 30), At(21, 30), counts)).due_unix,
      At(24 + 6, 0));
  // Due 00:10 UTC = 01:10 local, after midnight: held until 06:00 UTC.
  EXPECT_EQ(Email(settings, FromContact(At(0, 0), At(0, 0), counts)).due_unix,
            At(6, 0));
  // Due 06:00 UTC = 07:00 local: the quiet hours just ended.
  EXPECT_EQ(Email(settings, FromContact(At(5, 50), At(5, 50), counts)).due_unix,
            At(6, 0));
  // Due 20:50 UTC = 21:50 local: before they start.
  EXPECT_EQ(
      Email(settings, FromContact(At(20, 40), At(20, 40), counts)).due_unix,
      At(20, 50));
}

TEST(ForwardRulesTest, QuietHoursWithinOneDayEndTheSameDay) {
  ForwardSettings settings = EmailOnly(1);
  settings.utc_offset_minutes = -300;  // UTC-5
  settings.of(Channel::kEmail).rule.quiet_start = 12 * 60;
  settings.of(Channel::kEmail).rule.quiet_end = 14 * 60;
  DayCounts counts;
  // 17:59 UTC + 1 min = 13:00 local: held until 14:00 local = 19:00 UTC.
  EXPECT_EQ(
      Email(settings, FromContact(At(17, 59), At(17, 59), counts)).due_unix,
      At(19, 0));
  // 16:59 UTC + 1 min = 12:00 local: the first quiet minute.
  EXPECT_EQ(
      Email(settings, FromContact(At(16, 59), At(16, 59), counts)).due_unix,
      At(19, 0));
  // 11:00 local is not quiet.
  EXPECT_EQ(
      Email(settings, FromContact(At(15, 59), At(15, 59), counts)).due_unix,
      At(16, 0));
}

TEST(ForwardRulesTest, EqualQuietStartAndEndMeanNoQuietHours) {
  EXPECT_FALSE(InQuietHours(At(3, 0), 180, 180, 0));
  EXPECT_EQ(PastQuietHours(At(3, 0), 180, 180, 0), At(3, 0));
}

TEST(ForwardRulesTest, LocalDayFollowsTheOffset) {
  EXPECT_EQ(LocalDay(At(3, 0), 0), static_cast<int64_t>(kMidnight / 86400));
  EXPECT_EQ(LocalDay(At(3, 0), -300),
            static_cast<int64_t>(kMidnight / 86400) - 1);
  EXPECT_EQ(LocalDay(At(23, 0), 840),
            static_cast<int64_t>(kMidnight / 86400) + 1);
  EXPECT_EQ(LocalDay(0, -60), -1);
}

TEST(ForwardRulesTest, DailyCapCountsTheLocalDayOfTheDueTime) {
  ForwardSettings settings = EmailOnly(10);
  settings.utc_offset_minutes = -300;  // UTC-5
  DayCounts counts;
  const int64_t today_local = LocalDay(At(3, 0), -300);  // Dec 3 local
  counts.counts[{Channel::kEmail, today_local}] = 3;     // the cap
  // Due 03:10 UTC is still Dec 3 local: capped.
  ChannelDecision capped =
      Email(settings, FromContact(At(3, 0), At(3, 0), counts));
  EXPECT_EQ(capped.reason, SkipReason::kDailyCapReached);
  // Due 05:10 UTC is Dec 4 local: a new day, forwarded.
  ChannelDecision next_day =
      Email(settings, FromContact(At(5, 0), At(5, 0), counts));
  EXPECT_TRUE(next_day.forward());
  // In UTC both were Dec 4, where nothing was forwarded yet.
  settings.utc_offset_minutes = 0;
  EXPECT_TRUE(
      Email(settings, FromContact(At(3, 0), At(3, 0), counts)).forward());
}

TEST(ForwardRulesTest, DailyCapIsPerChannel) {
  ForwardSettings settings = EmailOnly(10);
  settings.of(Channel::kSms).address =
      ForwardAddress{"+4915112345678", true, std::nullopt};
  settings.of(Channel::kSms).rule.enabled = true;
  DayCounts counts;
  counts.counts[{Channel::kEmail, LocalDay(At(12, 10), 0)}] = 3;
  auto decisions =
      DecideForwarding(settings, FromContact(At(12, 0), At(12, 0), counts));
  EXPECT_EQ(decisions[0].reason, SkipReason::kDailyCapReached);
  EXPECT_TRUE(decisions[1].forward());
}

TEST(ForwardRulesTest, BlockedSenderIsNeverForwardedEvenWhenListed) {
  ForwardSettings settings = EmailOnly();
  settings.of(Channel::kEmail).rule.contacts_mode = ContactsMode::kList;
  settings.of(Channel::kEmail).rule.contacts = {kAlice};
  DayCounts counts;
  MessageFacts facts = FromContact(At(12, 0), At(12, 0), counts);
  facts.blocked_by_recipient = true;
  EXPECT_EQ(Email(settings, facts).reason, SkipReason::kBlocked);
}

TEST(ForwardRulesTest, StrangerIsNotForwardedInAllMode) {
  DayCounts counts;
  MessageFacts facts = FromContact(At(12, 0), At(12, 0), counts);
  facts.sender_is_contact = false;
  EXPECT_EQ(Email(EmailOnly(), facts).reason, SkipReason::kNotAContact);
}

TEST(ForwardRulesTest, ListModeForwardsOnlyListedContacts) {
  ForwardSettings settings = EmailOnly();
  settings.of(Channel::kEmail).rule.contacts_mode = ContactsMode::kList;
  settings.of(Channel::kEmail).rule.contacts = {kCarol};
  DayCounts counts;
  MessageFacts facts = FromContact(At(12, 0), At(12, 0), counts);
  EXPECT_EQ(Email(settings, facts).reason, SkipReason::kNotInContactList);
  facts.sender = kCarol;
  EXPECT_TRUE(Email(settings, facts).forward());
  // Listed but no longer a contact: not forwarded.
  facts.sender_is_contact = false;
  EXPECT_EQ(Email(settings, facts).reason, SkipReason::kNotAContact);
}

TEST(ForwardRulesTest, UnverifiedAddressIsNeverUsed) {
  ForwardSettings settings = EmailOnly();
  settings.of(Channel::kEmail).address->verified = false;
  settings.of(Channel::kEmail).address->pending =
      VerificationCode{"123456", At(12, 0), 0};
  DayCounts counts;
  EXPECT_EQ(Email(settings, FromContact(At(12, 0), At(12, 0), counts)).reason,
            SkipReason::kNoVerifiedAddress);
}

TEST(ForwardRulesTest, DisabledRuleDoesNotForward) {
  ForwardSettings settings = EmailOnly();
  settings.of(Channel::kEmail).rule.enabled = false;
  DayCounts counts;
  EXPECT_EQ(Email(settings, FromContact(At(12, 0), At(12, 0), counts)).reason,
            SkipReason::kRuleOff);
}

TEST(ForwardRulesTest, SettingsOutOfBoundsAreInvalid) {
  EXPECT_TRUE(ValidateSettings(EmailOnly()).ok());
  auto invalid = [](auto change) {
    ForwardSettings settings = EmailOnly();
    change(settings);
    return ValidateSettings(settings).code() == Status::Code::kInvalidArgument;
  };
  EXPECT_TRUE(invalid([](ForwardSettings& s) { s.utc_offset_minutes = 841; }));
  EXPECT_TRUE(invalid([](ForwardSettings& s) { s.utc_offset_minutes = -841; }));
  EXPECT_TRUE(invalid(
      [](ForwardSettings& s) { s.of(Channel::kSms).rule.after_minutes = 0; }));
  EXPECT_TRUE(invalid([](ForwardSettings& s) {
    s.of(Channel::kSms).rule.after_minutes = 1441;
  }));
  EXPECT_TRUE(invalid(
      [](ForwardSettings& s) { s.of(Channel::kFax).rule.quiet_end = 1440; }));
  EXPECT_TRUE(invalid(
      [](ForwardSettings& s) { s.of(Channel::kFax).rule.daily_cap = 0; }));
  EXPECT_TRUE(invalid(
      [](ForwardSettings& s) { s.of(Channel::kFax).rule.daily_cap = 101; }));
  EXPECT_TRUE(invalid([](ForwardSettings& s) {
    s.of(Channel::kEmail).rule.contacts.assign(65, kAlice);
  }));
  EXPECT_TRUE(invalid([](ForwardSettings& s) {
    s.of(Channel::kEmail).address->address.clear();
  }));
  EXPECT_TRUE(invalid([](ForwardSettings& s) {
    s.of(Channel::kEmail).address->pending = VerificationCode{"12345a", 1, 0};
  }));
}

// --- codes ---

ForwardAddress WithCode(const std::string& digits, uint64_t created) {
  ForwardAddress address;
  address.address = "bob@example.org";
  address.pending = VerificationCode{digits, created, 0};
  return address;
}

TEST(ForwardCodeTest, RightCodeVerifiesTheAddressOnce) {
  ForwardAddress address = WithCode("042917", At(12, 0));
  EXPECT_EQ(CheckCode(&address, "042917", At(12, 29)), CodeCheck::kVerified);
  EXPECT_TRUE(address.verified);
  EXPECT_FALSE(address.pending);
  EXPECT_EQ(CheckCode(&address, "042917", At(12, 29)), CodeCheck::kNoCode);
}

TEST(ForwardCodeTest, FifthWrongTryVoidsTheCode) {
  ForwardAddress address = WithCode("042917", At(12, 0));
  for (int i = 1; i <= 4; ++i) {
    EXPECT_EQ(CheckCode(&address, "000000", At(12, 1)), CodeCheck::kWrong);
    EXPECT_EQ(address.pending->wrong_tries, i);
  }
  EXPECT_EQ(CheckCode(&address, "42917", At(12, 1)), CodeCheck::kVoided);
  EXPECT_FALSE(address.pending);
  EXPECT_EQ(CheckCode(&address, "042917", At(12, 1)), CodeCheck::kNoCode);
  EXPECT_FALSE(address.verified);
}

TEST(ForwardCodeTest, CodeExpiresAfterThirtyMinutes) {
  ForwardAddress address = WithCode("042917", At(12, 0));
  EXPECT_EQ(CheckCode(&address, "042917", At(12, 30)), CodeCheck::kExpired);
  EXPECT_FALSE(address.verified);
  EXPECT_FALSE(address.pending);
}

TEST(ForwardCodeTest, NewCodesAreSixDigits) {
  for (int i = 0; i < 20; ++i) {
    VerificationCode code = NewVerificationCode(At(12, 0));
    ASSERT_EQ(code.digits.size(), kCodeDigits);
    for (char c : code.digits) EXPECT_TRUE(c >= '0' && c <= '9');
    EXPECT_EQ(code.created_unix, At(12, 0));
    EXPECT_EQ(code.wrong_tries, 0);
  }
}

}  // namespace
}  // namespace hail::server::forward
