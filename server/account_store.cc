#include "server/account_store.h"

#include <leveldb/db.h>
#include <leveldb/write_batch.h>

#include <algorithm>
#include <cassert>
#include <utility>
#include <vector>

#include "server/store_coding.h"

namespace hail::server {

namespace {

using store::AsSlice;
using store::AsSpan;
using store::DecodeTokenEntry;
using store::DecodeU32Value;
using store::DecodeU64Value;
using store::DecodeUserRecord;
using store::EncodeTokenEntry;
using store::EncodeU32;
using store::EncodeU64;
using store::EncodeUserRecord;
using store::FromLevelDb;
using store::kMaxLongStringLength;
using store::kMaxShortStringLength;
using store::kNextUserIdKey;
using store::kSchemaVersionKey;
using store::kUserPrefix;
using store::NameKey;
using store::SyncedWrite;
using store::TokenKey;
using store::ToString;
using store::UserKey;
using store::UserTokenKey;
using store::UserTokenPrefix;

// Holds a LevelDB snapshot for the lifetime of the object.
class ScopedSnapshot {
 public:
  explicit ScopedSnapshot(leveldb::DB* db)
      : db_(db), snapshot_(db->GetSnapshot()) {}
  ScopedSnapshot(const ScopedSnapshot&) = delete;
  ScopedSnapshot& operator=(const ScopedSnapshot&) = delete;
  ~ScopedSnapshot() { db_->ReleaseSnapshot(snapshot_); }

  leveldb::ReadOptions read_options() const {
    leveldb::ReadOptions options;
    options.snapshot = snapshot_;
    return options;
  }

 private:
  leveldb::DB* db_;
  const leveldb::Snapshot* snapshot_;
};

Result<UserRecord> ReadUser(leveldb::DB* db,
                            const leveldb::ReadOptions& options,
                            uint64_t user_id) {
  std::string value;
  leveldb::Status status = db->Get(options, UserKey(user_id), &value);
  if (status.IsNotFound()) {
    return Status::NotFound("no user with id " + std::to_string(user_id));
  }
  if (!status.ok()) return FromLevelDb(status, "read user");
  return DecodeUserRecord(user_id, AsSpan(value));
}

// Collects the hashes of every token of `user_id` from the usertoken/ index.
Status ListUserTokens(leveldb::DB* db, uint64_t user_id,
                      std::vector<TokenHash>* hashes) {
  const std::string prefix = UserTokenPrefix(user_id);
  std::unique_ptr<leveldb::Iterator> it(
      db->NewIterator(leveldb::ReadOptions()));
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix);
       it->Next()) {
    leveldb::Slice key = it->key();
    if (key.size() != prefix.size() + std::tuple_size_v<TokenHash>) {
      return Status::Corruption("bad usertoken key length " +
                                std::to_string(key.size()));
    }
    TokenHash hash;
    std::copy_n(key.data() + prefix.size(), hash.size(), hash.begin());
    hashes->push_back(hash);
  }
  if (!it->status().ok()) return FromLevelDb(it->status(), "list tokens");
  return Status::Ok();
}

void DeleteTokens(uint64_t user_id, const std::vector<TokenHash>& hashes,
                  leveldb::WriteBatch* batch) {
  for (const TokenHash& hash : hashes) {
    batch->Delete(TokenKey(hash));
    batch->Delete(UserTokenKey(user_id, hash));
  }
}

