#include "server/account_service.h"

#include <algorithm>
#include <cassert>
#include <cstdio>
#include <cstdlib>

#include "protocol/account_rules.h"
#include "server/write_error.h"

namespace hail::server {

namespace {

using protocol::ErrorCode;

PasswordHashLimits ClampToInteractive(PasswordHashLimits limits) {
  unsigned long long min_ops = limits.test_rig
                                   ? crypto_pwhash_OPSLIMIT_MIN
                                   : crypto_pwhash_OPSLIMIT_INTERACTIVE;
  size_t min_mem = limits.test_rig ? crypto_pwhash_MEMLIMIT_MIN
                                   : crypto_pwhash_MEMLIMIT_INTERACTIVE;
  limits.opslimit = std::max<unsigned long long>(limits.opslimit, min_ops);
  limits.memlimit = std::max<size_t>(limits.memlimit, min_mem);
  return limits;
}

// Runs sodium_init() (idempotent and thread-safe) before limits_ is set, so
// that it happens before any other libsodium call of the service.
PasswordHashLimits InitializeSodiumAndClamp(PasswordHashLimits limits) {
  if (sodium_init() < 0) {
    std::fprintf(stderr, "hail: sodium_init() failed\n");
    std::abort();
  }
  return ClampToInteractive(limits);
}

bool IsAcceptableContext(const LoginContext& context) {
  return context.client_version.empty() ||
         protocol::IsAcceptableClientVersion(context.client_version);
}

}  // namespace

AccountService::AccountService(AccountStore* store, PasswordHashLimits limits,
                               Counters* counters)
    : store_(store),
      limits_(InitializeSodiumAndClamp(limits)),
      counters_(counters),
      dummy_hash_(MakeDummyHash()) {
  assert(store_ != nullptr);
  assert(counters_ != nullptr);
}

TokenHash AccountService::HashToken(const ResumptionToken& token) {
  TokenHash hash;
  static_assert(std::tuple_size_v<TokenHash> == crypto_generichash_BYTES);
  crypto_generichash(hash.data(), hash.size(), token.data(), token.size(),
                     nullptr, 0);
  return hash;
}

std::optional<std::string> AccountService::HashPassword(
    std::string_view password) {
  ++counters_->password_hashes;
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str(out, password.data(), password.size(), limits_.opslimit,
                        limits_.memlimit) != 0) {
    return std::nullopt;
  }
  return std::string(out);
}

bool AccountService::VerifyPassword(const std::string& hash,
                                    std::string_view password) {
  ++counters_->password_hashes;
  return crypto_pwhash_str_verify(hash.c_str(), password.data(),
                                  password.size()) == 0;
}

std::string AccountService::MakeDummyHash() {
  // The password is random and forgotten: nothing can ever match.
  std::array<uint8_t, 32> secret;
  randombytes_buf(secret.data(), secret.size());
  std::optional<std::string> hash = HashPassword(std::string_view(
      reinterpret_cast<const char*>(secret.data()), secret.size()));
  sodium_memzero(secret.data(), secret.size());
  return hash.value_or(std::string());
}

void AccountService::VerifyAgainstDummy(std::string_view password) {
  // Made at construction, so that the first unknown-user login costs what
  // every other one does. If it could not be made (out of memory), the
  // caller still answers kInvalidCredentials.
  if (!dummy_hash_.empty()) VerifyPassword(dummy_hash_, password);
}

