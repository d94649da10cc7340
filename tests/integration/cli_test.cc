// Issue #2: the `hail` CLI against the real haild over loopback, as scripts
// use it: $HAIL_HOME for state, $HAIL_PASSWORD for the password, meaningful
// exit codes, --json output.
#include <gtest/gtest.h>

#include <fstream>

#include "tests/integration/haild_process.h"
#include "tests/support/free_port.h"

namespace hail::testing {
namespace {

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    haild_ =
        std::make_unique<HaildProcess>(dir_.path() / "data", FreeUdpPort());
    ASSERT_TRUE(haild_->Start()) << haild_->log();
  }

  CommandResult Hail(const std::string& home, std::vector<std::string> args,
                     const std::string& password = "") {
    std::vector<std::string> argv = {HAIL_PATH, "--server", haild_->address(),
                                     "--timeout", "5"};
    argv.insert(argv.end(), args.begin(), args.end());
    return RunCommand(argv, {{"HAIL_HOME", (dir_.path() / home).string()},
                             {"HAIL_PASSWORD", password},
                             {"HAIL_KEYLOGFILE", ""}});
  }

  TempDir dir_;
  std::unique_ptr<HaildProcess> haild_;
};

TEST_F(CliTest, RegisterLogsInOnceAndLeavesATokenForTheNextCommands) {
  CommandResult reg = Hail("alice", {"register", "Alice"}, "alice-password");
  ASSERT_EQ(reg.exit_code, 0) << reg.err;
  EXPECT_NE(reg.out.find("10000"), std::string::npos) << reg.out;
  EXPECT_NE(reg.out.find("alice"), std::string::npos);
  ASSERT_EQ(Hail("bob", {"register", "bob"}, "bob-password").exit_code, 0);
  EXPECT_EQ(haild_->Stat("logins_password"), 2);  // one per registration

  // No password, no --user: the token stored by register is enough
  // (issue 12: the next command said "no user to log in as").
  CommandResult login = Hail("alice", {"--json", "login", "alice"});
  ASSERT_EQ(login.exit_code, 0) << login.err;
  EXPECT_NE(login.out.find("\"ok\":true"), std::string::npos) << login.out;
  EXPECT_NE(login.out.find("\"resumed\":true"), std::string::npos) << login.out;
  CommandResult who = Hail("alice", {"--json", "who"});
  EXPECT_EQ(who.exit_code, 0) << who.err;

  CommandResult whoami = Hail("alice", {"--json", "whoami", "alice"});
  ASSERT_EQ(whoami.exit_code, 0) << whoami.err;
  EXPECT_NE(whoami.out.find("\"username\":\"alice\""), std::string::npos);
  EXPECT_NE(whoami.out.find("\"observed_endpoint\":\"127.0.0.1:"),
            std::string::npos);
  EXPECT_EQ(haild_->Stat("logins_password"), 2);
  EXPECT_EQ(haild_->Stat("logins_resumed"), 3);
}

TEST_F(CliTest, ForwardListShowsEveryChannelWithoutAddressForANewUser) {
  ASSERT_EQ(Hail("c", {"register", "carol"}, "carol-password").exit_code, 0);
  CommandResult list =
      Hail("c", {"--user", "carol", "forward", "list"}, "carol-password");
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_NE(list.out.find("e-mail: no address; forwarding off"),
            std::string::npos)
      << list.out;
  EXPECT_NE(list.out.find("SMS: no address; forwarding off"), std::string::npos)
      << list.out;
  EXPECT_NE(list.out.find("fax: no address; forwarding off"), std::string::npos)
      << list.out;
}

TEST_F(CliTest, ForwardAddressForAChannelWithoutGatewayIsKeptAndListed) {
  // This haild offers no gateway: settings are kept, nothing is sent
  // (SPEC.md 17.1).
  ASSERT_EQ(Hail("c", {"register", "carol"}, "carol-password").exit_code, 0);
  CommandResult add =
      Hail("c", {"--user", "carol", "forward", "add", "sms", "+4915112345678"},
           "carol-password");
  ASSERT_EQ(add.exit_code, 0) << add.err;
  CommandResult list =
      Hail("c", {"--user", "carol", "forward", "list"}, "carol-password");
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_NE(list.out.find("SMS: +4915112345678 (not verified yet)"),
            std::string::npos)
      << list.out;
}

