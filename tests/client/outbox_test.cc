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
  EXPECT_EQ(outbox.messages()[0].text, "one");
  EXPECT_EQ(outbox.messages()[1].text, "three");
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

}  // namespace
}  // namespace hail::client
