// Issue #2 accounts, against the real haild over loopback: register, login,
// logout, identical errors for unknown user and wrong password, password
// change, deletion, session replacement, throttling, shutdown.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "protocol/error_code.h"
#include "tests/integration/haild_process.h"
#include "tests/integration/test_client.h"

namespace hail::testing {
namespace {

using protocol::ErrorCode;

class AccountsTest : public ::testing::Test {
 protected:
  void StartHaild(std::vector<std::string> args = {}) {
    haild_ =
        std::make_unique<HaildProcess>(dir_.path() / "data", FreeUdpPort());
    ASSERT_TRUE(haild_->Start(args)) << haild_->log();
  }
  void SetUp() override { StartHaild(); }

  std::unique_ptr<TestClient> NewClient(const std::string& home) {
    auto c = std::make_unique<TestClient>(dir_.path() / home, haild_->port());
    EXPECT_TRUE(c->Connect()) << haild_->log();
    return c;
  }

  TempDir dir_;
  std::unique_ptr<HaildProcess> haild_;
};

TEST_F(AccountsTest, TwoUsersRegisterLogInAndOut) {
  auto alice = NewClient("alice");
  auto bob = NewClient("bob");
  auto a = alice->Register("alice", "alice-password-1");
  auto b = bob->Register("Bob", "bob-password-12");
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->error, ErrorCode::kOk);
  EXPECT_EQ(b->error, ErrorCode::kOk);
  EXPECT_EQ(b->username, "bob");  // canonical form
  EXPECT_GE(a->user_id, 10000u);
  EXPECT_NE(a->user_id, b->user_id);

  auto la = alice->Login("alice", "alice-password-1");
  auto lb = bob->Login("bob", "bob-password-12");
  ASSERT_TRUE(la && lb);
  EXPECT_EQ(la->error, ErrorCode::kOk);
  EXPECT_EQ(la->user_id, a->user_id);
  EXPECT_EQ(lb->user_id, b->user_id);
  EXPECT_EQ(la->observed_endpoint.ToString().rfind("127.0.0.1:", 0), 0u);
  EXPECT_EQ(haild_->Stat("users_online"), 2);

  // The user sees what the server recorded for this session.
  ASSERT_TRUE((*alice)->RequestSessionInfo().ok());
  auto info = alice->WaitFor<client::SessionInfo>();
  ASSERT_TRUE(info);
  EXPECT_EQ(info->username, "alice");
  EXPECT_EQ(info->client_version, "hail-test/1");
  EXPECT_EQ(info->observed_endpoint, la->observed_endpoint);
  EXPECT_FALSE(info->lan_endpoint.empty());

  // So does the operator, through the admin socket.
  std::string record = haild_->AdminCommand("user alice");
  EXPECT_NE(record.find("\"client_version\":\"hail-test/1\""),
            std::string::npos)
      << record;
  EXPECT_NE(record.find(la->observed_endpoint.ToString()), std::string::npos);

  ASSERT_TRUE((*alice)->Logout().ok());
  auto out = alice->WaitFor<client::LoggedOut>();
  ASSERT_TRUE(out);
  EXPECT_EQ(out->error, ErrorCode::kOk);
  EXPECT_EQ(haild_->WaitForStat("users_online", 1), 1);

  // After logout, account requests need a new login.
  ASSERT_TRUE((*alice)->RequestSessionInfo().ok());
  auto refused = alice->WaitFor<client::ErrorReply>();
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->code, ErrorCode::kBadState);
}

TEST_F(AccountsTest, WrongPasswordAndUnknownUserGetTheSameError) {
  auto c = NewClient("c");
  ASSERT_EQ(c->Register("carol", "carol-password")->error, ErrorCode::kOk);
  int64_t hashes_before = haild_->Stat("password_hashes");
  auto wrong = c->Login("carol", "not-the-password");
  auto unknown = c->Login("nobody-here", "carol-password");
  ASSERT_TRUE(wrong && unknown);
  EXPECT_EQ(wrong->error, ErrorCode::kInvalidCredentials);
  EXPECT_EQ(unknown->error, ErrorCode::kInvalidCredentials);
  EXPECT_EQ(wrong->user_id, 0u);
  EXPECT_EQ(unknown->user_id, 0u);
  // Both cost one Argon2id verification: no timing oracle for existence.
  EXPECT_EQ(haild_->Stat("password_hashes") - hashes_before, 2);
}

