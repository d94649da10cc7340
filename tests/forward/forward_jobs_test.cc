// From decision to stored jobs (server/forward/forward_jobs.h): one job per
// forwarding channel, carrying what the worker needs later.
#include "server/forward/forward_jobs.h"

#include <gtest/gtest.h>

namespace hail::server::forward {
namespace {

constexpr uint64_t kAccepted = 1796342400;

TEST(ForwardJobsTest, EachForwardingChannelGetsOneQueuedJobWithItsSnapshot) {
  ForwardSettings settings;
  settings.utc_offset_minutes = 60;
  settings.of(Channel::kEmail).address =
      ForwardAddress{"bob@example.org", true, std::nullopt};
  settings.of(Channel::kEmail).rule.enabled = true;
  settings.of(Channel::kFax).address =
      ForwardAddress{"+4930123456", true, std::nullopt};
  settings.of(Channel::kFax).rule.enabled = true;
  settings.of(Channel::kFax).rule.quiet_start = 1320;
  settings.of(Channel::kFax).rule.quiet_end = 420;
  settings.of(Channel::kFax).rule.daily_cap = 1;
  settings.of(Channel::kSms).address =
      ForwardAddress{"+4915112345678", false, std::nullopt};

  MessageFacts facts;
  facts.sender = 10000;
  facts.sender_is_contact = true;
  facts.accepted_unix = kAccepted;
  facts.now_unix = kAccepted;
  facts.jobs_on_day = [](Channel, int64_t) { return 0u; };
  MessageToForward message;
  message.recipient = 10001;
  message.recipient_name = "bob";
  message.sender = 10000;
  message.sender_name = "alice";
  message.message_id.fill(0x11);
  message.accepted_unix = kAccepted;
  message.text = "hi";

  const auto decisions = DecideForwarding(settings, facts);
  std::vector<JobRecord> jobs = NewJobsForMessage(settings, decisions, message);
  ASSERT_EQ(jobs.size(), 2u);  // the SMS number is not verified
  EXPECT_EQ(jobs[0].channel, Channel::kEmail);
  EXPECT_EQ(jobs[0].address, "bob@example.org");
  EXPECT_EQ(jobs[0].due_unix, kAccepted + 600);
  EXPECT_EQ(jobs[1].channel, Channel::kFax);
  EXPECT_EQ(jobs[1].address, "+4930123456");
  EXPECT_EQ(jobs[1].due_unix, decisions[2].due_unix);
  EXPECT_EQ(jobs[1].quiet_start, 1320);
  EXPECT_EQ(jobs[1].quiet_end, 420);
  EXPECT_NE(jobs[0].job_key, jobs[1].job_key);
  for (const JobRecord& job : jobs) {
    EXPECT_EQ(job.state, JobState::kQueued);
    EXPECT_EQ(job.recipient, 10001u);
    EXPECT_EQ(job.sender_name, "alice");
    EXPECT_EQ(job.message_id, message.message_id);
    EXPECT_EQ(job.utc_offset_minutes, 60);
    EXPECT_EQ(job.attempts, 0);
    // Every job can be stored as it is.
    EXPECT_TRUE(NewJobWrites(job).ok());
  }
}

TEST(ForwardJobsTest, NoForwardingChannelMeansNoJob) {
  ForwardSettings settings;  // no address at all
  MessageFacts facts;
  facts.sender_is_contact = true;
  facts.jobs_on_day = [](Channel, int64_t) { return 0u; };
  MessageToForward message;
  EXPECT_TRUE(
      NewJobsForMessage(settings, DecideForwarding(settings, facts), message)
          .empty());
}

}  // namespace
}  // namespace hail::server::forward
