// ForwardStore (server/forward/forward_store.h) on a real LevelDB in a
// temporary directory: a job created in the caller's batch, the due index
// in due order and kept in step with the job's state, daily-cap counts,
// settings, purging and account deletion.
#include "server/forward/forward_store.h"

#include <gtest/gtest.h>
#include <leveldb/write_batch.h>

#include <memory>

#include "server/database.h"
#include "server/forward/forward_rules.h"
#include "server/store_coding.h"
#include "tests/support/temp_dir.h"

namespace hail::server::forward {
namespace {

constexpr uint64_t kAlice = 10000;
constexpr uint64_t kBob = 10001;
constexpr uint64_t kCarol = 10002;
constexpr uint64_t kNow = 1796342400;  // 2026-12-04 00:00 UTC

class ForwardStoreTest : public ::testing::Test {
 protected:
  ForwardStoreTest() {
    Result<std::unique_ptr<Database>> opened =
        Database::Open(dir_.path() / "db");
    EXPECT_TRUE(opened.ok()) << opened.status().message();
    database_ = std::move(*opened);
    store_ = std::make_unique<ForwardStore>(database_.get());
  }

  static JobRecord Job(uint64_t recipient, uint64_t sender, Channel channel,
                       uint64_t due) {
    JobRecord job;
    job.job_key = NewJobKey();
    job.channel = channel;
    job.recipient = recipient;
    job.sender = sender;
    job.message_id.fill(static_cast<uint8_t>(due));
    job.accepted_unix = kNow;
    job.due_unix = due;
    job.updated_unix = kNow;
    job.recipient_name = "bob";
    job.sender_name = "alice";
    job.address = "bob@example.org";
    job.text = "hi";
    return job;
  }

  // As the mailbox write does: the job's puts in a synced batch.
  void Create(const JobRecord& job) {
    leveldb::WriteBatch batch;
    batch.Put("mbox/stand-in", "the message");
    ASSERT_TRUE(ForwardStore::AppendJobToBatch(&batch, job).ok());
    Database::Handle db = database_->Acquire();
    ASSERT_TRUE(db.Write(store::SyncedWrite(), &batch, "test").ok());
  }

