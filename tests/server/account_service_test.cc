// Each Argon2id hash costs about 0.1 s and 64 MiB here, so these tests keep
// the number of password operations small.
#include "server/account_service.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <memory>
#include <string>

namespace hail::server {
namespace {

using protocol::Endpoint;
using protocol::ErrorCode;

constexpr uint64_t kNow = 1'700'000'000;

class AccountServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static std::atomic<int> counter{0};
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    root_ = std::filesystem::temp_directory_path() /
            ("hail_account_service_" + std::string(info->name()) + "_" +
             std::to_string(::getpid()) + "_" + std::to_string(counter++));
    std::filesystem::remove_all(root_);
    Result<std::unique_ptr<AccountStore>> opened =
        AccountStore::Open(root_ / "db");
    ASSERT_TRUE(opened.ok()) << opened.status().message();
    store_ = std::move(*opened);
    service_ = std::make_unique<AccountService>(
        store_.get(), PasswordHashLimits{}, &counters_);
    // Construction hashes the dummy password once; tests count from zero.
    ASSERT_EQ(counters_.password_hashes.load(), 1u);
    counters_.password_hashes = 0;
  }

  void TearDown() override {
    service_.reset();
    store_.reset();
    std::filesystem::remove_all(root_);
  }

  static LoginContext Context(uint64_t now_unix = kNow) {
    LoginContext context;
    context.observed = *Endpoint::Parse("198.51.100.4:50000");
    context.lan = *Endpoint::Parse("10.0.0.4:50000");
    context.client_version = "hail-test/1";
    context.now_unix = now_unix;
    return context;
  }

  // Registers `name` and returns its id; counts one password hash.
  uint64_t Register(std::string_view name, std::string_view password) {
    AuthOutcome outcome = service_->Register(name, password, kNow);
    EXPECT_EQ(outcome.error, ErrorCode::kOk);
    return outcome.user_id;
  }

  std::filesystem::path root_;
  Counters counters_;
  std::unique_ptr<AccountStore> store_;
  std::unique_ptr<AccountService> service_;
};

TEST_F(AccountServiceTest, RegisterThenLoginSucceeds) {
  AuthOutcome registered = service_->Register("Alice", "correct horse", kNow);
  ASSERT_EQ(registered.error, ErrorCode::kOk);
  EXPECT_EQ(registered.user_id, kFirstUserId);
  EXPECT_EQ(registered.username, "alice");
  EXPECT_EQ(registered.token, ResumptionToken{});  // register does not log in
  EXPECT_EQ(counters_.registrations.load(), 1u);

  AuthOutcome login = service_->Login("ALICE", "correct horse", Context());
  ASSERT_EQ(login.error, ErrorCode::kOk);
  EXPECT_EQ(login.user_id, registered.user_id);
  EXPECT_EQ(login.username, "alice");
  EXPECT_NE(login.token, ResumptionToken{});
  EXPECT_EQ(login.token_expires_unix, kNow + kTokenLifetimeSeconds);
  EXPECT_EQ(counters_.logins_password.load(), 1u);
  EXPECT_EQ(counters_.password_hashes.load(), 2u);

  Result<UserRecord> record = service_->Lookup("alice");
  ASSERT_TRUE(record.ok());
  EXPECT_EQ(record->last_login.unix_time, kNow);
  EXPECT_EQ(record->last_login.observed, Context().observed);
  EXPECT_EQ(record->last_login.lan, Context().lan);
  EXPECT_EQ(record->last_login.client_version, "hail-test/1");
}

TEST_F(AccountServiceTest, WrongPasswordAndUnknownUserGiveTheSameCode) {
  Register("alice", "correct horse");
  // The first unknown-user login also creates the dummy hash.
  EXPECT_EQ(service_->Login("nobody", "whatever1", Context()).error,
            ErrorCode::kInvalidCredentials);

  uint64_t before = counters_.password_hashes.load();
  AuthOutcome wrong = service_->Login("alice", "wrong horse", Context());
  uint64_t after_wrong = counters_.password_hashes.load();
  AuthOutcome unknown = service_->Login("nobody", "correct horse", Context());
  uint64_t after_unknown = counters_.password_hashes.load();
  AuthOutcome invalid = service_->Login("9invalid", "correct horse", Context());
  uint64_t after_invalid = counters_.password_hashes.load();

  EXPECT_EQ(wrong.error, ErrorCode::kInvalidCredentials);
  EXPECT_EQ(unknown.error, ErrorCode::kInvalidCredentials);
  EXPECT_EQ(invalid.error, ErrorCode::kInvalidCredentials);
  // One Argon2id verification each way.
  EXPECT_EQ(after_wrong - before, 1u);
  EXPECT_EQ(after_unknown - after_wrong, 1u);
  EXPECT_EQ(after_invalid - after_unknown, 1u);
  EXPECT_EQ(counters_.login_failures.load(), 4u);
  EXPECT_EQ(counters_.logins_password.load(), 0u);
}

