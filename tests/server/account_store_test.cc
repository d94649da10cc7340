#include "server/account_store.h"

#include <gtest/gtest.h>
#include <leveldb/db.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "protocol/byte_io.h"

namespace hail::server {
namespace {

using protocol::Bytes;
using protocol::Endpoint;

// A fresh directory under the system temp dir, removed at the end.
class AccountStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static std::atomic<int> counter{0};
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    root_ = std::filesystem::temp_directory_path() /
            ("hail_account_store_" + std::string(info->name()) + "_" +
             std::to_string(::getpid()) + "_" + std::to_string(counter++));
    std::filesystem::remove_all(root_);
    dir_ = root_ / "db";
    store_ = OpenStore();
  }

  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(root_);
  }

  std::unique_ptr<AccountStore> OpenStore() {
    Result<std::unique_ptr<AccountStore>> opened = AccountStore::Open(dir_);
    EXPECT_TRUE(opened.ok()) << opened.status().message();
    return opened.ok() ? std::move(*opened) : nullptr;
  }

  // Opens the database directly, for tests that inspect or damage the raw
  // keys. REQUIRES: store_ closed.
  std::unique_ptr<leveldb::DB> OpenRaw() {
    leveldb::DB* db = nullptr;
    leveldb::Status status = leveldb::DB::Open(leveldb::Options(), dir_, &db);
    EXPECT_TRUE(status.ok()) << status.ToString();
    return std::unique_ptr<leveldb::DB>(db);
  }

  static TokenHash MakeHash(uint8_t fill) {
    TokenHash hash;
    hash.fill(fill);
    return hash;
  }

  static std::string Raw(std::string_view hex) {
    Bytes bytes;
    EXPECT_TRUE(protocol::FromHex(hex, &bytes));
    return std::string(bytes.begin(), bytes.end());
  }

  std::filesystem::path root_;
  std::filesystem::path dir_;
  std::unique_ptr<AccountStore> store_;
};

TEST_F(AccountStoreTest, CreatedUserIsFoundByNameAndById) {
  Result<uint64_t> id = store_->CreateUser("alice", "$hash$alice", 1000);
  ASSERT_TRUE(id.ok()) << id.status().message();

  Result<UserRecord> by_name = store_->FindByName("alice");
  ASSERT_TRUE(by_name.ok()) << by_name.status().message();
  EXPECT_EQ(by_name->user_id, *id);
  EXPECT_EQ(by_name->username, "alice");
  EXPECT_EQ(by_name->password_hash, "$hash$alice");
  EXPECT_EQ(by_name->created_unix, 1000u);
  EXPECT_EQ(by_name->last_login.unix_time, 0u);
  EXPECT_TRUE(by_name->last_login.observed.empty());

  Result<UserRecord> by_id = store_->FindById(*id);
  ASSERT_TRUE(by_id.ok());
  EXPECT_EQ(by_id->username, "alice");
  EXPECT_EQ(store_->UserCount(), 1u);
}

TEST_F(AccountStoreTest, UnknownUserIsNotFound) {
  EXPECT_EQ(store_->FindByName("nobody").status().code(),
            Status::Code::kNotFound);
  EXPECT_EQ(store_->FindById(kFirstUserId).status().code(),
            Status::Code::kNotFound);
}

TEST_F(AccountStoreTest, DuplicateNameIsAlreadyExists) {
  ASSERT_TRUE(store_->CreateUser("alice", "$h1", 1).ok());
  Result<uint64_t> again = store_->CreateUser("alice", "$h2", 2);
  EXPECT_EQ(again.status().code(), Status::Code::kAlreadyExists);
  EXPECT_EQ(store_->FindByName("alice")->password_hash, "$h1");
  EXPECT_EQ(store_->UserCount(), 1u);
}

