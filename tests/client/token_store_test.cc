#include "client/token_store.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include "tests/support/temp_dir.h"

namespace hail::client {
namespace {

using hail::testing::TempDir;

constexpr uint64_t kNow = 1'700'000'000;

StoredToken MakeToken(std::string server, std::string username, uint8_t fill,
                      uint64_t expires = kNow + 3600) {
  StoredToken token;
  token.server = std::move(server);
  token.username = std::move(username);
  token.token.fill(fill);
  token.expires_unix = expires;
  return token;
}

std::string ReadAll(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

class TokenStoreTest : public ::testing::Test {
 protected:
  TempDir dir_;
  std::filesystem::path file_ = dir_.path() / "tokens";
  TokenStore store_{file_};
};

TEST_F(TokenStoreTest, MissingFileHasNoTokens) {
  auto found = store_.Find("127.0.0.1:4000", "alice", kNow);
  ASSERT_TRUE(found.ok());
  EXPECT_FALSE(found->has_value());
}

TEST_F(TokenStoreTest, PutThenFindInAnyCaseAndFileFormat) {
  ASSERT_TRUE(
      store_.Put(MakeToken("127.0.0.1:4000", "alice", 0x11), kNow).ok());
  auto found = store_.Find("127.0.0.1:4000", "ALICE", kNow);
  ASSERT_TRUE(found.ok());
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->token, MakeToken("", "", 0x11).token);
  EXPECT_EQ((*found)->expires_unix, kNow + 3600);
  EXPECT_EQ(ReadAll(file_), "127.0.0.1:4000 alice " + std::string(64, '1') +
                                " " + std::to_string(kNow + 3600) + "\n");
  struct stat info;
  ASSERT_EQ(::stat(file_.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
}

TEST_F(TokenStoreTest, PutReplacesTheSameServerAndUserOnly) {
  ASSERT_TRUE(store_.Put(MakeToken("a:1", "alice", 1), kNow).ok());
  ASSERT_TRUE(store_.Put(MakeToken("a:1", "bob", 2), kNow).ok());
  ASSERT_TRUE(store_.Put(MakeToken("b:1", "alice", 3), kNow).ok());
  ASSERT_TRUE(store_.Put(MakeToken("a:1", "alice", 4), kNow).ok());
  auto alice_a = store_.Find("a:1", "alice", kNow);
  auto bob_a = store_.Find("a:1", "bob", kNow);
  auto alice_b = store_.Find("b:1", "alice", kNow);
  ASSERT_TRUE(alice_a.ok() && bob_a.ok() && alice_b.ok());
  EXPECT_EQ((*alice_a)->token[0], 4);
  EXPECT_EQ((*bob_a)->token[0], 2);
  EXPECT_EQ((*alice_b)->token[0], 3);
  size_t lines = 0;
  for (char c : ReadAll(file_)) lines += c == '\n';
  EXPECT_EQ(lines, 3u);
}

TEST_F(TokenStoreTest, ExpiredTokensAreNotFoundAndDroppedOnRewrite) {
  ASSERT_TRUE(store_.Put(MakeToken("a:1", "old", 1, kNow - 1), kNow - 10).ok());
  auto found = store_.Find("a:1", "old", kNow);
  ASSERT_TRUE(found.ok());
  EXPECT_FALSE(found->has_value());
  ASSERT_TRUE(store_.Put(MakeToken("a:1", "new", 2), kNow).ok());
  EXPECT_EQ(ReadAll(file_).find("old"), std::string::npos);
}

TEST_F(TokenStoreTest, RemoveForgetsOneEntry) {
  ASSERT_TRUE(store_.Put(MakeToken("a:1", "alice", 1), kNow).ok());
  ASSERT_TRUE(store_.Put(MakeToken("a:1", "bob", 2), kNow).ok());
  ASSERT_TRUE(store_.Remove("a:1", "Alice", kNow).ok());
  auto alice = store_.Find("a:1", "alice", kNow);
  auto bob = store_.Find("a:1", "bob", kNow);
  ASSERT_TRUE(alice.ok() && bob.ok());
  EXPECT_FALSE(alice->has_value());
  EXPECT_TRUE(bob->has_value());
  EXPECT_TRUE(store_.Remove("a:1", "nobody", kNow).ok());
}

TEST_F(TokenStoreTest, UnparsableLinesAreKeptButNeverUsed) {
  std::ofstream(file_) << "# comment\na:1 alice nothex 99999999999\n";
  auto found = store_.Find("a:1", "alice", kNow);
  ASSERT_TRUE(found.ok());
  EXPECT_FALSE(found->has_value());
  ASSERT_TRUE(store_.Put(MakeToken("a:1", "bob", 2), kNow).ok());
  EXPECT_EQ(
      ReadAll(file_).rfind("# comment\na:1 alice nothex 99999999999\n", 0), 0u);
}

TEST_F(TokenStoreTest, UsernamesListsTheValidTokensOfOneServer) {
  ASSERT_TRUE(store_.Put(MakeToken("a:1", "carol", 1), kNow).ok());
  ASSERT_TRUE(store_.Put(MakeToken("a:1", "alice", 2), kNow).ok());
  ASSERT_TRUE(store_.Put(MakeToken("b:1", "bob", 3), kNow).ok());
  ASSERT_TRUE(store_.Put(MakeToken("a:1", "old", 4, kNow + 5), kNow).ok());
  auto names = store_.Usernames("a:1", kNow + 10);
  ASSERT_TRUE(names.ok());
  EXPECT_EQ(*names, (std::vector<std::string>{"alice", "carol"}));
  auto none = store_.Usernames("c:1", kNow);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

TEST_F(TokenStoreTest, UsernamesOfAMissingFileIsEmpty) {
  auto names = store_.Usernames("a:1", kNow);
  ASSERT_TRUE(names.ok());
  EXPECT_TRUE(names->empty());
}

TEST_F(TokenStoreTest, InvalidUsernameIsRejected) {
  auto found = store_.Find("a:1", "1bad", kNow);
  ASSERT_FALSE(found.ok());
  EXPECT_EQ(found.status().code(), Status::Code::kInvalidArgument);
}

TEST_F(TokenStoreTest, NoTemporaryFilesAreLeftBehind) {
  ASSERT_TRUE(store_.Put(MakeToken("a:1", "alice", 1), kNow).ok());
  ASSERT_TRUE(store_.Remove("a:1", "alice", kNow).ok());
  size_t entries = 0;
  for ([[maybe_unused]] const auto& entry :
       std::filesystem::directory_iterator(dir_.path())) {
    ++entries;
  }
  EXPECT_EQ(entries, 1u);
}

}  // namespace
}  // namespace hail::client