// Checks the schema of an opened database, initializing an empty one.
Status CheckOrInitializeSchema(Database::Handle& db) {
  std::string value;
  leveldb::Status status =
      db->Get(leveldb::ReadOptions(), AsSlice(kSchemaVersionKey), &value);
  if (status.IsNotFound()) {
    std::unique_ptr<leveldb::Iterator> it(
        db->NewIterator(leveldb::ReadOptions()));
    it->SeekToFirst();
    if (!it->status().ok()) return FromLevelDb(it->status(), "scan database");
    if (it->Valid()) {
      return Status::Corruption(
          "database holds data but no meta/schema_version");
    }
    leveldb::WriteBatch batch;
    batch.Put(AsSlice(kSchemaVersionKey), EncodeU32(kAccountSchemaVersion));
    batch.Put(AsSlice(kNextUserIdKey), EncodeU64(kFirstUserId));
    return db.Write(SyncedWrite(), &batch, "initialize schema");
  }
  if (!status.ok()) return FromLevelDb(status, "read schema version");

  Result<uint32_t> version = DecodeU32Value(value, kSchemaVersionKey);
  if (!version.ok()) return version.status();
  if (*version != kAccountSchemaVersion) {
    return Status::Corruption("unknown schema version " +
                              std::to_string(*version) + " (this build knows " +
                              std::to_string(kAccountSchemaVersion) + ")");
  }
  status = db->Get(leveldb::ReadOptions(), AsSlice(kNextUserIdKey), &value);
  if (status.IsNotFound()) {
    return Status::Corruption("missing meta/next_user_id");
  }
  if (!status.ok()) return FromLevelDb(status, "read next user id");
  Result<uint64_t> next_id = DecodeU64Value(value, kNextUserIdKey);
  if (!next_id.ok() || *next_id < kFirstUserId) {
    return Status::Corruption("malformed meta/next_user_id");
  }
  return Status::Ok();
}

}  // namespace

Result<std::unique_ptr<AccountStore>> AccountStore::Open(
    const std::filesystem::path& dir, leveldb::Env* env,
    Database::Options options) {
  Result<std::unique_ptr<Database>> database =
      Database::Open(dir, env, options);
  if (!database.ok()) return database.status();
  {
    Database::Handle db = (*database)->Acquire();
    Status schema = CheckOrInitializeSchema(db);
    if (!schema.ok()) return schema;
  }
  return std::unique_ptr<AccountStore>(new AccountStore(std::move(*database)));
}

AccountStore::AccountStore(std::unique_ptr<Database> database)
    : database_(std::move(database)) {}

AccountStore::~AccountStore() = default;

namespace {

// Each REQUIRES: the store's mutex held.
Status ReadNextUserId(leveldb::DB* db, uint64_t* next_id) {
  std::string value;
  leveldb::Status status =
      db->Get(leveldb::ReadOptions(), AsSlice(kNextUserIdKey), &value);
  if (status.IsNotFound()) {
    return Status::Corruption("missing meta/next_user_id");
  }
  if (!status.ok()) return FromLevelDb(status, "read next user id");
  Result<uint64_t> decoded = DecodeU64Value(value, kNextUserIdKey);
  if (!decoded.ok() || *decoded < kFirstUserId) {
    return Status::Corruption("malformed meta/next_user_id");
  }
  *next_id = *decoded;
  return Status::Ok();
}

Status WriteUser(Database::Handle& db, const UserRecord& record) {
  leveldb::WriteBatch batch;
  batch.Put(UserKey(record.user_id),
            AsSlice(ToString(EncodeUserRecord(record))));
  return db.Write(SyncedWrite(), &batch, "write user");
}

}  // namespace

Result<uint64_t> AccountStore::CreateUser(std::string_view canonical_name,
                                          std::string_view password_hash,
                                          uint64_t now_unix) {
  if (canonical_name.empty() || canonical_name.size() > kMaxShortStringLength) {
    return Status::InvalidArgument("username must be 1..255 bytes");
  }
  if (password_hash.empty() || password_hash.size() > kMaxLongStringLength) {
    return Status::InvalidArgument("password hash must be 1..65535 bytes");
  }
  std::lock_guard<std::mutex> lock(mutex_);
  Database::Handle db = database_->Acquire();
  if (!db.ok()) return db.status();
  std::string ignored;
  leveldb::Status status =
      db->Get(leveldb::ReadOptions(), NameKey(canonical_name), &ignored);
  if (status.ok()) {
    return Status::AlreadyExists("username " + std::string(canonical_name) +
                                 " is taken");
  }
  if (!status.IsNotFound()) return FromLevelDb(status, "check username");

  uint64_t user_id = 0;
  Status next = ReadNextUserId(db.get(), &user_id);
  if (!next.ok()) return next;

  UserRecord record;
  record.user_id = user_id;
  record.username = std::string(canonical_name);
  record.password_hash = std::string(password_hash);
  record.created_unix = now_unix;

  leveldb::WriteBatch batch;
  batch.Put(UserKey(user_id), AsSlice(ToString(EncodeUserRecord(record))));
  batch.Put(NameKey(canonical_name), EncodeU64(user_id));
  batch.Put(AsSlice(kNextUserIdKey), EncodeU64(user_id + 1));
  Status written = db.Write(SyncedWrite(), &batch, "create user");
  if (!written.ok()) return written;
  return user_id;
}