TEST_F(AccountStoreTest, ConcurrentCreatesOfOneNameYieldOneUser) {
  constexpr int kThreads = 8;
  std::atomic<int> created{0};
  std::atomic<int> taken{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&] {
      Result<uint64_t> id = store_->CreateUser("carol", "$h", 1);
      if (id.ok()) ++created;
      if (id.status().code() == Status::Code::kAlreadyExists) ++taken;
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(created.load(), 1);
  EXPECT_EQ(taken.load(), kThreads - 1);
  EXPECT_EQ(store_->UserCount(), 1u);
}

TEST_F(AccountStoreTest, UserIdsStartAt10000AndIncrease) {
  EXPECT_EQ(*store_->CreateUser("alice", "$h", 1), 10000u);
  EXPECT_EQ(*store_->CreateUser("bob", "$h", 1), 10001u);
}

TEST_F(AccountStoreTest, DeletedUserIdIsNeverReused) {
  uint64_t alice = *store_->CreateUser("alice", "$h", 1);
  ASSERT_TRUE(store_->DeleteUser(alice).ok());
  EXPECT_EQ(store_->FindById(alice).status().code(), Status::Code::kNotFound);
  EXPECT_EQ(store_->FindByName("alice").status().code(),
            Status::Code::kNotFound);

  // The name is free again, the id is not.
  Result<uint64_t> again = store_->CreateUser("alice", "$h", 2);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, alice + 1);

  store_.reset();
  store_ = OpenStore();
  EXPECT_EQ(*store_->CreateUser("bob", "$h", 3), alice + 2);
}

TEST_F(AccountStoreTest, DeleteUserRemovesItsTokens) {
  uint64_t alice = *store_->CreateUser("alice", "$h", 1);
  ASSERT_TRUE(store_->StoreToken(alice, MakeHash(1), 100).ok());
  ASSERT_TRUE(store_->DeleteUser(alice).ok());
  EXPECT_EQ(store_->ConsumeToken(MakeHash(1), 10).status().code(),
            Status::Code::kNotFound);
  EXPECT_EQ(store_->DeleteUser(alice).code(), Status::Code::kNotFound);
}

TEST_F(AccountStoreTest, TokenIsSingleUse) {
  uint64_t alice = *store_->CreateUser("alice", "$h", 1);
  ASSERT_TRUE(store_->StoreToken(alice, MakeHash(7), 100).ok());

  Result<uint64_t> first = store_->ConsumeToken(MakeHash(7), 50);
  ASSERT_TRUE(first.ok()) << first.status().message();
  EXPECT_EQ(*first, alice);
  EXPECT_EQ(store_->ConsumeToken(MakeHash(7), 50).status().code(),
            Status::Code::kNotFound);
}

TEST_F(AccountStoreTest, UnknownTokenIsNotFound) {
  EXPECT_EQ(store_->ConsumeToken(MakeHash(9), 1).status().code(),
            Status::Code::kNotFound);
}

TEST_F(AccountStoreTest, ExpiredTokenIsRejectedAndDeleted) {
  uint64_t alice = *store_->CreateUser("alice", "$h", 1);
  ASSERT_TRUE(store_->StoreToken(alice, MakeHash(7), 100).ok());
  ASSERT_TRUE(store_->StoreToken(alice, MakeHash(8), 100).ok());

  // Valid strictly before its expiry time.
  EXPECT_TRUE(store_->ConsumeToken(MakeHash(8), 99).ok());
  EXPECT_EQ(store_->ConsumeToken(MakeHash(7), 100).status().code(),
            Status::Code::kNotFound);
  // Deleted, so even an earlier clock cannot bring it back.
  EXPECT_EQ(store_->ConsumeToken(MakeHash(7), 10).status().code(),
            Status::Code::kNotFound);
}

TEST_F(AccountStoreTest, StoreTokenForMissingUserIsNotFound) {
  EXPECT_EQ(store_->StoreToken(kFirstUserId, MakeHash(1), 100).code(),
            Status::Code::kNotFound);
}

