// SPEC.md section 17: address syntax, codes, rule ranges and the contacts
// field of extended delivery (issue 11).
#include "protocol/forward_rules.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "protocol/forward_messages.h"
#include "protocol/registry.h"

namespace hail::protocol {
namespace {

constexpr uint8_t kEmail = static_cast<uint8_t>(ForwardChannel::kEmail);
constexpr uint8_t kSms = static_cast<uint8_t>(ForwardChannel::kSms);
constexpr uint8_t kFax = static_cast<uint8_t>(ForwardChannel::kFax);

TEST(ForwardRulesTest, PracticalEmailAddressesAreAccepted) {
  for (const char* address :
       {"bob@example.org", "b@x.io", "first.last+hail@mail.example.co.uk",
        "o'brien@example.com", "a-b_c@sub-domain.example", "x@123.45"}) {
    EXPECT_TRUE(IsValidEmailAddress(address)) << address;
    EXPECT_TRUE(IsValidForwardAddress(kEmail, address)) << address;
  }
}

TEST(ForwardRulesTest, MalformedEmailAddressesAreRefused) {
  for (const char* address :
       {"", "bob", "@example.org", "bob@", "bob@example", "bob@@example.org",
        "a@b@example.org", ".bob@example.org", "bob.@example.org",
        "b..ob@example.org", "bob@-example.org", "bob@example-.org",
        "bob@example..org", "bob smith@example.org", "\"bob\"@example.org",
        "bob@exa_mple.org", "b\xc3\xb6@example.org", "bob@example.org\n"}) {
    EXPECT_FALSE(IsValidEmailAddress(address)) << address;
  }
}

TEST(ForwardRulesTest, EmailLengthLimitsHold) {
  std::string local64(64, 'a');
  EXPECT_TRUE(IsValidEmailAddress(local64 + "@example.org"));
  EXPECT_FALSE(IsValidEmailAddress(local64 + "a@example.org"));
  std::string label63(63, 'd');
  EXPECT_TRUE(IsValidEmailAddress("a@" + label63 + ".org"));
  EXPECT_FALSE(IsValidEmailAddress("a@" + label63 + "d.org"));
  // 254 bytes in all is the most.
  std::string domain = label63 + "." + label63 + "." + label63 + ".";
  std::string at_limit =
      "a@" + domain + std::string(254 - 2 - domain.size(), 'e');
  ASSERT_EQ(at_limit.size(), 254u);
  EXPECT_TRUE(IsValidEmailAddress(at_limit));
  EXPECT_FALSE(IsValidEmailAddress("a" + at_limit));
}

TEST(ForwardRulesTest, E164NumbersNeedAPlusAndEightToFifteenDigits) {
  EXPECT_TRUE(IsValidE164Number("+4915112345678"));
  EXPECT_TRUE(IsValidE164Number("+12025550123"));
  EXPECT_TRUE(IsValidE164Number("+12345678"));         // 8 digits
  EXPECT_TRUE(IsValidE164Number("+123456789012345"));  // 15 digits
  EXPECT_FALSE(IsValidE164Number("+1234567"));
  EXPECT_FALSE(IsValidE164Number("+1234567890123456"));
  EXPECT_FALSE(IsValidE164Number("4915112345678"));
  EXPECT_FALSE(IsValidE164Number("+0915112345678"));
  EXPECT_FALSE(IsValidE164Number("+49 151 12345678"));
  EXPECT_FALSE(IsValidE164Number("+49-15112345678"));
  EXPECT_FALSE(IsValidE164Number("+"));
  EXPECT_TRUE(IsValidForwardAddress(kSms, "+4915112345678"));
  EXPECT_TRUE(IsValidForwardAddress(kFax, "+4930123456"));
  EXPECT_FALSE(IsValidForwardAddress(kSms, "bob@example.org"));
  EXPECT_FALSE(IsValidForwardAddress(kEmail, "+4915112345678"));
}

TEST(ForwardRulesTest, UnknownChannelsHaveNoValidAddress) {
  EXPECT_FALSE(IsValidForwardAddress(0, "bob@example.org"));
  EXPECT_FALSE(IsValidForwardAddress(4, "+4915112345678"));
}

TEST(ForwardRulesTest, ChannelNamesRoundTrip) {
  for (uint8_t c = kForwardChannelFirst; c < kForwardChannelEnd; ++c) {
    auto channel = ForwardChannelFromName(ForwardChannelName(c));
    ASSERT_TRUE(channel) << int{c};
    EXPECT_EQ(static_cast<uint8_t>(*channel), c);
  }
  EXPECT_FALSE(ForwardChannelFromName("e-mail"));
  EXPECT_FALSE(ForwardChannelFromName("EMAIL"));
  EXPECT_EQ(ForwardChannelName(9), "channel 9");
  EXPECT_EQ(ForwardChannelLabel(kEmail), "e-mail");
  EXPECT_EQ(ForwardChannelLabel(kSms), "SMS");
}

TEST(ForwardRulesTest, CodesAreExactlySixDigits) {
  EXPECT_TRUE(IsValidForwardCode("493027"));
  EXPECT_TRUE(IsValidForwardCode("000000"));
  EXPECT_FALSE(IsValidForwardCode("49302"));
  EXPECT_FALSE(IsValidForwardCode("4930277"));
  EXPECT_FALSE(IsValidForwardCode("49302a"));
  EXPECT_FALSE(IsValidForwardCode(" 49302"));
}

TEST(ForwardRulesTest, ContactsFieldIsCanonicalisedAndDeduplicated) {
  auto names = ParseForwardContacts("Alice,carol,ALICE");
  ASSERT_TRUE(names);
  EXPECT_EQ(*names, (std::vector<std::string>{"alice", "carol"}));
  EXPECT_EQ(JoinForwardContacts(*names), "alice,carol");
  auto empty = ParseForwardContacts("");
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->empty());
}

TEST(ForwardRulesTest, ContactsFieldWithBadSeparatorsOrNamesIsRefused) {
  for (const char* field : {",alice", "alice,", "alice,,carol", "alice, carol",
                            "alice;carol", "al", "1alice"}) {
    EXPECT_FALSE(ParseForwardContacts(field)) << field;
  }
}

TEST(ForwardRulesTest, AtMostSixtyFourContacts) {
  std::vector<std::string> names;
  for (int i = 0; i < 64; ++i) names.push_back("user" + std::to_string(i));
  EXPECT_TRUE(ParseForwardContacts(JoinForwardContacts(names)));
  names.push_back("user64");
  EXPECT_FALSE(ParseForwardContacts(JoinForwardContacts(names)));
  // 64 names of 32 bytes fit the wire maximum exactly.
  std::vector<std::string> longest;
  for (int i = 0; i < 64; ++i) {
    std::string name = "u" + std::to_string(100 + i);
    longest.push_back(name + std::string(32 - name.size(), 'x'));
  }
  EXPECT_EQ(JoinForwardContacts(longest).size(), kForwardContactsMaxLength);
}

ForwardRuleFields GoodRule() {
  ForwardRuleFields rule;
  rule.enabled = 1;
  rule.after_minutes = 10;
  rule.quiet_start = 1320;
  rule.quiet_end = 420;
  rule.utc_offset_minutes = -300;
  rule.daily_cap = 20;
  return rule;
}

TEST(ForwardRulesTest, RuleRangesAreChecked) {
  EXPECT_TRUE(AreValidForwardRules(GoodRule()));
  EXPECT_TRUE(AreValidForwardRules(ForwardRuleFields{}));  // the defaults
  auto with = [](auto change) {
    ForwardRuleFields rule = GoodRule();
    change(rule);
    return AreValidForwardRules(rule);
  };
  EXPECT_FALSE(with([](auto& r) { r.after_minutes = 0; }));
  EXPECT_TRUE(with([](auto& r) { r.after_minutes = 1440; }));
  EXPECT_FALSE(with([](auto& r) { r.after_minutes = 1441; }));
  EXPECT_FALSE(with([](auto& r) { r.quiet_start = 1440; }));
  EXPECT_FALSE(with([](auto& r) { r.quiet_end = 1440; }));
  EXPECT_TRUE(with([](auto& r) { r.quiet_start = r.quiet_end = 1439; }));
  EXPECT_TRUE(with([](auto& r) { r.utc_offset_minutes = -840; }));
  EXPECT_TRUE(with([](auto& r) { r.utc_offset_minutes = 840; }));
  EXPECT_FALSE(with([](auto& r) { r.utc_offset_minutes = -841; }));
  EXPECT_FALSE(with([](auto& r) { r.utc_offset_minutes = 841; }));
  EXPECT_FALSE(with([](auto& r) { r.daily_cap = 0; }));
  EXPECT_TRUE(with([](auto& r) { r.daily_cap = 100; }));
  EXPECT_FALSE(with([](auto& r) { r.daily_cap = 101; }));
  EXPECT_FALSE(with([](auto& r) { r.contacts_mode = 2; }));
}

TEST(ForwardRulesTest, ContactsAgreeWithTheMode) {
  ForwardRuleFields rule = GoodRule();
  rule.contacts = "alice";
  EXPECT_FALSE(AreValidForwardRules(rule));  // mode all with a list
  rule.contacts_mode = static_cast<uint8_t>(ForwardContactsMode::kList);
  EXPECT_TRUE(AreValidForwardRules(rule));
  rule.contacts = "";
  EXPECT_FALSE(AreValidForwardRules(rule));  // a list of nobody
  rule.contacts = "alice,,bob";
  EXPECT_FALSE(AreValidForwardRules(rule));
}

TEST(ForwardRulesTest, NegativeUtcOffsetTravelsAsTwosComplement) {
  ForwardRulesSet set;
  set.channel = kEmail;
  set.rule = GoodRule();
  Bytes bytes = EncodeMessage(set);
  ASSERT_FALSE(bytes.empty());
  // kind 2, request_id 4, channel 1, enabled 1, three u16 fields: 14.
  EXPECT_EQ(bytes[14], 0xfe);
  EXPECT_EQ(bytes[15], 0xd4);
  Decoded decoded = DecodeMessage(bytes);
  ASSERT_EQ(decoded.status, DecodeStatus::kOk);
  EXPECT_EQ(std::get<ForwardRulesSet>(decoded.message).rule.utc_offset_minutes,
            -300);
  std::vector<PrintedField> fields = DescribeMessage(set);
  ASSERT_GT(fields.size(), 6u);
  EXPECT_EQ(fields[6].name, "utc_offset_minutes");
  EXPECT_EQ(fields[6].value, "-300");
}

TEST(ForwardRulesTest, ForwardEntryAtItsLimitsMatchesTheRegistryBound) {
  ForwardEntry entry;
  entry.address = std::string(kForwardAddressMaxLength, 'a');
  entry.rule.contacts = std::string(kForwardContactsMaxLength, 'c');
  const KindInfo* info = FindKind(static_cast<uint16_t>(Kind::kForwardEntry));
  ASSERT_NE(info, nullptr);
  EXPECT_EQ(EncodeMessage(entry).size(), 2 + info->max_body);
  entry.rule.contacts.push_back('c');
  EXPECT_TRUE(EncodeMessage(entry).empty());
}

}  // namespace
}  // namespace hail::protocol
