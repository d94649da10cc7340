#include "protocol/account_rules.h"

#include <string>

#include "gtest/gtest.h"

namespace hail::protocol {
namespace {

TEST(UsernameTest, CanonicalFormIsAsciiLowercase) {
  EXPECT_EQ(NormalizeUsername("Alice"), "alice");
  EXPECT_EQ(NormalizeUsername("BOB_the-2nd.x"), "bob_the-2nd.x");
  EXPECT_EQ(NormalizeUsername("alice"), "alice");
}

TEST(UsernameTest, LengthMustBeThreeToThirtyTwoBytes) {
  EXPECT_FALSE(NormalizeUsername("ab").has_value());
  EXPECT_TRUE(NormalizeUsername("abc").has_value());
  EXPECT_TRUE(NormalizeUsername(std::string(32, 'a')).has_value());
  EXPECT_FALSE(NormalizeUsername(std::string(33, 'a')).has_value());
  EXPECT_FALSE(NormalizeUsername("").has_value());
}

TEST(UsernameTest, FirstCharacterMustBeALetter) {
  EXPECT_FALSE(NormalizeUsername("1alice").has_value());
  EXPECT_FALSE(NormalizeUsername(".alice").has_value());
  EXPECT_FALSE(NormalizeUsername("_alice").has_value());
  EXPECT_FALSE(NormalizeUsername("-alice").has_value());
  EXPECT_TRUE(NormalizeUsername("Zed").has_value());
}

TEST(UsernameTest, OnlyLettersDigitsDotUnderscoreDashAreAllowed) {
  EXPECT_FALSE(NormalizeUsername("al ice").has_value());
  EXPECT_FALSE(NormalizeUsername("alice@home").has_value());
  EXPECT_FALSE(NormalizeUsername("ali+ce").has_value());
  EXPECT_FALSE(NormalizeUsername(std::string("ali\0ce", 6)).has_value());
  EXPECT_FALSE(NormalizeUsername("al\xc3\xa9x").has_value());  // "alex" with é
  EXPECT_TRUE(NormalizeUsername("a.b_c-d9").has_value());
}

TEST(PasswordTest, LengthMustBeEightToOneHundredTwentyEightBytes) {
  EXPECT_FALSE(IsAcceptablePassword("1234567"));
  EXPECT_TRUE(IsAcceptablePassword("12345678"));
  EXPECT_TRUE(IsAcceptablePassword(std::string(128, 'x')));
  EXPECT_FALSE(IsAcceptablePassword(std::string(129, 'x')));
}

TEST(PasswordTest, NulByteIsRejected) {
  EXPECT_FALSE(IsAcceptablePassword(std::string("correct\0horse", 13)));
}

TEST(PasswordTest, MultibyteUtf8IsAcceptedAndCountedInBytes) {
  // Four 2-byte characters: 8 bytes.
  EXPECT_TRUE(IsAcceptablePassword("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"));
  // Two 4-byte emoji: 8 bytes.
  EXPECT_TRUE(IsAcceptablePassword("\xf0\x9f\x94\x91\xf0\x9f\x94\x91"));
  EXPECT_TRUE(IsAcceptablePassword("correct horse battery"));
}

TEST(PasswordTest, InvalidUtf8IsRejected) {
  EXPECT_FALSE(IsAcceptablePassword("password\xff"));
  EXPECT_FALSE(IsAcceptablePassword("password\xc3"));  // truncated sequence
}

TEST(Utf8Test, AcceptsWellFormedText) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("plain ascii"));
  EXPECT_TRUE(IsValidUtf8("\xc2\x80"));          // U+0080
  EXPECT_TRUE(IsValidUtf8("\xe0\xa0\x80"));      // U+0800
  EXPECT_TRUE(IsValidUtf8("\xed\x9f\xbf"));      // U+D7FF
  EXPECT_TRUE(IsValidUtf8("\xee\x80\x80"));      // U+E000
  EXPECT_TRUE(IsValidUtf8("\xf0\x90\x80\x80"));  // U+10000
  EXPECT_TRUE(IsValidUtf8("\xf4\x8f\xbf\xbf"));  // U+10FFFF
}

TEST(Utf8Test, RejectsOverlongForms) {
  EXPECT_FALSE(IsValidUtf8("\xc0\xaf"));
  EXPECT_FALSE(IsValidUtf8("\xc1\xbf"));
  EXPECT_FALSE(IsValidUtf8("\xe0\x80\xaf"));
  EXPECT_FALSE(IsValidUtf8("\xf0\x80\x80\xaf"));
}

TEST(Utf8Test, RejectsSurrogatesAndCodePointsAboveU10ffff) {
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));      // U+D800
  EXPECT_FALSE(IsValidUtf8("\xed\xbf\xbf"));      // U+DFFF
  EXPECT_FALSE(IsValidUtf8("\xf4\x90\x80\x80"));  // U+110000
  EXPECT_FALSE(IsValidUtf8("\xf8\x88\x80\x80\x80"));
}

TEST(Utf8Test, RejectsStrayAndMissingContinuationBytes) {
  EXPECT_FALSE(IsValidUtf8("\x80"));
  EXPECT_FALSE(IsValidUtf8("a\xbf"));
  EXPECT_FALSE(IsValidUtf8("\xe2\x82"));
  EXPECT_FALSE(IsValidUtf8("\xe2\x28\xa1"));
  EXPECT_FALSE(IsValidUtf8("\xf0\x9f\x94"));
}

TEST(ClientVersionTest, OneToSixtyFourPrintableAsciiBytes) {
  EXPECT_TRUE(IsAcceptableClientVersion("hail-cli/0.1.0"));
  EXPECT_TRUE(IsAcceptableClientVersion("x"));
  EXPECT_TRUE(IsAcceptableClientVersion(" ~"));
  EXPECT_TRUE(IsAcceptableClientVersion(std::string(64, 'v')));
  EXPECT_FALSE(IsAcceptableClientVersion(""));
  EXPECT_FALSE(IsAcceptableClientVersion(std::string(65, 'v')));
}

TEST(ClientVersionTest, ControlAndNonAsciiBytesAreRejected) {
  EXPECT_FALSE(IsAcceptableClientVersion("hail\n"));
  EXPECT_FALSE(IsAcceptableClientVersion("hail\t1"));
  EXPECT_FALSE(IsAcceptableClientVersion("hail\x7f"));
  EXPECT_FALSE(IsAcceptableClientVersion("h\xc3\xa9il"));
}

}  // namespace
}  // namespace hail::protocol