TEST_F(CliTest, WrongPasswordAndUnknownUserExitOneWithTheSameError) {
  ASSERT_EQ(Hail("c", {"register", "carol"}, "carol-password").exit_code, 0);
  // From another home: no token there, so the password is checked.
  CommandResult wrong =
      Hail("c2", {"--json", "login", "carol"}, "wrong-password");
  CommandResult unknown =
      Hail("c2", {"--json", "login", "nobody"}, "carol-password");
  EXPECT_EQ(wrong.exit_code, 1);
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_NE(wrong.out.find("INVALID_CREDENTIALS"), std::string::npos)
      << wrong.out;
  EXPECT_NE(unknown.out.find("INVALID_CREDENTIALS"), std::string::npos)
      << unknown.out;
  EXPECT_EQ(Hail("c", {"register", "carol"}, "other-password").exit_code, 1);
}

TEST_F(CliTest, ChangedServerIdentityIsRefusedWithExitFour) {
  ASSERT_EQ(Hail("d", {"register", "dora"}, "dora-password").exit_code, 0);
  // Pretend the pinned key was another one.
  std::ofstream(dir_.path() / "d" / "known_servers", std::ios::trunc)
      << haild_->address() << " ed25519:" << std::string(64, 'a') << "\n";
  CommandResult refused = Hail("d", {"login", "dora"}, "dora-password");
  EXPECT_EQ(refused.exit_code, 4);
  EXPECT_NE(refused.err.find(std::string(64, 'a')), std::string::npos)
      << refused.err;
  // Only the registration's login: the refused one sent nothing.
  EXPECT_EQ(haild_->Stat("logins_password"), 1);
  EXPECT_EQ(haild_->Stat("logins_resumed"), 0);
}

TEST_F(CliTest, FingerprintMatchesWhatTheOperatorPrints) {
  CommandResult printed =
      RunCommand({HAILD_PATH, "--data-dir", haild_->data_dir().string(),
                  "--print-fingerprint"});
  ASSERT_EQ(printed.exit_code, 0) << printed.err;
  std::string fingerprint = printed.out.substr(0, printed.out.find('\n'));
  ASSERT_EQ(fingerprint.rfind("ed25519:", 0), 0u) << printed.out;
  CommandResult seen = Hail("g", {"fingerprint"});
  ASSERT_EQ(seen.exit_code, 0) << seen.err;
  EXPECT_NE(seen.out.find(fingerprint), std::string::npos) << seen.out;
  // Pinning up front with --trust works with the operator's fingerprint.
  CommandResult trusted =
      Hail("h", {"--trust", fingerprint, "register", "hugo"}, "hugo-password");
  EXPECT_EQ(trusted.exit_code, 0) << trusted.err;
}

TEST_F(CliTest, NoServerExitsThree) {
  std::vector<std::string> argv = {
      HAIL_PATH,   "--server", "127.0.0.1:" + std::to_string(FreeUdpPort()),
      "--timeout", "2",        "ping"};
  CommandResult result =
      RunCommand(argv, {{"HAIL_HOME", (dir_.path() / "e").string()}});
  EXPECT_EQ(result.exit_code, 3) << result.err;
}

// Issue 12: nothing on the wire tells a client haild's TCP port (SPEC.md
// 3.8); when it differs from the UDP port, --tcp-port says it.
TEST_F(CliTest, TcpPortReachesAServerWhoseTcpPortDiffersFromItsUdpPort) {
  uint16_t tcp_port = FreeTcpPort();
  ASSERT_NE(tcp_port, 0);
  HaildProcess server(dir_.path() / "tcp-data", FreeUdpPort());
  ASSERT_TRUE(server.Start({"--tcp-port", std::to_string(tcp_port)}))
      << server.log();
  auto hail = [&](const std::string& home, std::vector<std::string> args) {
    std::vector<std::string> argv = {HAIL_PATH,   "--server", server.address(),
                                     "--timeout", "3",        "--transport",
                                     "tcp"};
    argv.insert(argv.end(), args.begin(), args.end());
    return RunCommand(argv, {{"HAIL_HOME", (dir_.path() / home).string()},
                             {"HAIL_PASSWORD", "dana-password"},
                             {"HAIL_KEYLOGFILE", ""}});
  };
  // Without it the client tries TCP on the UDP port number: nobody there.
  EXPECT_EQ(hail("d1", {"register", "dana"}).exit_code, 3);
  CommandResult reg =
      hail("d2", {"--tcp-port", std::to_string(tcp_port), "register", "dana"});
  EXPECT_EQ(reg.exit_code, 0) << reg.err << server.log();
  EXPECT_EQ(server.Stat("tcp_accepted"), 1);
}

TEST_F(CliTest, UsageErrorExitsTwo) {
  EXPECT_EQ(Hail("f", {"no-such-command"}).exit_code, 2);
}

}  // namespace
}  // namespace hail::testing
