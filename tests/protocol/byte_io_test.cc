#include "protocol/byte_io.h"

#include <array>
#include <string>

#include "gtest/gtest.h"

namespace hail::protocol {
namespace {

TEST(ByteWriterTest, WritesIntegersBigEndian) {
  Bytes out;
  ByteWriter w(&out);
  w.U8(0x01);
  w.U16(0x0203);
  w.U32(0x04050607);
  w.U64(0x08090a0b0c0d0e0f);
  EXPECT_EQ(ToHex(out), "0102030405060708090a0b0c0d0e0f");
}

TEST(ByteWriterTest, WritesLengthPrefixedStrings) {
  Bytes out;
  ByteWriter w(&out);
  w.String8("abc");
  w.String16("de");
  w.String8("");
  EXPECT_EQ(ToHex(out),
            "03616263"
            "00026465"
            "00");
}

TEST(ByteWriterTest, WritesZerosAndRawBytes) {
  Bytes out;
  ByteWriter w(&out);
  const std::array<uint8_t, 2> raw = {0xab, 0xcd};
  w.Raw(ByteSpan(raw));
  w.Zeros(3);
  EXPECT_EQ(ToHex(out), "abcd000000");
}

TEST(ByteReaderTest, ReadsWhatTheWriterWrote) {
  Bytes data;
  ByteWriter w(&data);
  w.U8(0xfe);
  w.U16(0xbeef);
  w.U32(0xdeadbeef);
  w.U64(0x0123456789abcdef);
  w.String8("hail");
  w.String16("port 4000");
  ByteReader r(data);
  uint8_t u8;
  uint16_t u16;
  uint32_t u32;
  uint64_t u64;
  std::string s8, s16;
  ASSERT_TRUE(r.U8(&u8));
  ASSERT_TRUE(r.U16(&u16));
  ASSERT_TRUE(r.U32(&u32));
  ASSERT_TRUE(r.U64(&u64));
  ASSERT_TRUE(r.String8(&s8, 32));
  ASSERT_TRUE(r.String16(&s16, 32));
  EXPECT_EQ(u8, 0xfe);
  EXPECT_EQ(u16, 0xbeef);
  EXPECT_EQ(u32, 0xdeadbeefu);
  EXPECT_EQ(u64, 0x0123456789abcdefu);
  EXPECT_EQ(s8, "hail");
  EXPECT_EQ(s16, "port 4000");
  EXPECT_EQ(r.remaining(), 0u);
  EXPECT_TRUE(r.ok());
}

TEST(ByteReaderTest, ShortInputFailsWithoutReadingPastTheEnd) {
  const std::array<uint8_t, 3> data = {1, 2, 3};
  ByteReader r(data);
  uint32_t v = 0;
  EXPECT_FALSE(r.U32(&v));
  EXPECT_FALSE(r.ok());
  EXPECT_FALSE(r.invalid());
  EXPECT_EQ(v, 0u);
}

TEST(ByteReaderTest, AFailedReaderStaysFailed) {
  const std::array<uint8_t, 3> data = {1, 2, 3};
  ByteReader r(data);
  uint32_t big;
  uint8_t small;
  EXPECT_FALSE(r.U32(&big));
  EXPECT_FALSE(r.U8(&small));
  EXPECT_EQ(r.remaining(), 0u);
  EXPECT_TRUE(r.Rest().empty());
}

TEST(ByteReaderTest, StringLongerThanItsLimitIsInvalidNotTruncated) {
  Bytes data;
  ByteWriter w(&data);
  w.String8("abcdef");
  ByteReader r(data);
  std::string s;
  EXPECT_FALSE(r.String8(&s, 5));
  EXPECT_TRUE(r.invalid());
  EXPECT_TRUE(s.empty());
}

TEST(ByteReaderTest, StringWhoseBytesAreMissingIsTruncatedNotInvalid) {
  const std::array<uint8_t, 3> data = {5, 'a', 'b'};
  ByteReader r(data);
  std::string s;
  EXPECT_FALSE(r.String8(&s, 32));
  EXPECT_FALSE(r.invalid());
}

TEST(ByteReaderTest, String16LimitIsCheckedBeforeTheBytes) {
  const std::array<uint8_t, 2> data = {0x01, 0x00};  // claims 256 bytes
  ByteReader r(data);
  std::string s;
  EXPECT_FALSE(r.String16(&s, 255));
  EXPECT_TRUE(r.invalid());
}

TEST(ByteReaderTest, Bytes16RoundTrips) {
  Bytes data;
  ByteWriter w(&data);
  const std::array<uint8_t, 3> payload = {0, 0xff, 7};
  w.Bytes16(ByteSpan(payload));
  ByteReader r(data);
  Bytes out;
  ASSERT_TRUE(r.Bytes16(&out, 3));
  EXPECT_EQ(out, Bytes(payload.begin(), payload.end()));
  ByteReader limited(data);
  EXPECT_FALSE(limited.Bytes16(&out, 2));
  EXPECT_TRUE(limited.invalid());
}

TEST(ByteReaderTest, FixedAndSkipAndRest) {
  const std::array<uint8_t, 6> data = {1, 2, 3, 4, 5, 6};
  ByteReader r(data);
  std::array<uint8_t, 2> fixed;
  ASSERT_TRUE(r.Fixed(&fixed));
  EXPECT_EQ(fixed, (std::array<uint8_t, 2>{1, 2}));
  ASSERT_TRUE(r.Skip(1));
  EXPECT_EQ(r.position(), 3u);
  EXPECT_EQ(ToHex(r.Rest()), "040506");
  EXPECT_FALSE(r.Skip(4));
}

TEST(ByteReaderTest, EmptyInputReadsNothing) {
  ByteReader r{ByteSpan()};
  uint8_t v;
  EXPECT_EQ(r.remaining(), 0u);
  EXPECT_FALSE(r.U8(&v));
}

TEST(HexTest, ToHexIsLowercase) {
  const std::array<uint8_t, 4> data = {0x00, 0x0f, 0xab, 0xff};
  EXPECT_EQ(ToHex(data), "000fabff");
  EXPECT_EQ(ToHex(ByteSpan()), "");
}

TEST(HexTest, FromHexIgnoresWhitespaceAndAcceptsBothCases) {
  Bytes out;
  ASSERT_TRUE(FromHex("00 0F\nab\tFf\r\n", &out));
  EXPECT_EQ(ToHex(out), "000fabff");
}

TEST(HexTest, FromHexRejectsOddDigitCountsAndOtherCharacters) {
  Bytes out;
  EXPECT_FALSE(FromHex("abc", &out));
  EXPECT_FALSE(FromHex("0x12", &out));
  EXPECT_FALSE(FromHex("zz", &out));
  EXPECT_FALSE(FromHex("a b c", &out));
}

TEST(HexTest, FromHexOfEmptyTextIsEmpty) {
  Bytes out = {1, 2};
  ASSERT_TRUE(FromHex("  \n", &out));
  EXPECT_TRUE(out.empty());
}

}  // namespace
}  // namespace hail::protocol