Result<UserRecord> AccountStore::FindByName(
    std::string_view canonical_name) const {
  Database::Handle db = database_->Acquire();
  if (!db.ok()) return db.status();
  ScopedSnapshot snapshot(db.get());
  std::string value;
  leveldb::Status status =
      db->Get(snapshot.read_options(), NameKey(canonical_name), &value);
  if (status.IsNotFound()) {
    return Status::NotFound("no user named " + std::string(canonical_name));
  }
  if (!status.ok()) return FromLevelDb(status, "read username");
  Result<uint64_t> user_id = DecodeU64Value(value, "name entry");
  if (!user_id.ok()) {
    return Status::Corruption("malformed name entry for " +
                              std::string(canonical_name));
  }
  Result<UserRecord> record =
      ReadUser(db.get(), snapshot.read_options(), *user_id);
  if (!record.ok() && record.status().IsNotFound()) {
    return Status::Corruption("name " + std::string(canonical_name) +
                              " points at missing user " +
                              std::to_string(*user_id));
  }
  return record;
}

Result<UserRecord> AccountStore::FindById(uint64_t user_id) const {
  Database::Handle db = database_->Acquire();
  if (!db.ok()) return db.status();
  return ReadUser(db.get(), leveldb::ReadOptions(), user_id);
}

Status AccountStore::SetPasswordHash(uint64_t user_id,
                                     std::string_view password_hash) {
  if (password_hash.empty() || password_hash.size() > kMaxLongStringLength) {
    return Status::InvalidArgument("password hash must be 1..65535 bytes");
  }
  std::lock_guard<std::mutex> lock(mutex_);
  Database::Handle db = database_->Acquire();
  if (!db.ok()) return db.status();
  Result<UserRecord> record =
      ReadUser(db.get(), leveldb::ReadOptions(), user_id);
  if (!record.ok()) return record.status();
  record->password_hash = std::string(password_hash);
  return WriteUser(db, *record);
}

Status AccountStore::ChangePasswordHash(uint64_t user_id,
                                        std::string_view password_hash,
                                        const TokenHash& new_token,
                                        uint64_t new_token_expires_unix) {
  if (password_hash.empty() || password_hash.size() > kMaxLongStringLength) {
    return Status::InvalidArgument("password hash must be 1..65535 bytes");
  }
  std::lock_guard<std::mutex> lock(mutex_);
  Database::Handle db = database_->Acquire();
  if (!db.ok()) return db.status();
  Result<UserRecord> record =
      ReadUser(db.get(), leveldb::ReadOptions(), user_id);
  if (!record.ok()) return record.status();
  std::vector<TokenHash> tokens;
  Status listed = ListUserTokens(db.get(), user_id, &tokens);
  if (!listed.ok()) return listed;

  record->password_hash = std::string(password_hash);
  leveldb::WriteBatch batch;
  batch.Put(UserKey(user_id), AsSlice(ToString(EncodeUserRecord(*record))));
  DeleteTokens(user_id, tokens, &batch);
  batch.Put(TokenKey(new_token),
            EncodeTokenEntry({user_id, new_token_expires_unix}));
  batch.Put(UserTokenKey(user_id, new_token), leveldb::Slice());
  return db.Write(SyncedWrite(), &batch, "change password hash");
}

Status AccountStore::DeleteUser(uint64_t user_id) {
  std::lock_guard<std::mutex> lock(mutex_);
  Database::Handle db = database_->Acquire();
  if (!db.ok()) return db.status();
  Result<UserRecord> record =
      ReadUser(db.get(), leveldb::ReadOptions(), user_id);
  if (!record.ok()) return record.status();
  std::vector<TokenHash> tokens;
  Status listed = ListUserTokens(db.get(), user_id, &tokens);
  if (!listed.ok()) return listed;

  leveldb::WriteBatch batch;
  batch.Delete(UserKey(user_id));
  batch.Delete(NameKey(record->username));
  DeleteTokens(user_id, tokens, &batch);
  return db.Write(SyncedWrite(), &batch, "delete user");
}

