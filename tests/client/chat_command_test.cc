#include "client/chat_command.h"

#include <gtest/gtest.h>

namespace hail::client {
namespace {

using Type = ChatCommand::Type;

TEST(ChatCommandTest, BlankLinesAreEmpty) {
  EXPECT_EQ(ParseChatLine("").type, Type::kEmpty);
  EXPECT_EQ(ParseChatLine("  \t ").type, Type::kEmpty);
}

TEST(ChatCommandTest, PlainTextIsSaidWithInnerSpacesKept) {
  ChatCommand say = ParseChatLine("  hello   there ");
  EXPECT_EQ(say.type, Type::kSay);
  EXPECT_EQ(say.text, "hello   there");
  ChatCommand slash = ParseChatLine("//not a command");
  EXPECT_EQ(slash.type, Type::kSay);
  EXPECT_EQ(slash.text, "/not a command");
}

TEST(ChatCommandTest, MsgTakesANameAndText) {
  ChatCommand msg = ParseChatLine("/msg Bob  see you at 5 ");
  ASSERT_EQ(msg.type, Type::kMsg) << msg.error;
  EXPECT_EQ(msg.name, "bob") << "names are canonical";
  EXPECT_EQ(msg.text, "see you at 5");
  EXPECT_EQ(ParseChatLine("/msg bob").type, Type::kInvalid);
  EXPECT_EQ(ParseChatLine("/msg").type, Type::kInvalid);
  EXPECT_EQ(ParseChatLine("/msg 1bob hi").type, Type::kInvalid);
}

TEST(ChatCommandTest, AddTakesAnOptionalNote) {
  ChatCommand bare = ParseChatLine("/add carol");
  ASSERT_EQ(bare.type, Type::kAdd);
  EXPECT_EQ(bare.name, "carol");
  EXPECT_TRUE(bare.text.empty());
  ChatCommand noted = ParseChatLine("/add carol it's alice from work");
  EXPECT_EQ(noted.text, "it's alice from work");
}

TEST(ChatCommandTest, NameCommandsTakeExactlyOneName) {
  struct Case {
    const char* word;
    Type type;
  };
  for (const Case& c :
       {Case{"accept", Type::kAccept}, Case{"deny", Type::kDeny},
        Case{"remove", Type::kRemove}, Case{"block", Type::kBlock},
        Case{"unblock", Type::kUnblock}}) {
    std::string line = std::string("/") + c.word + " Dave";
    ChatCommand command = ParseChatLine(line);
    EXPECT_EQ(command.type, c.type) << line;
    EXPECT_EQ(command.name, "dave");
    EXPECT_EQ(ParseChatLine(std::string("/") + c.word).type, Type::kInvalid);
    ChatCommand extra = ParseChatLine(line + " eve");
    EXPECT_EQ(extra.type, Type::kInvalid);
    EXPECT_NE(extra.error.find("usage"), std::string::npos) << extra.error;
  }
}

TEST(ChatCommandTest, StatusTakesAPresenceAndOptionalText) {
  ChatCommand busy = ParseChatLine("/status busy  in a meeting");
  ASSERT_EQ(busy.type, Type::kStatus) << busy.error;
  EXPECT_EQ(busy.presence, protocol::Presence::kBusy);
  EXPECT_EQ(busy.text, "in a meeting");
  ChatCommand online = ParseChatLine("/status Online");
  ASSERT_EQ(online.type, Type::kStatus);
  EXPECT_EQ(online.presence, protocol::Presence::kOnline);
  EXPECT_TRUE(online.text.empty());
  EXPECT_EQ(ParseChatLine("/status offline").type, Type::kInvalid);
  EXPECT_EQ(ParseChatLine("/status sleepy").type, Type::kInvalid);
  EXPECT_EQ(ParseChatLine("/status").type, Type::kInvalid);
}

TEST(ChatCommandTest, BareCommandsTakeNothing) {
  EXPECT_EQ(ParseChatLine("/who").type, Type::kWho);
  EXPECT_EQ(ParseChatLine("/help").type, Type::kHelp);
  EXPECT_EQ(ParseChatLine("/quit").type, Type::kQuit);
  EXPECT_EQ(ParseChatLine("/QUIT").type, Type::kQuit);
  EXPECT_EQ(ParseChatLine("/exit").type, Type::kQuit);
  EXPECT_EQ(ParseChatLine("/who cares").type, Type::kInvalid);
}

TEST(ChatCommandTest, UnknownCommandsSayHowToGetHelp) {
  ChatCommand unknown = ParseChatLine("/frobnicate now");
  EXPECT_EQ(unknown.type, Type::kInvalid);
  EXPECT_NE(unknown.error.find("/frobnicate"), std::string::npos);
  EXPECT_NE(unknown.error.find("/help"), std::string::npos);
  EXPECT_EQ(ParseChatLine("/").type, Type::kInvalid);
}

TEST(ChatCommandTest, HelpListsEveryCommand) {
  std::string help = ChatHelpText();
  for (const char* usage :
       {"/add NAME [TEXT]", "/accept NAME", "/deny NAME", "/remove NAME",
        "/block NAME", "/unblock NAME", "/status PRESENCE [TEXT]", "/who",
        "/msg NAME TEXT", "/help", "/quit"}) {
    EXPECT_NE(help.find(usage), std::string::npos) << usage;
  }
}

}  // namespace
}  // namespace hail::client
