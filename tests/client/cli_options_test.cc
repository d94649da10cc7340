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

TEST(CliOptionsTest, HelpAndVersion) {
  EXPECT_EQ(Parse({"--help"}).outcome, CliParse::Outcome::kHelp);
  EXPECT_EQ(Parse({"login", "x", "-h"}).outcome, CliParse::Outcome::kHelp);
  EXPECT_EQ(Parse({"--version"}).outcome, CliParse::Outcome::kVersion);
  EXPECT_NE(HelpText().find("Exit codes"), std::string::npos);
  EXPECT_NE(HelpText().find("HAIL_PASSWORD"), std::string::npos);
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
