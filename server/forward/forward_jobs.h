// From the recipient's decision to the jobs to store (issue 11): the glue
// the mailbox write uses. Pure: the job keys are random, nothing else is
// looked up. The caller adds NewJobWrites of each job to the synced batch
// that stores the message (SPEC.md 14.2), then calls
// Forwarder::OnJobQueued for each once that batch is durable.
#ifndef HAIL_SERVER_FORWARD_FORWARD_JOBS_H_
#define HAIL_SERVER_FORWARD_FORWARD_JOBS_H_

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "protocol/chat_messages.h"
#include "server/forward/forward_records.h"
#include "server/forward/forward_rules.h"
#include "server/forward/forward_settings.h"

namespace hail::server::forward {

// The message a job forwards.
struct MessageToForward {
  uint64_t recipient = 0;
  std::string recipient_name;  // canonical usernames
  uint64_t sender = 0;
  std::string sender_name;
  protocol::ItemId message_id{};
  uint64_t accepted_unix = 0;
  std::string text;
};

// One queued job per channel that `decisions` forward on, with a fresh
// job key, the channel's address and the recipient's quiet hours as they
// are now, due when the decision says. Empty when no channel forwards.
// REQUIRES: decisions == DecideForwarding(settings, ...) for this message.
std::vector<JobRecord> NewJobsForMessage(
    const ForwardSettings& settings,
    const std::array<ChannelDecision, kChannelCount>& decisions,
    const MessageToForward& message);

}  // namespace hail::server::forward

#endif  // HAIL_SERVER_FORWARD_FORWARD_JOBS_H_