Status AccountStore::RecordLogin(uint64_t user_id, const LoginInfo& login) {
  if (login.client_version.size() > kMaxShortStringLength) {
    return Status::InvalidArgument("client version longer than 255 bytes");
  }
  std::lock_guard<std::mutex> lock(mutex_);
  Database::Handle db = database_->Acquire();
  if (!db.ok()) return db.status();
  Result<UserRecord> record =
      ReadUser(db.get(), leveldb::ReadOptions(), user_id);
  if (!record.ok()) return record.status();
  record->last_login = login;
  return WriteUser(db, *record);
}

Status AccountStore::StoreToken(uint64_t user_id, const TokenHash& token_hash,
                                uint64_t expires_unix) {
  std::lock_guard<std::mutex> lock(mutex_);
  Database::Handle db = database_->Acquire();
  if (!db.ok()) return db.status();
  std::string ignored;
  leveldb::Status status =
      db->Get(leveldb::ReadOptions(), UserKey(user_id), &ignored);
  if (status.IsNotFound()) {
    return Status::NotFound("no user with id " + std::to_string(user_id));
  }
  if (!status.ok()) return FromLevelDb(status, "check user");

  leveldb::WriteBatch batch;
  batch.Put(TokenKey(token_hash), EncodeTokenEntry({user_id, expires_unix}));
  batch.Put(UserTokenKey(user_id, token_hash), leveldb::Slice());
  return db.Write(SyncedWrite(), &batch, "store token");
}

namespace {

// The token/ entry of `token_hash`: NotFound when absent.
Result<AccountStore::TokenEntry> ReadToken(leveldb::DB* db,
                                           const TokenHash& token_hash) {
  std::string value;
  leveldb::Status status =
      db->Get(leveldb::ReadOptions(), TokenKey(token_hash), &value);
  if (status.IsNotFound()) return Status::NotFound("unknown token");
  if (!status.ok()) return FromLevelDb(status, "read token");
  return DecodeTokenEntry(value);
}

}  // namespace

Result<uint64_t> AccountStore::ConsumeToken(const TokenHash& token_hash,
                                            uint64_t now_unix) {
  std::lock_guard<std::mutex> lock(mutex_);
  Database::Handle db = database_->Acquire();
  if (!db.ok()) return db.status();
  Result<TokenEntry> entry = ReadToken(db.get(), token_hash);
  if (!entry.ok()) return entry.status();
  leveldb::WriteBatch batch;
  batch.Delete(TokenKey(token_hash));
  batch.Delete(UserTokenKey(entry->user_id, token_hash));
  Status written = db.Write(SyncedWrite(), &batch, "consume token");
  if (!written.ok()) return written;
  if (now_unix >= entry->expires_unix) return Status::NotFound("expired token");
  return entry->user_id;
}

Result<AccountStore::TokenEntry> AccountStore::FindToken(
    const TokenHash& token_hash, uint64_t now_unix) const {
  Database::Handle db = database_->Acquire();
  if (!db.ok()) return db.status();
  Result<TokenEntry> entry = ReadToken(db.get(), token_hash);
  if (!entry.ok()) return entry.status();
  if (now_unix >= entry->expires_unix) return Status::NotFound("expired token");
  return entry;
}

Status AccountStore::RevokeTokens(uint64_t user_id) {
  std::lock_guard<std::mutex> lock(mutex_);
  Database::Handle db = database_->Acquire();
  if (!db.ok()) return db.status();
  std::vector<TokenHash> tokens;
  Status listed = ListUserTokens(db.get(), user_id, &tokens);
  if (!listed.ok()) return listed;
  if (tokens.empty()) return Status::Ok();
  leveldb::WriteBatch batch;
  DeleteTokens(user_id, tokens, &batch);
  return db.Write(SyncedWrite(), &batch, "revoke tokens");
}

uint64_t AccountStore::UserCount() const {
  Database::Handle db = database_->Acquire();
  if (!db.ok()) return 0;
  uint64_t count = 0;
  std::unique_ptr<leveldb::Iterator> it(
      db->NewIterator(leveldb::ReadOptions()));
  for (it->Seek(AsSlice(kUserPrefix));
       it->Valid() && it->key().starts_with(AsSlice(kUserPrefix)); it->Next()) {
    ++count;
  }
  return count;
}

}  // namespace hail::server
