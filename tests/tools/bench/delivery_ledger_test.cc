#include "tools/bench/delivery_ledger.h"

#include <gtest/gtest.h>

namespace hail::bench {
namespace {

TEST(StampTest, RoundTripsAndPadsToTheSize) {
  MessageStamp stamp{0xabcdef0123456789, 12, 13, 7, 123456789012345};
  std::string text = EncodeStamp(stamp, 200);
  EXPECT_EQ(text.size(), 200u);
  std::optional<MessageStamp> back = DecodeStamp(text);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->run, stamp.run);
  EXPECT_EQ(back->sender, 12u);
  EXPECT_EQ(back->recipient, 13u);
  EXPECT_EQ(back->seq, 7u);
  EXPECT_EQ(back->sent_ns, stamp.sent_ns);
}

TEST(StampTest, RejectsTextThatIsNotAStamp) {
  EXPECT_FALSE(DecodeStamp("hello"));
  EXPECT_FALSE(DecodeStamp("hb1 zz 1 2 3 4 "));
  EXPECT_FALSE(DecodeStamp("hb1 00000000000000ff 1 2 3"));
}

TEST(DeliveryLedgerTest, CountsAFirstDeliveryAndItsLatency) {
  DeliveryLedger ledger(5, 4);
  MessageStamp stamp = ledger.RecordSend(1, 2, 1'000'000);
  EXPECT_EQ(ledger.outstanding(), 1u);
  EXPECT_EQ(ledger.RecordDelivery(2, stamp, 3'500'000),
            DeliveryLedger::Verdict::kOk);
  EXPECT_EQ(ledger.outstanding(), 0u);
  ASSERT_EQ(ledger.latencies_ms().size(), 1u);
  EXPECT_DOUBLE_EQ(ledger.latencies_ms()[0], 2.5);
  EXPECT_TRUE(ledger.Describe(true, 10).empty());
}

TEST(DeliveryLedgerTest, ASecondDeliveryIsAViolation) {
  DeliveryLedger ledger(5, 4);
  MessageStamp stamp = ledger.RecordSend(0, 3, 0);
  ledger.RecordDelivery(3, stamp, 1);
  EXPECT_EQ(ledger.RecordDelivery(3, stamp, 2),
            DeliveryLedger::Verdict::kDuplicate);
  EXPECT_EQ(ledger.violations(), 1u);
  EXPECT_EQ(ledger.delivered(), 1u);
}

TEST(DeliveryLedgerTest, DeliveryToAnotherUserIsAViolation) {
  DeliveryLedger ledger(5, 4);
  MessageStamp stamp = ledger.RecordSend(0, 3, 0);
  EXPECT_EQ(ledger.RecordDelivery(2, stamp, 1),
            DeliveryLedger::Verdict::kWrongRecipient);
  EXPECT_EQ(ledger.outstanding(), 1u);
  std::vector<std::string> lines = ledger.Describe(true, 10);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0], "message 0#0 for client 3 arrived at client 2");
  EXPECT_EQ(lines[1], "message 0#0 to client 3 never arrived");
}

TEST(DeliveryLedgerTest, LeftoversOfOtherRunsAreNotCounted) {
  DeliveryLedger ledger(5, 4);
  MessageStamp old{4, 0, 1, 0, 0};
  EXPECT_EQ(ledger.RecordDelivery(1, old, 1),
            DeliveryLedger::Verdict::kOtherRun);
  EXPECT_EQ(ledger.violations(), 0u);
}

TEST(DeliveryLedgerTest, AStampNeverSentIsAViolation) {
  DeliveryLedger ledger(5, 4);
  EXPECT_EQ(ledger.RecordDelivery(1, MessageStamp{5, 0, 1, 9, 0}, 1),
            DeliveryLedger::Verdict::kUnknown);
  EXPECT_EQ(ledger.violations(), 1u);
}

}  // namespace
}  // namespace hail::bench
