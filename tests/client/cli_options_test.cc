#include "client/cli_options.h"

#include <gtest/gtest.h>

#include <vector>

#include "protocol/handshake.h"

namespace hail::client {
namespace {

CliParse Parse(std::vector<const char*> words) {
  words.insert(words.begin(), "hail");
  return ParseCommandLine(words);
}

TEST(CliOptionsTest, DefaultsForAPlainCommand) {
  CliParse parse = Parse({"ping"});
  ASSERT_EQ(parse.outcome, CliParse::Outcome::kRun) << parse.text;
  EXPECT_EQ(parse.options.command, Command::kPing);
  EXPECT_EQ(parse.options.server.ToString(), "127.0.0.1:4000");
  EXPECT_FALSE(parse.options.json);
  EXPECT_FALSE(parse.options.trusted_identity.has_value());
  EXPECT_EQ(parse.options.timeout_seconds, 10);
  EXPECT_EQ(parse.options.transport, TransportChoice::kAuto);
}

TEST(CliOptionsTest, TransportChoosesUdpTcpOrAuto) {
  EXPECT_EQ(Parse({"--transport", "tcp", "ping"}).options.transport,
            TransportChoice::kTcp);
  EXPECT_EQ(Parse({"ping", "--transport", "udp"}).options.transport,
            TransportChoice::kUdp);
  EXPECT_EQ(Parse({"--transport", "auto", "ping"}).options.transport,
            TransportChoice::kAuto);
}

// Issue 12: with haild's --tcp-port unlike its UDP port, the CLI had no way
// to reach TCP (SPEC.md 3.8: nothing on the wire tells the client).
TEST(CliOptionsTest, TcpPortNamesTheServersTcpFallbackPort) {
  EXPECT_FALSE(Parse({"ping"}).options.tcp_port.has_value());
  CliParse parse =
      Parse({"--server", "10.0.0.1:4000", "--tcp-port", "443", "ping"});
  ASSERT_EQ(parse.outcome, CliParse::Outcome::kRun) << parse.text;
  EXPECT_EQ(parse.options.tcp_port, 443);
  EXPECT_EQ(parse.options.server.port, 4000);
  for (const char* bad : {"0", "65536", "https", "44x", "-1", ""}) {
    EXPECT_EQ(Parse({"--tcp-port", bad, "ping"}).outcome,
              CliParse::Outcome::kUsageError)
        << bad;
  }
}

TEST(CliOptionsTest, GlobalOptionsBeforeOrAfterTheCommand) {
  std::string fingerprint = "ed25519:" + std::string(64, 'a');
  CliParse parse =
      Parse({"--server", "10.0.0.1:4100", "login", "Alice", "--json",
             "--timeout", "3", "--trust", fingerprint.c_str()});
  ASSERT_EQ(parse.outcome, CliParse::Outcome::kRun) << parse.text;
  EXPECT_EQ(parse.options.command, Command::kLogin);
  EXPECT_EQ(parse.options.username, "Alice");
  EXPECT_EQ(parse.options.server.ToString(), "10.0.0.1:4100");
  EXPECT_TRUE(parse.options.json);
  EXPECT_EQ(parse.options.timeout_seconds, 3);
  ASSERT_TRUE(parse.options.trusted_identity.has_value());
  EXPECT_EQ(protocol::Fingerprint(*parse.options.trusted_identity),
            fingerprint);
}

TEST(CliOptionsTest, EveryCommandIsKnownByItsName) {
  struct Case {
    const char* name;
    Command command;
    bool takes_name;
  };
  for (const Case& c : {Case{"register", Command::kRegister, true},
                        Case{"login", Command::kLogin, true},
                        Case{"whoami", Command::kWhoami, true},
                        Case{"passwd", Command::kPasswd, true},
                        Case{"delete-account", Command::kDeleteAccount, true},
                        Case{"ping", Command::kPing, false},
                        Case{"fingerprint", Command::kFingerprint, false}}) {
    CliParse parse = c.takes_name ? Parse({c.name, "alice"}) : Parse({c.name});
    ASSERT_EQ(parse.outcome, CliParse::Outcome::kRun) << c.name;
    EXPECT_EQ(parse.options.command, c.command);
    EXPECT_EQ(CommandName(c.command), c.name);
  }
}

// Issue #3: contact, presence and message commands.
TEST(CliOptionsTest, ContactCommandsTakeOneValidName) {
  struct Case {
    const char* name;
    Command command;
  };
  for (const Case& c :
       {Case{"accept", Command::kAccept}, Case{"deny", Command::kDeny},
        Case{"remove", Command::kRemove}, Case{"block", Command::kBlock},
        Case{"unblock", Command::kUnblock}}) {
    CliParse parse = Parse({c.name, "Bob"});
    ASSERT_EQ(parse.outcome, CliParse::Outcome::kRun) << c.name;
    EXPECT_EQ(parse.options.command, c.command);
    EXPECT_EQ(CommandName(c.command), c.name);
    EXPECT_EQ(parse.options.arguments, std::vector<std::string>{"Bob"});
    EXPECT_TRUE(parse.options.username.empty()) << "settled by the runner";
    EXPECT_EQ(Parse({c.name}).outcome, CliParse::Outcome::kUsageError);
    EXPECT_EQ(Parse({c.name, "bob", "carol"}).outcome,
              CliParse::Outcome::kUsageError);
    EXPECT_EQ(Parse({c.name, "9bob"}).outcome, CliParse::Outcome::kUsageError);
  }
}

TEST(CliOptionsTest, TextIsTheRemainingWordsJoined) {
  CliParse send = Parse({"send", "bob", "hello", "there,", "bob"});
  ASSERT_EQ(send.outcome, CliParse::Outcome::kRun) << send.text;
  EXPECT_EQ(send.options.command, Command::kSend);
  EXPECT_EQ(send.options.arguments,
            (std::vector<std::string>{"bob", "hello there, bob"}));
  CliParse quoted = Parse({"send", "bob", "one  argument"});
  EXPECT_EQ(quoted.options.arguments.at(1), "one  argument");
  EXPECT_EQ(Parse({"send", "bob"}).outcome, CliParse::Outcome::kUsageError);

  CliParse add = Parse({"add", "carol"});
  ASSERT_EQ(add.outcome, CliParse::Outcome::kRun);
  EXPECT_EQ(add.options.arguments, std::vector<std::string>{"carol"});
  CliParse add_note = Parse({"add", "carol", "it's", "me"});
  EXPECT_EQ(add_note.options.arguments,
            (std::vector<std::string>{"carol", "it's me"}));
}

TEST(CliOptionsTest, StatusTakesAPresenceAndOptionalText) {
  CliParse away = Parse({"status", "AWAY", "at", "lunch"});
  ASSERT_EQ(away.outcome, CliParse::Outcome::kRun) << away.text;
  EXPECT_EQ(away.options.presence, protocol::Presence::kAway);
  EXPECT_EQ(away.options.arguments.at(1), "at lunch");
  CliParse invisible = Parse({"status", "invisible"});
  ASSERT_EQ(invisible.outcome, CliParse::Outcome::kRun);
  EXPECT_EQ(invisible.options.presence, protocol::Presence::kInvisible);
  EXPECT_EQ(Parse({"status", "offline"}).outcome,
            CliParse::Outcome::kUsageError);
  EXPECT_EQ(Parse({"status"}).outcome, CliParse::Outcome::kUsageError);
}

TEST(CliOptionsTest, SessionCommandsTakeNoArguments) {
  for (const char* name : {"who", "inbox", "listen", "chat"}) {
    CliParse parse = Parse({name, "--json"});
    ASSERT_EQ(parse.outcome, CliParse::Outcome::kRun) << name;
    EXPECT_EQ(CommandName(parse.options.command), name);
    EXPECT_EQ(Parse({name, "extra"}).outcome, CliParse::Outcome::kUsageError);
  }
}

TEST(CliOptionsTest, UntilEofIsForListenOnly) {
  CliParse listen = Parse({"listen", "--until-eof"});
  ASSERT_EQ(listen.outcome, CliParse::Outcome::kRun);
  EXPECT_TRUE(listen.options.until_eof);
  EXPECT_FALSE(Parse({"listen"}).options.until_eof);
  EXPECT_EQ(Parse({"who", "--until-eof"}).outcome,
            CliParse::Outcome::kUsageError);
}

TEST(CliOptionsTest, UserOptionIsCheckedAndKept) {
  CliParse parse = Parse({"--user", "Alice", "who"});
  ASSERT_EQ(parse.outcome, CliParse::Outcome::kRun);
  EXPECT_EQ(parse.options.login_user, "Alice");
  EXPECT_EQ(Parse({"--user", "a", "who"}).outcome,
            CliParse::Outcome::kUsageError);
}

TEST(CliOptionsTest, NoCommandIsChatOnlyForATerminal) {
  std::vector<const char*> argv = {"hail", "--server", "10.0.0.1:4100"};
  CliParse terminal = ParseCommandLine(argv, /*chat_without_command=*/true);
  ASSERT_EQ(terminal.outcome, CliParse::Outcome::kRun);
  EXPECT_EQ(terminal.options.command, Command::kChat);
  EXPECT_EQ(ParseCommandLine(argv).outcome, CliParse::Outcome::kUsageError);
}

TEST(CliOptionsTest, HelpAndVersion) {
  EXPECT_EQ(Parse({"--help"}).outcome, CliParse::Outcome::kHelp);
  EXPECT_EQ(Parse({"login", "x", "-h"}).outcome, CliParse::Outcome::kHelp);
  EXPECT_EQ(Parse({"--version"}).outcome, CliParse::Outcome::kVersion);
  EXPECT_NE(HelpText().find("Exit codes"), std::string::npos);
  EXPECT_NE(HelpText().find("HAIL_PASSWORD"), std::string::npos);
  EXPECT_NE(HelpText().find("HAIL_USER"), std::string::npos);
  EXPECT_NE(HelpText().find("send NAME TEXT"), std::string::npos);
}

TEST(CliOptionsTest, UsageErrors) {
  std::vector<std::vector<const char*>> cases = {
      {},
      {"frobnicate"},
      {"login"},
      {"login", "a", "b"},
      {"ping", "extra"},
      {"--server", "nohost:", "ping"},
      {"--server", "[::1]:4000", "ping"},
      {"--trust", "ed25519:zz", "ping"},
      {"--timeout", "0", "ping"},
      {"--transport", "quic", "ping"},
      {"--timeout", "ten", "ping"},
      {"--bogus", "ping"},
      {"--server"},
  };
  for (const auto& words : cases) {
    CliParse parse = Parse(words);
    EXPECT_EQ(parse.outcome, CliParse::Outcome::kUsageError)
        << (words.empty() ? "(nothing)" : words[0]);
    EXPECT_FALSE(parse.text.empty());
  }
}

}  // namespace
}  // namespace hail::client
