// The extended-delivery records of the data dir's LevelDB (SPEC.md 14.2):
// a user's forward settings and the durable gateway outbox, a job per
// message and channel, with two indexes. Keys and versioned value codecs
// only, free of LevelDB like server/store_records.h (the fuzzer
// tests/fuzz/fuzz_store_records.cc links them alone); ForwardStore writes
// them.
//
//   fwdset/<user u64>                    -> ForwardSettings (v1)
//   fwdjob/<job_key[16]>                 -> JobRecord (v1)
//   fwddue/<due_unix u64><job_key[16]>   -> empty; present iff the job is
//                                           queued: the workers' due index
//   fwduser/<recipient u64><job_key[16]> -> empty; the recipient's jobs
//
// Decoders accept exactly what the encoders write and return Corruption for
// a short value, trailing bytes, an unknown version, channel, state or
// mode, a boolean other than 0 or 1, or a field out of its bounds.
#ifndef HAIL_SERVER_FORWARD_FORWARD_RECORDS_H_
#define HAIL_SERVER_FORWARD_FORWARD_RECORDS_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/chat_messages.h"
#include "protocol/status.h"
#include "server/forward/forward_settings.h"
#include "server/forward/gateway.h"

namespace hail::server::forward {

inline constexpr uint8_t kForwardSettingsVersion = 1;
inline constexpr uint8_t kJobRecordVersion = 1;

// 16 random bytes; as 32 lowercase hex digits (JobKeyText) it is the
// gateways' idempotency key (ForwardJob::job_key).
using JobKey = std::array<uint8_t, 16>;

JobKey NewJobKey();  // libsodium randombytes
std::string JobKeyText(const JobKey& key);
// The key a JobKeyText names (a delivery report's reference); nullopt for
// anything but 32 hex digits.
std::optional<JobKey> ParseJobKeyText(std::string_view text);

// The life of a job (SPEC.md 14.2 draws it):
//   queued -> sent       the gateway accepted it (kAccepted)
//   queued -> queued     kRetry or a rate limit: later, attempts counted
//   queued -> failed     kRejected, or retries given up
//   queued -> cancelled  address removed, sender blocked, message read
//   sent   -> delivered  a delivery report (SMS) says it arrived
//   sent   -> failed     a delivery report says it did not
enum class JobState : uint8_t {
  kQueued = 1,
  kSent = 2,
  kDelivered = 3,
  kFailed = 4,
  kCancelled = 5,
};
const char* JobStateName(JobState state);  // "queued", "sent", ...

// One forwarded message on one channel.
struct JobRecord {
  JobKey job_key{};
  Channel channel = Channel::kEmail;
  JobState state = JobState::kQueued;
  uint64_t recipient = 0;
  uint64_t sender = 0;
  protocol::ItemId message_id{};
  uint64_t accepted_unix = 0;  // the message's
  uint64_t due_unix = 0;       // queued: when a worker may take it next
  uint64_t updated_unix = 0;   // the last state change or attempt
  uint16_t attempts = 0;       // hand-overs that came back kRetry
  // The recipient's quiet hours, kept so a retry does not fall into them.
  int16_t utc_offset_minutes = 0;
  uint16_t quiet_start = 0;
  uint16_t quiet_end = 0;
  std::string recipient_name;  // canonical usernames, 1..255 bytes
  std::string sender_name;
  std::string address;  // the address snapshot, 1..254 bytes
  std::string text;     // the message text, at most 65535 bytes
  // queued: the last error; sent, delivered: the gateway's reference;
  // failed, cancelled: the reason. At most 65535 bytes.
  std::string detail;

  friend bool operator==(const JobRecord&, const JobRecord&) = default;
};

// The job as the gateways take it.
ForwardJob ToGatewayJob(const JobRecord& record);

// --- keys ---
inline constexpr std::string_view kSettingsPrefix = "fwdset/";
inline constexpr std::string_view kJobPrefix = "fwdjob/";
inline constexpr std::string_view kDuePrefix = "fwddue/";
inline constexpr std::string_view kUserJobPrefix = "fwduser/";

std::string SettingsKey(uint64_t user);
std::string JobKeyOf(const JobKey& key);  // fwdjob/<key>
std::string DueKey(uint64_t due_unix, const JobKey& key);
std::string UserJobPrefix(uint64_t recipient);
std::string UserJobKey(uint64_t recipient, const JobKey& key);
// The due time and job key of a fwddue/ key, or the job key at the end of a
// fwduser/ key; false when `key` is not such a key.
bool ParseDueKey(std::string_view key, uint64_t* due_unix, JobKey* job_key);
bool ParseUserJobKey(std::string_view key, JobKey* job_key);

// --- values ---

// InvalidArgument when ValidateSettings fails.
Result<std::string> EncodeForwardSettings(const ForwardSettings& settings);
Result<ForwardSettings> DecodeForwardSettings(std::string_view value);

// InvalidArgument when a name is empty or over 255 bytes, the address
// empty or over 254, the text or detail over 65535, the offset or quiet
// hours out of bounds.
Result<std::string> EncodeJobRecord(const JobRecord& record);
// The result's job_key is `key` (it lives in the fwdjob/ key).
Result<JobRecord> DecodeJobRecord(const JobKey& key, std::string_view value);

// --- writes, as key/value puts for the caller's batch ---

struct KeyValue {
  std::string key;
  std::string value;
};

// The puts that create the queued job `record`: its fwdjob/, fwddue/ and
// fwduser/ keys. The mailbox write that stores the message adds them to
// its own synced batch (SPEC.md 14.2), so the message and its jobs are
// durable together or not at all. InvalidArgument as EncodeJobRecord, or
// when record.state is not kQueued.
Result<std::vector<KeyValue>> NewJobWrites(const JobRecord& record);

}  // namespace hail::server::forward

#endif  // HAIL_SERVER_FORWARD_FORWARD_RECORDS_H_
