#include "server/forward/forward_jobs.h"

#include <cassert>

namespace hail::server::forward {

std::vector<JobRecord> NewJobsForMessage(
    const ForwardSettings& settings,
    const std::array<ChannelDecision, kChannelCount>& decisions,
    const MessageToForward& message) {
  std::vector<JobRecord> jobs;
  for (const ChannelDecision& decision : decisions) {
    if (!decision.forward()) continue;
    const ChannelSettings& channel = settings.of(decision.channel);
    // A forwarding decision is only made for a verified address.
    assert(channel.address && channel.address->verified);
    JobRecord job;
    job.job_key = NewJobKey();
    job.channel = decision.channel;
    job.state = JobState::kQueued;
    job.recipient = message.recipient;
    job.sender = message.sender;
    job.message_id = message.message_id;
    job.accepted_unix = message.accepted_unix;
    job.due_unix = decision.due_unix;
    job.updated_unix = message.accepted_unix;
    job.utc_offset_minutes = settings.utc_offset_minutes;
    job.quiet_start = channel.rule.quiet_start;
    job.quiet_end = channel.rule.quiet_end;
    job.recipient_name = message.recipient_name;
    job.sender_name = message.sender_name;
    job.address = channel.address->address;
    job.text = message.text;
    jobs.push_back(std::move(job));
  }
  return jobs;
}

}  // namespace hail::server::forward
