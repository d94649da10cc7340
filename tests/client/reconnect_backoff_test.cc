#include "client/reconnect_backoff.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

namespace hail::client {
namespace {

TEST(ReconnectBackoffTest, FirstAttemptAtOnceThenDoublesFromOneSecondToTen) {
  ReconnectBackoff backoff;
  std::vector<uint64_t> delays;
  for (int i = 0; i < 8; ++i) delays.push_back(backoff.NextDelayMs(0));
  EXPECT_EQ(delays, (std::vector<uint64_t>{0, 1000, 2000, 4000, 8000, 10000,
                                           10000, 10000}));
  EXPECT_EQ(backoff.attempts(), 8u);
}

TEST(ReconnectBackoffTest, ResetStartsOverAtOnce) {
  ReconnectBackoff backoff;
  backoff.NextDelayMs(0);
  backoff.NextDelayMs(0);
  backoff.Reset();
  EXPECT_EQ(backoff.attempts(), 0u);
  EXPECT_EQ(backoff.NextDelayMs(0), 0u);
  EXPECT_EQ(backoff.NextDelayMs(0), 1000u);
}

// Issue 10, point 6: the first attempt used to wait exactly 500 ms for
// every client, so a restarted server got all of them in the same instant.
TEST(ReconnectBackoffTest, Issue10FirstAttemptIsSpreadOverHalfASecond) {
  std::vector<uint64_t> firsts;
  for (uint32_t random : {0u, 1u, 250u, 499u, 500u, 501u, 0xffffffffu}) {
    ReconnectBackoff backoff;
    firsts.push_back(backoff.NextDelayMs(random));
  }
  EXPECT_EQ(firsts, (std::vector<uint64_t>{0, 1, 250, 499, 500, 0, 6}));
  for (uint64_t first : firsts) EXPECT_LE(first, 500u);
}

TEST(ReconnectBackoffTest, LaterJitterShortensByAtMostAQuarter) {
  for (uint32_t random : {1u, 77u, 1000u, 123456789u, 0xffffffffu}) {
    ReconnectBackoff backoff;
    EXPECT_LE(backoff.NextDelayMs(random), 500u);
    uint64_t nominal = 1000;
    for (int i = 0; i < 8; ++i) {
      uint64_t delay = backoff.NextDelayMs(random);
      EXPECT_LE(delay, nominal);
      EXPECT_GE(delay, nominal * 3 / 4);
      nominal = std::min<uint64_t>(nominal * 2, 10000);
    }
  }
}

}  // namespace
}  // namespace hail::client
