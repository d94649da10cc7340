// The data dir's LevelDB (SPEC.md 14.2), shared by AccountStore and
// ChatStore, and what happens when it cannot be written (SPEC.md 14.3).
//
// LevelDB cannot go on after a failed write: a failed log append leaves the
// log file shorter than its writer believes (later records would be read
// back misaligned), and a failed sync or compaction makes every later write
// fail until the database is reopened. So the first failed write makes the
// Database read-only: reads go on as before, every write is refused with
// Status::Unavailable without reaching LevelDB, one line is logged, and the
// probe thread owned by this class tries every `probe_interval` to write a
// scratch file into the directory. Once that succeeds it closes and reopens
// LevelDB (which recovers the log up to the failed record and starts a new
// one), and writes are taken again.
//
// Threading: any thread may Acquire a Handle and use it; the probe thread
// replaces the leveldb::DB only while no Handle is held (a reader-writer
// lock). A thread must not hold two Handles at once.
#ifndef HAIL_SERVER_DATABASE_H_
#define HAIL_SERVER_DATABASE_H_

#include <leveldb/options.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <thread>

#include "protocol/status.h"
#include "server/base/mutex.h"

namespace leveldb {
class DB;
class Env;
class WriteBatch;
}  // namespace leveldb

namespace hail::server {

class Logger;

struct DatabaseOptions {
  // How often a read-only database checks whether it can write again.
  std::chrono::milliseconds probe_interval{2000};
  // The scratch file written to decide that it can: room for this much
  // more than a reopen needs is required first.
  size_t probe_bytes = 1 << 20;
};

class Database {
 public:
  using Options = DatabaseOptions;

  // Opens, or creates when missing, the database in `dir` (parent
  // directories too). Busy when another process or Database holds it,
  // IoError (or Corruption) otherwise. With `env` (tests: LevelDB's
  // in-memory Env, which must outlive the Database) the files live there.
  static Result<std::unique_ptr<Database>> Open(
      const std::filesystem::path& dir, leveldb::Env* env = nullptr,
      Options options = {});
  ~Database();  // stops the probe thread and closes LevelDB
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // Where read-only and recovery are reported; nullptr (the default) logs
  // nothing. The logger must outlive the database.
  void set_logger(Logger* logger) { logger_ = logger; }

  // A shared hold on the open database. While any Handle is held the
  // database is not reopened.
  class Handle {
   public:
    Handle(Handle&&) = default;
    Handle& operator=(Handle&&) = delete;
    Handle(const Handle&) = delete;
    Handle& operator=(const Handle&) = delete;

    // Unavailable when LevelDB could not be reopened after a failure (the
    // probe keeps trying); then get() is nullptr.
    const Status& status() const { return status_; }
    bool ok() const { return status_.ok(); }
    // REQUIRES: ok().
    leveldb::DB* get() const { return db_; }
    leveldb::DB* operator->() const { return db_; }

    // Ok when the database takes writes; else Unavailable (its message
    // starting with `what`), counting `writes` refused writes.
    Status Writable(std::string_view what, uint64_t writes = 1);

    // Writes `batch` unless the database is read-only; a failed write makes
    // it read-only. Either way a refusal is Unavailable, whose message
    // starts with `what`. REQUIRES: ok().
    Status Write(const leveldb::WriteOptions& options,
                 leveldb::WriteBatch* batch, std::string_view what);

   private:
    friend class Database;
    Handle(Database* database, std::shared_lock<std::shared_mutex> lock);
    Database* database_;
    std::shared_lock<std::shared_mutex> lock_;
    leveldb::DB* db_;
    Status status_;
  };
  Handle Acquire();

  // True from the first failed write until the database was reopened.
  bool read_only() const { return read_only_.load(); }
  // Writes that failed or were refused because the database was read-only.
  uint64_t write_errors() const { return write_errors_.load(); }
  // Successful reopens after a read-only period.
  uint64_t recoveries() const { return recoveries_.load(); }

 private:
  Database(std::filesystem::path dir, leveldb::Options leveldb_options,
           Options options, std::unique_ptr<leveldb::DB> db);

  Status Refuse(std::string_view what, uint64_t writes);
  Status WriteWith(leveldb::DB* db, const leveldb::WriteOptions& options,
                   leveldb::WriteBatch* batch, std::string_view what);
  void EnterReadOnly(const std::string& reason);
  void RunProbe();  // the probe thread
  bool CanWriteScratchFile();
  // Closes and reopens LevelDB under the exclusive lock; true when open.
  bool Reopen();

  const std::filesystem::path dir_;
  const leveldb::Options leveldb_options_;
  const Options options_;
  std::atomic<Logger*> logger_{nullptr};

  // Held shared by every Handle, exclusively by Reopen.
  std::shared_mutex db_mutex_;
  // Replaced only by the probe thread, under db_mutex_ held exclusively;
  // read under db_mutex_ held shared. nullptr after a failed reopen.
  std::unique_ptr<leveldb::DB> db_;

  // Serializes writes, so that none reaches LevelDB after a failed one.
  Mutex write_mutex_;

  std::atomic<bool> read_only_{false};
  std::atomic<uint64_t> write_errors_{0};
  std::atomic<uint64_t> recoveries_{0};

  Mutex probe_mutex_;
  CondVar probe_wake_{&probe_mutex_};
  bool stopping_ GUARDED_BY(probe_mutex_) = false;
  std::string read_only_reason_ GUARDED_BY(probe_mutex_);
  std::thread probe_thread_;
};

}  // namespace hail::server

#endif  // HAIL_SERVER_DATABASE_H_
