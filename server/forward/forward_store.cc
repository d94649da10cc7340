#include "server/forward/forward_store.h"

#include <leveldb/db.h>
#include <leveldb/iterator.h>
#include <leveldb/write_batch.h>

#include <cassert>
#include <memory>
#include <string>

#include "server/database.h"
#include "server/forward/forward_rules.h"
#include "server/store_coding.h"

namespace hail::server::forward {

using store::AsSlice;
using store::FromLevelDb;
using store::SyncedWrite;

namespace {

Status Get(Database::Handle& db, const std::string& key,
           std::optional<std::string>* value) {
  return store::ReadKey(db.get(), key, value, "read forward record");
}

Result<std::optional<JobRecord>> ReadJob(Database::Handle& db,
                                         const JobKey& key) {
  std::optional<std::string> value;
  Status read = Get(db, JobKeyOf(key), &value);
  if (!read.ok()) return read;
  if (!value) return std::optional<JobRecord>();
  Result<JobRecord> record = DecodeJobRecord(key, *value);
  if (!record.ok()) return record.status();
  return std::optional<JobRecord>(std::move(*record));
}

// The job keys listed under fwduser/<recipient>.
Result<std::vector<JobKey>> UserJobKeys(Database::Handle& db,
                                        uint64_t recipient) {
  const std::string prefix = UserJobPrefix(recipient);
  std::unique_ptr<leveldb::Iterator> it(
      db->NewIterator(leveldb::ReadOptions()));
  std::vector<JobKey> keys;
  for (it->Seek(AsSlice(prefix));
       it->Valid() && it->key().starts_with(AsSlice(prefix)); it->Next()) {
    JobKey key;
    if (!ParseUserJobKey(std::string_view(it->key().data(), it->key().size()),
                         &key)) {
      return Status::Corruption("malformed fwduser/ key");
    }
    keys.push_back(key);
  }
  if (!it->status().ok()) return FromLevelDb(it->status(), "list jobs");
  return keys;
}

bool Finished(JobState state) { return state != JobState::kQueued; }

}  // namespace

ForwardStore::ForwardStore(Database* database) : database_(database) {
  assert(database_ != nullptr);
}

Status ForwardStore::AppendJobToBatch(leveldb::WriteBatch* batch,
                                      const JobRecord& record) {
  Result<std::vector<KeyValue>> writes = NewJobWrites(record);
  if (!writes.ok()) return writes.status();
  for (const KeyValue& write : *writes) {
    batch->Put(AsSlice(write.key), AsSlice(write.value));
  }
  return Status::Ok();
}

Result<std::optional<ForwardSettings>> ForwardStore::LoadSettings(
    uint64_t user) const {
  Database::Handle db = database_->Acquire();
  if (!db.ok()) return db.status();
  std::optional<std::string> value;
  Status read = Get(db, SettingsKey(user), &value);
  if (!read.ok()) return read;
  if (!value) return std::optional<ForwardSettings>();
  Result<ForwardSettings> settings = DecodeForwardSettings(*value);
  if (!settings.ok()) return settings.status();
  return std::optional<ForwardSettings>(std::move(*settings));
}

Result<std::optional<JobRecord>> ForwardStore::LoadJob(
    const JobKey& key) const {
  Database::Handle db = database_->Acquire();
  if (!db.ok()) return db.status();
  return ReadJob(db, key);
}

Result<std::vector<JobRecord>> ForwardStore::JobsOf(uint64_t recipient) const {
  Database::Handle db = database_->Acquire();
  if (!db.ok()) return db.status();
  Result<std::vector<JobKey>> keys = UserJobKeys(db, recipient);
  if (!keys.ok()) return keys.status();
  std::vector<JobRecord> jobs;
  for (const JobKey& key : *keys) {
    Result<std::optional<JobRecord>> job = ReadJob(db, key);
    if (!job.ok()) return job.status();
    if (*job) jobs.push_back(std::move(**job));
  }
  return jobs;
}

Result<std::vector<JobRecord>> ForwardStore::DueJobs(
    uint64_t now_unix, size_t limit, std::vector<std::string>* damaged) const {
  Database::Handle db = database_->Acquire();
  if (!db.ok()) return db.status();
  std::unique_ptr<leveldb::Iterator> it(
      db->NewIterator(leveldb::ReadOptions()));
  std::vector<JobRecord> jobs;
  for (it->Seek(AsSlice(kDuePrefix));
       jobs.size() < limit && it->Valid() &&
       it->key().starts_with(AsSlice(kDuePrefix));
       it->Next()) {
    uint64_t due = 0;
    JobKey key;
    if (!ParseDueKey(std::string_view(it->key().data(), it->key().size()), &due,
                     &key)) {
      return Status::Corruption("malformed fwddue/ key");
    }
    if (due > now_unix) break;
    Result<std::optional<JobRecord>> job = ReadJob(db, key);
    if (!job.ok() && job.status().code() == Status::Code::kCorruption) {
      if (damaged != nullptr) damaged->push_back(it->key().ToString());
      continue;
    }
    if (!job.ok()) return job.status();
    // An index entry without a queued job would be a bug in ReplaceJob;
    // skipping it keeps one damaged entry from stopping the outbox.
    if (!*job || (*job)->state != JobState::kQueued) continue;
    jobs.push_back(std::move(**job));
  }
  if (!it->status().ok()) return FromLevelDb(it->status(), "list due jobs");
  return jobs;
}

Result<std::optional<uint64_t>> ForwardStore::EarliestDue() const {
  Database::Handle db = database_->Acquire();
  if (!db.ok()) return db.status();
  std::unique_ptr<leveldb::Iterator> it(
      db->NewIterator(leveldb::ReadOptions()));
  it->Seek(AsSlice(kDuePrefix));
  if (!it->Valid() || !it->key().starts_with(AsSlice(kDuePrefix))) {
    if (!it->status().ok()) return FromLevelDb(it->status(), "find due job");
    return std::optional<uint64_t>();
  }
  uint64_t due = 0;
  JobKey key;
  if (!ParseDueKey(std::string_view(it->key().data(), it->key().size()), &due,
                   &key)) {
    return Status::Corruption("malformed fwddue/ key");
  }
  return std::optional<uint64_t>(due);
}

Result<std::array<uint32_t, kChannelCount>> ForwardStore::CountJobsOnLocalDay(
    uint64_t recipient, int16_t utc_offset_minutes, int64_t local_day) const {
  Result<std::vector<JobRecord>> jobs = JobsOf(recipient);
  if (!jobs.ok()) return jobs.status();
  std::array<uint32_t, kChannelCount> counts{};
  for (const JobRecord& job : *jobs) {
    if (job.state == JobState::kCancelled) continue;
    if (LocalDay(job.due_unix, utc_offset_minutes) != local_day) continue;
    ++counts[ChannelIndex(job.channel)];
  }
  return counts;
}

Status ForwardStore::SaveSettings(uint64_t user,
                                  const ForwardSettings& settings) {
  Result<std::string> value = EncodeForwardSettings(settings);
  if (!value.ok()) return value.status();
  Database::Handle db = database_->Acquire();
  if (!db.ok()) return db.status();
  leveldb::WriteBatch batch;
  batch.Put(AsSlice(SettingsKey(user)), AsSlice(*value));
  return db.Write(SyncedWrite(), &batch, "save forward settings");
}

Status ForwardStore::SaveSettingsWithJob(uint64_t user,
                                         const ForwardSettings& settings,
                                         const JobRecord& code_job) {
  Result<std::string> value = EncodeForwardSettings(settings);
  if (!value.ok()) return value.status();
  leveldb::WriteBatch batch;
  batch.Put(AsSlice(SettingsKey(user)), AsSlice(*value));
  Status job = AppendJobToBatch(&batch, code_job);
  if (!job.ok()) return job;
  Database::Handle db = database_->Acquire();
  if (!db.ok()) return db.status();
  return db.Write(SyncedWrite(), &batch, "save forward settings and code");
}

Result<size_t> ForwardStore::RemoveDueKeys(
    const std::vector<std::string>& due_keys) {
  Database::Handle db = database_->Acquire();
  if (!db.ok()) return db.status();
  leveldb::WriteBatch batch;
  size_t present = 0;
  for (const std::string& key : due_keys) {
    assert(key.starts_with(kDuePrefix));
    std::optional<std::string> value;
    Status read = Get(db, key, &value);
    if (!read.ok()) return read;
    if (!value) continue;
    batch.Delete(AsSlice(key));
    ++present;
  }
  if (present == 0) return present;
  Status written = db.Write(SyncedWrite(), &batch, "drop damaged forward jobs");
  if (!written.ok()) return written;
  return present;
}

Status ForwardStore::ReplaceJob(const JobRecord& before,
                                const JobRecord& after) {
  assert(before.job_key == after.job_key);
  assert(before.recipient == after.recipient);
  Result<std::string> value = EncodeJobRecord(after);
  if (!value.ok()) return value.status();
  Database::Handle db = database_->Acquire();
  if (!db.ok()) return db.status();
  leveldb::WriteBatch batch;
  if (before.state == JobState::kQueued) {
    batch.Delete(AsSlice(DueKey(before.due_unix, before.job_key)));
  }
  if (after.state == JobState::kQueued) {
    batch.Put(AsSlice(DueKey(after.due_unix, after.job_key)), "");
  }
  batch.Put(AsSlice(JobKeyOf(after.job_key)), AsSlice(*value));
  return db.Write(SyncedWrite(), &batch, "update forward job");
}

Result<std::vector<std::string>> ForwardStore::ForgetUserKeys(
    uint64_t user) const {
  Database::Handle db = database_->Acquire();
  if (!db.ok()) return db.status();
  Result<std::vector<JobKey>> keys = UserJobKeys(db, user);
  if (!keys.ok()) return keys.status();
  std::vector<std::string> deletes = {SettingsKey(user)};
  for (const JobKey& key : *keys) {
    Result<std::optional<JobRecord>> job = ReadJob(db, key);
    if (!job.ok()) return job.status();
    if (*job && (*job)->state == JobState::kQueued) {
      deletes.push_back(DueKey((*job)->due_unix, key));
    }
    deletes.push_back(JobKeyOf(key));
    deletes.push_back(UserJobKey(user, key));
  }
  return deletes;
}

Status ForwardStore::ForgetUser(uint64_t user) {
  Result<std::vector<std::string>> deletes = ForgetUserKeys(user);
  if (!deletes.ok()) return deletes.status();
  Database::Handle db = database_->Acquire();
  if (!db.ok()) return db.status();
  leveldb::WriteBatch batch;
  for (const std::string& key : *deletes) batch.Delete(AsSlice(key));
  return db.Write(SyncedWrite(), &batch, "forget forward user");
}

Result<size_t> ForwardStore::PurgeFinished(uint64_t recipient,
                                           uint64_t before_unix) {
  Database::Handle db = database_->Acquire();
  if (!db.ok()) return db.status();
  Result<std::vector<JobKey>> keys = UserJobKeys(db, recipient);
  if (!keys.ok()) return keys.status();
  leveldb::WriteBatch batch;
  size_t purged = 0;
  for (const JobKey& key : *keys) {
    Result<std::optional<JobRecord>> job = ReadJob(db, key);
    if (!job.ok()) return job.status();
    if (!*job || !Finished((*job)->state) ||
        (*job)->updated_unix >= before_unix) {
      continue;
    }
    batch.Delete(AsSlice(JobKeyOf(key)));
    batch.Delete(AsSlice(UserJobKey(recipient, key)));
    ++purged;
  }
  if (purged == 0) return purged;
  Status written = db.Write(SyncedWrite(), &batch, "purge forward jobs");
  if (!written.ok()) return written;
  return purged;
}

}  // namespace hail::server::forward
