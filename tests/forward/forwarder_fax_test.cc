// The Forwarder with the real fax gateway and a real HylaFAX (faxq + hfaxd
// on a private spool, tests/support/hylafax_fixture.h): the crash window
// between a gateway's acceptance and the synced write of `sent` (SPEC.md
// 14.2). The job is handed to HylaFAX, "haild dies" before recording it,
// and after the restart the Forwarder hands it over again: HylaFAX finds
// the fax by its job tag, so it is queued once and the job ends sent.
#include <gtest/gtest.h>
#include <leveldb/write_batch.h>

#include <chrono>
#include <memory>
#include <thread>

#include "server/database.h"
#include "server/forward/forwarder.h"
#include "server/forward/hylafax_gateway.h"
#include "server/store_coding.h"
#include "tests/support/hylafax_fixture.h"
#include "tests/support/temp_dir.h"

namespace hail::server::forward {
namespace {

TEST(ForwarderFaxTest, FaxHandedOverBeforeACrashIsQueuedOnceAfterRestart) {
  const std::string why = hail::testing::HylaFaxFixture::Unavailable();
  if (!why.empty()) GTEST_SKIP() << why;
  hail::testing::HylaFaxFixture hylafax;
  ASSERT_TRUE(hylafax.Start()) << hylafax.error();
  HylaFaxConfig config;
  config.port = hylafax.port();
  config.user = "hail";
  config.timeout = std::chrono::seconds(20);
  config.render.temp_dir = hylafax.scratch();

  hail::testing::TempDir dir;
  Result<std::unique_ptr<Database>> database = Database::Open(dir.path());
  ASSERT_TRUE(database.ok()) << database.status().message();
  ForwardStore store(database->get());

  JobRecord job;
  job.job_key = NewJobKey();
  job.channel = Channel::kFax;
  job.recipient = 10001;
  job.sender = 10000;
  job.accepted_unix = static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::seconds>(
          std::chrono::system_clock::now().time_since_epoch())
          .count());
  job.due_unix = job.accepted_unix;
  job.updated_unix = job.accepted_unix;
  job.recipient_name = "bob";
  job.sender_name = "alice";
  job.address = "+4930123456";
  job.text = "你好，鲍勃！Grüße aus Hail";
  leveldb::WriteBatch batch;
  ASSERT_TRUE(ForwardStore::AppendJobToBatch(&batch, job).ok());
  {
    Database::Handle db = (*database)->Acquire();
    ASSERT_TRUE(db.Write(store::SyncedWrite(), &batch, "test").ok());
  }

  // The hand-over that happened just before the crash: HylaFAX has the
  // fax, the store still says queued.
  GatewayAnswer before_crash = HylaFaxGateway(config).Send(ToGatewayJob(job));
  ASSERT_EQ(before_crash.kind, GatewayAnswer::Kind::kAccepted)
      << before_crash.detail;
  ASSERT_EQ(hylafax.SendQueue().size(), 1u);

  std::vector<std::unique_ptr<Gateway>> gateways;
  gateways.push_back(std::make_unique<HylaFaxGateway>(config));
  Forwarder::Options options;
  options.idle_scan = std::chrono::milliseconds(50);
  Forwarder forwarder(&store, std::move(gateways), options, nullptr);
  forwarder.Start();
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(60);
  JobState state = JobState::kQueued;
  while (state == JobState::kQueued &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    Result<std::optional<JobRecord>> stored = store.LoadJob(job.job_key);
    ASSERT_TRUE(stored.ok() && stored->has_value());
    state = (*stored)->state;
  }
  forwarder.Stop();
  ASSERT_EQ(state, JobState::kSent);
  EXPECT_EQ(hylafax.SendQueue().size(), 1u);
  // The stored reference is the HylaFAX job queued before the crash.
  EXPECT_EQ((*store.LoadJob(job.job_key))->detail, before_crash.detail);
  EXPECT_EQ(forwarder.counters().channels[ChannelIndex(Channel::kFax)].sent,
            1u);
}

}  // namespace
}  // namespace hail::server::forward
