#include "server/p2p_broker.h"

#include <gtest/gtest.h>

namespace hail::server {
namespace {

Rendezvous Between(uint64_t session, uint64_t requester, uint64_t peer) {
  Rendezvous r;
  r.session_id = session;
  r.requester = requester;
  r.requester_name = "r" + std::to_string(requester);
  r.peer = peer;
  r.peer_name = "p" + std::to_string(peer);
  return r;
}

TEST(P2pBrokerTest, OnlyTheOfferedUserTakesTheRendezvousOnce) {
  P2pBroker broker(10);
  ASSERT_TRUE(broker.Open(Between(7, 1, 2), 0));
  EXPECT_FALSE(broker.Take(7, 1, 10));  // the requester cannot answer
  EXPECT_FALSE(broker.Take(8, 2, 10));  // another session
  std::optional<Rendezvous> taken = broker.Take(7, 2, 10);
  ASSERT_TRUE(taken);
  EXPECT_EQ(taken->requester, 1u);
  EXPECT_FALSE(broker.Take(7, 2, 11));
  EXPECT_EQ(broker.pending(), 0u);
}

TEST(P2pBrokerTest, OnePendingRendezvousPerPairInEitherDirection) {
  P2pBroker broker(10);
  ASSERT_TRUE(broker.Open(Between(7, 1, 2), 0));
  EXPECT_FALSE(broker.Open(Between(8, 2, 1), 1));
  EXPECT_TRUE(broker.Open(Between(9, 1, 3), 1));
  ASSERT_TRUE(broker.Take(7, 2, 2));
  EXPECT_TRUE(broker.Open(Between(8, 2, 1), 3));
}

TEST(P2pBrokerTest, UnansweredRendezvousExpireAndCapacityIsBounded) {
  P2pBroker broker(2);
  ASSERT_TRUE(broker.Open(Between(1, 1, 2), 0));
  ASSERT_TRUE(broker.Open(Between(2, 3, 4), 0));
  EXPECT_FALSE(broker.Open(Between(3, 5, 6), 0));  // full
  uint64_t later = P2pBroker::kAnswerTimeoutMs;
  EXPECT_FALSE(broker.Take(1, 2, later));  // expired
  EXPECT_TRUE(broker.Open(Between(3, 5, 6), later));
  EXPECT_EQ(broker.pending(), 1u);
}

}  // namespace
}  // namespace hail::server
