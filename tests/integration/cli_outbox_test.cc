// Issue #10 point 5: a `hail send` that timed out may have been stored; the
// next `hail` run resends it with the same message id, so the server answers
// the original acceptance and the recipient gets it once (SPEC.md 10.3,
// 10.5).
#include <gtest/gtest.h>

#include <string>

#include "tests/integration/haild_process.h"
#include "tests/integration/udp_relay.h"

namespace hail::testing {
namespace {

size_t Count(const std::string& haystack, const std::string& needle) {
  size_t count = 0;
  for (size_t at = haystack.find(needle); at != std::string::npos;
       at = haystack.find(needle, at + 1)) {
    ++count;
  }
  return count;
}

class CliOutboxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    haild_ =
        std::make_unique<HaildProcess>(dir_.path() / "data", FreeUdpPort());
    ASSERT_TRUE(haild_->Start()) << haild_->log();
  }

  // `hail ARGS` for the user `name` (home dir/name), at `server`.
  CommandResult Hail(const std::string& name, const std::string& server,
                     std::vector<std::string> args) {
    std::vector<std::string> argv = {
        HAIL_PATH, "--server", server, "--transport", "udp", "--timeout", "8"};
    argv.insert(argv.end(), args.begin(), args.end());
    return RunCommand(argv, {{"HAIL_HOME", (dir_.path() / name).string()},
                             {"HAIL_PASSWORD", name + "-password"},
                             {"HAIL_USER", name},
                             {"HAIL_KEYLOGFILE", ""}});
  }

  TempDir dir_;
  std::unique_ptr<HaildProcess> haild_;
};

TEST_F(CliOutboxTest, TimedOutSendIsResentWithItsIdAndStoredOnce) {
  const std::string direct = haild_->address();
  for (std::string name : {"alice", "bob"}) {
    CommandResult reg = Hail(name, direct, {"register", name});
    ASSERT_EQ(reg.exit_code, 0) << reg.err;
  }
  ASSERT_EQ(Hail("alice", direct, {"login", "alice"}).exit_code, 0);
  ASSERT_EQ(Hail("bob", direct, {"login", "bob"}).exit_code, 0);
  ASSERT_EQ(Hail("alice", direct, {"add", "bob"}).exit_code, 0);
  ASSERT_EQ(Hail("bob", direct, {"accept", "alice"}).exit_code, 0);

  // Alice reaches the server through a relay; her token is for that path.
  UdpRelay relay(haild_->port());
  const std::string relayed = "127.0.0.1:" + std::to_string(relay.port());
  CommandResult login = Hail("alice", relayed, {"login", "alice"});
  ASSERT_EQ(login.exit_code, 0) << login.err;

  // The long text is the only datagram that large: once it has reached the
  // server, nothing comes back, so the answer is lost after the store.
  const std::string first(3000, 'q');
  relay.DropToClientAfterDatagramOf(1200);
  CommandResult timed_out = Hail("alice", relayed, {"send", "bob", first});
  EXPECT_EQ(timed_out.exit_code, 3) << timed_out.out << timed_out.err;
  EXPECT_NE(timed_out.err.find("will be resent with the same message id"),
            std::string::npos)
      << timed_out.err;
  EXPECT_EQ(haild_->WaitForStat("messages_stored", 1, 10000), 1);

  relay.set_drop_to_client(false);
  CommandResult next = Hail("alice", relayed, {"send", "bob", "second"});
  ASSERT_EQ(next.exit_code, 0) << next.out << next.err;
  EXPECT_NE(next.err.find("resending 1 message queued earlier"),
            std::string::npos)
      << next.err;
  EXPECT_NE(next.out.find("resent 1 message queued earlier to bob: stored "
                          "offline"),
            std::string::npos)
      << next.out;
  // The server recognised the resend and stored only "second" anew.
  EXPECT_EQ(haild_->Stat("messages_deduplicated"), 1);
  EXPECT_EQ(haild_->Stat("messages_stored"), 2);

  // Nothing is left to resend: a third run resends nothing.
  CommandResult third = Hail("alice", relayed, {"send", "bob", "third"});
  ASSERT_EQ(third.exit_code, 0) << third.err;
  EXPECT_EQ(third.err.find("queued earlier"), std::string::npos) << third.err;

  CommandResult inbox = Hail("bob", direct, {"inbox"});
  ASSERT_EQ(inbox.exit_code, 0) << inbox.err;
  EXPECT_EQ(Count(inbox.out, first), 1u) << inbox.out;
  EXPECT_EQ(Count(inbox.out, "second"), 1u) << inbox.out;
  EXPECT_EQ(Count(inbox.out, "third"), 1u) << inbox.out;
}

}  // namespace
}  // namespace hail::testing
