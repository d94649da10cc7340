// The extended-delivery records (server/forward/forward_records.h) against
// SPEC.md 14.2: the spec's examples are what the encoders write, every
// field survives a round trip, and every damaged value (each shorter
// prefix, a trailing byte, an unknown version, channel, state or mode, a
// flag other than 0 or 1, a field out of bounds) is Corruption.
#include "server/forward/forward_records.h"

#include <gtest/gtest.h>

#include <cctype>
#include <functional>
#include <string>
#include <string_view>

#include "protocol/byte_io.h"
#include "tests/support/spec_blocks.h"

namespace hail::server::forward {
namespace {

constexpr uint64_t kAlice = 10000;
constexpr uint64_t kBob = 10001;
constexpr uint64_t kSince = 1700000000;

std::string SpecExample(const std::string& name) {
  static const std::string spec = hail::testing::ReadSpec();
  std::string found;
  int count = 0;
  for (const hail::testing::SpecBlock& block :
       hail::testing::BlocksWithInfo(spec, "hex")) {
    if (block.name != name) continue;
    ++count;
    protocol::Bytes bytes;
    EXPECT_TRUE(protocol::FromHex(block.text, &bytes)) << name;
    found.assign(bytes.begin(), bytes.end());
  }
  EXPECT_EQ(count, 1) << "SPEC.md needs exactly one ```hex " << name;
  return found;
}

std::string Hex(std::string_view bytes) {
  return protocol::ToHex(protocol::ByteSpan(
      reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()));
}

void ExpectEveryPrefixAndTrailingByteRejected(
    const std::string& encoded,
    const std::function<Status(std::string_view)>& decode) {
  ASSERT_TRUE(decode(encoded).ok()) << "the full value must decode";
  for (size_t length = 0; length < encoded.size(); ++length) {
    EXPECT_EQ(decode(std::string_view(encoded).substr(0, length)).code(),
              Status::Code::kCorruption)
        << "prefix of " << length << " bytes";
  }
  for (char extra : {'\0', '\x01', '\xff'}) {
    EXPECT_EQ(decode(encoded + extra).code(), Status::Code::kCorruption);
  }
}

// --- fwdset/ ---

ForwardSettings SpecSettings() {
  ForwardSettings settings;
  settings.utc_offset_minutes = 60;
  ChannelSettings& email = settings.of(Channel::kEmail);
  email.address = ForwardAddress{"bob@example.org", true, std::nullopt};
  email.rule.enabled = true;
  email.rule.after_minutes = 10;
  email.rule.quiet_start = 22 * 60;
  email.rule.quiet_end = 7 * 60;
  email.rule.daily_cap = 5;
  email.rule.contacts_mode = ContactsMode::kList;
  email.rule.contacts = {kAlice};
  settings.of(Channel::kSms).address = ForwardAddress{
      "+4915112345678", false, VerificationCode{"042917", kSince, 1}};
  return settings;
}

Status DecodeSettingsStatus(std::string_view value) {
  return DecodeForwardSettings(value).status();
}

TEST(ForwardRecordsTest, SettingsEncodingIsTheSpecExample) {
  Result<std::string> encoded = EncodeForwardSettings(SpecSettings());
  ASSERT_TRUE(encoded.ok()) << encoded.status().message();
  EXPECT_EQ(Hex(*encoded), Hex(SpecExample("FORWARD_SETTINGS")));
  Result<ForwardSettings> decoded =
      DecodeForwardSettings(SpecExample("FORWARD_SETTINGS"));
  ASSERT_TRUE(decoded.ok()) << decoded.status().message();
  EXPECT_EQ(*decoded, SpecSettings());
}

TEST(ForwardRecordsTest, SettingsRoundTripEveryField) {
  ForwardSettings settings;
  settings.utc_offset_minutes = -840;
  for (size_t i = 0; i < kChannelCount; ++i) {
    ChannelSettings& channel = settings.channels[i];
    channel.address = ForwardAddress{std::string(254, 'a' + i), i != 1,
                                     VerificationCode{"999999", ~0ull, 4}};
    channel.rule.enabled = true;
    channel.rule.after_minutes = 1440;
    channel.rule.quiet_start = 1439;
    channel.rule.quiet_end = 0;
    channel.rule.daily_cap = 100;
    channel.rule.contacts_mode = ContactsMode::kList;
    for (uint64_t id = 0; id < 64; ++id) {
      channel.rule.contacts.push_back(0xff00000000000000ull + id);
    }
  }
  Result<std::string> encoded = EncodeForwardSettings(settings);
  ASSERT_TRUE(encoded.ok()) << encoded.status().message();
  Result<ForwardSettings> decoded = DecodeForwardSettings(*encoded);
  ASSERT_TRUE(decoded.ok()) << decoded.status().message();
  EXPECT_EQ(*decoded, settings);
  ExpectEveryPrefixAndTrailingByteRejected(*encoded, DecodeSettingsStatus);
}

TEST(ForwardRecordsTest, TruncatedOrTrailingSettingsAreRejected) {
  ExpectEveryPrefixAndTrailingByteRejected(SpecExample("FORWARD_SETTINGS"),
                                           DecodeSettingsStatus);
}

TEST(ForwardRecordsTest, DamagedSettingsFieldsAreRejected) {
  const std::string good = SpecExample("FORWARD_SETTINGS");
  auto with = [&](size_t at, uint8_t byte) {
    std::string value = good;
    value[at] = static_cast<char>(byte);
    return DecodeSettingsStatus(value).code();
  };
  EXPECT_EQ(with(0, 2), Status::Code::kCorruption);     // version
  EXPECT_EQ(with(1, 0x04), Status::Code::kCorruption);  // offset 1084
  EXPECT_EQ(with(3, 2), Status::Code::kCorruption);     // has_address
  // e-mail: address 3 + 16, verified at 20, has_code 21, enabled 22.
  EXPECT_EQ(with(20, 2), Status::Code::kCorruption);
  EXPECT_EQ(with(22, 7), Status::Code::kCorruption);
  // after_minutes 23..24 = 0, quiet_start high byte 25 = 0x06 (1576).
  EXPECT_EQ(with(24, 0), Status::Code::kCorruption);
  EXPECT_EQ(with(25, 0x06), Status::Code::kCorruption);
  EXPECT_EQ(with(29, 0), Status::Code::kCorruption);    // daily_cap 0
  EXPECT_EQ(with(30, 2), Status::Code::kCorruption);    // contacts_mode
  EXPECT_EQ(with(56, 'x'), Status::Code::kCorruption);  // a code digit
}

TEST(ForwardRecordsTest, SettingsOutOfBoundsAreNotEncoded) {
  ForwardSettings settings = SpecSettings();
  settings.of(Channel::kFax).rule.daily_cap = 0;
  EXPECT_EQ(EncodeForwardSettings(settings).status().code(),
            Status::Code::kInvalidArgument);
}

// --- fwdjob/ ---

JobKey FilledKey(uint8_t fill) {
  JobKey key;
  key.fill(fill);
  return key;
}

JobRecord SpecJob() {
  JobRecord job;
  job.job_key = FilledKey(0x22);
  job.channel = Channel::kEmail;
  job.state = JobState::kQueued;
  job.recipient = kBob;
  job.sender = kAlice;
  job.message_id.fill(0x11);
  job.accepted_unix = kSince;
  job.due_unix = kSince + 600;
  job.updated_unix = kSince;
  job.utc_offset_minutes = 60;
  job.quiet_start = 22 * 60;
  job.quiet_end = 7 * 60;
  job.recipient_name = "bob";
  job.sender_name = "alice";
  job.address = "bob@example.org";
  job.text = "hi";
  return job;
}

Status DecodeJobStatus(std::string_view value) {
  return DecodeJobRecord(FilledKey(0x22), value).status();
}

TEST(ForwardRecordsTest, JobEncodingIsTheSpecExample) {
  Result<std::string> encoded = EncodeJobRecord(SpecJob());
  ASSERT_TRUE(encoded.ok()) << encoded.status().message();
  EXPECT_EQ(Hex(*encoded), Hex(SpecExample("FORWARD_JOB")));
  Result<JobRecord> decoded =
      DecodeJobRecord(FilledKey(0x22), SpecExample("FORWARD_JOB"));
  ASSERT_TRUE(decoded.ok()) << decoded.status().message();
  EXPECT_EQ(*decoded, SpecJob());
}

TEST(ForwardRecordsTest, JobRoundTripsEveryField) {
  JobRecord job;
  job.job_key = FilledKey(0xab);
  job.channel = Channel::kFax;
  job.state = JobState::kCancelled;
  job.recipient = 0x0102030405060708ull;
  job.sender = 0xf0e0d0c0b0a09080ull;
  job.message_id.fill(0x5a);
  job.accepted_unix = 1;
  job.due_unix = 2;
  job.updated_unix = 3;
  job.attempts = 65535;
  job.utc_offset_minutes = -840;
  job.quiet_start = 1439;
  job.quiet_end = 1438;
  job.recipient_name = std::string(255, 'r');
  job.sender_name = std::string(255, 's');
  job.address = "+" + std::string(253, '1');
  job.text = std::string(65535, 't');
  job.detail = std::string(65535, 'd');
  Result<std::string> encoded = EncodeJobRecord(job);
  ASSERT_TRUE(encoded.ok()) << encoded.status().message();
  Result<JobRecord> decoded = DecodeJobRecord(job.job_key, *encoded);
  ASSERT_TRUE(decoded.ok()) << decoded.status().message();
  EXPECT_EQ(*decoded, job);
}

TEST(ForwardRecordsTest, TruncatedOrTrailingJobIsRejected) {
  ExpectEveryPrefixAndTrailingByteRejected(SpecExample("FORWARD_JOB"),
                                           DecodeJobStatus);
}

TEST(ForwardRecordsTest, JobWithUnknownVersionChannelOrStateIsRejected) {
  const std::string good = SpecExample("FORWARD_JOB");
  auto with = [&](size_t at, uint8_t byte) {
    std::string value = good;
    value[at] = static_cast<char>(byte);
    return DecodeJobStatus(value).code();
  };
  for (uint8_t version : {0, 2, 255}) {
    EXPECT_EQ(with(0, version), Status::Code::kCorruption);
  }
  for (uint8_t channel : {0, 4, 255}) {
    EXPECT_EQ(with(1, channel), Status::Code::kCorruption);
  }
  for (uint8_t state : {0, 6, 255}) {
    EXPECT_EQ(with(2, state), Status::Code::kCorruption);
  }
  // utc_offset_minutes at 61..62: 0x7f3c is far beyond 840.
  EXPECT_EQ(with(61, 0x7f), Status::Code::kCorruption);
  // quiet_start at 63..64: 0x7f28 is not a minute of the day.
  EXPECT_EQ(with(63, 0x7f), Status::Code::kCorruption);
}

TEST(ForwardRecordsTest, JobKeyTextIsThirtyTwoLowercaseHexDigits) {
  std::string expected;
  for (int i = 0; i < 16; ++i) expected += "ab";
  EXPECT_EQ(JobKeyText(FilledKey(0xab)), expected);
  const JobKey key = NewJobKey();
  EXPECT_NE(key, NewJobKey());
  const std::string text = JobKeyText(key);
  ASSERT_EQ(text.size(), 32u);
  for (char c : text) {
    EXPECT_TRUE((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')) << text;
  }
}

TEST(ForwardRecordsTest, JobKeyTextParsesBackOnlyWhenWellFormed) {
  const JobKey key = NewJobKey();
  EXPECT_EQ(ParseJobKeyText(JobKeyText(key)), std::optional<JobKey>(key));
  std::string upper = JobKeyText(FilledKey(0xab));
  for (char& c : upper) c = static_cast<char>(std::toupper(c));
  EXPECT_EQ(ParseJobKeyText(upper), std::optional<JobKey>(FilledKey(0xab)));
  EXPECT_FALSE(ParseJobKeyText(""));
  EXPECT_FALSE(ParseJobKeyText(JobKeyText(key).substr(1)));
  EXPECT_FALSE(ParseJobKeyText(JobKeyText(key) + "00"));
  EXPECT_FALSE(ParseJobKeyText(std::string(32, 'g')));
  EXPECT_FALSE(ParseJobKeyText(" " + JobKeyText(key).substr(1)));
}

TEST(ForwardRecordsTest, NewJobWritesAreTheJobAndBothIndexKeys) {
  Result<std::vector<KeyValue>> writes = NewJobWrites(SpecJob());
  ASSERT_TRUE(writes.ok());
  ASSERT_EQ(writes->size(), 3u);
  EXPECT_EQ((*writes)[0].key, JobKeyOf(FilledKey(0x22)));
  EXPECT_EQ((*writes)[0].value, SpecExample("FORWARD_JOB"));
  uint64_t due = 0;
  JobKey key{};
  ASSERT_TRUE(ParseDueKey((*writes)[1].key, &due, &key));
  EXPECT_EQ(due, kSince + 600);
  EXPECT_EQ(key, FilledKey(0x22));
  EXPECT_EQ((*writes)[2].key, UserJobKey(kBob, FilledKey(0x22)));
  JobRecord sent = SpecJob();
  sent.state = JobState::kSent;
  EXPECT_EQ(NewJobWrites(sent).status().code(), Status::Code::kInvalidArgument);
}

TEST(ForwardRecordsTest, DueKeysSortByDueTime) {
  EXPECT_LT(DueKey(255, FilledKey(0xff)), DueKey(256, FilledKey(0x00)));
  EXPECT_LT(DueKey(kSince, FilledKey(0x01)), DueKey(kSince, FilledKey(0x02)));
  uint64_t due;
  JobKey key;
  EXPECT_FALSE(ParseDueKey(UserJobKey(kBob, FilledKey(1)), &due, &key));
  EXPECT_FALSE(ParseDueKey(DueKey(1, FilledKey(1)) + "x", &due, &key));
}

}  // namespace
}  // namespace hail::server::forward
