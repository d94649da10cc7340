#include "client/json_line.h"

#include <gtest/gtest.h>

namespace hail::client {
namespace {

TEST(JsonLineTest, MembersInOrderOnOneLine) {
  JsonLine line;
  line.AddString("command", "login")
      .AddBool("ok", true)
      .AddUnsigned("user_id", 10000)
      .AddNumber("delta", -3);
  EXPECT_EQ(line.str(),
            "{\"command\":\"login\",\"ok\":true,\"user_id\":10000,"
            "\"delta\":-3}\n");
}

TEST(JsonLineTest, EscapesQuotesBackslashesAndControlCharacters) {
  EXPECT_EQ(JsonQuote("a\"b\\c\nd\x01"), "\"a\\\"b\\\\c\\nd\\u0001\"");
  EXPECT_EQ(JsonQuote("caf\xc3\xa9"), "\"caf\xc3\xa9\"");
}

TEST(JsonLineTest, EmptyObject) { EXPECT_EQ(JsonLine().str(), "{}\n"); }

}  // namespace
}  // namespace hail::client