TEST_F(AccountServiceTest, PasswordIsNotStoredInClear) {
  Register("alice", "correct horse");
  Result<UserRecord> record = service_->Lookup("alice");
  ASSERT_TRUE(record.ok());
  EXPECT_EQ(record->password_hash.rfind("$argon2id$", 0), 0u)
      << record->password_hash;
  EXPECT_EQ(record->password_hash.find("correct horse"), std::string::npos);
}

TEST_F(AccountServiceTest, ResumeIssuesNewTokenAndOldTokenFailsTheSecondTime) {
  Register("alice", "correct horse");
  AuthOutcome login = service_->Login("alice", "correct horse", Context());
  ASSERT_EQ(login.error, ErrorCode::kOk);
  const uint64_t hashes = counters_.password_hashes.load();

  AuthOutcome resumed =
      service_->Resume("Alice", login.token, Context(kNow + 60));
  ASSERT_EQ(resumed.error, ErrorCode::kOk);
  EXPECT_EQ(resumed.user_id, login.user_id);
  EXPECT_EQ(resumed.username, "alice");
  EXPECT_NE(resumed.token, login.token);
  EXPECT_EQ(resumed.token_expires_unix, kNow + 60 + kTokenLifetimeSeconds);

  EXPECT_EQ(service_->Resume("alice", login.token, Context()).error,
            ErrorCode::kTokenInvalid);
  EXPECT_EQ(service_->Resume("alice", resumed.token, Context()).error,
            ErrorCode::kOk);

  EXPECT_EQ(counters_.password_hashes.load(), hashes);  // no Argon2id
  EXPECT_EQ(counters_.logins_resumed.load(), 2u);
  EXPECT_EQ(counters_.login_failures.load(), 1u);
}

TEST_F(AccountServiceTest, ExpiredTokenIsInvalid) {
  Register("alice", "correct horse");
  AuthOutcome login = service_->Login("alice", "correct horse", Context());
  ASSERT_EQ(login.error, ErrorCode::kOk);
  EXPECT_EQ(
      service_->Resume("alice", login.token, Context(login.token_expires_unix))
          .error,
      ErrorCode::kTokenInvalid);
}

TEST_F(AccountServiceTest, ResumeUnderAnotherNameFailsAndConsumesTheToken) {
  Register("alice", "correct horse");
  Register("bob", "battery staple");
  AuthOutcome login = service_->Login("alice", "correct horse", Context());
  ASSERT_EQ(login.error, ErrorCode::kOk);

  EXPECT_EQ(service_->Resume("bob", login.token, Context()).error,
            ErrorCode::kTokenInvalid);
  EXPECT_EQ(service_->Resume("alice", login.token, Context()).error,
            ErrorCode::kTokenInvalid);
}

TEST_F(AccountServiceTest, ChangePasswordRevokesOldTokens) {
  uint64_t alice = Register("alice", "correct horse");
  AuthOutcome login = service_->Login("alice", "correct horse", Context());
  ASSERT_EQ(login.error, ErrorCode::kOk);

  ResumptionToken new_token{};
  uint64_t new_expires = 0;
  EXPECT_EQ(service_->ChangePassword(alice, "wrong horse", "new password 1",
                                     &new_token, &new_expires, kNow),
            ErrorCode::kInvalidCredentials);
  EXPECT_EQ(service_->ChangePassword(alice, "correct horse", "short",
                                     &new_token, &new_expires, kNow),
            ErrorCode::kInvalidPassword);
  ASSERT_EQ(service_->ChangePassword(alice, "correct horse", "new password 1",
                                     &new_token, &new_expires, kNow),
            ErrorCode::kOk);
  EXPECT_NE(new_token, ResumptionToken{});
  EXPECT_EQ(new_expires, kNow + kTokenLifetimeSeconds);

  EXPECT_EQ(service_->Resume("alice", login.token, Context()).error,
            ErrorCode::kTokenInvalid);
  EXPECT_EQ(service_->Resume("alice", new_token, Context()).error,
            ErrorCode::kOk);
  EXPECT_EQ(service_->Login("alice", "correct horse", Context()).error,
            ErrorCode::kInvalidCredentials);
}

