#include "server/forward/forward_records.h"

#include <sodium.h>

#include <algorithm>

#include "protocol/byte_io.h"
#include "server/forward/forward_rules.h"

namespace hail::server::forward {

using protocol::ByteReader;
using protocol::Bytes;
using protocol::ByteSpan;
using protocol::ByteWriter;

namespace {

constexpr size_t kMaxNameLength = 255;
constexpr size_t kMaxAddressLength = 254;
constexpr size_t kMaxLongString = 65535;

std::string AsString(const Bytes& bytes) {
  return std::string(bytes.begin(), bytes.end());
}

ByteSpan AsBytes(std::string_view text) {
  return ByteSpan(reinterpret_cast<const uint8_t*>(text.data()), text.size());
}

std::string U64Bytes(uint64_t value) {
  Bytes out;
  ByteWriter(&out).U64(value);
  return AsString(out);
}

std::string KeyBytes(const JobKey& key) {
  return std::string(key.begin(), key.end());
}

bool Bool(ByteReader* reader, bool* out) {
  uint8_t value;
  if (!reader->U8(&value) || value > 1) return false;
  *out = value == 1;
  return true;
}

bool KnownChannel(uint8_t value) { return value >= 1 && value <= 3; }

}  // namespace

JobKey NewJobKey() {
  JobKey key;
  randombytes_buf(key.data(), key.size());
  return key;
}

std::string JobKeyText(const JobKey& key) {
  return protocol::ToHex(ByteSpan(key));
}

std::optional<JobKey> ParseJobKeyText(std::string_view text) {
  Bytes bytes;
  JobKey key{};
  if (text.size() != 2 * key.size() ||
      text.find_first_of(" \t\r\n") != std::string_view::npos ||
      !protocol::FromHex(text, &bytes)) {
    return std::nullopt;
  }
  std::copy(bytes.begin(), bytes.end(), key.begin());
  return key;
}

const char* JobStateName(JobState state) {
  switch (state) {
    case JobState::kQueued:
      return "queued";
    case JobState::kSent:
      return "sent";
    case JobState::kDelivered:
      return "delivered";
    case JobState::kFailed:
      return "failed";
    case JobState::kCancelled:
      return "cancelled";
  }
  return "unknown";
}

ForwardJob ToGatewayJob(const JobRecord& record) {
  ForwardJob job;
  job.job_key = JobKeyText(record.job_key);
  job.address = record.address;
  job.sender = record.sender_name;
  job.recipient = record.recipient_name;
  job.text = record.text;
  job.sent_unix = record.accepted_unix;
  job.is_code = record.sender == 0;  // the server's code job
  return job;
}

// --- keys ---

std::string SettingsKey(uint64_t user) {
  return std::string(kSettingsPrefix) + U64Bytes(user);
}

std::string JobKeyOf(const JobKey& key) {
  return std::string(kJobPrefix) + KeyBytes(key);
}

std::string DueKey(uint64_t due_unix, const JobKey& key) {
  return std::string(kDuePrefix) + U64Bytes(due_unix) + KeyBytes(key);
}

std::string UserJobPrefix(uint64_t recipient) {
  return std::string(kUserJobPrefix) + U64Bytes(recipient);
}

std::string UserJobKey(uint64_t recipient, const JobKey& key) {
  return UserJobPrefix(recipient) + KeyBytes(key);
}

bool ParseDueKey(std::string_view key, uint64_t* due_unix, JobKey* job_key) {
  if (!key.starts_with(kDuePrefix)) return false;
  ByteReader reader(AsBytes(key.substr(kDuePrefix.size())));
  return reader.U64(due_unix) && reader.Fixed(job_key) &&
         reader.remaining() == 0;
}

bool ParseUserJobKey(std::string_view key, JobKey* job_key) {
  if (!key.starts_with(kUserJobPrefix)) return false;
  ByteReader reader(AsBytes(key.substr(kUserJobPrefix.size())));
  uint64_t recipient;
  return reader.U64(&recipient) && reader.Fixed(job_key) &&
         reader.remaining() == 0;
}

// --- settings ---

Result<std::string> EncodeForwardSettings(const ForwardSettings& settings) {
  Status valid = ValidateSettings(settings);
  if (!valid.ok()) return valid;
  Bytes out;
  ByteWriter writer(&out);
  writer.U8(kForwardSettingsVersion);
  writer.U16(static_cast<uint16_t>(settings.utc_offset_minutes));
  for (const ChannelSettings& channel : settings.channels) {
    writer.U8(channel.address ? 1 : 0);
    if (channel.address) {
      const ForwardAddress& address = *channel.address;
      writer.String8(address.address);
      writer.U8(address.verified ? 1 : 0);
      writer.U8(address.pending ? 1 : 0);
      if (address.pending) {
        writer.Raw(address.pending->digits);
        writer.U64(address.pending->created_unix);
        writer.U8(address.pending->wrong_tries);
      }
    }
    const ForwardRule& rule = channel.rule;
    writer.U8(rule.enabled ? 1 : 0);
    writer.U16(rule.after_minutes);
    writer.U16(rule.quiet_start);
    writer.U16(rule.quiet_end);
    writer.U8(rule.daily_cap);
    writer.U8(static_cast<uint8_t>(rule.contacts_mode));
    writer.U8(static_cast<uint8_t>(rule.contacts.size()));
    for (uint64_t contact : rule.contacts) writer.U64(contact);
  }
  return AsString(out);
}

Result<ForwardSettings> DecodeForwardSettings(std::string_view value) {
  ByteReader reader(AsBytes(value));
  uint8_t version;
  if (!reader.U8(&version)) return Status::Corruption("empty forward settings");
  if (version != kForwardSettingsVersion) {
    return Status::Corruption("unknown forward settings version " +
                              std::to_string(version));
  }
  ForwardSettings settings;
  uint16_t offset = 0;
  bool ok = reader.U16(&offset);
  settings.utc_offset_minutes = static_cast<int16_t>(offset);
  for (ChannelSettings& channel : settings.channels) {
    if (!ok) break;
    bool has_address = false;
    ok = Bool(&reader, &has_address);
    if (ok && has_address) {
      ForwardAddress& address = channel.address.emplace();
      bool has_code = false;
      ok = reader.String8(&address.address, kMaxNameLength) &&
           Bool(&reader, &address.verified) && Bool(&reader, &has_code);
      if (ok && has_code) {
        VerificationCode& code = address.pending.emplace();
        ByteSpan digits;
        ok = reader.Raw(kCodeDigits, &digits) &&
             reader.U64(&code.created_unix) && reader.U8(&code.wrong_tries);
        if (ok) code.digits.assign(digits.begin(), digits.end());
      }
    }
    ForwardRule& rule = channel.rule;
    uint8_t mode = 0;
    uint8_t count = 0;
    ok = ok && Bool(&reader, &rule.enabled) &&
         reader.U16(&rule.after_minutes) && reader.U16(&rule.quiet_start) &&
         reader.U16(&rule.quiet_end) && reader.U8(&rule.daily_cap) &&
         reader.U8(&mode) && reader.U8(&count);
    rule.contacts_mode = static_cast<ContactsMode>(mode);
    for (uint8_t i = 0; ok && i < count; ++i) {
      uint64_t contact = 0;
      ok = reader.U64(&contact);
      rule.contacts.push_back(contact);
    }
  }
  if (!ok) return Status::Corruption("truncated or malformed forward settings");
  if (reader.remaining() != 0) {
    return Status::Corruption("trailing bytes in forward settings");
  }
  Status valid = ValidateSettings(settings);
  if (!valid.ok()) {
    return Status::Corruption("forward settings out of bounds: " +
                              valid.message());
  }
  return settings;
}

// --- jobs ---

namespace {

Status CheckJobBounds(const JobRecord& record) {
  if (record.recipient_name.empty() ||
      record.recipient_name.size() > kMaxNameLength ||
      record.sender_name.empty() ||
      record.sender_name.size() > kMaxNameLength) {
    return Status::InvalidArgument("job user name not 1..255 bytes");
  }
  if (record.address.empty() || record.address.size() > kMaxAddressLength) {
    return Status::InvalidArgument("job address not 1..254 bytes");
  }
  if (record.text.size() > kMaxLongString ||
      record.detail.size() > kMaxLongString) {
    return Status::InvalidArgument("job text or detail over 65535 bytes");
  }
  if (record.utc_offset_minutes < kMinUtcOffsetMinutes ||
      record.utc_offset_minutes > kMaxUtcOffsetMinutes ||
      record.quiet_start >= kMinutesPerDay ||
      record.quiet_end >= kMinutesPerDay) {
    return Status::InvalidArgument("job offset or quiet hours out of bounds");
  }
  return Status::Ok();
}

}  // namespace

Result<std::string> EncodeJobRecord(const JobRecord& record) {
  Status valid = CheckJobBounds(record);
  if (!valid.ok()) return valid;
  Bytes out;
  ByteWriter writer(&out);
  writer.U8(kJobRecordVersion);
  writer.U8(static_cast<uint8_t>(record.channel));
  writer.U8(static_cast<uint8_t>(record.state));
  writer.U64(record.recipient);
  writer.U64(record.sender);
  writer.Raw(ByteSpan(record.message_id));
  writer.U64(record.accepted_unix);
  writer.U64(record.due_unix);
  writer.U64(record.updated_unix);
  writer.U16(record.attempts);
  writer.U16(static_cast<uint16_t>(record.utc_offset_minutes));
  writer.U16(record.quiet_start);
  writer.U16(record.quiet_end);
  writer.String8(record.recipient_name);
  writer.String8(record.sender_name);
  writer.String8(record.address);
  writer.String16(record.text);
  writer.String16(record.detail);
  return AsString(out);
}

Result<JobRecord> DecodeJobRecord(const JobKey& key, std::string_view value) {
  ByteReader reader(AsBytes(value));
  uint8_t version;
  if (!reader.U8(&version)) return Status::Corruption("empty forward job");
  if (version != kJobRecordVersion) {
    return Status::Corruption("unknown forward job version " +
                              std::to_string(version));
  }
  JobRecord record;
  record.job_key = key;
  uint8_t channel = 0;
  uint8_t state = 0;
  uint16_t offset = 0;
  const bool ok =
      reader.U8(&channel) && reader.U8(&state) &&
      reader.U64(&record.recipient) && reader.U64(&record.sender) &&
      reader.Fixed(&record.message_id) && reader.U64(&record.accepted_unix) &&
      reader.U64(&record.due_unix) && reader.U64(&record.updated_unix) &&
      reader.U16(&record.attempts) && reader.U16(&offset) &&
      reader.U16(&record.quiet_start) && reader.U16(&record.quiet_end) &&
      reader.String8(&record.recipient_name, kMaxNameLength) &&
      reader.String8(&record.sender_name, kMaxNameLength) &&
      reader.String8(&record.address, kMaxAddressLength) &&
      reader.String16(&record.text, kMaxLongString) &&
      reader.String16(&record.detail, kMaxLongString);
  if (!ok) return Status::Corruption("truncated or malformed forward job");
  if (reader.remaining() != 0) {
    return Status::Corruption("trailing bytes in forward job");
  }
  if (!KnownChannel(channel)) {
    return Status::Corruption("unknown forward channel " +
                              std::to_string(channel));
  }
  if (state < static_cast<uint8_t>(JobState::kQueued) ||
      state > static_cast<uint8_t>(JobState::kCancelled)) {
    return Status::Corruption("unknown forward job state " +
                              std::to_string(state));
  }
  record.channel = static_cast<Channel>(channel);
  record.state = static_cast<JobState>(state);
  record.utc_offset_minutes = static_cast<int16_t>(offset);
  Status valid = CheckJobBounds(record);
  if (!valid.ok()) {
    return Status::Corruption("forward job out of bounds: " + valid.message());
  }
  return record;
}

Result<std::vector<KeyValue>> NewJobWrites(const JobRecord& record) {
  if (record.state != JobState::kQueued) {
    return Status::InvalidArgument("a new forward job must be queued");
  }
  Result<std::string> value = EncodeJobRecord(record);
  if (!value.ok()) return value.status();
  std::vector<KeyValue> writes;
  writes.push_back({JobKeyOf(record.job_key), std::move(*value)});
  writes.push_back({DueKey(record.due_unix, record.job_key), ""});
  writes.push_back({UserJobKey(record.recipient, record.job_key), ""});
  return writes;
}

}  // namespace hail::server::forward
