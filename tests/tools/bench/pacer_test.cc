#include "tools/bench/pacer.h"

#include <gtest/gtest.h>

namespace hail::bench {
namespace {

constexpr int64_t kMs = 1'000'000;

TEST(PacerTest, SpreadsSendsEvenlyOverTheSecond) {
  Pacer pacer(1000, 0);  // one send per millisecond
  int per_tenth[10] = {};
  for (int64_t t = 0; t < 1000 * kMs; t += kMs / 4) {
    per_tenth[t / (100 * kMs)] += static_cast<int>(pacer.Take(t));
  }
  for (int n : per_tenth) EXPECT_NEAR(n, 100, 1);
  EXPECT_EQ(pacer.taken(), 1000u);
}

TEST(PacerTest, FirstSendIsDueAtTheStart) {
  Pacer pacer(10, 5 * kMs);
  EXPECT_EQ(pacer.Take(4 * kMs), 0u);
  EXPECT_EQ(pacer.Take(5 * kMs), 1u);
  EXPECT_EQ(pacer.Take(5 * kMs), 0u);
  EXPECT_EQ(pacer.next_due_ns(), 105 * kMs);
}

TEST(PacerTest, CatchesUpAfterAStallWithinTheCap) {
  Pacer pacer(1000, 0);
  EXPECT_EQ(pacer.Take(999 * kMs, 300), 300u);
  EXPECT_EQ(pacer.Take(999 * kMs, 300), 300u);
  EXPECT_EQ(pacer.Take(999 * kMs), 400u);
  EXPECT_EQ(pacer.Take(999 * kMs), 0u);
}

}  // namespace
}  // namespace hail::bench
