#include "server/forward/url_coding.h"

#include <gtest/gtest.h>

namespace hail::server::forward {
namespace {

TEST(UrlCodingTest, OnlyUnreservedBytesStayLiteral) {
  EXPECT_EQ(PercentEncode("aZ09-._~"), "aZ09-._~");
  EXPECT_EQ(PercentEncode("a b+c&d=e%f?/"), "a%20b%2Bc%26d%3De%25f%3F%2F");
  EXPECT_EQ(PercentEncode("ü😀"), "%C3%BC%F0%9F%98%80");
}

TEST(UrlCodingTest, DecodeUndoesEncodeForEveryByte) {
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  EXPECT_EQ(PercentDecode(PercentEncode(all)), all);
}

TEST(UrlCodingTest, PlusDecodesToASpaceAndBadEscapesFail) {
  EXPECT_EQ(PercentDecode("a+b%2b%2B"), "a b++");
  EXPECT_FALSE(PercentDecode("%").has_value());
  EXPECT_FALSE(PercentDecode("%4").has_value());
  EXPECT_FALSE(PercentDecode("%g0").has_value());
  EXPECT_FALSE(PercentDecode("ab%").has_value());
}

}  // namespace
}  // namespace hail::server::forward
