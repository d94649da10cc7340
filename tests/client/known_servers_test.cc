#include "client/known_servers.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include "protocol/handshake.h"
#include "tests/support/temp_dir.h"

namespace hail::client {
namespace {

using hail::testing::TempDir;

protocol::PublicKey KeyFilledWith(uint8_t byte) {
  protocol::PublicKey key;
  key.fill(byte);
  return key;
}

std::string ReadAll(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

void WriteAll(const std::filesystem::path& file, const std::string& text) {
  std::ofstream(file) << text;
}

class KnownServersTest : public ::testing::Test {
 protected:
  TempDir dir_;
  std::filesystem::path file_ = dir_.path() / "known_servers";
  KnownServers known_{file_};
};

TEST_F(KnownServersTest, MissingFileMeansNothingPinned) {
  auto found = known_.Find("127.0.0.1:4000");
  ASSERT_TRUE(found.ok()) << found.status().message();
  EXPECT_FALSE(found->has_value());
}

TEST_F(KnownServersTest, PinnedKeyIsFoundAgainAndFileIsPrivate) {
  ASSERT_TRUE(known_.Pin("127.0.0.1:4000", KeyFilledWith(0xab)).ok());
  auto found = known_.Find("127.0.0.1:4000");
  ASSERT_TRUE(found.ok());
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ(**found, KeyFilledWith(0xab));
  EXPECT_EQ(
      ReadAll(file_),
      "127.0.0.1:4000 " + protocol::Fingerprint(KeyFilledWith(0xab)) + "\n");
  struct stat info;
  ASSERT_EQ(::stat(file_.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
}

TEST_F(KnownServersTest, ServersAreKeyedByExactHostAndPort) {
  ASSERT_TRUE(known_.Pin("127.0.0.1:4000", KeyFilledWith(1)).ok());
  auto other_port = known_.Find("127.0.0.1:4001");
  auto other_name = known_.Find("localhost:4000");
  ASSERT_TRUE(other_port.ok() && other_name.ok());
  EXPECT_FALSE(other_port->has_value());
  EXPECT_FALSE(other_name->has_value());
}

TEST_F(KnownServersTest, PinReplacesOnlyThatServerAndKeepsOtherLines) {
  WriteAll(file_, "# my servers\n\nexample.org:4000 " +
                      protocol::Fingerprint(KeyFilledWith(2)) +
                      "\n127.0.0.1:4000 " +
                      protocol::Fingerprint(KeyFilledWith(3)) + "\n");
  ASSERT_TRUE(known_.Pin("127.0.0.1:4000", KeyFilledWith(4)).ok());
  EXPECT_EQ(ReadAll(file_), "# my servers\n\nexample.org:4000 " +
                                protocol::Fingerprint(KeyFilledWith(2)) +
                                "\n127.0.0.1:4000 " +
                                protocol::Fingerprint(KeyFilledWith(4)) + "\n");
  auto found = known_.Find("127.0.0.1:4000");
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ(**found, KeyFilledWith(4));
}

TEST_F(KnownServersTest, MalformedEntryForTheServerIsAnErrorNotAFreshStart) {
  WriteAll(file_, "127.0.0.1:4000 ed25519:abcd\n");
  auto found = known_.Find("127.0.0.1:4000");
  ASSERT_FALSE(found.ok());
  EXPECT_EQ(found.status().code(), Status::Code::kCorruption);
}

TEST_F(KnownServersTest, MalformedLinesForOtherServersAreIgnored) {
  WriteAll(file_, "garbage line here\nexample.org:4000 nonsense\n");
  auto found = known_.Find("127.0.0.1:4000");
  ASSERT_TRUE(found.ok()) << found.status().message();
  EXPECT_FALSE(found->has_value());
}

TEST_F(KnownServersTest, TwoDifferentKeysForOneServerAreAnError) {
  WriteAll(file_, "127.0.0.1:4000 " + protocol::Fingerprint(KeyFilledWith(5)) +
                      "\n127.0.0.1:4000 " +
                      protocol::Fingerprint(KeyFilledWith(6)) + "\n");
  auto found = known_.Find("127.0.0.1:4000");
  ASSERT_FALSE(found.ok());
  EXPECT_EQ(found.status().code(), Status::Code::kCorruption);
}

TEST_F(KnownServersTest, PinFailsCleanlyWhenTheDirectoryIsMissing) {
  KnownServers nowhere(dir_.path() / "missing" / "known_servers");
  EXPECT_FALSE(nowhere.Pin("127.0.0.1:4000", KeyFilledWith(7)).ok());
}

}  // namespace
}  // namespace hail::client
