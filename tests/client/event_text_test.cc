#include "client/event_text.h"

#include <gtest/gtest.h>

#include <ctime>

namespace hail::client {
namespace {

TEST(EventTextTest, ControlCharactersFromOthersCannotReachTheTerminal) {
  EXPECT_EQ(TerminalSafe("\x1b[2J\x1b]0;pwned\x07ok"), "?[2J?]0;pwned?ok");
  EXPECT_EQ(TerminalSafe("tab\there\rdel\x7f"), "tab?here?del?");
  EXPECT_EQ(TerminalSafe("c1 \xc2\x9b"
                         "31m"),
            "c1 ?31m")
      << "CSI as U+009B";
  EXPECT_EQ(TerminalSafe("line one\nline two"), "line one?line two");
  EXPECT_EQ(TerminalSafe("caf\xc3\xa9 \xc2\xa0nbsp"),
            "caf\xc3\xa9 \xc2\xa0nbsp");
}

TEST(EventTextTest, MessagesShowSenderTimeAndWhetherStored) {
  uint64_t now = static_cast<uint64_t>(std::time(nullptr));
  MessageReceived message;
  message.sender = "bob";
  message.text = "hi\x1b[31m";
  message.accepted_unix = now;
  std::string live = *EventText(message);
  EXPECT_EQ(live, "[" + FormatWhen(now, now) + "] bob: hi?[31m");
  message.from_mailbox = true;
  EXPECT_NE(EventText(message)->find("bob (stored): "), std::string::npos);
}

// Issue 12: "...\n[11:45] alice: fake" in a message could pass for a
// second message from someone else; in a note or a status, for anything.
TEST(EventTextTest, TextFromOthersCannotPassForALineOfHailsOwn) {
  uint64_t now = static_cast<uint64_t>(std::time(nullptr));
  MessageReceived message;
  message.sender = "bob";
  message.text = "see you\n[11:45] alice: fake\n* carol is online";
  message.accepted_unix = now;
  EXPECT_EQ(*EventText(message), "[" + FormatWhen(now, now) +
                                     "] bob: see you\n  | [11:45] alice: "
                                     "fake\n  | * carol is online");
  ContactRequest request;
  request.from = "dave";
  request.text = "hi\n* eve accepted your contact request";
  EXPECT_EQ(*EventText(request),
            "* dave asks to add you as a contact: \"hi?* eve accepted your "
            "contact request\"");
  EXPECT_EQ(*EventText(PresenceChanged{1, "bob", protocol::Presence::kAway,
                                       "out\n[11:45] alice: fake"}),
            "* bob is away: out?[11:45] alice: fake");
}

TEST(EventTextTest, AcceptanceSaysLiveOrStoredOrWhy) {
  MessageAccepted accepted;
  accepted.recipient = "bob";
  accepted.route = protocol::Route::kLive;
  accepted.seq = 4;
  EXPECT_EQ(*EventText(accepted), "-> bob: delivered live (#4)");
  accepted.route = protocol::Route::kStored;
  EXPECT_EQ(*EventText(accepted), "-> bob: stored offline (#4)");
  accepted.error = protocol::ErrorCode::kMailboxFull;
  EXPECT_EQ(*EventText(accepted), "-> bob: not sent: MAILBOX_FULL");
  accepted.kept_for_retry = true;
  accepted.retry_in_ms = 1500;
  EXPECT_EQ(*EventText(accepted),
            "-> bob: not sent: MAILBOX_FULL; kept, trying again in 2 s");
}

TEST(EventTextTest, PresenceAndContactNotices) {
  EXPECT_EQ(
      *EventText(PresenceChanged{1, "bob", protocol::Presence::kAway, "lunch"}),
      "* bob is away: lunch");
  EXPECT_EQ(
      *EventText(PresenceChanged{1, "bob", protocol::Presence::kOffline, ""}),
      "* bob is offline");
  ContactRequest request;
  request.from = "dave";
  request.text = "hello";
  EXPECT_EQ(*EventText(request),
            "* dave asks to add you as a contact: \"hello\"");
  request.answered = true;  // accepted meanwhile (issue 12)
  EXPECT_EQ(*EventText(request),
            "* dave asked to add you as a contact: \"hello\" (answered "
            "already)");
  ContactAnswered answer;
  answer.user = "dave";
  answer.accepted = true;
  EXPECT_EQ(*EventText(answer), "* dave accepted your contact request");
}

TEST(EventTextTest, EmptyMailboxSaysNothing) {
  EXPECT_FALSE(EventText(MailboxEnd{0}).has_value());
  EXPECT_EQ(*EventText(MailboxEnd{2}), "* 2 items waited for you");
}

TEST(EventTextTest, WhenIsClockTimeTodayAndDateOtherwise) {
  uint64_t now = static_cast<uint64_t>(std::time(nullptr));
  EXPECT_EQ(FormatWhen(now, now).size(), 5u);               // HH:MM
  EXPECT_EQ(FormatWhen(now - 3 * 86400, now).size(), 16u);  // date and time
}

}  // namespace
}  // namespace hail::client