TEST_F(AccountStoreTest, RevokeTokensRemovesOnlyThatUsersTokens) {
  uint64_t alice = *store_->CreateUser("alice", "$h", 1);
  uint64_t bob = *store_->CreateUser("bob", "$h", 1);
  ASSERT_TRUE(store_->StoreToken(alice, MakeHash(1), 100).ok());
  ASSERT_TRUE(store_->StoreToken(alice, MakeHash(2), 100).ok());
  ASSERT_TRUE(store_->StoreToken(bob, MakeHash(3), 100).ok());

  ASSERT_TRUE(store_->RevokeTokens(alice).ok());
  EXPECT_FALSE(store_->ConsumeToken(MakeHash(1), 10).ok());
  EXPECT_FALSE(store_->ConsumeToken(MakeHash(2), 10).ok());
  EXPECT_EQ(*store_->ConsumeToken(MakeHash(3), 10), bob);
  // Nothing left to revoke is fine.
  EXPECT_TRUE(store_->RevokeTokens(alice).ok());
}

TEST_F(AccountStoreTest, ChangePasswordHashReplacesEveryTokenWithTheNewOne) {
  uint64_t alice = *store_->CreateUser("alice", "$old", 1);
  ASSERT_TRUE(store_->StoreToken(alice, MakeHash(1), 100).ok());
  ASSERT_TRUE(store_->StoreToken(alice, MakeHash(2), 100).ok());

  ASSERT_TRUE(store_->ChangePasswordHash(alice, "$new", MakeHash(3), 200).ok());
  EXPECT_EQ(store_->FindById(alice)->password_hash, "$new");
  EXPECT_FALSE(store_->ConsumeToken(MakeHash(1), 10).ok());
  EXPECT_FALSE(store_->ConsumeToken(MakeHash(2), 10).ok());
  EXPECT_EQ(*store_->ConsumeToken(MakeHash(3), 150), alice);
  EXPECT_EQ(store_->ChangePasswordHash(alice + 1, "$x", MakeHash(4), 1).code(),
            Status::Code::kNotFound);
}

TEST_F(AccountStoreTest, SetPasswordHashKeepsTokens) {
  uint64_t alice = *store_->CreateUser("alice", "$old", 1);
  ASSERT_TRUE(store_->StoreToken(alice, MakeHash(1), 100).ok());
  ASSERT_TRUE(store_->SetPasswordHash(alice, "$new").ok());
  EXPECT_EQ(store_->FindByName("alice")->password_hash, "$new");
  EXPECT_TRUE(store_->ConsumeToken(MakeHash(1), 10).ok());
  EXPECT_EQ(store_->SetPasswordHash(alice + 1, "$x").code(),
            Status::Code::kNotFound);
}

TEST_F(AccountStoreTest, RecordLoginStoresEndpointsAndVersion) {
  uint64_t alice = *store_->CreateUser("alice", "$h", 1);
  LoginInfo login;
  login.unix_time = 5000;
  login.observed = *Endpoint::Parse("203.0.113.7:40000");
  login.lan = *Endpoint::Parse("[fd00::2]:5000");
  login.client_version = "hail-cli/0.1.0";
  ASSERT_TRUE(store_->RecordLogin(alice, login).ok());

  Result<UserRecord> record = store_->FindById(alice);
  ASSERT_TRUE(record.ok());
  EXPECT_EQ(record->last_login.unix_time, 5000u);
  EXPECT_EQ(record->last_login.observed, login.observed);
  EXPECT_EQ(record->last_login.lan, login.lan);
  EXPECT_EQ(record->last_login.client_version, "hail-cli/0.1.0");
  EXPECT_EQ(record->password_hash, "$h");
  EXPECT_EQ(store_->RecordLogin(alice + 1, login).code(),
            Status::Code::kNotFound);
}

TEST_F(AccountStoreTest, DataSurvivesCloseAndReopen) {
  uint64_t alice = *store_->CreateUser("alice", "$h", 1);
  ASSERT_TRUE(store_->StoreToken(alice, MakeHash(1), 100).ok());
  store_.reset();

  store_ = OpenStore();
  ASSERT_NE(store_, nullptr);
  EXPECT_EQ(store_->FindByName("alice")->user_id, alice);
  EXPECT_EQ(*store_->ConsumeToken(MakeHash(1), 10), alice);
  EXPECT_EQ(*store_->CreateUser("bob", "$h", 2), alice + 1);
}

