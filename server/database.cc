#include "server/database.h"

#include <leveldb/db.h>
#include <leveldb/env.h>
#include <leveldb/filter_policy.h>
#include <leveldb/write_batch.h>
#include <pthread.h>

#include <algorithm>
#include <cassert>
#include <system_error>
#include <utility>
#include <vector>

#include "server/logger.h"
#include "server/store_coding.h"

namespace hail::server {

namespace {

// Written, synced and removed by the probe; LevelDB ignores files whose
// names it does not know.
constexpr std::string_view kScratchFileName = "hail-write-probe";

bool IsLockHeld(const leveldb::Status& status) {
  // LevelDB reports a held lock only as an IO error whose message starts
  // with "lock <dir>/LOCK" (same process or another one).
  return status.IsIOError() && status.ToString().find("IO error: lock ") == 0;
}

bool IsNoSpace(std::string_view reason) {
  return reason.find("No space left on device") != std::string_view::npos;
}

}  // namespace

Result<std::unique_ptr<Database>> Database::Open(
    const std::filesystem::path& dir, leveldb::Env* env, Options options) {
  if (env == nullptr) {
    std::error_code error;
    std::filesystem::create_directories(dir, error);
    if (error) {
      return Status::IoError("cannot create " + dir.string() + ": " +
                             error.message());
    }
  }
  leveldb::Options leveldb_options;
  leveldb_options.create_if_missing = true;
  leveldb_options.env = env != nullptr ? env : leveldb::Env::Default();
  // Every accepted message looks up a duplicate record that is almost never
  // there (SPEC.md 10.5): a Bloom filter per table answers most of those
  // misses without reading (and decompressing) a block. Shared by every
  // database of the process and never freed, so it outlives them all.
  static const leveldb::FilterPolicy* const filter =
      leveldb::NewBloomFilterPolicy(10);
  leveldb_options.filter_policy = filter;
  // Fewer, larger level-0 tables: less compaction under a message stream.
  leveldb_options.write_buffer_size = 16 << 20;
  leveldb::DB* raw_db = nullptr;
  leveldb::Status status =
      leveldb::DB::Open(leveldb_options, dir.string(), &raw_db);
  if (IsLockHeld(status)) {
    return Status::Busy("database " + dir.string() +
                        " is locked by another user (is another haild "
                        "running on this data directory?): " +
                        status.ToString());
  }
  if (!status.ok()) return store::FromLevelDb(status, "open " + dir.string());
  return std::unique_ptr<Database>(new Database(
      dir, leveldb_options, options, std::unique_ptr<leveldb::DB>(raw_db)));
}

Database::Database(std::filesystem::path dir, leveldb::Options leveldb_options,
                   Options options, std::unique_ptr<leveldb::DB> db)
    : dir_(std::move(dir)),
      leveldb_options_(leveldb_options),
      options_(options),
      db_(std::move(db)) {
  probe_thread_ = std::thread([this] { RunProbe(); });
}

Database::~Database() {
  {
    MutexLock lock(&probe_mutex_);
    stopping_ = true;
  }
  probe_wake_.SignalAll();
  probe_thread_.join();
}

Database::Handle::Handle(Database* database,
                         std::shared_lock<std::shared_mutex> lock)
    : database_(database),
      lock_(std::move(lock)),
      db_(database->db_.get()),
      status_(db_ != nullptr
                  ? Status::Ok()
                  : Status::Unavailable("database closed: it could not be "
                                        "reopened after a failed write")) {}

Database::Handle Database::Acquire() {
  return Handle(this, std::shared_lock<std::shared_mutex>(db_mutex_));
}

Status Database::Handle::Write(const leveldb::WriteOptions& options,
                               leveldb::WriteBatch* batch,
                               std::string_view what) {
  assert(ok());
  return database_->WriteWith(db_, options, batch, what);
}

Status Database::Handle::Writable(std::string_view what, uint64_t writes) {
  if (!database_->read_only()) return Status::Ok();
  return database_->Refuse(what, writes);
}

Status Database::Refuse(std::string_view what, uint64_t writes) {
  write_errors_ += writes;
  return Status::Unavailable(std::string(what) +
                             ": the data directory takes no writes until it "
                             "can again");
}

Status Database::WriteWith(leveldb::DB* db,
                           const leveldb::WriteOptions& options,
                           leveldb::WriteBatch* batch, std::string_view what) {
  MutexLock lock(&write_mutex_);
  if (read_only_.load()) return Refuse(what, 1);
  leveldb::Status status = db->Write(options, batch);
  if (status.ok()) return Status::Ok();
  ++write_errors_;
  EnterReadOnly(status.ToString());
  return Status::Unavailable(std::string(what) + ": " + status.ToString());
}

void Database::EnterReadOnly(const std::string& reason) {
  read_only_ = true;
  {
    MutexLock lock(&probe_mutex_);
    read_only_reason_ = reason;
  }
  probe_wake_.SignalAll();
  if (Logger* logger = logger_.load()) {
    logger->Error(
        "{}: {}; writes are refused (SERVER_BUSY) while logins, resumes and "
        "mailbox reading go on; retrying every {} ms",
        IsNoSpace(reason) ? "data directory full"
                          : "data directory not writable",
        reason, options_.probe_interval.count());
  }
}

void Database::RunProbe() {
  pthread_setname_np(pthread_self(), "hail-db-probe");
  probe_mutex_.Lock();
  while (!stopping_) {
    if (!read_only_.load()) {
      probe_wake_.Wait();
      continue;
    }
    probe_wake_.WaitFor(options_.probe_interval);
    if (stopping_ || !read_only_.load()) continue;
    probe_mutex_.Unlock();
    const bool writable = CanWriteScratchFile() && Reopen();
    probe_mutex_.Lock();
    Logger* logger = logger_.load();
    if (writable && logger != nullptr) {
      logger->Info(
          "data directory writable again: database reopened, writes are "
          "taken again ({} refused meanwhile; it had failed with: {})",
          write_errors_.load(), read_only_reason_);
    }
  }
  probe_mutex_.Unlock();
}

bool Database::CanWriteScratchFile() {
  leveldb::Env* env = leveldb_options_.env;
  // Reopening turns the log into a table: room for it first.
  uint64_t needed = options_.probe_bytes;
  std::vector<std::string> children;
  if (env->GetChildren(dir_.string(), &children).ok()) {
    for (const std::string& child : children) {
      if (!child.ends_with(".log")) continue;
      uint64_t size = 0;
      if (env->GetFileSize((dir_ / child).string(), &size).ok()) {
        needed += size;
      }
    }
  }
  const std::string path = (dir_ / kScratchFileName).string();
  leveldb::WritableFile* raw_file = nullptr;
  if (!env->NewWritableFile(path, &raw_file).ok()) return false;
  std::unique_ptr<leveldb::WritableFile> file(raw_file);
  const std::string chunk(64 << 10, '\0');
  leveldb::Status status;
  for (uint64_t written = 0; status.ok() && written < needed;
       written += chunk.size()) {
    status = file->Append(chunk);
  }
  if (status.ok()) status = file->Sync();
  leveldb::Status closed = file->Close();
  file.reset();
  env->RemoveFile(path);
  return status.ok() && closed.ok();
}

bool Database::Reopen() {
  std::unique_lock<std::shared_mutex> exclusive(db_mutex_);
  db_.reset();
  leveldb::DB* raw_db = nullptr;
  leveldb::Status status =
      leveldb::DB::Open(leveldb_options_, dir_.string(), &raw_db);
  if (!status.ok()) {
    if (Logger* logger = logger_.load()) {
      logger->Error("cannot reopen database {}: {}; retrying", dir_.string(),
                    status.ToString());
    }
    return false;
  }
  db_.reset(raw_db);
  read_only_ = false;
  ++recoveries_;
  return true;
}

}  // namespace hail::server
