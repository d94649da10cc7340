// The parsing half of KannelFixture, on lines Kannel 1.4.5's fakesmsc
// really printed.
#include "tests/support/kannel_fixture.h"

#include <gtest/gtest.h>

namespace hail::testing {
namespace {

TEST(FakeSmscLogTest, SingleUcs2MessageIsParsedAndDecoded) {
  const auto message = ParseFakeSmscLine(
      "2026-12-04 00:05:01 [16223] [0] DEBUG: Got message 1: <hail "
      "+4915112345678 ucs-2 %00a%00l%00i%00c%00e%00%3A%00+%00G%00r%00%FC%00%DF"
      "%00e%00+O%60Y%7D%00+%D8%3D%DE%00>");
  ASSERT_TRUE(message.has_value());
  EXPECT_EQ(message->sender, "hail");
  EXPECT_EQ(message->receiver, "+4915112345678");
  EXPECT_EQ(message->type, "ucs-2");
  EXPECT_TRUE(message->udh.empty());
  EXPECT_EQ(ReassembledUcs2Text({*message}), "alice: Grüße 你好 😀");
}

TEST(FakeSmscLogTest, ConcatenatedPartsAreJoinedInSequenceOrder) {
  const auto first = ParseFakeSmscLine(
      "... DEBUG: Got message 2: <Hail +49 udh %05%00%03%07%02%01 data "
      "%00a%00b>");
  const auto second = ParseFakeSmscLine(
      "... DEBUG: Got message 3: <Hail +49 udh %05%00%03%07%02%02 data "
      "%00c>");
  ASSERT_TRUE(first.has_value());
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(first->udh, std::string("\x05\x00\x03\x07\x02\x01", 6));
  EXPECT_EQ(ReassembledUcs2Text({*second, *first}), "abc");
  EXPECT_FALSE(ReassembledUcs2Text({*first}).has_value());  // 1 of 2
}

TEST(FakeSmscLogTest, PlainTextLineKeepsItsSpaces) {
  const auto message =
      ParseFakeSmscLine("x Got message 4: <123 456 text hello there>");
  ASSERT_TRUE(message.has_value());
  EXPECT_EQ(message->data, "hello there");
}

TEST(FakeSmscLogTest, OtherAndUnfinishedLinesAreNoMessages) {
  EXPECT_FALSE(ParseFakeSmscLine("INFO: fakesmsc starting").has_value());
  EXPECT_FALSE(
      ParseFakeSmscLine("DEBUG: Got message 5: <a b ucs-2 %00a").has_value());
  EXPECT_FALSE(Utf16BeToUtf8(std::string("\xD8\x3D", 2)).has_value());
  EXPECT_FALSE(Utf16BeToUtf8(std::string("\xDE\x00", 2)).has_value());
  EXPECT_FALSE(Utf16BeToUtf8("abc").has_value());
}

}  // namespace
}  // namespace hail::testing
