#include "tools/bench/pair_picker.h"

#include <gtest/gtest.h>

#include <map>

namespace hail::bench {
namespace {

TEST(PairPickerTest, PicksOnlyOnlineMatesOfTheSameGroup) {
  PairPicker picker(20, 8, 42);
  for (uint32_t i = 0; i < 20; ++i) picker.SetOnline(i, i % 3 != 0);
  for (int i = 0; i < 2000; ++i) {
    std::optional<Pair> pair = picker.Pick();
    ASSERT_TRUE(pair);
    EXPECT_NE(pair->sender, pair->recipient);
    EXPECT_TRUE(picker.online(pair->sender));
    EXPECT_TRUE(picker.online(pair->recipient));
    EXPECT_EQ(pair->sender / 8, pair->recipient / 8);
  }
}

TEST(PairPickerTest, LastGroupMayBeSmaller) {
  PairPicker picker(10, 8, 1);
  EXPECT_EQ(picker.GroupBegin(9), 8u);
  EXPECT_EQ(picker.GroupEnd(9), 10u);
  picker.SetOnline(8, true);
  picker.SetOnline(9, true);
  std::optional<Pair> pair = picker.Pick();
  ASSERT_TRUE(pair);
  EXPECT_EQ(pair->sender + pair->recipient, 17u);
}

TEST(PairPickerTest, NoPairWhenNobodyHasAnOnlineMate) {
  PairPicker picker(16, 8, 7);
  picker.SetOnline(0, true);
  picker.SetOnline(8, true);
  EXPECT_FALSE(picker.Pick());
  picker.SetOnline(8, false);
  EXPECT_EQ(picker.online_count(), 1u);
  EXPECT_FALSE(picker.Pick());
}

TEST(PairPickerTest, SpreadsSendersOverEveryOnlineUser) {
  PairPicker picker(16, 4, 3);
  for (uint32_t i = 0; i < 16; ++i) picker.SetOnline(i, true);
  std::map<uint32_t, int> sends;
  for (int i = 0; i < 16000; ++i) ++sends[picker.Pick()->sender];
  ASSERT_EQ(sends.size(), 16u);
  for (const auto& [sender, n] : sends) EXPECT_NEAR(n, 1000, 200);
}

}  // namespace
}  // namespace hail::bench
