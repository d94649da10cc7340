#include "client/delivery_dedup.h"

#include <gtest/gtest.h>

namespace hail::client {
namespace {

using Seen = DeliveryDedup::Seen;

protocol::ItemId Id(uint8_t fill) {
  protocol::ItemId id;
  id.fill(fill);
  return id;
}

TEST(DeliveryDedupTest, SecondDeliveryOfTheSameItemIsRecognised) {
  DeliveryDedup dedup;
  EXPECT_EQ(dedup.Record(10001, Id(1)), Seen::kNew);
  EXPECT_EQ(dedup.Record(10001, Id(1)), Seen::kReported);
  EXPECT_EQ(dedup.size(), 1u);
}

TEST(DeliveryDedupTest, KeyIsSenderAndItemId) {
  DeliveryDedup dedup;
  EXPECT_EQ(dedup.Record(10001, Id(1)), Seen::kNew);
  EXPECT_EQ(dedup.Record(10002, Id(1)), Seen::kNew)
      << "another sender may pick the same message id";
  EXPECT_EQ(dedup.Record(0, Id(1)), Seen::kNew) << "a server notice";
  EXPECT_EQ(dedup.Record(10001, Id(2)), Seen::kNew);
}

TEST(DeliveryDedupTest, AcknowledgedItemsAreAcknowledgedAgainWhenRepeated) {
  DeliveryDedup dedup;
  dedup.Record(10001, Id(1));
  dedup.MarkAcknowledged(10001, Id(1));
  EXPECT_EQ(dedup.Record(10001, Id(1)), Seen::kAcknowledged);
  // Acknowledged before it was ever seen (while reconnecting).
  dedup.MarkAcknowledged(10001, Id(2));
  EXPECT_EQ(dedup.Record(10001, Id(2)), Seen::kAcknowledged);
}

TEST(DeliveryDedupTest, OldestKeysAreForgottenBeyondCapacity) {
  DeliveryDedup dedup(3);
  for (uint8_t i = 1; i <= 4; ++i)
    EXPECT_EQ(dedup.Record(7, Id(i)), Seen::kNew);
  EXPECT_EQ(dedup.size(), 3u);
  EXPECT_EQ(dedup.Record(7, Id(4)), Seen::kReported);
  EXPECT_EQ(dedup.Record(7, Id(2)), Seen::kReported);
  EXPECT_EQ(dedup.Record(7, Id(1)), Seen::kNew) << "the oldest was forgotten";
}

}  // namespace
}  // namespace hail::client
