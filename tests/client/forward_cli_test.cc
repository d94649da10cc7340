// Issue 11, client side: `hail forward ...` parsing, and how the
// extended-delivery events read as text and as JSON (SPEC.md section 17).
#include "client/forward_cli.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "client/chat_command.h"
#include "client/cli_options.h"
#include "client/event_json.h"
#include "client/event_text.h"

namespace hail::client {
namespace {

using Action = ForwardCommand::Action;
using protocol::ForwardChannel;

CliParse Parse(std::vector<const char*> words) {
  words.insert(words.begin(), "hail");
  return ParseCommandLine(words);
}

TEST(ForwardCliTest, AddTakesAChannelAndAnAddressOfThatChannel) {
  CliParse parse = Parse({"forward", "add", "email", "bob@example.org"});
  ASSERT_EQ(parse.outcome, CliParse::Outcome::kRun) << parse.text;
  EXPECT_EQ(parse.options.command, Command::kForward);
  EXPECT_EQ(CommandName(Command::kForward), "forward");
  EXPECT_EQ(parse.options.forward.action, Action::kAdd);
  EXPECT_EQ(parse.options.forward.channel, ForwardChannel::kEmail);
  EXPECT_EQ(parse.options.forward.argument, "bob@example.org");

  parse = Parse({"forward", "add", "sms", "+4915112345678", "--user", "bob"});
  ASSERT_EQ(parse.outcome, CliParse::Outcome::kRun) << parse.text;
  EXPECT_EQ(parse.options.forward.channel, ForwardChannel::kSms);
  EXPECT_EQ(parse.options.login_user, "bob");

  for (std::vector<const char*> bad :
       {std::vector<const char*>{"forward", "add", "sms", "bob@example.org"},
        {"forward", "add", "email", "+4915112345678"},
        {"forward", "add", "fax", "030 1234567"},
        {"forward", "add", "pigeon", "bob@example.org"},
        {"forward", "add", "email"},
        {"forward", "add", "email", "a@b.org", "extra"},
        {"forward"},
        {"forward", "send"}}) {
    EXPECT_EQ(Parse(bad).outcome, CliParse::Outcome::kUsageError) << bad.size();
  }
}

TEST(ForwardCliTest, VerifyTakesSixDigitsAndRemoveOnlyAChannel) {
  CliParse parse = Parse({"forward", "verify", "fax", "004711"});
  ASSERT_EQ(parse.outcome, CliParse::Outcome::kRun) << parse.text;
  EXPECT_EQ(parse.options.forward.action, Action::kVerify);
  EXPECT_EQ(parse.options.forward.channel, ForwardChannel::kFax);
  EXPECT_EQ(parse.options.forward.argument, "004711");
  EXPECT_EQ(Parse({"forward", "verify", "fax", "4711"}).outcome,
            CliParse::Outcome::kUsageError);

  parse = Parse({"forward", "remove", "sms"});
  ASSERT_EQ(parse.outcome, CliParse::Outcome::kRun) << parse.text;
  EXPECT_EQ(parse.options.forward.action, Action::kRemove);
  EXPECT_EQ(parse.options.forward.channel, ForwardChannel::kSms);
  EXPECT_EQ(Parse({"forward", "remove", "sms", "now"}).outcome,
            CliParse::Outcome::kUsageError);

  parse = Parse({"forward", "list", "--json"});
  ASSERT_EQ(parse.outcome, CliParse::Outcome::kRun) << parse.text;
  EXPECT_EQ(parse.options.forward.action, Action::kList);
  EXPECT_TRUE(parse.options.json);
}

TEST(ForwardCliTest, RulesWithoutOptionsAreTheDefaultsAndEnabled) {
  CliParse parse = Parse({"forward", "rules", "email"});
  ASSERT_EQ(parse.outcome, CliParse::Outcome::kRun) << parse.text;
  const ForwardCommand& forward = parse.options.forward;
  EXPECT_EQ(forward.action, Action::kRules);
  EXPECT_EQ(forward.rule.enabled, 1);
  EXPECT_EQ(forward.rule.after_minutes, 10);
  EXPECT_EQ(forward.rule.quiet_start, forward.rule.quiet_end);
  EXPECT_EQ(forward.rule.daily_cap, 10);
  EXPECT_EQ(forward.rule.contacts_mode, 0);
  EXPECT_TRUE(forward.rule.contacts.empty());
  EXPECT_FALSE(forward.utc_offset_given);
}

TEST(ForwardCliTest, RuleOptionsFillTheRule) {
  CliParse parse = Parse({"forward", "rules", "sms", "--after", "30", "--quiet",
                          "22:00-07:30", "--utc-offset", "-05:00", "--cap", "5",
                          "--contacts", "Alice,carol"});
  ASSERT_EQ(parse.outcome, CliParse::Outcome::kRun) << parse.text;
  const ForwardCommand& forward = parse.options.forward;
  EXPECT_EQ(forward.channel, ForwardChannel::kSms);
  EXPECT_EQ(forward.rule.enabled, 1);
  EXPECT_EQ(forward.rule.after_minutes, 30);
  EXPECT_EQ(forward.rule.quiet_start, 1320);
  EXPECT_EQ(forward.rule.quiet_end, 450);
  EXPECT_EQ(forward.rule.utc_offset_minutes, -300);
  EXPECT_TRUE(forward.utc_offset_given);
  EXPECT_EQ(forward.rule.daily_cap, 5);
  EXPECT_EQ(forward.rule.contacts_mode, 1);
  EXPECT_EQ(forward.rule.contacts, "alice,carol");
  EXPECT_TRUE(protocol::AreValidForwardRules(forward.rule));

  parse = Parse({"forward", "rules", "fax", "--off", "--quiet", "none",
                 "--contacts", "all"});
  ASSERT_EQ(parse.outcome, CliParse::Outcome::kRun) << parse.text;
  EXPECT_EQ(parse.options.forward.rule.enabled, 0);
  EXPECT_EQ(parse.options.forward.rule.contacts_mode, 0);
}

TEST(ForwardCliTest, OutOfRangeRuleOptionsAreUsageErrors) {
  for (std::vector<const char*> bad : {
           std::vector<const char*>{"forward", "rules", "email", "--after",
                                    "0"},
           {"forward", "rules", "email", "--after", "1441"},
           {"forward", "rules", "email", "--after", "ten"},
           {"forward", "rules", "email", "--quiet", "22:00"},
           {"forward", "rules", "email", "--quiet", "24:00-07:00"},
           {"forward", "rules", "email", "--quiet", "22:60-07:00"},
           {"forward", "rules", "email", "--utc-offset", "+14:01"},
           {"forward", "rules", "email", "--utc-offset", "0100"},
           {"forward", "rules", "email", "--cap", "0"},
           {"forward", "rules", "email", "--cap", "101"},
           {"forward", "rules", "email", "--contacts", "alice,,bob"},
           {"forward", "rules", "email", "--contacts", ""},
       }) {
    CliParse parse = Parse(bad);
    EXPECT_EQ(parse.outcome, CliParse::Outcome::kUsageError)
        << bad[3] << " " << bad[4];
  }
}

TEST(ForwardCliTest, RuleOptionsBelongToForwardRulesOnly) {
  EXPECT_EQ(Parse({"forward", "list", "--cap", "5"}).outcome,
            CliParse::Outcome::kUsageError);
  EXPECT_EQ(Parse({"forward", "add", "email", "b@x.org", "--off"}).outcome,
            CliParse::Outcome::kUsageError);
  EXPECT_EQ(Parse({"send", "bob", "hi", "--after", "5"}).outcome,
            CliParse::Outcome::kUsageError);
}

TEST(ForwardCliTest, TimesAndOffsetsParse) {
  EXPECT_EQ(ParseMinuteOfDay("00:00"), 0);
  EXPECT_EQ(ParseMinuteOfDay("23:59"), 1439);
  EXPECT_FALSE(ParseMinuteOfDay("7:30"));
  EXPECT_EQ(ParseUtcOffset("+05:30"), 330);
  EXPECT_EQ(ParseUtcOffset("-14:00"), -840);
  EXPECT_EQ(ParseUtcOffset("Z"), 0);
  EXPECT_FALSE(ParseUtcOffset("+5:30"));
  EXPECT_EQ(MinuteOfDayText(450), "07:30");
  EXPECT_EQ(UtcOffsetText(-330), "UTC-05:30");
  EXPECT_EQ(UtcOffsetText(60), "UTC+01:00");
}

TEST(ForwardCliTest, HelpListsTheForwardActions) {
  std::string help = HelpText();
  for (const char* part :
       {"forward add email|sms|fax ADDRESS", "forward verify CHANNEL CODE",
        "forward remove CHANNEL", "forward rules CHANNEL", "forward list",
        "--utc-offset", "--contacts", "leaves Hail's encryption"}) {
    EXPECT_NE(help.find(part), std::string::npos) << part;
  }
}

TEST(ForwardCliTest, ChatForwardTakesTheSameWordsWithOptionsInline) {
  ChatCommand command =
      ParseChatLine("/forward rules sms --after 30 --cap 5 --off");
  ASSERT_EQ(command.type, ChatCommand::Type::kForward) << command.error;
  EXPECT_EQ(command.forward.action, Action::kRules);
  EXPECT_EQ(command.forward.channel, ForwardChannel::kSms);
  EXPECT_EQ(command.forward.rule.after_minutes, 30);
  EXPECT_EQ(command.forward.rule.daily_cap, 5);
  EXPECT_EQ(command.forward.rule.enabled, 0);

  command = ParseChatLine("/forward add email bob@example.org");
  ASSERT_EQ(command.type, ChatCommand::Type::kForward) << command.error;
  EXPECT_EQ(command.forward.argument, "bob@example.org");
  EXPECT_EQ(ParseChatLine("/forward list").forward.action, Action::kList);

  for (const char* bad : {"/forward", "/forward rules sms --after",
                          "/forward rules sms --later 5",
                          "/forward verify sms 12", "/forward list --cap 3"}) {
    EXPECT_EQ(ParseChatLine(bad).type, ChatCommand::Type::kInvalid) << bad;
  }
  EXPECT_NE(ChatHelpText().find("/forward ACTION"), std::string::npos);
}

MessageForwarded Notice(uint8_t state, std::string reason = "") {
  MessageForwarded notice;
  notice.item_id.fill(0x40);
  notice.message_id.fill(0x01);
  notice.recipient_id = 10001;
  notice.recipient = "bob";
  notice.channel = static_cast<uint8_t>(ForwardChannel::kEmail);
  notice.state = state;
  notice.reason = std::move(reason);
  notice.state_unix = 1764547920;
  return notice;
}

TEST(ForwardEventTextTest, SenderIsToldTheMessageLeftHailsEncryption) {
  EXPECT_EQ(*EventText(Notice(1)),
            "-> bob: forwarded by e-mail (left Hail's encryption)");
  EXPECT_EQ(*EventText(Notice(2)),
            "-> bob: forwarded by e-mail, delivered (left Hail's encryption)");
  EXPECT_EQ(*EventText(Notice(3, "mailbox unavailable")),
            "-> bob: forwarding by e-mail failed: mailbox unavailable");
  EXPECT_EQ(*EventText(Notice(9)), "-> bob: forwarding by e-mail: state 9");
  std::optional<ItemReference> ack = AcknowledgementFor(Notice(1));
  ASSERT_TRUE(ack);
  EXPECT_EQ(ack->item_id, Notice(1).item_id);
  EXPECT_EQ(ack->sender_id, 0u);
}

TEST(ForwardEventTextTest, AFailureReasonCannotPoseAsAnotherLine) {
  std::string text =
      *EventText(Notice(3, "x\n[12:00] alice: send me your password\x1b[2J"));
  EXPECT_EQ(text.find('\n'), std::string::npos);
  EXPECT_EQ(text.find('\x1b'), std::string::npos);
}

ForwardSetting EmailSetting() {
  ForwardSetting setting;
  setting.request_id = 7;
  setting.channel = static_cast<uint8_t>(ForwardChannel::kEmail);
  setting.address = "bob@example.org";
  setting.verified = true;
  setting.rule.enabled = 1;
  setting.rule.after_minutes = 10;
  setting.rule.quiet_start = 1320;
  setting.rule.quiet_end = 420;
  setting.rule.utc_offset_minutes = -300;
  setting.rule.daily_cap = 20;
  setting.rule.contacts_mode = 1;
  setting.rule.contacts = "alice,carol";
  return setting;
}

TEST(ForwardEventTextTest, SettingShowsAddressAndRule) {
  EXPECT_EQ(*EventText(EmailSetting()),
            "* e-mail: bob@example.org (verified); forwarding after 10 min "
            "offline, quiet 22:00-07:00 (UTC-05:00), at most 20 a day, for "
            "alice,carol");
  ForwardSetting none;
  none.channel = static_cast<uint8_t>(ForwardChannel::kSms);
  EXPECT_EQ(*EventText(none), "* SMS: no address; forwarding off");
}

TEST(ForwardEventJsonTest, SettingAndNoticeCarryEveryField) {
  EXPECT_EQ(EventJson(EmailSetting()),
            "{\"event\":\"forward_setting\",\"request_id\":7,\"channel\":"
            "\"email\",\"address\":\"bob@example.org\",\"verified\":true,"
            "\"enabled\":true,\"after_minutes\":10,\"quiet_start\":1320,"
            "\"quiet_end\":420,\"utc_offset_minutes\":-300,\"daily_cap\":20,"
            "\"contacts_mode\":\"list\",\"contacts\":\"alice,carol\"}\n");
  EXPECT_EQ(EventJson(Notice(3, "number unreachable")),
            "{\"event\":\"message_forwarded\",\"item_id\":"
            "\"40404040404040404040404040404040\",\"message_id\":"
            "\"01010101010101010101010101010101\",\"recipient_id\":10001,"
            "\"recipient\":\"bob\",\"channel\":\"email\",\"state\":"
            "\"failed\",\"state_value\":3,\"reason\":\"number unreachable\","
            "\"state_unix\":1764547920}\n");
  EXPECT_EQ(EventJson(ForwardListEnd{7, 3}),
            "{\"event\":\"forward_list_end\",\"request_id\":7,\"count\":3}\n");
}

}  // namespace
}  // namespace hail::client