  testing::TempDir dir_;
  std::unique_ptr<Database> database_;
  std::unique_ptr<ForwardStore> store_;
};

TEST_F(ForwardStoreTest, JobCreatedInTheCallersBatchIsDueInDueOrder) {
  const JobRecord late = Job(kBob, kAlice, Channel::kEmail, kNow + 300);
  const JobRecord early = Job(kBob, kAlice, Channel::kSms, kNow + 10);
  const JobRecord future = Job(kCarol, kAlice, Channel::kFax, kNow + 3600);
  Create(late);
  Create(early);
  Create(future);
  Result<std::vector<JobRecord>> due = store_->DueJobs(kNow + 300, 10);
  ASSERT_TRUE(due.ok()) << due.status().message();
  ASSERT_EQ(due->size(), 2u);
  EXPECT_EQ((*due)[0], early);
  EXPECT_EQ((*due)[1], late);
  Result<std::vector<JobRecord>> first = store_->DueJobs(kNow + 300, 1);
  ASSERT_TRUE(first.ok());
  ASSERT_EQ(first->size(), 1u);
  EXPECT_EQ((*first)[0], early);
  EXPECT_TRUE(store_->DueJobs(kNow, 10)->empty());
  Result<std::optional<uint64_t>> earliest = store_->EarliestDue();
  ASSERT_TRUE(earliest.ok());
  EXPECT_EQ(*earliest, std::optional<uint64_t>(kNow + 10));
}

TEST_F(ForwardStoreTest, ReplacedJobLeavesTheDueIndexUnlessStillQueued) {
  const JobRecord job = Job(kBob, kAlice, Channel::kEmail, kNow);
  Create(job);
  JobRecord later = job;
  later.due_unix = kNow + 60;
  later.attempts = 1;
  ASSERT_TRUE(store_->ReplaceJob(job, later).ok());
  EXPECT_TRUE(store_->DueJobs(kNow + 59, 10)->empty());
  ASSERT_EQ(store_->DueJobs(kNow + 60, 10)->size(), 1u);
  JobRecord sent = later;
  sent.state = JobState::kSent;
  ASSERT_TRUE(store_->ReplaceJob(later, sent).ok());
  EXPECT_TRUE(store_->DueJobs(~0ull, 10)->empty());
  EXPECT_FALSE(store_->EarliestDue()->has_value());
  Result<std::optional<JobRecord>> loaded = store_->LoadJob(job.job_key);
  ASSERT_TRUE(loaded.ok() && loaded->has_value());
  EXPECT_EQ(**loaded, sent);
}

TEST_F(ForwardStoreTest, DailyCountsAreByLocalDayAndIgnoreCancelledJobs) {
  // 23:30 UTC on Dec 4 is Dec 5 at UTC+1.
  Create(Job(kBob, kAlice, Channel::kEmail, kNow + 23 * 3600 + 1800));
  Create(Job(kBob, kAlice, Channel::kEmail, kNow + 3600));
  Create(Job(kBob, kCarol, Channel::kSms, kNow + 7200));
  JobRecord cancelled = Job(kBob, kAlice, Channel::kEmail, kNow + 60);
  Create(cancelled);
  JobRecord after = cancelled;
  after.state = JobState::kCancelled;
  ASSERT_TRUE(store_->ReplaceJob(cancelled, after).ok());
  Create(Job(kCarol, kAlice, Channel::kEmail, kNow + 60));  // another user

  const int64_t dec4 = LocalDay(kNow, 60);
  Result<std::array<uint32_t, kChannelCount>> counts =
      store_->CountJobsOnLocalDay(kBob, 60, dec4);
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(*counts, (std::array<uint32_t, kChannelCount>{1, 1, 0}));
  EXPECT_EQ(*store_->CountJobsOnLocalDay(kBob, 60, dec4 + 1),
            (std::array<uint32_t, kChannelCount>{1, 0, 0}));
  EXPECT_EQ(*store_->CountJobsOnLocalDay(kBob, 0, dec4),
            (std::array<uint32_t, kChannelCount>{2, 1, 0}));
}

TEST_F(ForwardStoreTest, SettingsAreSavedAndLoaded) {
  EXPECT_FALSE(store_->LoadSettings(kBob)->has_value());
  ForwardSettings settings;
  settings.utc_offset_minutes = -300;
  settings.of(Channel::kSms).address =
      ForwardAddress{"+4915112345678", true, std::nullopt};
  settings.of(Channel::kSms).rule.enabled = true;
  ASSERT_TRUE(store_->SaveSettings(kBob, settings).ok());
  Result<std::optional<ForwardSettings>> loaded = store_->LoadSettings(kBob);
  ASSERT_TRUE(loaded.ok() && loaded->has_value());
  EXPECT_EQ(**loaded, settings);
  settings.of(Channel::kSms).rule.daily_cap = 0;
  EXPECT_EQ(store_->SaveSettings(kBob, settings).code(),
            Status::Code::kInvalidArgument);
}

TEST_F(ForwardStoreTest, ForgottenUserLeavesNoSettingsJobsOrIndexes) {
  ForwardSettings settings;
  settings.of(Channel::kEmail).address =
      ForwardAddress{"bob@example.org", true, std::nullopt};
  ASSERT_TRUE(store_->SaveSettings(kBob, settings).ok());
  Create(Job(kBob, kAlice, Channel::kEmail, kNow));
  Create(Job(kBob, kCarol, Channel::kSms, kNow + 5));
  const JobRecord carols = Job(kCarol, kAlice, Channel::kEmail, kNow);
  Create(carols);
  Result<std::vector<std::string>> keys = store_->ForgetUserKeys(kBob);
  ASSERT_TRUE(keys.ok());
  // Settings, and job, due and user keys of both queued jobs.
  EXPECT_EQ(keys->size(), 7u);
  ASSERT_TRUE(store_->ForgetUser(kBob).ok());
  EXPECT_FALSE(store_->LoadSettings(kBob)->has_value());
  EXPECT_TRUE(store_->JobsOf(kBob)->empty());
  Result<std::vector<JobRecord>> due = store_->DueJobs(~0ull, 10);
  ASSERT_EQ(due->size(), 1u);
  EXPECT_EQ((*due)[0], carols);
}

TEST_F(ForwardStoreTest, PurgeDropsOnlyJobsThatEndedBeforeTheCutoff) {
  const JobRecord queued = Job(kBob, kAlice, Channel::kEmail, kNow);
  const JobRecord old_job = Job(kBob, kAlice, Channel::kSms, kNow);
  const JobRecord recent = Job(kBob, kAlice, Channel::kFax, kNow);
  Create(queued);
  Create(old_job);
  Create(recent);
  JobRecord old_sent = old_job;
  old_sent.state = JobState::kSent;
  old_sent.updated_unix = kNow + 10;
  ASSERT_TRUE(store_->ReplaceJob(old_job, old_sent).ok());
  JobRecord recent_failed = recent;
  recent_failed.state = JobState::kFailed;
  recent_failed.updated_unix = kNow + 100;
  ASSERT_TRUE(store_->ReplaceJob(recent, recent_failed).ok());
  Result<size_t> purged = store_->PurgeFinished(kBob, kNow + 50);
  ASSERT_TRUE(purged.ok());
  EXPECT_EQ(*purged, 1u);
  Result<std::vector<JobRecord>> left = store_->JobsOf(kBob);
  ASSERT_EQ(left->size(), 2u);
  EXPECT_FALSE(store_->LoadJob(old_job.job_key)->has_value());
}

}  // namespace
}  // namespace hail::server::forward
