#include "client/reconnect_backoff.h"

#include <gtest/gtest.h>

namespace hail::client {
namespace {

TEST(ReconnectBackoffTest, DoublesFromHalfASecondUpToTenSeconds) {
  ReconnectBackoff backoff;
  std::vector<uint64_t> delays;
  for (int i = 0; i < 8; ++i) delays.push_back(backoff.NextDelayMs(0));
  EXPECT_EQ(delays, (std::vector<uint64_t>{500, 1000, 2000, 4000, 8000, 10000,
                                           10000, 10000}));
  EXPECT_EQ(backoff.attempts(), 8u);
}

TEST(ReconnectBackoffTest, ResetStartsOverAtHalfASecond) {
  ReconnectBackoff backoff;
  backoff.NextDelayMs(0);
  backoff.NextDelayMs(0);
  backoff.Reset();
  EXPECT_EQ(backoff.attempts(), 0u);
  EXPECT_EQ(backoff.NextDelayMs(0), 500u);
}

TEST(ReconnectBackoffTest, JitterShortensByAtMostAQuarterNeverBelowTheStart) {
  for (uint32_t random : {1u, 77u, 1000u, 123456789u, 0xffffffffu}) {
    ReconnectBackoff backoff;
    uint64_t nominal = 500;
    for (int i = 0; i < 8; ++i) {
      uint64_t delay = backoff.NextDelayMs(random);
      EXPECT_LE(delay, nominal);
      EXPECT_GE(delay, std::max<uint64_t>(nominal * 3 / 4, 500));
      nominal = std::min<uint64_t>(nominal * 2, 10000);
    }
  }
}

}  // namespace
}  // namespace hail::client
