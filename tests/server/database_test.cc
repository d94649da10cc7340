// Issue 10 (4), at the unit tier: the stores over a LevelDB Env whose disk
// can be made full (every append and sync fails with ENOSPC's message, as
// LevelDB's own fault-injection tests do). The real full disk, with the
// real haild, is DiskFullTest in tests/integration/chat_test.cc.
#include "server/database.h"

#include <gtest/gtest.h>
#include <leveldb/env.h>
#include <leveldb/helpers/memenv.h>

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "server/account_service.h"
#include "server/account_store.h"
#include "server/chat_store.h"

namespace hail::server {
namespace {

using protocol::ErrorCode;

constexpr uint64_t kNow = 1'700'000'000;

// An in-memory Env whose files refuse to grow while `full` is set.
class FullableEnv : public leveldb::EnvWrapper {
 public:
  FullableEnv()
      : EnvWrapper(leveldb::Env::Default()),
        memory_(leveldb::NewMemEnv(leveldb::Env::Default())) {}

  std::atomic<bool> full{false};

  leveldb::Status NewWritableFile(const std::string& name,
                                  leveldb::WritableFile** result) override {
    leveldb::Status status = memory_->NewWritableFile(name, result);
    if (status.ok()) *result = new File(*result, &full);
    return status;
  }
  leveldb::Status NewAppendableFile(const std::string& name,
                                    leveldb::WritableFile** result) override {
    leveldb::Status status = memory_->NewAppendableFile(name, result);
    if (status.ok()) *result = new File(*result, &full);
    return status;
  }
  // Everything else goes to the in-memory Env too (locks, directories,
  // reads), except threads and time, which EnvWrapper takes from Default.
  bool FileExists(const std::string& f) override {
    return memory_->FileExists(f);
  }
  leveldb::Status GetChildren(const std::string& dir,
                              std::vector<std::string>* r) override {
    return memory_->GetChildren(dir, r);
  }
  leveldb::Status RemoveFile(const std::string& f) override {
    return memory_->RemoveFile(f);
  }
  leveldb::Status CreateDir(const std::string& d) override {
    return memory_->CreateDir(d);
  }
  leveldb::Status RemoveDir(const std::string& d) override {
    return memory_->RemoveDir(d);
  }
  leveldb::Status GetFileSize(const std::string& f, uint64_t* s) override {
    return memory_->GetFileSize(f, s);
  }
  leveldb::Status RenameFile(const std::string& s,
                             const std::string& t) override {
    return memory_->RenameFile(s, t);
  }
  leveldb::Status LockFile(const std::string& f,
                           leveldb::FileLock** l) override {
    return memory_->LockFile(f, l);
  }
  leveldb::Status UnlockFile(leveldb::FileLock* l) override {
    return memory_->UnlockFile(l);
  }
  leveldb::Status NewSequentialFile(const std::string& f,
                                    leveldb::SequentialFile** r) override {
    return memory_->NewSequentialFile(f, r);
  }
  leveldb::Status NewRandomAccessFile(const std::string& f,
                                      leveldb::RandomAccessFile** r) override {
    return memory_->NewRandomAccessFile(f, r);
  }
  leveldb::Status NewLogger(const std::string& f,
                            leveldb::Logger** r) override {
    return memory_->NewLogger(f, r);
  }

 private:
  class File : public leveldb::WritableFile {
   public:
    File(leveldb::WritableFile* base, const std::atomic<bool>* full)
        : base_(base), full_(full) {}
    leveldb::Status Append(const leveldb::Slice& data) override {
      if (full_->load()) return NoSpace();
      return base_->Append(data);
    }
    leveldb::Status Close() override { return base_->Close(); }
    leveldb::Status Flush() override { return base_->Flush(); }
    leveldb::Status Sync() override {
      if (full_->load()) return NoSpace();
      return base_->Sync();
    }

   private:
    static leveldb::Status NoSpace() {
      return leveldb::Status::IOError("test file", "No space left on device");
    }
    std::unique_ptr<leveldb::WritableFile> base_;
    const std::atomic<bool>* full_;
  };

  std::unique_ptr<leveldb::Env> memory_;
};

class DatabaseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    DatabaseOptions options;
    options.probe_interval = std::chrono::milliseconds(10);
    options.probe_bytes = 4096;
    Result<std::unique_ptr<AccountStore>> opened =
        AccountStore::Open("/db", &env_, options);
    ASSERT_TRUE(opened.ok()) << opened.status().message();
    accounts_ = std::move(*opened);
    chats_ =
        std::make_unique<ChatStore>(accounts_->database(), MailboxLimits{});
  }

