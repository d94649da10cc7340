#include "server/rate_limiter.h"

#include <gtest/gtest.h>

namespace hail::server {
namespace {

TEST(RateLimiterTest, BurstIsAllowedThenRefused) {
  RateLimiter limiter(/*burst=*/3, /*refill_per_second=*/1, /*max_keys=*/10);
  EXPECT_TRUE(limiter.TryAcquire("1.2.3.4", 0));
  EXPECT_TRUE(limiter.TryAcquire("1.2.3.4", 0));
  EXPECT_TRUE(limiter.TryAcquire("1.2.3.4", 0));
  EXPECT_FALSE(limiter.TryAcquire("1.2.3.4", 0));
  EXPECT_FALSE(limiter.TryAcquire("1.2.3.4", 999));
}

TEST(RateLimiterTest, RefundGivesATokenBackButNeverAboveBurst) {
  RateLimiter limiter(2, 0.001, 10);
  EXPECT_TRUE(limiter.TryAcquire("k", 0));
  EXPECT_TRUE(limiter.TryAcquire("k", 0));
  EXPECT_FALSE(limiter.TryAcquire("k", 0));
  limiter.Refund("k", 0);
  EXPECT_TRUE(limiter.TryAcquire("k", 0));
  limiter.Refund("k", 0);
  limiter.Refund("k", 0);
  limiter.Refund("k", 0);  // already full: stays at 2
  EXPECT_TRUE(limiter.TryAcquire("k", 0));
  EXPECT_TRUE(limiter.TryAcquire("k", 0));
  EXPECT_FALSE(limiter.TryAcquire("k", 0));
  limiter.Refund("unknown", 0);  // no bucket: nothing happens
  EXPECT_EQ(limiter.key_count(), 1u);
}

TEST(RateLimiterTest, KeysHaveSeparateBuckets) {
  RateLimiter limiter(1, 1, 10);
  EXPECT_TRUE(limiter.TryAcquire("alice", 0));
  EXPECT_FALSE(limiter.TryAcquire("alice", 0));
  EXPECT_TRUE(limiter.TryAcquire("bob", 0));
}

TEST(RateLimiterTest, BucketRefillsOverTimeUpToBurst) {
  RateLimiter limiter(2, 1, 10);
  EXPECT_TRUE(limiter.TryAcquire("k", 0));
  EXPECT_TRUE(limiter.TryAcquire("k", 0));
  EXPECT_FALSE(limiter.TryAcquire("k", 500));
  EXPECT_TRUE(limiter.TryAcquire("k", 1000));
  EXPECT_FALSE(limiter.TryAcquire("k", 1000));

  // A long pause refills to the burst, not beyond.
  EXPECT_TRUE(limiter.TryAcquire("k", 100'000));
  EXPECT_TRUE(limiter.TryAcquire("k", 100'000));
  EXPECT_FALSE(limiter.TryAcquire("k", 100'000));
}

TEST(RateLimiterTest, RetryAfterMsNamesWhenATokenReturns) {
  RateLimiter limiter(2, /*refill_per_second=*/4, 10);
  EXPECT_EQ(limiter.RetryAfterMs("k", 0), 0u);  // unseen key: full bucket
  EXPECT_TRUE(limiter.TryAcquire("k", 0));
  EXPECT_EQ(limiter.RetryAfterMs("k", 0), 0u);
  EXPECT_TRUE(limiter.TryAcquire("k", 0));
  EXPECT_EQ(limiter.RetryAfterMs("k", 0), 250u);
  EXPECT_EQ(limiter.RetryAfterMs("k", 100), 150u);
  EXPECT_FALSE(limiter.TryAcquire("k", 249));
  EXPECT_TRUE(limiter.TryAcquire("k", 250));
}

TEST(RateLimiterTest, RetryAfterMsRoundsUpToAWholeToken) {
  RateLimiter limiter(1, /*refill_per_second=*/3, 10);
  EXPECT_TRUE(limiter.TryAcquire("k", 0));
  uint64_t wait = limiter.RetryAfterMs("k", 0);
  EXPECT_EQ(wait, 334u);
  EXPECT_FALSE(limiter.TryAcquire("k", wait - 1));
  EXPECT_TRUE(limiter.TryAcquire("k", wait));
}

TEST(RateLimiterTest, TimeGoingBackwardsAddsNoTokens) {
  RateLimiter limiter(1, 1, 10);
  EXPECT_TRUE(limiter.TryAcquire("k", 10'000));
  EXPECT_FALSE(limiter.TryAcquire("k", 5'000));
  EXPECT_FALSE(limiter.TryAcquire("k", 10'999));
  EXPECT_TRUE(limiter.TryAcquire("k", 11'000));
}

TEST(RateLimiterTest, NewKeysAreRefusedWhileEveryBucketIsDrained) {
  RateLimiter limiter(/*burst=*/2, /*refill_per_second=*/1, /*max_keys=*/2);
  EXPECT_TRUE(limiter.TryAcquire("a", 0));
  EXPECT_TRUE(limiter.TryAcquire("b", 0));
  EXPECT_FALSE(limiter.TryAcquire("c", 0));
  EXPECT_FALSE(limiter.TryAcquire("c", 999));
  EXPECT_EQ(limiter.key_count(), 2u);
  // Buckets a and b are full again at t=1000.
  EXPECT_EQ(limiter.RetryAfterMs("c", 500), 500u);
  // Known keys keep working meanwhile.
  EXPECT_TRUE(limiter.TryAcquire("a", 500));
}

TEST(RateLimiterTest, FullBucketsAreDroppedToMakeRoomForNewKeys) {
  RateLimiter limiter(2, 1, 2);
  EXPECT_TRUE(limiter.TryAcquire("a", 0));
  EXPECT_TRUE(limiter.TryAcquire("b", 0));
  EXPECT_TRUE(limiter.TryAcquire("b", 0));
  // At t=1000 a is full again, b is not: only a is dropped.
  EXPECT_TRUE(limiter.TryAcquire("c", 1000));
  EXPECT_EQ(limiter.key_count(), 2u);
  EXPECT_TRUE(limiter.TryAcquire("b", 1000));
  EXPECT_FALSE(limiter.TryAcquire("b", 1000));  // b kept its drained state
  EXPECT_FALSE(limiter.TryAcquire("d", 1000));
}

TEST(RateLimiterTest, ForgottenKeyStartsWithAFullBucket) {
  RateLimiter limiter(2, 1, 1);
  EXPECT_TRUE(limiter.TryAcquire("a", 0));
  EXPECT_TRUE(limiter.TryAcquire("b", 1000));  // a was full, so dropped
  EXPECT_TRUE(limiter.TryAcquire("a", 3000));
  EXPECT_TRUE(limiter.TryAcquire("a", 3000));
  EXPECT_FALSE(limiter.TryAcquire("a", 3000));
}

}  // namespace
}  // namespace hail::server