ErrorCode AccountService::FinishLogin(const UserRecord& record,
                                      const LoginContext& context,
                                      ErrorCode if_gone, AuthOutcome* outcome,
                                      const KeptToken* kept) {
  LoginInfo login;
  login.unix_time = context.now_unix;
  login.observed = context.observed;
  login.lan = context.lan;
  login.client_version = context.client_version;
  Status recorded = store_->RecordLogin(record.user_id, login);
  if (recorded.IsNotFound()) return if_gone;
  if (recorded.IsUnavailable()) {
    // The store takes no writes (a full disk): the login goes on without
    // its record (SPEC.md 14.3).
    ++counters_->logins_not_recorded;
  } else if (!recorded.ok()) {
    return ErrorCode::kInternal;
  }

  outcome->user_id = record.user_id;
  outcome->username = record.username;
  if (kept != nullptr) {
    // Resumed while the store takes no writes: the token was not consumed,
    // so it stays the client's newest.
    outcome->token = kept->token;
    outcome->token_expires_unix = kept->expires_unix;
    return ErrorCode::kOk;
  }
  ResumptionToken token;
  randombytes_buf(token.data(), token.size());
  const uint64_t expires_unix = context.now_unix + kTokenLifetimeSeconds;
  Status stored =
      store_->StoreToken(record.user_id, HashToken(token), expires_unix);
  if (stored.IsNotFound()) return if_gone;
  if (stored.IsUnavailable()) {
    // No token can be issued: the answer carries none (all zero), and the
    // client keeps the one it has.
    ++counters_->tokens_not_issued;
    outcome->token = {};
    outcome->token_expires_unix = 0;
    return ErrorCode::kOk;
  }
  if (!stored.ok()) return ErrorCode::kInternal;
  outcome->token = token;
  outcome->token_expires_unix = expires_unix;
  return ErrorCode::kOk;
}

AuthOutcome AccountService::Register(std::string_view username,
                                     std::string_view password,
                                     uint64_t now_unix) {
  AuthOutcome outcome;
  std::optional<std::string> canonical = protocol::NormalizeUsername(username);
  if (!canonical) {
    outcome.error = ErrorCode::kInvalidUsername;
    return outcome;
  }
  if (!protocol::IsAcceptablePassword(password)) {
    outcome.error = ErrorCode::kInvalidPassword;
    return outcome;
  }
  // Cheap early answer for a taken name; CreateUser re-checks atomically.
  Result<UserRecord> existing = store_->FindByName(*canonical);
  if (existing.ok()) {
    outcome.error = ErrorCode::kUsernameTaken;
    return outcome;
  }
  if (!existing.status().IsNotFound()) {
    outcome.error = ErrorCode::kInternal;
    return outcome;
  }

  std::optional<std::string> hash = HashPassword(password);
  if (!hash) {
    outcome.error = ErrorCode::kServerBusy;
    return outcome;
  }
  Result<uint64_t> user_id = store_->CreateUser(*canonical, *hash, now_unix);
  if (!user_id.ok()) {
    outcome.error = user_id.status().code() == Status::Code::kAlreadyExists
                        ? ErrorCode::kUsernameTaken
                        : ErrorForWrite(user_id.status());
    return outcome;
  }
  ++counters_->registrations;
  outcome.user_id = *user_id;
  outcome.username = std::move(*canonical);
  return outcome;
}

AuthOutcome AccountService::Login(std::string_view username,
                                  std::string_view password,
                                  const LoginContext& context) {
  AuthOutcome outcome;
  auto fail = [&](ErrorCode error) {
    ++counters_->login_failures;
    outcome.error = error;
    return outcome;
  };
  if (!IsAcceptableContext(context)) return fail(ErrorCode::kMalformed);

  std::optional<std::string> canonical = protocol::NormalizeUsername(username);
  Result<UserRecord> record =
      canonical ? store_->FindByName(*canonical)
                : Result<UserRecord>(Status::NotFound("invalid username"));
  if (!record.ok()) {
    if (!record.status().IsNotFound()) return fail(ErrorCode::kInternal);
    VerifyAgainstDummy(password);
    return fail(ErrorCode::kInvalidCredentials);
  }
  if (!VerifyPassword(record->password_hash, password)) {
    return fail(ErrorCode::kInvalidCredentials);
  }

  if (crypto_pwhash_str_needs_rehash(record->password_hash.c_str(),
                                     limits_.opslimit, limits_.memlimit) != 0) {
    // Best effort: if it fails, the upgrade is retried at the next login.
    std::optional<std::string> upgraded = HashPassword(password);
    if (upgraded) store_->SetPasswordHash(record->user_id, *upgraded);
  }

  ErrorCode finished =
      FinishLogin(*record, context, ErrorCode::kInvalidCredentials, &outcome,
                  /*kept=*/nullptr);
  if (finished != ErrorCode::kOk) return fail(finished);
  ++counters_->logins_password;
  return outcome;
}

