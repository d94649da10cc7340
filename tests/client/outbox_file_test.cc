// Issue #10 point 5: the durable outbox file in $HAIL_HOME.
#include "client/outbox_file.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "tests/support/temp_dir.h"

namespace hail::client {
namespace {

using hail::testing::TempDir;

std::string ReadFile(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

void WriteFile(const std::filesystem::path& file, const std::string& content) {
  std::filesystem::create_directories(file.parent_path());
  std::ofstream(file, std::ios::binary) << content;
}

protocol::SendMessage Message(uint8_t id, std::string recipient,
                              std::string text) {
  protocol::SendMessage message;
  message.message_id.fill(id);
  message.recipient = std::move(recipient);
  message.sent_unix = 1'700'000'000 + id;
  message.text = std::move(text);
  return message;
}

void ExpectSame(const protocol::SendMessage& a,
                const protocol::SendMessage& b) {
  EXPECT_EQ(a.message_id, b.message_id);
  EXPECT_EQ(a.recipient, b.recipient);
  EXPECT_EQ(a.sent_unix, b.sent_unix);
  EXPECT_EQ(a.text, b.text);
}

constexpr uint64_t kNow = 1'800'000'000;

TEST(OutboxFileTest, KeepsIdsRecipientsTextsAndOrderAcrossLoads) {
  TempDir home;
  OutboxFile outbox(home.path(), "127.0.0.1:4000", "alice");
  EXPECT_EQ(outbox.file(), home.path() / "outbox" / "alice@127.0.0.1:4000");
  std::vector<protocol::SendMessage> sent = {
      Message(1, "bob", "coffee at ten?"),
      Message(2, "carol", "line one\nline two \xc3\xa9 with spaces"),
      Message(3, "bob", std::string(4096, 'x'))};
  for (const auto& m : sent) ASSERT_TRUE(outbox.Add(m, kNow).ok());
  ASSERT_TRUE(outbox.Add(sent[0], kNow).ok());  // same id: held once
  ASSERT_TRUE(outbox.Remove(sent[1].message_id, kNow).ok());

  OutboxFile again(home.path(), "127.0.0.1:4000", "alice");
  Result<OutboxFile::Contents> loaded = again.Load(kNow);
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  EXPECT_TRUE(loaded->problem.empty());
  ASSERT_EQ(loaded->messages.size(), 2u);
  ExpectSame(loaded->messages[0], sent[0]);
  ExpectSame(loaded->messages[1], sent[2]);

  struct stat info {};
  ASSERT_EQ(::stat(outbox.file().c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
}

TEST(OutboxFileTest, AccountsAndServersHaveSeparateFiles) {
  TempDir home;
  OutboxFile alice(home.path(), "127.0.0.1:4000", "alice");
  ASSERT_TRUE(alice.Add(Message(1, "bob", "hi"), kNow).ok());
  EXPECT_TRUE(OutboxFile(home.path(), "127.0.0.1:4001", "alice")
                  .Load(kNow)
                  ->messages.empty());
  EXPECT_TRUE(OutboxFile(home.path(), "127.0.0.1:4000", "dave")
                  .Load(kNow)
                  ->messages.empty());
}

TEST(OutboxFileTest, RemovingTheLastMessageRemovesTheFile) {
  TempDir home;
  OutboxFile outbox(home.path(), "h:1", "alice");
  ASSERT_TRUE(outbox.Add(Message(1, "bob", "hi"), kNow).ok());
  ASSERT_TRUE(std::filesystem::exists(outbox.file()));
  ASSERT_TRUE(outbox.Remove(Message(1, "bob", "hi").message_id, kNow).ok());
  EXPECT_FALSE(std::filesystem::exists(outbox.file()));
  Result<OutboxFile::Contents> loaded = outbox.Load(kNow);
  ASSERT_TRUE(loaded.ok());
  EXPECT_TRUE(loaded->messages.empty());
  EXPECT_TRUE(loaded->problem.empty());
}

TEST(OutboxFileTest, TruncatedFileIsSetAsideAndReportedNotLost) {
  TempDir home;
  OutboxFile outbox(home.path(), "h:1", "alice");
  std::string whole = OutboxFile::Encode({Message(1, "bob", "hi")});
  // Every proper prefix is refused.
  for (size_t length = 0; length < whole.size(); ++length) {
    EXPECT_FALSE(OutboxFile::Decode(whole.substr(0, length)).ok()) << length;
  }
  std::string truncated = whole.substr(0, whole.size() - 20);
  WriteFile(outbox.file(), truncated);

  Result<OutboxFile::Contents> loaded = outbox.Load(kNow);
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  EXPECT_TRUE(loaded->messages.empty());
  EXPECT_NE(loaded->problem.find("corrupt"), std::string::npos)
      << loaded->problem;
  std::filesystem::path aside = outbox.file();
  aside += ".corrupt-1800000000";
  EXPECT_NE(loaded->problem.find(aside.string()), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(outbox.file()));
  EXPECT_EQ(ReadFile(aside), truncated);

  // The outbox works again afterwards.
  ASSERT_TRUE(outbox.Add(Message(2, "bob", "again"), kNow).ok());
  EXPECT_EQ(outbox.Load(kNow)->messages.size(), 1u);
}

TEST(OutboxFileTest, EditedTextOrUnknownVersionOrGarbageIsCorrupt) {
  std::string good = OutboxFile::Encode({Message(1, "bob", "hi")});
  ASSERT_TRUE(OutboxFile::Decode(good).ok());
  std::string edited = good;
  size_t text = edited.find(" 6869\n");  // "hi"
  ASSERT_NE(text, std::string::npos);
  edited.replace(text, 6, " 6868\n");
  EXPECT_FALSE(OutboxFile::Decode(edited).ok());
  std::string newer = good;
  newer.replace(0, std::string("hail-outbox 1").size(), "hail-outbox 2");
  Result<std::vector<protocol::SendMessage>> version =
      OutboxFile::Decode(newer);
  ASSERT_FALSE(version.ok());
  EXPECT_NE(version.status().message().find("unsupported version 2"),
            std::string::npos);
  EXPECT_FALSE(OutboxFile::Decode("\x01\x02 garbage\n").ok());
  EXPECT_FALSE(OutboxFile::Decode(good + good).ok());  // data after the end
}

TEST(OutboxFileTest, ChangesReplaceTheFileInsteadOfWritingIntoIt) {
  TempDir home;
  OutboxFile outbox(home.path(), "h:1", "alice");
  ASSERT_TRUE(outbox.Add(Message(1, "bob", "one"), kNow).ok());
  std::string before = ReadFile(outbox.file());
  // A second name for the current inode: an in-place write would change it.
  std::filesystem::path old_inode = home.path() / "old";
  ASSERT_EQ(::link(outbox.file().c_str(), old_inode.c_str()), 0);
  ASSERT_TRUE(outbox.Add(Message(2, "bob", "two"), kNow).ok());
  EXPECT_EQ(ReadFile(old_inode), before);
  EXPECT_NE(ReadFile(outbox.file()), before);
  // No temporary file is left beside it.
  size_t entries = 0;
  for (const auto& entry :
       std::filesystem::directory_iterator(outbox.file().parent_path())) {
    (void)entry;
    ++entries;
  }
  EXPECT_EQ(entries, 1u);
}

}  // namespace
}  // namespace hail::client