TEST_F(AccountsTest, UsernamesAreCaseInsensitiveAndUnique) {
  auto c = NewClient("c");
  ASSERT_EQ(c->Register("dave", "dave-password")->error, ErrorCode::kOk);
  EXPECT_EQ(c->Register("DAVE", "other-password")->error,
            ErrorCode::kUsernameTaken);
  EXPECT_EQ(c->Login("Dave", "dave-password")->error, ErrorCode::kOk);
}

TEST_F(AccountsTest, ChangedPasswordReplacesTheOldOne) {
  auto c = NewClient("c");
  ASSERT_EQ(c->Register("erin", "erin-password-1")->error, ErrorCode::kOk);
  ASSERT_EQ(c->Login("erin", "erin-password-1")->error, ErrorCode::kOk);
  ASSERT_TRUE((*c)->ChangePassword("erin-password-1", "erin-password-2").ok());
  auto changed = c->WaitFor<client::PasswordChanged>();
  ASSERT_TRUE(changed);
  EXPECT_EQ(changed->error, ErrorCode::kOk);

  auto d = NewClient("d");
  EXPECT_EQ(d->Login("erin", "erin-password-1")->error,
            ErrorCode::kInvalidCredentials);
  EXPECT_EQ(d->Login("erin", "erin-password-2")->error, ErrorCode::kOk);
}

TEST_F(AccountsTest, DeletedAccountEndsItsSessionAndCannotLogIn) {
  auto c = NewClient("c");
  ASSERT_EQ(c->Register("frank", "frank-password")->error, ErrorCode::kOk);
  ASSERT_EQ(c->Login("frank", "frank-password")->error, ErrorCode::kOk);
  ASSERT_TRUE((*c)->DeleteAccount("wrong-password").ok());
  EXPECT_EQ(c->WaitFor<client::AccountDeleted>()->error,
            ErrorCode::kInvalidCredentials);
  ASSERT_TRUE((*c)->DeleteAccount("frank-password").ok());
  EXPECT_EQ(c->WaitFor<client::AccountDeleted>()->error, ErrorCode::kOk);
  auto ended = c->WaitFor<client::SessionEnded>();
  ASSERT_TRUE(ended);
  EXPECT_EQ(ended->reason, ErrorCode::kAccountDeleted);

  auto d = NewClient("d");
  EXPECT_EQ(d->Login("frank", "frank-password")->error,
            ErrorCode::kInvalidCredentials);
}

TEST_F(AccountsTest, SecondLoginReplacesTheFirstSession) {
  auto first = NewClient("first");
  ASSERT_EQ(first->Register("gina", "gina-password")->error, ErrorCode::kOk);
  ASSERT_EQ(first->Login("gina", "gina-password")->error, ErrorCode::kOk);
  auto second = NewClient("second");
  ASSERT_EQ(second->Login("gina", "gina-password")->error, ErrorCode::kOk);
  auto ended = first->WaitFor<client::SessionEnded>();
  ASSERT_TRUE(ended);
  EXPECT_EQ(ended->reason, ErrorCode::kSessionReplaced);
  EXPECT_EQ(haild_->Stat("sessions_replaced"), 1);
  EXPECT_EQ(haild_->WaitForStat("users_online", 1), 1);
}

TEST_F(AccountsTest, RepeatedWrongPasswordsAreThrottledBeforeHashing) {
  auto c = NewClient("c");
  ASSERT_EQ(c->Register("hank", "hank-password")->error, ErrorCode::kOk);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(c->Login("hank", "bad-password-" + std::to_string(i))->error,
              ErrorCode::kInvalidCredentials);
  }
  int64_t hashes = haild_->Stat("password_hashes");
  auto throttled = c->Login("hank", "hank-password");
  ASSERT_TRUE(throttled);
  EXPECT_EQ(throttled->error, ErrorCode::kThrottled);
  EXPECT_GT(throttled->retry_after_ms, 0u);
  EXPECT_EQ(haild_->Stat("password_hashes"), hashes);
}

// Issue 10 (1): 12 wrong passwords sent at once over 12 sessions from one
// address. The budget used to be read before hashing and charged after, so
// all 12 were checked; it is taken before hashing now (SPEC.md 7.12).
TEST_F(AccountsTest, ParallelWrongPasswordsFromOneAddressAreCheckedFiveTimes) {
  auto owner = NewClient("owner");
  ASSERT_EQ(owner->Register("hank", "hank-password")->error, ErrorCode::kOk);
  std::vector<std::unique_ptr<TestClient>> guessers;
  for (int i = 0; i < 12; ++i) {
    guessers.push_back(NewClient("guesser" + std::to_string(i)));
  }
  int64_t hashes = haild_->Stat("password_hashes");
  for (size_t i = 0; i < guessers.size(); ++i) {
    ASSERT_TRUE(
        (*guessers[i])->Login("hank", "wrong-guess-" + std::to_string(i)).ok());
  }
  int wrong = 0;
  int throttled = 0;
  for (auto& guesser : guessers) {
    auto result = guesser->WaitFor<client::LoginResult>();
    ASSERT_TRUE(result);
    if (result->error == ErrorCode::kInvalidCredentials) ++wrong;
    if (result->error == ErrorCode::kThrottled) ++throttled;
  }
  EXPECT_EQ(wrong, 5);
  EXPECT_EQ(throttled, 7);
  EXPECT_EQ(haild_->Stat("password_hashes") - hashes, 5);
  EXPECT_EQ(haild_->Stat("password_checks_throttled"), 7);
}

