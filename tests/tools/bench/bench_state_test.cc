#include "tools/bench/bench_state.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

namespace hail::bench {
namespace {

class BenchStateTest : public ::testing::Test {
 protected:
  ~BenchStateTest() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_ =
      std::filesystem::temp_directory_path() /
      ("hail-bench-state-test-" + std::to_string(getpid()));
};

TEST_F(BenchStateTest, KeepsAccountsTokensAndIdentityAcrossLoads) {
  Result<BenchState> first = BenchState::Load(dir_);
  ASSERT_TRUE(first.ok());
  first->EnsureAccounts(3);
  first->accounts()[1].registered = true;
  first->accounts()[1].token = protocol::Token{};
  first->accounts()[1].token->fill(0xab);
  first->accounts()[2].registered = true;
  first->identity() = protocol::PublicKey{};
  ASSERT_TRUE(first->Save().ok());

  Result<BenchState> second = BenchState::Load(dir_);
  ASSERT_TRUE(second.ok());
  ASSERT_EQ(second->accounts().size(), 3u);
  EXPECT_FALSE(second->accounts()[0].registered);
  EXPECT_EQ(second->accounts()[1].token, first->accounts()[1].token);
  EXPECT_TRUE(second->accounts()[2].registered);
  EXPECT_FALSE(second->accounts()[2].token);
  EXPECT_TRUE(second->identity());
  EXPECT_EQ(second->password(), first->password());
  EXPECT_EQ(second->Username(7), first->Username(7));
}

TEST_F(BenchStateTest, UsernamesNameTheirIndexAndNothingElse) {
  Result<BenchState> state = BenchState::Load(dir_);
  ASSERT_TRUE(state.ok());
  std::string name = state->Username(4321);
  EXPECT_LE(name.size(), 32u);
  EXPECT_EQ(state->IndexOf(name), 4321u);
  EXPECT_FALSE(state->IndexOf("alice"));
  EXPECT_FALSE(state->IndexOf(name + "x"));
}

}  // namespace
}  // namespace hail::bench
