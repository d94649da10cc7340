// Durable account state: users, their canonical names and resumption-token
// hashes, kept in LevelDB under meta/, user/, name/, token/ and usertoken/
// (keys and values: server/store_records.h, SPEC.md 14.2). Ids start at
// kFirstUserId and are never reused. Tokens are never stored, only their
// BLAKE2b-256 hashes (computed by the caller, see AccountService).
#ifndef HAIL_SERVER_ACCOUNT_STORE_H_
#define HAIL_SERVER_ACCOUNT_STORE_H_

#include <array>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "protocol/status.h"
#include "server/database.h"
#include "server/store_records.h"

namespace leveldb {
class Env;
}  // namespace leveldb

namespace hail::server {

// Thread-safe: any thread may call any method. Every method may block on
// disk (writes are synced), so network loops must not call it directly.
// While the database is read-only (a full disk, see Database) every write
// is Unavailable and reads work.
// Mutations run under one internal mutex, which makes each read-modify-write
// sequence (name check + id allocation, token consume, ...) atomic with
// respect to the others; plain lookups read a LevelDB snapshot without it.
class AccountStore {
 public:
  // Opens, or creates when missing, the database in `dir` (e.g. DATA_DIR/db;
  // parent directories are created too). Returns Busy when another
  // AccountStore (in this or another process) holds the database lock,
  // Corruption for an unknown schema version or missing metadata, IoError
  // for other failures. With `env` (tests: LevelDB's in-memory Env, which
  // must outlive the store) the files live there instead of on disk.
  static Result<std::unique_ptr<AccountStore>> Open(
      const std::filesystem::path& dir, leveldb::Env* env = nullptr,
      DatabaseOptions options = {});

  // The database itself, shared with the data dir's other stores (contacts
  // and mailbox); valid for this store's lifetime.
  Database* database() const { return database_.get(); }

  AccountStore(const AccountStore&) = delete;
  AccountStore& operator=(const AccountStore&) = delete;
  ~AccountStore();

  // Creates a user with the next id and returns it. `canonical_name` must be
  // normalized by the caller (protocol::NormalizeUsername). Returns
  // AlreadyExists when the name is taken, InvalidArgument when a field is
  // empty or too long to encode.
  Result<uint64_t> CreateUser(std::string_view canonical_name,
                              std::string_view password_hash,
                              uint64_t now_unix);

  // NotFound when no such user; Corruption when the stored value is bad.
  Result<UserRecord> FindByName(std::string_view canonical_name) const;
  Result<UserRecord> FindById(uint64_t user_id) const;

  // Replaces the stored password hash; tokens are left alone. NotFound when
  // no such user.
  Status SetPasswordHash(uint64_t user_id, std::string_view password_hash);

  // In one synced batch: replaces the password hash, revokes every token of
  // the user and stores `new_token` (expiring at `new_token_expires_unix`).
  // A crash leaves either the old state or the new one. NotFound when no
  // such user.
  Status ChangePasswordHash(uint64_t user_id, std::string_view password_hash,
                            const TokenHash& new_token,
                            uint64_t new_token_expires_unix);

  // Removes the user, its name and all of its tokens in one batch. The id is
  // never handed out again. NotFound when no such user.
  Status DeleteUser(uint64_t user_id);

  // Overwrites the user's last-login fields. NotFound when no such user,
  // InvalidArgument when client_version is longer than 255 bytes.
  Status RecordLogin(uint64_t user_id, const LoginInfo& login);

  // Stores a token hash for the user. NotFound when no such user (so a token
  // cannot outlive a concurrent DeleteUser).
  Status StoreToken(uint64_t user_id, const TokenHash& token_hash,
                    uint64_t expires_unix);

  // Single use: returns the token's user id and deletes the token in the
  // same synced batch. A token is valid while now_unix < expires_unix.
  // Returns NotFound when the token is absent or expired (an expired token
  // is deleted too), Unavailable when it could not be deleted (then
  // FindToken still tells whether it is valid).
  Result<uint64_t> ConsumeToken(const TokenHash& token_hash, uint64_t now_unix);

  // A token entry as stored, without consuming it: its user id and expiry.
  // NotFound when absent or expired.
  using TokenEntry = server::TokenEntry;
  Result<TokenEntry> FindToken(const TokenHash& token_hash,
                               uint64_t now_unix) const;

  // Deletes every token of the user. Ok (and a no-op) when it has none,
  // including when the user does not exist.
  Status RevokeTokens(uint64_t user_id);

  // Number of users; scans every user/ key (for admin tooling and tests).
  uint64_t UserCount() const;

 private:
  explicit AccountStore(std::unique_ptr<Database> database);

  std::unique_ptr<Database> database_;
  std::mutex mutex_;  // serializes every mutation
};

}  // namespace hail::server

#endif  // HAIL_SERVER_ACCOUNT_STORE_H_
