// The Forwarder (server/forward/forwarder.h) on a real LevelDB in a
// temporary directory with the real e-mail gateway and a real SMTP server
// (aiosmtpd on 127.0.0.1, tests/support/smtp_sink.h): a job reaches the
// mailbox once in UTF-8; a server that is down gets it later, once; a
// restart neither resends a sent job nor loses a queued one; cancellation,
// rejection, giving up and rate limits. Backoff is shortened to seconds;
// the tests wait for conditions with timeouts, never for a fixed time.
#include "server/forward/forwarder.h"

#include <gtest/gtest.h>
#include <leveldb/write_batch.h>

#include <chrono>
#include <memory>
#include <thread>
#include <vector>

#include "server/base/mutex.h"
#include "server/database.h"
#include "server/forward/smtp_gateway.h"
#include "server/store_coding.h"
#include "tests/support/smtp_sink.h"
#include "tests/support/temp_dir.h"

namespace hail::server::forward {
namespace {

using testing::SmtpSink;

constexpr uint64_t kAlice = 10000;
constexpr uint64_t kBob = 10001;
constexpr uint64_t kCarol = 10002;
constexpr auto kTimeout = std::chrono::seconds(20);

uint64_t UnixNow() {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::seconds>(
          std::chrono::system_clock::now().time_since_epoch())
          .count());
}

// Polls `condition` until it holds or `timeout` passes.
template <typename Condition>
bool WaitUntil(Condition condition,
               std::chrono::milliseconds timeout = kTimeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

class ForwarderTest : public ::testing::Test {
 protected:
  ForwarderTest() : sink_(dir_.path() / "smtp") { OpenDatabase(); }
  ~ForwarderTest() override { forwarder_.reset(); }

  void OpenDatabase() {
    Result<std::unique_ptr<Database>> opened =
        Database::Open(dir_.path() / "db");
    ASSERT_TRUE(opened.ok()) << opened.status().message();
    database_ = std::move(*opened);
    store_ = std::make_unique<ForwardStore>(database_.get());
  }

  // haild restarting: everything in memory goes, the data dir stays.
  void Restart() {
    forwarder_.reset();
    store_.reset();
    database_.reset();
    OpenDatabase();
  }

  static Forwarder::Options FastOptions() {
    Forwarder::Options options;
    options.workers = 2;
    options.retry_first = std::chrono::seconds(1);
    options.retry_max = std::chrono::seconds(2);
    options.jitter = 0;
    options.idle_scan = std::chrono::milliseconds(50);
    return options;
  }

  void StartForwarder(Forwarder::Options options = FastOptions()) {
    MakeForwarder(std::move(options));
    forwarder_->Start();
  }

  void MakeForwarder(Forwarder::Options options = FastOptions()) {
    SmtpConfig config;
    config.url = sink_.url();
    config.identity.from_address = "hail@example.org";
    config.timeout_ms = 5'000;
    std::vector<std::unique_ptr<Gateway>> gateways;
    gateways.push_back(std::make_unique<SmtpGateway>(config));
    forwarder_ = std::make_unique<Forwarder>(
        store_.get(), std::move(gateways), std::move(options),
        [this](const JobRecord& job, JobState state) {
          MutexLock lock(&outcomes_mutex_);
          outcomes_.push_back({job.job_key, state});
        });
  }

  static JobRecord Job(uint64_t sender, std::string sender_name,
                       std::string text) {
    JobRecord job;
    job.job_key = NewJobKey();
    job.channel = Channel::kEmail;
    job.recipient = kBob;
    job.sender = sender;
    job.message_id = NewJobKey();  // any 16 bytes
    job.accepted_unix = UnixNow();
    job.due_unix = job.accepted_unix;
    job.updated_unix = job.accepted_unix;
    job.recipient_name = "bob";
    job.sender_name = std::move(sender_name);
    job.address = "bob@example.org";
    job.text = std::move(text);
    return job;
  }

  // What the mailbox write does: the job in a synced batch, then a wake.
  void Queue(const JobRecord& job) {
    leveldb::WriteBatch batch;
    ASSERT_TRUE(ForwardStore::AppendJobToBatch(&batch, job).ok());
    Database::Handle db = database_->Acquire();
    ASSERT_TRUE(db.Write(store::SyncedWrite(), &batch, "test").ok());
    if (forwarder_) forwarder_->OnJobQueued(job.channel);
  }

  JobRecord Stored(const JobKey& key) {
    Result<std::optional<JobRecord>> job = store_->LoadJob(key);
    EXPECT_TRUE(job.ok() && job->has_value());
    return job.ok() && job->has_value() ? **job : JobRecord{};
  }

  bool WaitForState(const JobKey& key, JobState state) {
    return WaitUntil([&] { return Stored(key).state == state; });
  }

  size_t MessagesWithId(const JobKey& key) {
    size_t count = 0;
    for (SmtpSink::Message& message : sink_.Messages()) {
      if (message["message-id"] == "<" + JobKeyText(key) + "@example.org>") {
        ++count;
      }
    }
    return count;
  }

  std::vector<std::pair<JobKey, JobState>> Outcomes() {
    MutexLock lock(&outcomes_mutex_);
    return outcomes_;
  }

  ForwardCounters::Channel EmailCounters() const {
    return forwarder_->counters().channels[ChannelIndex(Channel::kEmail)];
  }

  testing::TempDir dir_;
  SmtpSink sink_;
  std::unique_ptr<Database> database_;
  std::unique_ptr<ForwardStore> store_;
  std::unique_ptr<Forwarder> forwarder_;
  Mutex outcomes_mutex_;
  std::vector<std::pair<JobKey, JobState>> outcomes_
      GUARDED_BY(outcomes_mutex_);
};

TEST_F(ForwarderTest, QueuedJobArrivesOnceInUtf8AndIsRecordedSent) {
  ASSERT_TRUE(sink_.Start({}).ok());
  StartForwarder();
  const JobRecord job = Job(kAlice, "alice", "Grüße aus Köln — 你好 👋");
  Queue(job);
  ASSERT_TRUE(WaitForState(job.job_key, JobState::kSent));
  forwarder_->Stop();
  std::vector<SmtpSink::Message> messages = sink_.Messages();
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages[0]["from"], "alice via Hail <hail@example.org>");
  EXPECT_EQ(messages[0]["message-id"],
            "<" + JobKeyText(job.job_key) + "@example.org>");
  EXPECT_NE(messages[0]["body"].find("Grüße aus Köln — 你好 👋"),
            std::string::npos)
      << messages[0]["body"];
  EXPECT_FALSE(Stored(job.job_key).detail.empty());  // the server's answer
  EXPECT_EQ(Outcomes(), (std::vector<std::pair<JobKey, JobState>>{
                            {job.job_key, JobState::kSent}}));
  EXPECT_EQ(EmailCounters().queued, 1u);
  EXPECT_EQ(EmailCounters().sent, 1u);
  EXPECT_EQ(EmailCounters().retried, 0u);
}

TEST_F(ForwarderTest, DeliveryReportMovesASentJobToDeliveredOrFailed) {
  ASSERT_TRUE(sink_.Start({}).ok());
  StartForwarder();
  const JobRecord arrives = Job(kAlice, "alice", "will arrive");
  const JobRecord bounces = Job(kAlice, "alice", "will bounce");
  Queue(arrives);
  Queue(bounces);
  ASSERT_TRUE(WaitForState(arrives.job_key, JobState::kSent));
  ASSERT_TRUE(WaitForState(bounces.job_key, JobState::kSent));
  forwarder_->Stop();
  EXPECT_EQ(*forwarder_->ApplyDeliveryReport(arrives.job_key, true, "ok"),
            true);
  EXPECT_EQ(*forwarder_->ApplyDeliveryReport(bounces.job_key, false,
                                             "absent subscriber"),
            true);
  EXPECT_EQ(Stored(arrives.job_key).state, JobState::kDelivered);
  EXPECT_EQ(Stored(bounces.job_key).state, JobState::kFailed);
  EXPECT_EQ(Stored(bounces.job_key).detail, "absent subscriber");
  // A final state stays final; an unknown key changes nothing.
  EXPECT_EQ(*forwarder_->ApplyDeliveryReport(bounces.job_key, true, "late"),
            false);
  EXPECT_EQ(*forwarder_->ApplyDeliveryReport(NewJobKey(), true, "?"), false);
  EXPECT_EQ(EmailCounters().delivered, 1u);
  EXPECT_EQ(EmailCounters().failed, 1u);
  EXPECT_EQ(Outcomes().back(),
            (std::pair<JobKey, JobState>{bounces.job_key, JobState::kFailed}));
}

TEST_F(ForwarderTest, ServerThatIsDownGetsTheJobOnceAfterItStarts) {
  StartForwarder();  // nothing listens on the sink's port yet
  const JobRecord job = Job(kAlice, "alice", "while you were away");
  Queue(job);
  ASSERT_TRUE(WaitUntil([&] { return Stored(job.job_key).attempts >= 1; }));
  const JobRecord retried = Stored(job.job_key);
  EXPECT_EQ(retried.state, JobState::kQueued);
  EXPECT_GT(retried.due_unix, job.due_unix);
  EXPECT_FALSE(retried.detail.empty());  // why: the connection failed
  ASSERT_TRUE(sink_.Start({}).ok());
  ASSERT_TRUE(WaitForState(job.job_key, JobState::kSent));
  forwarder_->Stop();
  EXPECT_EQ(MessagesWithId(job.job_key), 1u);
  EXPECT_EQ(sink_.Messages().size(), 1u);
  EXPECT_GE(EmailCounters().retried, 1u);
  EXPECT_EQ(EmailCounters().sent, 1u);
}

TEST_F(ForwarderTest, RestartSendsTheQueuedJobOnceAndNeverTheSentOneAgain) {
  ASSERT_TRUE(sink_.Start({}).ok());
  StartForwarder();
  const JobRecord first = Job(kAlice, "alice", "first");
  Queue(first);
  ASSERT_TRUE(WaitForState(first.job_key, JobState::kSent));
  forwarder_->Stop();
  // A job committed while haild was down (or not yet handed over when it
  // stopped) is left queued.
  Restart();
  const JobRecord second = Job(kCarol, "carol", "second");
  Queue(second);
  StartForwarder();
  ASSERT_TRUE(WaitForState(second.job_key, JobState::kSent));
  // And once more: a third job after a second restart proves the workers
  // ran over both earlier jobs without sending either again.
  Restart();
  StartForwarder();
  const JobRecord third = Job(kAlice, "alice", "third");
  Queue(third);
  ASSERT_TRUE(WaitForState(third.job_key, JobState::kSent));
  forwarder_->Stop();
  EXPECT_EQ(MessagesWithId(first.job_key), 1u);
  EXPECT_EQ(MessagesWithId(second.job_key), 1u);
  EXPECT_EQ(MessagesWithId(third.job_key), 1u);
  EXPECT_EQ(sink_.Messages().size(), 3u);
}

TEST_F(ForwarderTest, CancelledJobsAreNeverHandedOver) {
  ASSERT_TRUE(sink_.Start({}).ok());
  MakeForwarder();  // not started: nothing can take the jobs yet
  const JobRecord blocked = Job(kAlice, "alice", "from a blocked sender");
  const JobRecord removed = Job(kCarol, "carol", "to a removed address");
  const JobRecord read = Job(kCarol, "carol", "read in the app");
  Queue(blocked);
  Queue(removed);
  Queue(read);
  Result<size_t> by_sender = forwarder_->CancelJobsFromSender(kBob, kAlice);
  ASSERT_TRUE(by_sender.ok());
  EXPECT_EQ(*by_sender, 1u);
  Result<size_t> by_message =
      forwarder_->CancelJobsForMessage(kBob, kCarol, read.message_id);
  ASSERT_TRUE(by_message.ok());
  EXPECT_EQ(*by_message, 1u);
  Result<size_t> by_channel = forwarder_->CancelJobs(kBob, Channel::kEmail);
  ASSERT_TRUE(by_channel.ok());
  EXPECT_EQ(*by_channel, 1u);
  EXPECT_EQ(Stored(blocked.job_key).state, JobState::kCancelled);
  EXPECT_EQ(Stored(removed.job_key).state, JobState::kCancelled);
  EXPECT_EQ(Stored(read.job_key).state, JobState::kCancelled);
  EXPECT_EQ(*forwarder_->CancelJobs(kBob, Channel::kEmail), 0u);

  forwarder_->Start();
  const JobRecord later = Job(kCarol, "carol", "a later message");
  Queue(later);
  ASSERT_TRUE(WaitForState(later.job_key, JobState::kSent));
  forwarder_->Stop();
  EXPECT_EQ(sink_.Messages().size(), 1u);
  EXPECT_EQ(MessagesWithId(later.job_key), 1u);
  EXPECT_EQ(EmailCounters().cancelled, 3u);
  size_t cancelled_reports = 0;
  for (const auto& [key, state] : Outcomes()) {
    if (state == JobState::kCancelled) ++cancelled_reports;
  }
  EXPECT_EQ(cancelled_reports, 3u);
}

TEST_F(ForwarderTest, RetryIsMovedPastTheRecipientsQuietHours) {
  StartForwarder();  // the server is down: the first hand-over is retried
  JobRecord job = Job(kAlice, "alice", "at night");
  // Quiet hours from this minute for an hour (UTC): the job was due just
  // before them, its retry would fall inside.
  const uint16_t minute = static_cast<uint16_t>(job.due_unix % 86400 / 60);
  job.quiet_start = minute;
  job.quiet_end = static_cast<uint16_t>((minute + 60) % 1440);
  Queue(job);
  ASSERT_TRUE(WaitUntil([&] { return Stored(job.job_key).attempts >= 1; }));
  const JobRecord retried = Stored(job.job_key);
  EXPECT_EQ(retried.state, JobState::kQueued);
  EXPECT_EQ(retried.due_unix, job.due_unix - job.due_unix % 60 + 3600);
  forwarder_->Stop();
}

TEST_F(ForwarderTest, DamagedJobRecordIsTakenOutAndTheOthersStillGo) {
  ASSERT_TRUE(sink_.Start({}).ok());
  const JobRecord damaged = Job(kAlice, "alice", "bit rot");
  Queue(damaged);
  {
    // Its value no longer decodes (an unknown version).
    leveldb::WriteBatch batch;
    batch.Put(JobKeyOf(damaged.job_key), std::string("\x09", 1));
    Database::Handle db = database_->Acquire();
    ASSERT_TRUE(db.Write(store::SyncedWrite(), &batch, "test").ok());
  }
  StartForwarder();
  const JobRecord good = Job(kAlice, "alice", "fine");
  Queue(good);
  ASSERT_TRUE(WaitForState(good.job_key, JobState::kSent));
  ASSERT_TRUE(WaitUntil([&] { return forwarder_->counters().damaged == 1; }));
  forwarder_->Stop();
  EXPECT_FALSE(store_->EarliestDue()->has_value());
  EXPECT_EQ(sink_.Messages().size(), 1u);
}

TEST_F(ForwarderTest, RejectedJobFailsWithTheGatewaysReason) {
  ASSERT_TRUE(sink_.Start({}).ok());
  StartForwarder();
  JobRecord job = Job(kAlice, "alice", "to a bad address");
  job.address = "not an address";
  Queue(job);
  ASSERT_TRUE(WaitForState(job.job_key, JobState::kFailed));
  forwarder_->Stop();
  EXPECT_NE(Stored(job.job_key).detail.find("rejected"), std::string::npos);
  EXPECT_TRUE(sink_.Messages().empty());
  EXPECT_EQ(EmailCounters().failed, 1u);
}

TEST_F(ForwarderTest, JobFailsAfterTheLastAttemptWithTheLastError) {
  Forwarder::Options options = FastOptions();
  options.max_attempts = 2;
  StartForwarder(options);  // the server never comes up
  const JobRecord job = Job(kAlice, "alice", "nobody listens");
  Queue(job);
  ASSERT_TRUE(WaitForState(job.job_key, JobState::kFailed));
  forwarder_->Stop();
  const JobRecord failed = Stored(job.job_key);
  EXPECT_EQ(failed.attempts, 2);
  EXPECT_EQ(failed.detail.rfind("gave up after 2 attempts: ", 0), 0u)
      << failed.detail;
  EXPECT_EQ(EmailCounters().retried, 1u);
  EXPECT_EQ(EmailCounters().failed, 1u);
}

TEST_F(ForwarderTest, JobsOverTheRecipientsRateLimitAreDeferredNotDropped) {
  ASSERT_TRUE(sink_.Start({}).ok());
  Forwarder::Options options = FastOptions();
  options.user_burst = 1;
  options.user_per_minute = 60;  // then one a second
  MakeForwarder(options);
  std::vector<JobRecord> jobs;
  for (int i = 0; i < 3; ++i) {
    jobs.push_back(Job(kAlice, "alice", "message " + std::to_string(i)));
    Queue(jobs.back());
  }
  const uint64_t queued_at = UnixNow();
  forwarder_->Start();
  for (const JobRecord& job : jobs) {
    ASSERT_TRUE(WaitForState(job.job_key, JobState::kSent));
  }
  forwarder_->Stop();
  EXPECT_GE(EmailCounters().deferred, 2u);
  EXPECT_EQ(EmailCounters().sent, 3u);
  // One went at once, the others no earlier than a second later.
  uint64_t latest_due = 0;
  for (const JobRecord& job : jobs) {
    EXPECT_EQ(MessagesWithId(job.job_key), 1u);
    latest_due = std::max(latest_due, Stored(job.job_key).due_unix);
  }
  EXPECT_GE(latest_due, queued_at + 1);
}

}  // namespace
}  // namespace hail::server::forward
