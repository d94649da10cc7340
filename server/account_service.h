// Account business logic (SPEC.md section "Accounts"): registration,
// password login, token resumption, password change and account deletion,
// on top of AccountStore. Results are wire error codes, ready to send.
#ifndef HAIL_SERVER_ACCOUNT_SERVICE_H_
#define HAIL_SERVER_ACCOUNT_SERVICE_H_

#include <sodium.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "protocol/endpoint.h"
#include "protocol/error_code.h"
#include "protocol/status.h"
#include "server/account_store.h"
#include "server/counters.h"

namespace hail::server {

// Argon2id cost of new password hashes. Values below libsodium's
// "interactive" limits are raised to them.
struct PasswordHashLimits {
  unsigned long long opslimit = crypto_pwhash_OPSLIMIT_INTERACTIVE;
  size_t memlimit = crypto_pwhash_MEMLIMIT_INTERACTIVE;
  // Load-test rigs only: allows limits below libsodium's interactive ones
  // (down to its minimum), so that tens of thousands of accounts can be
  // made in minutes. Hashes made so are cheap to attack.
  bool test_rig = false;
};

// A resumption token as the client holds it: 32 random bytes. The server
// keeps only its BLAKE2b-256 hash (HashToken).
using ResumptionToken = std::array<uint8_t, 32>;

// Tokens expire 30 days after they are issued, and are single use.
inline constexpr uint64_t kTokenLifetimeSeconds = 30ull * 24 * 60 * 60;

// Where and how a login arrives; recorded as the user's last login.
struct LoginContext {
  protocol::Endpoint observed;  // source address seen by the server
  protocol::Endpoint lan;       // address the client reports for itself
  // Empty, or acceptable per protocol::IsAcceptableClientVersion; anything
  // else is answered with kMalformed before any other work.
  std::string client_version;
  uint64_t now_unix = 0;
};

struct AuthOutcome {
  protocol::ErrorCode error = protocol::ErrorCode::kOk;
  // The fields below are meaningful only when error == kOk.
  uint64_t user_id = 0;
  std::string username;     // canonical form
  ResumptionToken token{};  // all zero when no token was issued (Register)
  uint64_t token_expires_unix = 0;
};

// BLOCKING: methods run Argon2id (about 0.1 s and 64 MiB per hash at the
// interactive limits) and synced disk writes. Call them ONLY from
// WorkerPool threads, never from a network loop.
//
// Thread-safe: any number of worker threads may call any method at once.
// The store and the counters must outlive the service.
//
// Counting: password_hashes (every Argon2id hash or verification, including
// the dummy one), registrations, logins_password, logins_resumed,
// login_failures (failed Login and Resume), logins_not_recorded and
// tokens_not_issued (logins while the store takes no writes).
//
// While the store takes no writes (a full disk, SPEC.md 14.3), Login and
// Resume still succeed: the login is not recorded, Login issues no token
// (an all-zero one, expiring at 0) and Resume answers with the token it was
// given, which is not consumed. Register, ChangePassword and DeleteAccount
// answer kServerBusy. throttled and server_busy are
// left to the caller.
class AccountService {
 public:
  // REQUIRES: store and counters non-null. Aborts if libsodium cannot be
  // initialized (no usable random source), as nothing here is safe then.
  AccountService(AccountStore* store, PasswordHashLimits limits,
                 Counters* counters);

  AccountService(const AccountService&) = delete;
  AccountService& operator=(const AccountService&) = delete;

  // The limits in force after clamping.
  const PasswordHashLimits& limits() const { return limits_; }

  // Creates an account. Does not log in: no token is issued.
  // Errors: kInvalidUsername, kInvalidPassword, kUsernameTaken,
  // kServerBusy (hashing ran out of memory, or the store takes no writes),
  // kInternal (store failure).
  AuthOutcome Register(std::string_view username, std::string_view password,
                       uint64_t now_unix);

  // Password login; on success records the login and issues a new token
  // (and upgrades the stored hash if the limits were raised since).
  // An unknown or invalid username and a wrong password both give
  // kInvalidCredentials and cost one Argon2id verification each, so neither
  // the answer nor its timing tells whether the account exists.
  // Other errors: kMalformed (client_version), kServerBusy, kInternal.
  AuthOutcome Login(std::string_view username, std::string_view password,
                    const LoginContext& context);

  // Token login, without Argon2id. The token is consumed whenever it exists,
  // even when `username` turns out not to be its owner's (the answer is then
  // kTokenInvalid and the client must log in with its password); on success
  // a fresh token replaces it.
  // Errors: kTokenInvalid (unknown, expired, used, or not this user's),
  // kMalformed (client_version; the token is then not consumed), kInternal.
  AuthOutcome Resume(std::string_view username, const ResumptionToken& token,
                     const LoginContext& context);

  // Checks `old_password`, then stores a hash of `new_password`, revokes
  // every token of the user and issues one new token, all in one synced
  // batch. A password login that verified the old password concurrently may
  // still receive a token, as if it had finished just before the change.
  // Errors: kInvalidCredentials (wrong old password or no such user),
  // kInvalidPassword, kServerBusy, kInternal.
  // REQUIRES: new_token and new_token_expires non-null; they are written
  // only on kOk.
  protocol::ErrorCode ChangePassword(uint64_t user_id,
                                     std::string_view old_password,
                                     std::string_view new_password,
                                     ResumptionToken* new_token,
                                     uint64_t* new_token_expires,
                                     uint64_t now_unix);

  // Checks the password, then deletes the user, its name and its tokens.
  // Errors: kInvalidCredentials (wrong password or no such user), kInternal.
  protocol::ErrorCode DeleteAccount(uint64_t user_id,
                                    std::string_view password);

  // For admin tooling: the record of `username` (any case), no hashing.
  // InvalidArgument for an invalid name, NotFound, or a store error.
  Result<UserRecord> Lookup(std::string_view username);

  // The stored form of a token: BLAKE2b-256, unkeyed.
  static TokenHash HashToken(const ResumptionToken& token);

 private:
  // Argon2id hash with limits_; nullopt when libsodium fails (out of
  // memory). Counts one password hash.
  std::optional<std::string> HashPassword(std::string_view password);
  // Counts one password hash.
  bool VerifyPassword(const std::string& hash, std::string_view password);
  // Hashes a random, forgotten password.
  std::string MakeDummyHash();
  // Spends one verification against a hash nobody knows the password of,
  // so that a login for an unknown user costs what a real one does.
  void VerifyAgainstDummy(std::string_view password);
  // A resumed token that stays valid because it could not be consumed.
  struct KeptToken {
    ResumptionToken token;
    uint64_t expires_unix = 0;
  };
  // Records the login and issues a token into `outcome` (`kept`, when not
  // null, instead of a new one). `if_gone` is the answer when the user was
  // deleted meanwhile. While the store takes no writes the login goes on
  // unrecorded, and without a new token.
  protocol::ErrorCode FinishLogin(const UserRecord& record,
                                  const LoginContext& context,
                                  protocol::ErrorCode if_gone,
                                  AuthOutcome* outcome, const KeptToken* kept);

  AccountStore* const store_;
  const PasswordHashLimits limits_;
  Counters* const counters_;

  // A hash of a forgotten random password, made once at construction
  // (one Argon2id run, counted); immutable afterwards.
  const std::string dummy_hash_;
};

}  // namespace hail::server

#endif  // HAIL_SERVER_ACCOUNT_SERVICE_H_