AuthOutcome AccountService::Resume(std::string_view username,
                                   const ResumptionToken& token,
                                   const LoginContext& context) {
  AuthOutcome outcome;
  auto fail = [&](ErrorCode error) {
    ++counters_->login_failures;
    outcome.error = error;
    return outcome;
  };
  if (!IsAcceptableContext(context)) return fail(ErrorCode::kMalformed);

  const TokenHash token_hash = HashToken(token);
  Result<uint64_t> user_id = store_->ConsumeToken(token_hash, context.now_unix);
  std::optional<KeptToken> kept;
  if (!user_id.ok() && user_id.status().IsUnavailable()) {
    // The store takes no writes (a full disk): a valid token logs in
    // without being consumed (SPEC.md 14.3).
    Result<AccountStore::TokenEntry> entry =
        store_->FindToken(token_hash, context.now_unix);
    if (entry.ok()) {
      kept = KeptToken{token, entry->expires_unix};
      user_id = entry->user_id;
    } else {
      user_id = entry.status();
    }
  }
  if (!user_id.ok()) {
    return fail(user_id.status().IsNotFound() ? ErrorCode::kTokenInvalid
                                              : ErrorCode::kInternal);
  }
  Result<UserRecord> record = store_->FindById(*user_id);
  if (!record.ok()) {
    return fail(record.status().IsNotFound() ? ErrorCode::kTokenInvalid
                                             : ErrorCode::kInternal);
  }
  std::optional<std::string> canonical = protocol::NormalizeUsername(username);
  if (!canonical || *canonical != record->username) {
    return fail(ErrorCode::kTokenInvalid);
  }

  ErrorCode finished = FinishLogin(*record, context, ErrorCode::kTokenInvalid,
                                   &outcome, kept ? &*kept : nullptr);
  if (finished != ErrorCode::kOk) return fail(finished);
  ++counters_->logins_resumed;
  return outcome;
}

ErrorCode AccountService::ChangePassword(uint64_t user_id,
                                         std::string_view old_password,
                                         std::string_view new_password,
                                         ResumptionToken* new_token,
                                         uint64_t* new_token_expires,
                                         uint64_t now_unix) {
  assert(new_token != nullptr && new_token_expires != nullptr);
  Result<UserRecord> record = store_->FindById(user_id);
  if (!record.ok()) {
    return record.status().IsNotFound() ? ErrorCode::kInvalidCredentials
                                        : ErrorCode::kInternal;
  }
  if (!VerifyPassword(record->password_hash, old_password)) {
    return ErrorCode::kInvalidCredentials;
  }
  if (!protocol::IsAcceptablePassword(new_password)) {
    return ErrorCode::kInvalidPassword;
  }
  std::optional<std::string> hash = HashPassword(new_password);
  if (!hash) return ErrorCode::kServerBusy;

  ResumptionToken token;
  randombytes_buf(token.data(), token.size());
  const uint64_t expires_unix = now_unix + kTokenLifetimeSeconds;
  Status changed = store_->ChangePasswordHash(user_id, *hash, HashToken(token),
                                              expires_unix);
  if (changed.IsNotFound()) return ErrorCode::kInvalidCredentials;
  if (!changed.ok()) return ErrorForWrite(changed);
  *new_token = token;
  *new_token_expires = expires_unix;
  return ErrorCode::kOk;
}

ErrorCode AccountService::DeleteAccount(uint64_t user_id,
                                        std::string_view password) {
  Result<UserRecord> record = store_->FindById(user_id);
  if (!record.ok()) {
    return record.status().IsNotFound() ? ErrorCode::kInvalidCredentials
                                        : ErrorCode::kInternal;
  }
  if (!VerifyPassword(record->password_hash, password)) {
    return ErrorCode::kInvalidCredentials;
  }
  Status deleted = store_->DeleteUser(user_id);
  if (deleted.IsNotFound()) return ErrorCode::kInvalidCredentials;
  if (!deleted.ok()) return ErrorForWrite(deleted);
  return ErrorCode::kOk;
}

Result<UserRecord> AccountService::Lookup(std::string_view username) {
  std::optional<std::string> canonical = protocol::NormalizeUsername(username);
  if (!canonical) {
    return Status::InvalidArgument("invalid username: " +
                                   std::string(username));
  }
  return store_->FindByName(*canonical);
}

}  // namespace hail::server
