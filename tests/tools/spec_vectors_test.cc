// tools/spec_vectors: what the JSON test vectors hold for each kind of
// SPEC.md block, and that a block which is not what its name says stops the
// generator instead of shipping a wrong vector (issue 12).
#include "tools/spec_vectors/spec_vectors.h"

#include <string>

#include "gtest/gtest.h"
#include "tests/support/spec_blocks.h"

namespace hail::spec_vectors {
namespace {

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(SpecVectorsTest, MessageExampleCarriesHexAndDecodedFields) {
  std::string error;
  std::string json = VectorsJson(
      "## 11. Message registry\n"
      "### 11.6 PING (0x0011)\n"
      "```hex PING\n"
      "00 11\n"
      "01 02 03 04 05 06 07 08\n"
      "```\n",
      &error);
  ASSERT_FALSE(json.empty()) << error;
  EXPECT_TRUE(Contains(json, "\"name\": \"PING\"")) << json;
  EXPECT_TRUE(Contains(json, "\"block\": \"hex\"")) << json;
  EXPECT_TRUE(Contains(json, "\"section\": \"11.6\"")) << json;
  EXPECT_TRUE(Contains(json, "\"section_title\": \"PING (0x0011)\"")) << json;
  EXPECT_TRUE(Contains(json, "\"line\": 3")) << json;
  EXPECT_TRUE(Contains(json, "\"hex\": \"00110102030405060708\"")) << json;
  EXPECT_TRUE(Contains(json, "\"kind_id\": \"0x0011\"")) << json;
  EXPECT_TRUE(
      Contains(json, "{\"name\": \"nonce\", \"value\": \"72623859790382856\"}"))
      << json;
}

TEST(SpecVectorsTest, ValueBlockCarriesItsNamedValues) {
  std::string error;
  std::string json = VectorsJson(
      "## 6. Secure session\n```kx KEY_DERIVATION\nsecret  AB01\n```\n",
      &error);
  ASSERT_FALSE(json.empty()) << error;
  EXPECT_TRUE(Contains(json, "\"values\": {\n        \"secret\": \"ab01\""))
      << json;
  EXPECT_FALSE(Contains(json, "\"hex\"")) << json;
}

TEST(SpecVectorsTest, MessageExampleThatDoesNotDecodeStopsTheGenerator) {
  std::string error;
  // PING's nonce is a u64: 4 bytes are too few.
  EXPECT_EQ(VectorsJson("```hex PING\n00 11 01 02 03 04\n```\n", &error), "");
  EXPECT_TRUE(Contains(error, "line 1")) << error;
  EXPECT_TRUE(Contains(error, "PING")) << error;
}

TEST(SpecVectorsTest, TwoBlocksWithOneNameStopTheGenerator) {
  std::string error;
  EXPECT_EQ(VectorsJson("```hex X\n00\n```\n```hex X\n01\n```\n", &error), "");
  EXPECT_TRUE(Contains(error, "line 4")) << error;
}

TEST(SpecVectorsTest, EveryMessageExampleOfTheSpecDecodes) {
  std::string error;
  std::string json = VectorsJson(hail::testing::ReadSpec(), &error);
  EXPECT_FALSE(json.empty()) << error;
  EXPECT_TRUE(Contains(json, "\"name\": \"LOGIN_REQUEST\"")) << json;
  EXPECT_TRUE(Contains(json, "\"name\": \"KEY_DERIVATION\"")) << json;
}

}  // namespace
}  // namespace hail::spec_vectors
