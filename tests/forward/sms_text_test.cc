#include "server/forward/sms_text.h"

#include <gtest/gtest.h>

#include <string>

namespace hail::server::forward {
namespace {

std::string Repeat(std::string_view piece, size_t times) {
  std::string out;
  for (size_t i = 0; i < times; ++i) out += piece;
  return out;
}

// "bob: " is 5 units; these build texts whose whole SMS has `units` units.
std::string TextForUnits(size_t units) { return Repeat("x", units - 5); }

TEST(SmsTextTest, SenderNamePrefixesTheText) {
  const SmsText sms = ComposeSmsText("alice", "Grüße 你好 😀", 3);
  EXPECT_EQ(sms.utf8, "alice: Grüße 你好 😀");
  EXPECT_FALSE(sms.cut);
  EXPECT_EQ(sms.omitted_characters, 0u);
  EXPECT_EQ(sms.parts, 1);
}

TEST(SmsTextTest, EmojiCountsAsTwoUnitsAndCjkAsOne) {
  EXPECT_EQ(Utf16Units("ü"), 1u);
  EXPECT_EQ(Utf16Units("你"), 1u);
  EXPECT_EQ(Utf16Units("😀"), 2u);
  EXPECT_EQ(Utf16Units("a你😀"), 4u);
}

TEST(SmsTextTest, InvalidUtf8BytesBecomeReplacementCharacters) {
  const SmsText sms = ComposeSmsText("bob",
                                     "a\xff"
                                     "b\xe4\xbd",
                                     3);
  EXPECT_EQ(sms.utf8,
            "bob: a\xEF\xBF\xBD"
            "b\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(Utf16Units("a\xff"), 2u);
}

TEST(SmsTextTest, SeventyUnitsFitOnePartAndSeventyOneNeedTwo) {
  EXPECT_EQ(SmsPartsFor(70), 1);
  EXPECT_EQ(SmsPartsFor(71), 2);
  EXPECT_EQ(SmsPartsFor(134), 2);
  EXPECT_EQ(SmsPartsFor(135), 3);
  EXPECT_EQ(ComposeSmsText("bob", TextForUnits(70), 1).parts, 1);
  EXPECT_FALSE(ComposeSmsText("bob", TextForUnits(70), 1).cut);
  EXPECT_EQ(ComposeSmsText("bob", TextForUnits(71), 2).parts, 2);
}

TEST(SmsTextTest, TextFillingMaxMessagesPartsExactlyIsNotCut) {
  const SmsText sms = ComposeSmsText("bob", TextForUnits(3 * 67), 3);
  EXPECT_FALSE(sms.cut);
  EXPECT_EQ(sms.utf16_units, 201u);
  EXPECT_EQ(sms.parts, 3);
}

TEST(SmsTextTest, LongTextIsCutToMaxMessagesPartsWithANote) {
  const SmsText sms = ComposeSmsText("bob", TextForUnits(3 * 67 + 1), 3);
  ASSERT_TRUE(sms.cut);
  EXPECT_EQ(sms.parts, 3);
  EXPECT_LE(sms.utf16_units, 201u);
  const std::string note = CutNote(sms.omitted_characters);
  ASSERT_GE(sms.utf8.size(), note.size());
  EXPECT_EQ(sms.utf8.substr(sms.utf8.size() - note.size()), note);
  EXPECT_EQ(note, " [cut: " + std::to_string(sms.omitted_characters) +
                      " more characters]");
  // Everything kept plus everything omitted is the whole "bob: xxx...".
  const size_t kept = sms.utf16_units - note.size();
  EXPECT_EQ(kept + sms.omitted_characters, 202u);
}

TEST(SmsTextTest, OneAllowedPartCutsToSeventyUnits) {
  const SmsText sms = ComposeSmsText("bob", Repeat("y", 500), 1);
  ASSERT_TRUE(sms.cut);
  EXPECT_EQ(sms.parts, 1);
  EXPECT_LE(sms.utf16_units, 70u);
  EXPECT_EQ(sms.utf8.rfind("bob: yyy", 0), 0u);
}

TEST(SmsTextTest, CjkTextIsCutOnCharacterBoundaries) {
  const SmsText sms = ComposeSmsText("bob", Repeat("你好", 400), 2);
  ASSERT_TRUE(sms.cut);
  EXPECT_LE(sms.utf16_units, 134u);
  EXPECT_EQ(sms.utf16_units, Utf16Units(sms.utf8));
  // Whole three-byte characters only: the part before the note re-encodes
  // to itself (no stray continuation bytes).
  const std::string kept = sms.utf8.substr(
      0, sms.utf8.size() - CutNote(sms.omitted_characters).size());
  EXPECT_EQ((kept.size() - 5) % 3, 0u);
  EXPECT_EQ(ComposeSmsText("", kept.substr(5), 255).utf8,
            ": " + kept.substr(5));
  EXPECT_EQ(sms.omitted_characters, 800u - (kept.size() - 5) / 3);
}

TEST(SmsTextTest, EmojiAtTheCutIsNeverSplitIntoHalfASurrogatePair) {
  // Try every alignment: x's push the emoji across the cut point.
  for (size_t pad = 0; pad < 4; ++pad) {
    const std::string text = Repeat("x", pad) + Repeat("😀", 200);
    const SmsText sms = ComposeSmsText("bob", text, 2);
    ASSERT_TRUE(sms.cut) << pad;
    EXPECT_LE(sms.utf16_units, 134u) << pad;
    EXPECT_EQ(sms.utf16_units, Utf16Units(sms.utf8)) << pad;
    const std::string note = CutNote(sms.omitted_characters);
    const std::string kept = sms.utf8.substr(0, sms.utf8.size() - note.size());
    EXPECT_EQ((kept.size() - 5 - pad) % 4, 0u) << pad;  // whole emoji only
    const size_t kept_emoji = (kept.size() - 5 - pad) / 4;
    EXPECT_EQ(sms.omitted_characters, 200 - kept_emoji) << pad;
    // Not more than one unit wasted beyond the note's own sizing.
    EXPECT_GE(sms.utf16_units + 2 + 1, 134u) << pad;
  }
}

TEST(SmsTextTest, NoteCountsOmittedCodePointsNotBytes) {
  // 300 umlauts: 2 bytes each, 1 unit each.
  const SmsText sms = ComposeSmsText("bob", Repeat("ü", 300), 1);
  ASSERT_TRUE(sms.cut);
  const size_t kept_units =
      sms.utf16_units - CutNote(sms.omitted_characters).size();
  EXPECT_EQ(kept_units - 5 + sms.omitted_characters, 300u);
}

}  // namespace
}  // namespace hail::server::forward
