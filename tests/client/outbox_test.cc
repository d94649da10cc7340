#include "client/outbox.h"

#include <gtest/gtest.h>

namespace hail::client {
namespace {

protocol::SendMessage Message(uint8_t fill, std::string text) {
  protocol::SendMessage message;
  message.message_id.fill(fill);
  message.recipient = "bob";
  message.text = std::move(text);
  return message;
}

TEST(OutboxTest, KeepsSendOrderAndTakesByIdFromAnywhere) {
  Outbox outbox;
  outbox.Add(Message(1, "one"));
  outbox.Add(Message(2, "two"));
  outbox.Add(Message(3, "three"));
  ASSERT_EQ(outbox.size(), 3u);
  std::optional<protocol::SendMessage> two =
      outbox.Take(Message(2, "").message_id);
  ASSERT_TRUE(two.has_value());
  EXPECT_EQ(two->text, "two");
  ASSERT_EQ(outbox.size(), 2u);
  EXPECT_EQ(outbox.entries()[0].message.text, "one");
  EXPECT_EQ(outbox.entries()[1].message.text, "three");
}

TEST(OutboxTest, UnknownIdTakesNothing) {
  Outbox outbox;
  outbox.Add(Message(1, "one"));
  EXPECT_FALSE(outbox.Take(Message(9, "").message_id).has_value());
  EXPECT_TRUE(outbox.Contains(Message(1, "").message_id));
  EXPECT_TRUE(outbox.Take(Message(1, "").message_id).has_value());
  EXPECT_FALSE(outbox.Take(Message(1, "").message_id).has_value())
      << "a second MESSAGE_ACCEPTED for the same id matches nothing";
  EXPECT_TRUE(outbox.empty());
}

TEST(OutboxTest,
     RetryDelayDoublesFromOneSecondUpToAMinuteAndJitterOnlyShortens) {
  EXPECT_EQ(Outbox::RetryDelayMs(1, 0), 1000u);
  EXPECT_EQ(Outbox::RetryDelayMs(2, 0), 2000u);
  EXPECT_EQ(Outbox::RetryDelayMs(6, 0), 32000u);
  EXPECT_EQ(Outbox::RetryDelayMs(7, 0), 60000u);
  EXPECT_EQ(Outbox::RetryDelayMs(1000, 0), 60000u);
  EXPECT_EQ(Outbox::RetryDelayMs(1, 0xffffffffu), 750u);
  EXPECT_EQ(Outbox::RetryDelayMs(7, 0xffffffffu), 45000u);
}

TEST(OutboxTest, RefusedForNowIsHeldUnsentUntilItsTimeThenDueOnce) {
  Outbox outbox;
  outbox.Add(Message(1, "one"));
  outbox.Add(Message(2, "two"));
  protocol::ItemId two = Message(2, "").message_id;
  EXPECT_EQ(outbox.Defer(two, 10'000, 0), 1000u);
  EXPECT_FALSE(outbox.Defer(two, 10'000, 0))
      << "an answer for a message not in flight changes nothing";
  EXPECT_EQ(outbox.next_retry_ms(), 11'000u);
  EXPECT_TRUE(outbox.TakeDue(10'999).empty());
  std::vector<protocol::SendMessage> due = outbox.TakeDue(11'000);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].text, "two");
  EXPECT_FALSE(outbox.next_retry_ms());
  EXPECT_TRUE(outbox.TakeDue(99'000).empty()) << "due once";
  // Refused again: the delay doubles; the message keeps its place.
  EXPECT_EQ(outbox.Defer(two, 20'000, 0), 2000u);
  EXPECT_EQ(outbox.entries()[1].refusals, 2u);
  EXPECT_EQ(outbox.size(), 2u);
  outbox.MarkAllSent();  // a resend of everything after a reconnect
  EXPECT_FALSE(outbox.next_retry_ms());
  EXPECT_TRUE(outbox.Take(two).has_value());
}

}  // namespace
}  // namespace hail::client