// Issue 10 (2): strangers on many addresses used to lock hank's password
// login for everyone; now they stop after ten, and hank, at an address his
// password worked from, still logs in.
TEST_F(AccountsTest, StrangersGuessingInParallelCannotLockOutAKnownAddress) {
  auto home = NewClient("home");
  ASSERT_EQ(home->Register("hank", "hank-password")->error, ErrorCode::kOk);
  ASSERT_EQ(home->Login("hank", "hank-password")->error, ErrorCode::kOk);
  auto from = [&](const std::string& name, const std::string& address) {
    client::ClientOptions options;
    options.server_port = haild_->port();
    options.local_host = address;
    options.home = dir_.path() / name;
    options.client_version = "hail-test/1";
    options.p2p = client::P2pPolicy::kRelayOnly;
    options.transport = client::TransportChoice::kUdp;
    auto c = std::make_unique<TestClient>(options);
    EXPECT_TRUE(c->Connect()) << haild_->log();
    return c;
  };
  std::vector<std::unique_ptr<TestClient>> strangers;
  for (int i = 0; i < 12; ++i) {
    strangers.push_back(from("stranger" + std::to_string(i),
                             "127.0.0." + std::to_string(20 + i)));
  }
  for (size_t i = 0; i < strangers.size(); ++i) {
    ASSERT_TRUE((*strangers[i])
                    ->Login("hank", "wrong-guess-" + std::to_string(i))
                    .ok());
  }
  int wrong = 0;
  for (auto& stranger : strangers) {
    // Twelve Argon2id hashes in a row: generous on a loaded machine.
    auto result = stranger->WaitFor<client::LoginResult>(30000);
    ASSERT_TRUE(result);
    if (result->error == ErrorCode::kInvalidCredentials) ++wrong;
  }
  EXPECT_EQ(wrong, 10);  // from one address it would have been 5
  // Even the right password is refused from a new address now...
  auto newcomer = from("newcomer", "127.0.0.60");
  EXPECT_EQ(newcomer->Login("hank", "hank-password")->error,
            ErrorCode::kThrottled);
  // ...but not from the address it worked from before.
  auto laptop = NewClient("laptop");
  EXPECT_EQ(laptop->Login("hank", "hank-password")->error, ErrorCode::kOk);
}

TEST_F(AccountsTest, InvalidUsernameAndShortPasswordAreRefusedByTheServer) {
  // The client library checks the rules before sending, so this goes through
  // a name that passes the client's check only after the server's folding:
  // both sides apply the same rules (protocol/account_rules.h).
  auto c = NewClient("c");
  EXPECT_FALSE((*c)->Register("9lives", "long-enough-pw").ok());
  EXPECT_FALSE((*c)->Register("ivan", "short").ok());
}

TEST_F(AccountsTest, SigtermEndsSessionsWithShuttingDownAndExitsZero) {
  auto c = NewClient("c");
  ASSERT_EQ(c->Register("judy", "judy-password")->error, ErrorCode::kOk);
  ASSERT_EQ(c->Login("judy", "judy-password")->error, ErrorCode::kOk);
  // Stop on another thread while this one keeps polling, as a real client.
  std::atomic<int> exit_code = -2;
  std::thread stopper([&] { exit_code = haild_->Stop(); });
  auto ended = c->WaitFor<client::SessionEnded>(5000);
  // Keep answering ENet until the server has let go of us and exited.
  c->WaitFor<client::Disconnected>(5000);
  stopper.join();
  ASSERT_TRUE(ended);
  EXPECT_EQ(ended->reason, ErrorCode::kShuttingDown);
  EXPECT_EQ(exit_code, 0);
}