TEST_F(AccountServiceTest, DeletedAccountCannotLogIn) {
  uint64_t alice = Register("alice", "correct horse");
  AuthOutcome login = service_->Login("alice", "correct horse", Context());
  ASSERT_EQ(login.error, ErrorCode::kOk);

  EXPECT_EQ(service_->DeleteAccount(alice, "wrong horse"),
            ErrorCode::kInvalidCredentials);
  ASSERT_EQ(service_->DeleteAccount(alice, "correct horse"), ErrorCode::kOk);

  EXPECT_EQ(service_->Login("alice", "correct horse", Context()).error,
            ErrorCode::kInvalidCredentials);
  EXPECT_EQ(service_->Resume("alice", login.token, Context()).error,
            ErrorCode::kTokenInvalid);
  EXPECT_EQ(service_->Lookup("alice").status().code(), Status::Code::kNotFound);
  EXPECT_EQ(service_->DeleteAccount(alice, "correct horse"),
            ErrorCode::kInvalidCredentials);
}

TEST_F(AccountServiceTest, InvalidInputIsRejectedBeforeHashing) {
  EXPECT_EQ(service_->Register("9lives", "correct horse", kNow).error,
            ErrorCode::kInvalidUsername);
  EXPECT_EQ(service_->Register("al", "correct horse", kNow).error,
            ErrorCode::kInvalidUsername);
  EXPECT_EQ(service_->Register("alice", "short", kNow).error,
            ErrorCode::kInvalidPassword);
  EXPECT_EQ(
      service_->Register("alice", std::string("nul\0inside", 10), kNow).error,
      ErrorCode::kInvalidPassword);

  LoginContext bad_version = Context();
  bad_version.client_version = "tab\there";
  EXPECT_EQ(service_->Login("alice", "correct horse", bad_version).error,
            ErrorCode::kMalformed);
  EXPECT_EQ(service_->Resume("alice", ResumptionToken{}, bad_version).error,
            ErrorCode::kMalformed);

  EXPECT_EQ(service_->Lookup("9lives").status().code(),
            Status::Code::kInvalidArgument);
  EXPECT_EQ(counters_.password_hashes.load(), 0u);
  EXPECT_EQ(counters_.registrations.load(), 0u);
}

TEST_F(AccountServiceTest, TakenUsernameIsRejectedWhateverItsCase) {
  Register("alice", "correct horse");
  EXPECT_EQ(service_->Register("ALICE", "battery staple", kNow).error,
            ErrorCode::kUsernameTaken);
  EXPECT_EQ(counters_.password_hashes.load(), 1u);  // no hash for the taken one
}

TEST_F(AccountServiceTest, LimitsBelowInteractiveAreRaised) {
  AccountService weak(store_.get(), PasswordHashLimits{1, 1024}, &counters_);
  EXPECT_EQ(weak.limits().opslimit, crypto_pwhash_OPSLIMIT_INTERACTIVE);
  EXPECT_EQ(weak.limits().memlimit, crypto_pwhash_MEMLIMIT_INTERACTIVE);
}

TEST_F(AccountServiceTest, LoginUpgradesHashWhenLimitsWereRaised) {
  Register("alice", "correct horse");
  const std::string old_hash = service_->Lookup("alice")->password_hash;

  PasswordHashLimits stronger;
  stronger.opslimit = crypto_pwhash_OPSLIMIT_INTERACTIVE + 1;
  AccountService upgraded(store_.get(), stronger, &counters_);
  ASSERT_EQ(upgraded.Login("alice", "correct horse", Context()).error,
            ErrorCode::kOk);
  const std::string new_hash = service_->Lookup("alice")->password_hash;
  EXPECT_NE(new_hash, old_hash);
  EXPECT_EQ(crypto_pwhash_str_needs_rehash(new_hash.c_str(), stronger.opslimit,
                                           stronger.memlimit),
            0);
  // register, the second service's dummy, verify, rehash
  EXPECT_EQ(counters_.password_hashes.load(), 4u);
  EXPECT_EQ(upgraded.Login("alice", "correct horse", Context()).error,
            ErrorCode::kOk);
}

}  // namespace
}  // namespace hail::server
