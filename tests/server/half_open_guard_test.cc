// SPEC.md 4.3: which CONNECTs with a valid cookie get an ENet peer slot, and
// when a half-open peer is let go. A real ENet host; its peer slots are set
// to the states ENet gives an incoming connection.
#include "server/half_open_guard.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>

namespace hail::server {
namespace {

using Verdict = HalfOpenGuard::Verdict;

class HalfOpenGuardTest : public ::testing::Test {
 protected:
  void SetUp() override {
    enet_initialize();
    host_ = enet_host_create(nullptr, 64, 2, 0, 0);
    ASSERT_NE(host_, nullptr);
  }
  void TearDown() override { enet_host_destroy(host_); }

  static ENetAddress Address(const char* ip, uint16_t port) {
    ENetAddress a;
    enet_address_set_host_ip(&a, ip);
    a.port = port;
    return a;
  }
  // Puts slot `i` in `state` for a connection from `from` with `id`.
  void Occupy(size_t i, ENetPeerState state, ENetAddress from, uint32_t id) {
    host_->peers[i].state = state;
    host_->peers[i].address = from;
    host_->peers[i].connectID = ENET_HOST_TO_NET_32(id);  // as ENet keeps it
  }

  ENetHost* host_ = nullptr;
};

TEST_F(HalfOpenGuardTest,
       NewConnectReplacesAHalfOpenOneOfItsAddressAfterOneSecond) {
  HalfOpenGuard guard({8, 16, 4000, 1000});
  ENetAddress a = Address("192.0.2.1", 5000);
  EXPECT_EQ(guard.Judge(host_, a, 1, 0).verdict, Verdict::kAdmit);
  Occupy(3, ENET_PEER_STATE_ACKNOWLEDGING_CONNECT, a, 1);
  size_t expired = 0;
  guard.Sweep(host_, 100, &expired);
  EXPECT_EQ(guard.Judge(host_, a, 1, 200).verdict, Verdict::kRetransmit);
  // While it is young, another connection from the same socket waits its
  // turn (ENet retransmits the CONNECT)...
  EXPECT_EQ(guard.Judge(host_, a, 2, 1099).verdict, Verdict::kOneAtATime);
  // ...and a client that gave it up and retries (after 2 s, SPEC 3.5.4)
  // takes its place.
  HalfOpenGuard::Judgement retry = guard.Judge(host_, a, 2, 1100);
  EXPECT_EQ(retry.verdict, Verdict::kReplace);
  EXPECT_EQ(retry.stale_slot, 3u);
  // Once it completes, the same address and port may open another.
  Occupy(3, ENET_PEER_STATE_CONNECTED, a, 1);
  EXPECT_EQ(guard.Judge(host_, a, 2, 1200).verdict, Verdict::kAdmit);
}

TEST_F(HalfOpenGuardTest, HalfOpenOneNotYetSweptIsNotReplaced) {
  HalfOpenGuard guard({8, 16, 4000, 1000});
  ENetAddress a = Address("192.0.2.1", 5000);
  Occupy(0, ENET_PEER_STATE_ACKNOWLEDGING_CONNECT, a, 1);
  EXPECT_EQ(guard.Judge(host_, a, 2, 5000).verdict, Verdict::kOneAtATime);
}

TEST_F(HalfOpenGuardTest, ReplacingIsAllowedEvenWhenTheAddressIsAtItsLimit) {
  HalfOpenGuard guard({2, 16, 4000, 1000});
  ENetAddress a = Address("192.0.2.1", 5000);
  Occupy(0, ENET_PEER_STATE_ACKNOWLEDGING_CONNECT, a, 1);
  Occupy(1, ENET_PEER_STATE_ACKNOWLEDGING_CONNECT, Address("192.0.2.1", 5001),
         1);
  size_t expired = 0;
  guard.Sweep(host_, 100, &expired);
  EXPECT_EQ(guard.Judge(host_, Address("192.0.2.1", 5002), 1, 1500).verdict,
            Verdict::kTooManyFromAddress);
  EXPECT_EQ(guard.Judge(host_, a, 2, 1500).verdict, Verdict::kReplace);
}

TEST_F(HalfOpenGuardTest, EightHalfOpenConnectionsPerIpAddress) {
  HalfOpenGuard guard({8, 16, 4000, 1000});
  for (uint16_t i = 0; i < 8; ++i) {
    ENetAddress from = Address("192.0.2.1", static_cast<uint16_t>(6000 + i));
    ASSERT_EQ(guard.Judge(host_, from, 7, 0).verdict, Verdict::kAdmit);
    Occupy(i, ENET_PEER_STATE_ACKNOWLEDGING_CONNECT, from, 7);
  }
  EXPECT_EQ(guard.Judge(host_, Address("192.0.2.1", 6100), 7, 0).verdict,
            Verdict::kTooManyFromAddress);
  EXPECT_EQ(guard.Judge(host_, Address("192.0.2.2", 6100), 7, 0).verdict,
            Verdict::kAdmit);
}

TEST_F(HalfOpenGuardTest, HostLimitLeavesTheRestForCompletedConnections) {
  EXPECT_EQ(HalfOpenGuard::PerHostLimit(4095), 1023u);
  EXPECT_EQ(HalfOpenGuard::PerHostLimit(32), 16u);
  HalfOpenGuard guard({8, 16, 4000, 1000});
  for (uint16_t i = 0; i < 16; ++i) {
    std::string ip = "198.51.100." + std::to_string(i + 1);
    Occupy(i, ENET_PEER_STATE_ACKNOWLEDGING_CONNECT, Address(ip.c_str(), 7000),
           9);
  }
  EXPECT_EQ(guard.Judge(host_, Address("203.0.113.9", 7000), 9, 0).verdict,
            Verdict::kTooManyOnHost);
}

TEST_F(HalfOpenGuardTest, HalfOpenPeerIsResetAfterFourSeconds) {
  HalfOpenGuard guard({8, 16, 4000, 1000});
  ENetAddress a = Address("192.0.2.1", 5000);
  Occupy(3, ENET_PEER_STATE_ACKNOWLEDGING_CONNECT, a, 1);
  Occupy(4, ENET_PEER_STATE_CONNECTED, Address("192.0.2.2", 5000), 2);
  size_t expired = 0;
  EXPECT_EQ(guard.Sweep(host_, 10'000, &expired), 1u);
  EXPECT_EQ(guard.Sweep(host_, 13'999, &expired), 1u);
  EXPECT_EQ(expired, 0u);
  EXPECT_EQ(guard.Sweep(host_, 14'000, &expired), 0u);
  EXPECT_EQ(expired, 1u);
  EXPECT_EQ(host_->peers[3].state, ENET_PEER_STATE_DISCONNECTED);
  EXPECT_EQ(host_->peers[4].state, ENET_PEER_STATE_CONNECTED);
}

TEST_F(HalfOpenGuardTest, ANewConnectionInTheSameSlotGetsItsOwnTime) {
  HalfOpenGuard guard({8, 16, 4000, 1000});
  Occupy(3, ENET_PEER_STATE_ACKNOWLEDGING_CONNECT, Address("192.0.2.1", 5000),
         1);
  size_t expired = 0;
  guard.Sweep(host_, 10'000, &expired);
  // Between two sweeps the slot was freed and taken by another connect.
  Occupy(3, ENET_PEER_STATE_ACKNOWLEDGING_CONNECT, Address("192.0.2.7", 5000),
         2);
  EXPECT_EQ(guard.Sweep(host_, 14'500, &expired), 1u);
  EXPECT_EQ(expired, 0u);
}

}  // namespace
}  // namespace hail::server
