// protocol/spec_blocks.h: how SPEC.md's named example blocks are found, and
// which section each one is in (issue 12).
#include "protocol/spec_blocks.h"

#include "gtest/gtest.h"

namespace hail::protocol {
namespace {

constexpr char kSpec[] =
    "# Title\n"
    "## 3. Transport\n"
    "### 3.5 Pre-session datagrams\n"
    "```text\n"
    "## 9. Not a heading inside a fence\n"
    "```\n"
    "#### 3.5.1 HELLO (client to server), 64 bytes\n"
    "```hex HELLO_DATAGRAM\n"
    "48 41\n"
    "49 4c\n"
    "```\n"
    "## 6. Secure session\n"
    "```kx KEY_DERIVATION\n"
    "first  0102\n"
    "\n"
    "second ff\n"
    "```\n";

TEST(SpecBlocksTest, NamedBlocksCarryTheirLineAndInnermostNumberedSection) {
  std::vector<SpecBlock> blocks = NamedBlocks(kSpec);
  ASSERT_EQ(blocks.size(), 2u);
  EXPECT_EQ(blocks[0].info, "hex");
  EXPECT_EQ(blocks[0].name, "HELLO_DATAGRAM");
  EXPECT_EQ(blocks[0].line, 8);
  EXPECT_EQ(blocks[0].section_number, "3.5.1");
  EXPECT_EQ(blocks[0].section_title, "HELLO (client to server), 64 bytes");
  EXPECT_EQ(blocks[0].text, "48 41\n49 4c\n");
  EXPECT_EQ(blocks[1].info, "kx");
  EXPECT_EQ(blocks[1].section_number, "6");
  EXPECT_EQ(blocks[1].section_title, "Secure session");
}

TEST(SpecBlocksTest, BlocksWithInfoKeepsOnlyThatInfo) {
  std::vector<SpecBlock> blocks = BlocksWithInfo(kSpec, "kx");
  ASSERT_EQ(blocks.size(), 1u);
  EXPECT_EQ(blocks[0].name, "KEY_DERIVATION");
}

TEST(SpecBlocksTest, HexBlockBytesIgnoreLineBreaksAndSpaces) {
  Bytes bytes;
  ASSERT_TRUE(SpecBlockBytes(NamedBlocks(kSpec)[0], &bytes));
  EXPECT_EQ(ToHex(bytes), "4841494c");
}

TEST(SpecBlocksTest, ValueBlockGivesNamedValuesInOrder) {
  auto values = SpecBlockValues(NamedBlocks(kSpec)[1]);
  ASSERT_TRUE(values);
  ASSERT_EQ(values->size(), 2u);
  EXPECT_EQ((*values)[0].first, "first");
  EXPECT_EQ(ToHex((*values)[0].second), "0102");
  EXPECT_EQ((*values)[1].first, "second");
  EXPECT_EQ(ToHex((*values)[1].second), "ff");
}

TEST(SpecBlocksTest, ValueLineWithoutHexIsRejected) {
  SpecBlock block;
  block.text = "name not-hex\n";
  EXPECT_FALSE(SpecBlockValues(block));
  block.text = "name 01 02\n";
  EXPECT_FALSE(SpecBlockValues(block));
}

}  // namespace
}  // namespace hail::protocol