  void TearDown() override {
    chats_.reset();
    accounts_.reset();
  }

  Database& database() { return *accounts_->database(); }

  // Waits (up to a generous deadline) for the database to take writes.
  bool WaitUntilWritable() {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (database().read_only()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return true;
  }

  Status Accept(uint64_t sender, uint64_t recipient, uint8_t id_byte) {
    protocol::ItemId id{};
    id[0] = id_byte;
    MailItem item;
    item.text = "hello";
    std::promise<Status> done;
    chats_->AcceptMessage(sender, recipient, id, SentRecord{}, item, kNow,
                          [&](Status status, ChatStore::AcceptOutcome) {
                            done.set_value(std::move(status));
                          });
    return done.get_future().get();
  }

  FullableEnv env_;
  std::unique_ptr<AccountStore> accounts_;
  std::unique_ptr<ChatStore> chats_;
};

TEST_F(DatabaseTest, FullDiskRefusesWritesKeepsReadsAndRecoversWithoutRestart) {
  Result<uint64_t> alice = accounts_->CreateUser("alice", "hash", kNow);
  ASSERT_TRUE(alice.ok());
  ASSERT_TRUE(Accept(*alice + 1, *alice, 1).ok());

  env_.full = true;
  Status refused = accounts_->RecordLogin(*alice, LoginInfo{});
  EXPECT_TRUE(refused.IsUnavailable()) << refused.message();
  EXPECT_TRUE(database().read_only());
  // Refused without reaching LevelDB, even once space is back, until the
  // database was reopened; reads go on.
  EXPECT_TRUE(Accept(*alice + 1, *alice, 2).IsUnavailable());
  EXPECT_TRUE(accounts_->FindByName("alice").ok());
  Result<std::vector<MailItem>> mailbox = chats_->ListMailbox(*alice);
  ASSERT_TRUE(mailbox.ok());
  EXPECT_EQ(mailbox->size(), 1u);
  EXPECT_GE(database().write_errors(), 2u);

  env_.full = false;
  ASSERT_TRUE(WaitUntilWritable());
  EXPECT_EQ(database().recoveries(), 1u);
  EXPECT_TRUE(Accept(*alice + 1, *alice, 3).ok());
  EXPECT_TRUE(accounts_->CreateUser("bob", "hash", kNow).ok());
  mailbox = chats_->ListMailbox(*alice);
  ASSERT_TRUE(mailbox.ok());
  EXPECT_EQ(mailbox->size(), 2u);
}

TEST_F(DatabaseTest, LoginAndResumeSucceedWhileTheDiskIsFull) {
  Counters counters;
  PasswordHashLimits limits;
  limits.test_rig = true;
  limits.opslimit = 1;
  limits.memlimit = 8192;
  AccountService service(accounts_.get(), limits, &counters);
  ASSERT_EQ(service.Register("alice", "alice-password", kNow).error,
            ErrorCode::kOk);
  LoginContext context;
  context.client_version = "hail-test/1";
  context.now_unix = kNow;
  AuthOutcome first = service.Login("alice", "alice-password", context);
  ASSERT_EQ(first.error, ErrorCode::kOk);

  env_.full = true;
  AuthOutcome login = service.Login("alice", "alice-password", context);
  EXPECT_EQ(login.error, ErrorCode::kOk);
  EXPECT_EQ(login.token_expires_unix, 0u);
  EXPECT_EQ(login.token, ResumptionToken{});
  // The token is not consumed: it works again, and comes back unchanged.
  for (int i = 0; i < 2; ++i) {
    AuthOutcome resumed = service.Resume("alice", first.token, context);
    EXPECT_EQ(resumed.error, ErrorCode::kOk);
    EXPECT_EQ(resumed.token, first.token);
    EXPECT_EQ(resumed.token_expires_unix, first.token_expires_unix);
  }
  EXPECT_EQ(service.Register("bob", "bob-password", kNow).error,
            ErrorCode::kServerBusy);
  EXPECT_EQ(counters.logins_not_recorded.load(), 3u);
  EXPECT_EQ(counters.tokens_not_issued.load(), 1u);

  env_.full = false;
  ASSERT_TRUE(WaitUntilWritable());
  // Single use again once it can be consumed.
  EXPECT_EQ(service.Resume("alice", first.token, context).error,
            ErrorCode::kOk);
  EXPECT_EQ(service.Resume("alice", first.token, context).error,
            ErrorCode::kTokenInvalid);
}

}  // namespace
}  // namespace hail::server
