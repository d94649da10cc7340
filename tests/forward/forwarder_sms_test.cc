// The Forwarder with the real SMS gateway and a real Kannel (bearerbox,
// smsbox, fakesmsc; tests/support/kannel_fixture.h): a queued SMS job
// reaches the fake SMSC once in UTF-8, and the delivery report Kannel sends
// back to the DLR listener names the job, which then ends delivered.
#include <gtest/gtest.h>
#include <leveldb/write_batch.h>

#include <chrono>
#include <memory>
#include <thread>

#include "server/database.h"
#include "server/forward/forwarder.h"
#include "server/forward/kannel_delivery_report.h"
#include "server/forward/kannel_gateway.h"
#include "server/store_coding.h"
#include "tests/support/http_request_catcher.h"
#include "tests/support/kannel_fixture.h"
#include "tests/support/temp_dir.h"

namespace hail::server::forward {
namespace {

using namespace std::chrono_literals;

TEST(ForwarderSmsTest, SmsJobIsSentOnceAndItsDeliveryReportMarksItDelivered) {
  testing::KannelFixture kannel;
  ASSERT_TRUE(kannel.Start()) << kannel.failure();
  testing::HttpRequestCatcher dlr;
  KannelConfig config;
  config.sendsms_url = kannel.sendsms_url();
  config.username = kannel.options().username;
  config.password = kannel.options().password;
  config.sender_id = "Hail";
  config.dlr_url = dlr.base_url() + std::string(kDeliveryReportPath);
  config.max_messages = kannel.options().max_messages;
  config.timeout = 5s;

  testing::TempDir dir;
  Result<std::unique_ptr<Database>> database = Database::Open(dir.path());
  ASSERT_TRUE(database.ok()) << database.status().message();
  ForwardStore store(database->get());
  JobRecord job;
  job.job_key = NewJobKey();
  job.channel = Channel::kSms;
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
  job.address = "+4915112345678";
  job.text = "Grüße — 你好";
  leveldb::WriteBatch batch;
  ASSERT_TRUE(ForwardStore::AppendJobToBatch(&batch, job).ok());
  {
    Database::Handle db = (*database)->Acquire();
    ASSERT_TRUE(db.Write(store::SyncedWrite(), &batch, "test").ok());
  }

  std::vector<std::unique_ptr<Gateway>> gateways;
  gateways.push_back(std::make_unique<KannelGateway>(config));
  Forwarder::Options options;
  options.idle_scan = 50ms;
  Forwarder forwarder(&store, std::move(gateways), options, nullptr);
  forwarder.Start();
  forwarder.OnJobQueued(Channel::kSms);

  std::vector<testing::FakeSmscMessage> received =
      kannel.WaitForReceived(1, 20s);
  ASSERT_EQ(received.size(), 1u);
  EXPECT_EQ(testing::ReassembledUcs2Text(received), "alice: Grüße — 你好");

  // Kannel reports "submitted", then "delivered"; haild's listener turns
  // each into ApplyDeliveryReport (only a final status changes the job).
  const std::vector<std::string> targets = dlr.WaitForTargets(2, 15s);
  ASSERT_EQ(targets.size(), 2u);
  bool delivered = false;
  for (const std::string& target : targets) {
    const std::optional<DeliveryReport> report = ParseDeliveryReport(target);
    ASSERT_TRUE(report.has_value()) << target;
    const std::optional<JobKey> key = ParseJobKeyText(report->job_key);
    ASSERT_EQ(key, std::optional<JobKey>(job.job_key)) << report->job_key;
    if (report->status != DeliveryStatus::kDelivered) continue;
    // The job is recorded sent before it can be reported delivered.
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    Result<bool> applied = false;
    while (std::chrono::steady_clock::now() < deadline) {
      applied = forwarder.ApplyDeliveryReport(*key, true, "delivered");
      if (!applied.ok() || *applied) break;
      std::this_thread::sleep_for(20ms);
    }
    ASSERT_TRUE(applied.ok() && *applied);
    delivered = true;
  }
  forwarder.Stop();
  EXPECT_TRUE(delivered);
  EXPECT_EQ((*store.LoadJob(job.job_key))->state, JobState::kDelivered);
  EXPECT_EQ(kannel.Received().size(), 1u);
  const ForwardCounters::Channel sms =
      forwarder.counters().channels[ChannelIndex(Channel::kSms)];
  EXPECT_EQ(sms.sent, 1u);
  EXPECT_EQ(sms.delivered, 1u);
}

}  // namespace
}  // namespace hail::server::forward
