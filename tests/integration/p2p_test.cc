// Direct links over loopback with the real haild (SPEC.md "Direct links"):
// rendezvous with consent, hole punching on the session's socket, the
// sealed link, path selection and fallback. NAT behaviour is tested in
// tests/nat with network namespaces.
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "tests/integration/haild_process.h"
#include "tests/integration/test_client.h"

namespace hail::testing {
namespace {

using client::Path;
using protocol::ErrorCode;

class P2pTest : public ::testing::Test {
 protected:
  void SetUp() override {
    haild_ =
        std::make_unique<HaildProcess>(dir_.path() / "data", FreeUdpPort());
    ASSERT_TRUE(haild_->Start(
        {"--auth-burst-per-ip", "200", "--auth-rate-per-ip", "50"}))
        << haild_->log();
  }

  std::unique_ptr<TestClient> LogIn(const std::string& name,
                                    client::P2pPolicy policy) {
    client::ClientOptions options;
    options.server_host = "127.0.0.1";
    options.server_port = haild_->port();
    options.home = dir_.path() / name;
    options.p2p = policy;
    auto c = std::make_unique<TestClient>(options);
    EXPECT_TRUE(c->Connect()) << haild_->log();
    EXPECT_EQ(c->Register(name, name + "-password")->error, ErrorCode::kOk);
    auto result = c->Login(name, name + "-password");
    EXPECT_TRUE(result && result->error == ErrorCode::kOk);
    EXPECT_TRUE(c->WaitFor<client::MailboxEnd>());
    return c;
  }

  // Polls both clients until `done` holds or `timeout_ms` passes; events
  // are set aside in each client's pile.
  static bool Pump(TestClient& a, TestClient& b, std::function<bool()> done,
                   int timeout_ms = 10000) {
    auto deadline = std::chrono::steady_clock::now() +
                    std::chrono::milliseconds(timeout_ms);
    while (std::chrono::steady_clock::now() < deadline) {
      if (done()) return true;
      a.Drain(0);
      b.Drain(0);
      if (auto e = a->Poll(1)) a.Keep(std::move(*e));
      if (auto e = b->Poll(1)) b.Keep(std::move(*e));
    }
    return done();
  }

  void Befriend(TestClient& a, const std::string& a_name, TestClient& b,
                const std::string& b_name) {
    ASSERT_TRUE(a->AddContact(b_name, "").ok());
    ASSERT_TRUE(Pump(a, b, [&] { return b.Has<client::ContactRequest>(); }));
    ASSERT_TRUE(b->AnswerContact(a_name, true).ok());
    ASSERT_TRUE(Pump(a, b, [&] { return a.Has<client::ContactAnswered>(); }));
  }

  TempDir dir_;
  std::unique_ptr<HaildProcess> haild_;
};

TEST_F(P2pTest, AcceptedContactsGetADirectLinkAndChatOverIt) {
  auto alice = LogIn("alice", client::P2pPolicy::kAuto);
  auto bob = LogIn("bob", client::P2pPolicy::kAuto);
  Befriend(*alice, "alice", *bob, "bob");
  auto up = [](TestClient& c, const std::string& peer) {
    return [&c, peer] {
      for (const auto& e : c.others()) {
        if (auto* p = std::get_if<client::PathChanged>(&e);
            p && p->username == peer && p->path == Path::kDirect) {
          return true;
        }
      }
      return false;
    };
  };
  ASSERT_TRUE(Pump(*alice, *bob, [&] {
    return up(*alice, "bob")() && up(*bob, "alice")();
  })) << haild_->log();
  EXPECT_EQ((*alice)->PathTo("bob"), Path::kDirect);
  EXPECT_EQ((*bob)->PathTo("alice"), Path::kDirect);

  std::map<std::string, int64_t> before = haild_->Stats();
  ASSERT_FALSE(before.empty());
  constexpr int kMessages = 50;
  for (int i = 0; i < kMessages; ++i) {
    ASSERT_TRUE((*alice)->SendMessage("bob", "a" + std::to_string(i)).ok());
    ASSERT_TRUE((*bob)->SendMessage("alice", "b" + std::to_string(i)).ok());
  }
  auto count = [](TestClient& c, Path path) {
    int n = 0;
    for (const auto& e : c.others()) {
      if (auto* m = std::get_if<client::MessageReceived>(&e);
          m && m->path == path) {
        ++n;
      }
    }
    return n;
  };
  ASSERT_TRUE(Pump(*alice, *bob, [&] {
    return count(*alice, Path::kDirect) == kMessages &&
           count(*bob, Path::kDirect) == kMessages &&
           (*alice)->unaccepted_messages() == 0 &&
           (*bob)->unaccepted_messages() == 0;
  }));
  std::map<std::string, int64_t> after = haild_->Stats();
  // The server relayed none of it.
  EXPECT_EQ(after["messages_live"], before["messages_live"]);
  EXPECT_EQ(after["messages_stored"], before["messages_stored"]);
  for (const auto& e : alice->others()) {
    if (auto* a = std::get_if<client::MessageAccepted>(&e)) {
      EXPECT_EQ(a->path, Path::kDirect);
      EXPECT_EQ(a->error, ErrorCode::kOk);
    }
  }
}

TEST_F(P2pTest, AskPolicyReportsTheOfferAndLinksOnlyAfterTheUserAccepts) {
  auto alice = LogIn("alice", client::P2pPolicy::kAuto);
  auto bob = LogIn("bob", client::P2pPolicy::kAsk);
  Befriend(*alice, "alice", *bob, "bob");
  ASSERT_TRUE(Pump(*alice, *bob, [&] {
    return bob->Has<client::DirectLinkOffered>();
  })) << haild_->log();
  uint64_t session_id = 0;
  for (const auto& e : bob->others()) {
    if (auto* o = std::get_if<client::DirectLinkOffered>(&e)) {
      EXPECT_EQ(o->username, "alice");
      session_id = o->session_id;
    }
  }
  // Nothing moves until bob says yes.
  EXPECT_EQ((*alice)->PathTo("bob"), Path::kRelay);
  EXPECT_EQ(haild_->Stats()["p2p_ready"], 0);
  ASSERT_TRUE((*bob)->AnswerDirectLink(session_id, true).ok());
  ASSERT_TRUE(Pump(*alice, *bob, [&] {
    return (*alice)->PathTo("bob") == Path::kDirect &&
           (*bob)->PathTo("alice") == Path::kDirect;
  }));
  EXPECT_FALSE((*bob)->AnswerDirectLink(session_id, true).ok());  // used
}

}  // namespace
}  // namespace hail::testing
