// Issue 11, the seed story as people type it: `hail forward add/verify/
// rules/list` against the real haild and aiosmtpd, Alice's `hail send`,
// and the line her `hail inbox` prints when the message left Hail by
// e-mail (SPEC.md 17.7).
#include <gtest/gtest.h>

#include <thread>

#include "tests/integration/forward_rig.h"

namespace hail::testing {
namespace {

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

class ForwardCliTest : public ForwardEmailRig {
 protected:
  // `hail ARGS` as the user with a token in dir/home.
  CommandResult Hail(const std::string& home, std::vector<std::string> args,
                     const std::string& password = "") {
    std::vector<std::string> argv = {HAIL_PATH, "--server", haild_->address(),
                                     "--timeout", "10"};
    argv.insert(argv.end(), args.begin(), args.end());
    return RunCommand(argv, {{"HAIL_HOME", (dir_.path() / home).string()},
                             {"HAIL_PASSWORD", password},
                             {"HAIL_USER", ""},
                             {"HAIL_KEYLOGFILE", ""}});
  }

  void CreateUser(const std::string& name) {
    CommandResult reg = Hail(name, {"register", name}, name + "-password");
    ASSERT_EQ(reg.exit_code, 0) << reg.err;
    CommandResult login = Hail(name, {"login", name}, name + "-password");
    ASSERT_EQ(login.exit_code, 0) << login.err;
  }
};

TEST_F(ForwardCliTest, BobForwardsByEmailAndAlicesInboxSaysItLeftHail) {
  ASSERT_NO_FATAL_FAILURE(StartHaild(EmailFlags(120)));
  ASSERT_NO_FATAL_FAILURE(CreateUser("alice"));
  ASSERT_NO_FATAL_FAILURE(CreateUser("bob"));
  ASSERT_EQ(Hail("alice", {"add", "bob"}).exit_code, 0);
  ASSERT_EQ(Hail("bob", {"accept", "alice"}).exit_code, 0);

  CommandResult add =
      Hail("bob", {"forward", "add", "email", "bob@example.org"});
  ASSERT_EQ(add.exit_code, 0) << add.out << add.err;
  std::vector<SmtpSink::Message> mails = WaitForMails(1);
  ASSERT_EQ(mails.size(), 1u) << haild_->log();
  std::optional<std::string> code = FindCode(mails[0]["body"], "bob");
  ASSERT_TRUE(code) << mails[0]["body"];

  std::string wrong = *code;
  wrong[0] = wrong[0] == '9' ? '0' : static_cast<char>(wrong[0] + 1);
  CommandResult refused =
      Hail("bob", {"--json", "forward", "verify", "email", wrong});
  EXPECT_EQ(refused.exit_code, 1) << refused.out << refused.err;
  EXPECT_TRUE(Contains(refused.out, "WRONG_CODE")) << refused.out;
  CommandResult verified = Hail("bob", {"forward", "verify", "email", *code});
  ASSERT_EQ(verified.exit_code, 0) << verified.out << verified.err;
  CommandResult rules = Hail("bob", {"forward", "rules", "email", "--after",
                                     "1", "--utc-offset", "+00:00"});
  ASSERT_EQ(rules.exit_code, 0) << rules.out << rules.err;
  CommandResult list = Hail("bob", {"--json", "forward", "list"});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_TRUE(Contains(list.out,
                       "\"channel\":\"email\",\"address\":\"bob@example.org\","
                       "\"verified\":true,\"enabled\":true,"
                       "\"after_minutes\":1"))
      << list.out;

  const std::string text = "Grüße 你好";
  CommandResult sent = Hail("alice", {"send", "bob", text});
  ASSERT_EQ(sent.exit_code, 0) << sent.out << sent.err;
  ASSERT_EQ(WaitForMails(2).size(), 2u) << haild_->log();
  EXPECT_EQ(MailsWith(text).size(), 1u);

  // The notice is written after the hand-over; Alice looks until it is in.
  const std::string line =
      "-> bob: forwarded by e-mail (left Hail's encryption)";
  std::string seen;
  const auto deadline = std::chrono::steady_clock::now() + kForwardTimeout;
  while (!Contains(seen, line) && std::chrono::steady_clock::now() < deadline) {
    CommandResult inbox = Hail("alice", {"inbox"});
    ASSERT_EQ(inbox.exit_code, 0) << inbox.err;
    seen += inbox.out;
    if (!Contains(seen, line)) {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  }
  EXPECT_TRUE(Contains(seen, line)) << seen;
}

}  // namespace
}  // namespace hail::testing