TEST_F(AccountStoreTest, SecondOpenWhileOpenIsBusy) {
  Result<std::unique_ptr<AccountStore>> second = AccountStore::Open(dir_);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), Status::Code::kBusy);
  EXPECT_NE(second.status().message().find("locked"), std::string::npos)
      << second.status().message();
}

TEST_F(AccountStoreTest, KeySchemaMatchesSpec) {
  uint64_t alice = *store_->CreateUser("alice", "$h", 1);
  ASSERT_TRUE(store_->StoreToken(alice, MakeHash(0xab), 0x1234).ok());
  store_.reset();

  std::unique_ptr<leveldb::DB> db = OpenRaw();
  ASSERT_NE(db, nullptr);
  std::string value;
  leveldb::ReadOptions read;
  ASSERT_TRUE(db->Get(read, "meta/schema_version", &value).ok());
  EXPECT_EQ(value, Raw("00000001"));
  ASSERT_TRUE(db->Get(read, "meta/next_user_id", &value).ok());
  EXPECT_EQ(value, Raw("0000000000002711"));
  ASSERT_TRUE(db->Get(read, "name/alice", &value).ok());
  EXPECT_EQ(value, Raw("0000000000002710"));
  EXPECT_TRUE(db->Get(read, "user/" + Raw("0000000000002710"), &value).ok());

  const std::string hash(32, '\xab');
  ASSERT_TRUE(db->Get(read, "token/" + hash, &value).ok());
  EXPECT_EQ(value, Raw("0000000000002710 0000000000001234"));
  ASSERT_TRUE(
      db->Get(read, "usertoken/" + Raw("0000000000002710") + hash, &value)
          .ok());
  EXPECT_EQ(value, "");
}

TEST_F(AccountStoreTest, CorruptedUserValueIsCorruption) {
  uint64_t alice = *store_->CreateUser("alice", "$h", 1);
  store_.reset();
  {
    std::unique_ptr<leveldb::DB> db = OpenRaw();
    ASSERT_NE(db, nullptr);
    Bytes key_bytes;
    protocol::ByteWriter(&key_bytes).U64(alice);
    std::string key = "user/" + std::string(key_bytes.begin(), key_bytes.end());
    // Version 1, then a username of 5 bytes of which only "al" remains.
    const std::string truncated = Raw("01 05 616c");
    ASSERT_TRUE(db->Put(leveldb::WriteOptions(), key, truncated).ok());
  }
  store_ = OpenStore();
  ASSERT_NE(store_, nullptr);
  EXPECT_EQ(store_->FindById(alice).status().code(), Status::Code::kCorruption);
  EXPECT_EQ(store_->FindByName("alice").status().code(),
            Status::Code::kCorruption);
  EXPECT_EQ(store_->RecordLogin(alice, LoginInfo{}).code(),
            Status::Code::kCorruption);
}

TEST_F(AccountStoreTest, UnknownSchemaVersionIsRefused) {
  store_.reset();
  {
    std::unique_ptr<leveldb::DB> db = OpenRaw();
    ASSERT_NE(db, nullptr);
    ASSERT_TRUE(
        db->Put(leveldb::WriteOptions(), "meta/schema_version", Raw("00000002"))
            .ok());
  }
  Result<std::unique_ptr<AccountStore>> opened = AccountStore::Open(dir_);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().code(), Status::Code::kCorruption);
}

TEST_F(AccountStoreTest, OversizedFieldsAreInvalidArgument) {
  EXPECT_EQ(store_->CreateUser("", "$h", 1).status().code(),
            Status::Code::kInvalidArgument);
  EXPECT_EQ(store_->CreateUser(std::string(256, 'a'), "$h", 1).status().code(),
            Status::Code::kInvalidArgument);
  uint64_t alice = *store_->CreateUser("alice", "$h", 1);
  LoginInfo login;
  login.client_version = std::string(256, 'v');
  EXPECT_EQ(store_->RecordLogin(alice, login).code(),
            Status::Code::kInvalidArgument);
}

}  // namespace
}  // namespace hail::server
