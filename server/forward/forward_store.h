// The extended-delivery records in the data dir's LevelDB (keys and values:
// forward_records.h, SPEC.md 14.2): users' forward settings and the durable
// gateway outbox that the Forwarder works through.
//
// Threading: every method may run on any thread except a network loop
// (writes wait for a disk sync). Reads are short point or prefix reads.
// Writes are synced LevelDB batches, each atomic; a read-modify-write of a
// job (ReplaceJob) is atomic only against other writers that serialize on
// the same job, which the Forwarder does. While the database is read-only
// (a full disk, see Database) writes return Unavailable and change nothing.
#ifndef HAIL_SERVER_FORWARD_FORWARD_STORE_H_
#define HAIL_SERVER_FORWARD_FORWARD_STORE_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "protocol/status.h"
#include "server/forward/forward_records.h"
#include "server/forward/forward_settings.h"

namespace leveldb {
class WriteBatch;
}  // namespace leveldb

namespace hail::server {
class Database;
}  // namespace hail::server

namespace hail::server::forward {

class ForwardStore {
 public:
  // `database` is the data dir's, owned elsewhere and outliving this.
  explicit ForwardStore(Database* database);
  ForwardStore(const ForwardStore&) = delete;
  ForwardStore& operator=(const ForwardStore&) = delete;

  // Adds the puts of NewJobWrites(record) to `batch`, which the caller
  // writes synced together with the message the job forwards.
  static Status AppendJobToBatch(leveldb::WriteBatch* batch,
                                 const JobRecord& record);

  // --- reads ---
  // nullopt when the user has none (nothing is forwarded).
  Result<std::optional<ForwardSettings>> LoadSettings(uint64_t user) const;
  Result<std::optional<JobRecord>> LoadJob(const JobKey& key) const;
  // Every job of `recipient`, in job key order.
  Result<std::vector<JobRecord>> JobsOf(uint64_t recipient) const;
  // Queued jobs whose due time is at or before now_unix, earliest first,
  // at most `limit`. A job whose stored value does not decode is left out
  // and, with `damaged`, its fwddue/ key listed there (RemoveDueKeys), so
  // one damaged record cannot stop the outbox.
  Result<std::vector<JobRecord>> DueJobs(
      uint64_t now_unix, size_t limit,
      std::vector<std::string>* damaged = nullptr) const;
  // The due time of the earliest queued job; nullopt when none is queued.
  Result<std::optional<uint64_t>> EarliestDue() const;
  // The recipient's jobs per channel (e-mail, SMS, fax) that are not
  // cancelled and whose due time falls on `local_day` (LocalDay with
  // `utc_offset_minutes`): what the daily cap counts (forward_rules.h).
  Result<std::array<uint32_t, kChannelCount>> CountJobsOnLocalDay(
      uint64_t recipient, int16_t utc_offset_minutes, int64_t local_day) const;

  // --- writes, synced ---
  // Stores `settings` (InvalidArgument when ValidateSettings fails).
  Status SaveSettings(uint64_t user, const ForwardSettings& settings);
  // The same, and the queued job `code_job` (a verification code) in the
  // same synced batch: the code is sent exactly when it is stored.
  Status SaveSettingsWithJob(uint64_t user, const ForwardSettings& settings,
                             const JobRecord& code_job);
  // Replaces the job `before` (as read) by `after` (same key, recipient and
  // due index kept consistent: a fwddue/ key exactly while queued).
  Status ReplaceJob(const JobRecord& before, const JobRecord& after);
  // Deletes fwddue/ keys (of jobs whose record is damaged); the fwdjob/
  // values stay for the operator to look at. How many were there.
  Result<size_t> RemoveDueKeys(const std::vector<std::string>& due_keys);
  // Deletes the user's settings and every job addressed to it (account
  // deletion: addresses are kept no longer than the account).
  Status ForgetUser(uint64_t user);
  // The keys ForgetUser deletes, as of now, for a caller that deletes them
  // in its own account-deletion batch instead.
  Result<std::vector<std::string>> ForgetUserKeys(uint64_t user) const;
  // Deletes the jobs of `recipient` that ended (sent, delivered, failed,
  // cancelled) before `before_unix` (their updated_unix).
  Result<size_t> PurgeFinished(uint64_t recipient, uint64_t before_unix);

 private:
  Database* const database_;
};

}  // namespace hail::server::forward

#endif  // HAIL_SERVER_FORWARD_FORWARD_STORE_H_