TEST(ThrottleTest, PasswordCheckingRequestsArePacedPerSourceIp) {
  TempDir dir;
  HaildProcess haild(dir.path() / "data", FreeUdpPort());
  ASSERT_TRUE(
      haild.Start({"--auth-burst-per-ip", "3", "--auth-rate-per-ip", "0.01"}))
      << haild.log();
  TestClient c(dir.path() / "home", haild.port());
  ASSERT_TRUE(c.Connect());
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(c.Register("pace" + std::to_string(i), "pace-password")->error,
              ErrorCode::kOk);
  }
  int64_t hashes = haild.Stat("password_hashes");
  auto refused = c.Register("pace3", "pace-password");
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->error, ErrorCode::kThrottled);
  EXPECT_GT(refused->retry_after_ms, 1000u);
  auto login = c.Login("pace0", "pace-password");
  EXPECT_EQ(login->error, ErrorCode::kThrottled);
  EXPECT_EQ(haild.Stat("password_hashes"), hashes);
  EXPECT_EQ(haild.Stat("throttled"), 2);
}

TEST(WorkerPoolTest, FullHashQueueIsAnsweredServerBusyAndEveryLoginIsAnswered) {
  constexpr int kClients = 8;
  TempDir dir;
  HaildProcess haild(dir.path() / "data", FreeUdpPort());
  ASSERT_TRUE(haild.Start({"--hash-threads", "1", "--hash-queue", "1",
                           "--auth-burst-per-ip", "100"}))
      << haild.log();
  std::vector<std::unique_ptr<TestClient>> clients;
  for (int i = 0; i < kClients; ++i) {
    clients.push_back(std::make_unique<TestClient>(
        dir.path() / ("home" + std::to_string(i)), haild.port()));
    ASSERT_TRUE(clients.back()->Connect());
  }
  // All logins leave before any answer is read: one hashes, one waits, the
  // rest find the queue full.
  for (auto& c : clients)
    ASSERT_TRUE((*c)->Login("nobody", "whatever-pw").ok());
  int busy = 0, answered = 0;
  for (auto& c : clients) {
    auto result = c->WaitFor<client::LoginResult>();
    ASSERT_TRUE(result);
    ++answered;
    if (result->error == ErrorCode::kServerBusy) {
      ++busy;
    } else {
      EXPECT_EQ(result->error, ErrorCode::kInvalidCredentials);
    }
  }
  EXPECT_EQ(answered, kClients);
  EXPECT_GE(busy, 1);
  EXPECT_EQ(haild.Stat("server_busy"), busy);
  // A refused session can try again.
  auto retry = clients[0]->Login("nobody", "whatever-pw");
  ASSERT_TRUE(retry);
  EXPECT_NE(retry->error, ErrorCode::kBadState);
}

TEST(LogFormatTest, JsonFlagMakesEveryLogLineAJsonObject) {
  TempDir dir;
  HaildProcess haild(dir.path() / "data", FreeUdpPort());
  ASSERT_TRUE(haild.Start({"--log-format", "json"})) << haild.log();
  ASSERT_EQ(haild.Stop(), 0);
  std::string log = haild.log();
  ASSERT_FALSE(log.empty());
  size_t lines = 0;
  for (size_t pos = 0; pos < log.size();) {
    size_t end = log.find('\n', pos);
    std::string line = log.substr(pos, end - pos);
    EXPECT_EQ(line.rfind("{\"ts\":\"", 0), 0u) << line;
    EXPECT_EQ(line.back(), '}') << line;
    ++lines;
    pos = end == std::string::npos ? log.size() : end + 1;
  }
  EXPECT_GE(lines, 2u);  // started and stopped
}

TEST(LoopThreadsTest, TwoLoopThreadsOnOnePortServeEveryClient) {
  TempDir dir;
  HaildProcess haild(dir.path() / "data", FreeUdpPort());
  ASSERT_TRUE(
      haild.Start({"--loop-threads", "2", "--auth-burst-per-ip", "100"}))
      << haild.log();
  std::vector<std::unique_ptr<TestClient>> clients;
  for (int i = 0; i < 6; ++i) {
    clients.push_back(std::make_unique<TestClient>(
        dir.path() / ("home" + std::to_string(i)), haild.port()));
    ASSERT_TRUE(clients.back()->Connect()) << haild.log();
  }
  for (int i = 0; i < 6; ++i) {
    std::string name = "user" + std::to_string(i);
    ASSERT_EQ(clients[i]->Register(name, "loop-password")->error,
              ErrorCode::kOk);
    ASSERT_EQ(clients[i]->Login(name, "loop-password")->error, ErrorCode::kOk);
  }
  EXPECT_EQ(haild.Stat("users_online"), 6);
  EXPECT_EQ(haild.Stat("sessions"), 6);
}

}  // namespace
}  // namespace hail::testing
