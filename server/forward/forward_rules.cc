#include "server/forward/forward_rules.h"

#include <sodium.h>

#include <algorithm>
#include <cassert>
#include <string>

namespace hail::server::forward {

namespace {

constexpr int64_t kSecondsPerDay = 86400;
constexpr size_t kMaxAddressLength = 254;

int64_t LocalSeconds(uint64_t unix_seconds, int16_t utc_offset_minutes) {
  return static_cast<int64_t>(unix_seconds) + int64_t{utc_offset_minutes} * 60;
}

// Floor division, so that times before the epoch (a negative offset near
// 0) still land on the right day.
int64_t FloorDiv(int64_t value, int64_t divisor) {
  int64_t quotient = value / divisor;
  if (value % divisor != 0 && value < 0) --quotient;
  return quotient;
}

bool AllDigits(std::string_view text) {
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return c >= '0' && c <= '9'; });
}

Status Invalid(Channel channel, const std::string& what) {
  return Status::InvalidArgument(std::string(ChannelName(channel)) + ": " +
                                 what);
}

}  // namespace

Status ValidateSettings(const ForwardSettings& settings) {
  if (settings.utc_offset_minutes < kMinUtcOffsetMinutes ||
      settings.utc_offset_minutes > kMaxUtcOffsetMinutes) {
    return Status::InvalidArgument("utc_offset_minutes out of -840..840");
  }
  for (size_t index = 0; index < kChannelCount; ++index) {
    const Channel channel = ChannelAt(index);
    const ChannelSettings& channel_settings = settings.channels[index];
    const ForwardRule& rule = channel_settings.rule;
    if (rule.after_minutes < kMinAfterMinutes ||
        rule.after_minutes > kMaxAfterMinutes) {
      return Invalid(channel, "after_minutes out of 1..1440");
    }
    if (rule.quiet_start >= kMinutesPerDay ||
        rule.quiet_end >= kMinutesPerDay) {
      return Invalid(channel, "quiet hours out of 0..1439");
    }
    if (rule.daily_cap < kMinDailyCap || rule.daily_cap > kMaxDailyCap) {
      return Invalid(channel, "daily_cap out of 1..100");
    }
    if (rule.contacts_mode != ContactsMode::kAll &&
        rule.contacts_mode != ContactsMode::kList) {
      return Invalid(channel, "unknown contacts mode");
    }
    if (rule.contacts.size() > kMaxRuleContacts) {
      return Invalid(channel, "more than 64 contacts");
    }
    if (!channel_settings.address) continue;
    const ForwardAddress& address = *channel_settings.address;
    if (address.address.empty() || address.address.size() > kMaxAddressLength) {
      return Invalid(channel, "address not 1..254 bytes");
    }
    if (address.pending && (address.pending->digits.size() != kCodeDigits ||
                            !AllDigits(address.pending->digits))) {
      return Invalid(channel, "pending code not 6 digits");
    }
  }
  return Status::Ok();
}

const char* SkipReasonName(SkipReason reason) {
  switch (reason) {
    case SkipReason::kNone:
      return "none";
    case SkipReason::kNoVerifiedAddress:
      return "no_verified_address";
    case SkipReason::kRuleOff:
      return "rule_off";
    case SkipReason::kBlocked:
      return "blocked";
    case SkipReason::kNotAContact:
      return "not_a_contact";
    case SkipReason::kNotInContactList:
      return "not_in_contact_list";
    case SkipReason::kDailyCapReached:
      return "daily_cap_reached";
  }
  return "unknown";
}

int64_t LocalDay(uint64_t unix_seconds, int16_t utc_offset_minutes) {
  return FloorDiv(LocalSeconds(unix_seconds, utc_offset_minutes),
                  kSecondsPerDay);
}

bool InQuietHours(uint64_t unix_seconds, uint16_t quiet_start,
                  uint16_t quiet_end, int16_t utc_offset_minutes) {
  if (quiet_start == quiet_end) return false;
  const int64_t local = LocalSeconds(unix_seconds, utc_offset_minutes);
  const int64_t minute =
      (local - FloorDiv(local, kSecondsPerDay) * kSecondsPerDay) / 60;
  if (quiet_start < quiet_end) {
    return minute >= quiet_start && minute < quiet_end;
  }
  return minute >= quiet_start || minute < quiet_end;  // across midnight
}

uint64_t PastQuietHours(uint64_t unix_seconds, uint16_t quiet_start,
                        uint16_t quiet_end, int16_t utc_offset_minutes) {
  if (!InQuietHours(unix_seconds, quiet_start, quiet_end, utc_offset_minutes)) {
    return unix_seconds;
  }
  const int64_t local = LocalSeconds(unix_seconds, utc_offset_minutes);
  const int64_t day_start = FloorDiv(local, kSecondsPerDay) * kSecondsPerDay;
  int64_t end = day_start + int64_t{quiet_end} * 60;
  if (end <= local) end += kSecondsPerDay;  // the quiet hours end tomorrow
  const int64_t end_unix = end - int64_t{utc_offset_minutes} * 60;
  assert(end_unix > static_cast<int64_t>(unix_seconds));
  return static_cast<uint64_t>(end_unix);
}

std::array<ChannelDecision, kChannelCount> DecideForwarding(
    const ForwardSettings& settings, const MessageFacts& facts) {
  assert(ValidateSettings(settings).ok());
  assert(facts.jobs_on_day);
  std::array<ChannelDecision, kChannelCount> decisions;
  for (size_t index = 0; index < kChannelCount; ++index) {
    ChannelDecision& decision = decisions[index];
    decision.channel = ChannelAt(index);
    const ChannelSettings& channel = settings.channels[index];
    const ForwardRule& rule = channel.rule;
    if (!channel.address || !channel.address->verified) {
      decision.reason = SkipReason::kNoVerifiedAddress;
    } else if (!rule.enabled) {
      decision.reason = SkipReason::kRuleOff;
    } else if (facts.blocked_by_recipient) {
      decision.reason = SkipReason::kBlocked;
    } else if (!facts.sender_is_contact) {
      decision.reason = SkipReason::kNotAContact;
    } else if (rule.contacts_mode == ContactsMode::kList &&
               std::find(rule.contacts.begin(), rule.contacts.end(),
                         facts.sender) == rule.contacts.end()) {
      decision.reason = SkipReason::kNotInContactList;
    }
    if (decision.reason != SkipReason::kNone) continue;
    const uint64_t waited =
        facts.accepted_unix + uint64_t{rule.after_minutes} * 60;
    decision.due_unix =
        PastQuietHours(std::max(waited, facts.now_unix), rule.quiet_start,
                       rule.quiet_end, settings.utc_offset_minutes);
    const int64_t day =
        LocalDay(decision.due_unix, settings.utc_offset_minutes);
    if (facts.jobs_on_day(decision.channel, day) >= rule.daily_cap) {
      decision.reason = SkipReason::kDailyCapReached;
      decision.due_unix = 0;
    }
  }
  return decisions;
}

VerificationCode NewVerificationCode(uint64_t now_unix) {
  VerificationCode code;
  code.created_unix = now_unix;
  for (size_t i = 0; i < kCodeDigits; ++i) {
    code.digits.push_back(static_cast<char>('0' + randombytes_uniform(10)));
  }
  return code;
}

CodeCheck CheckCode(ForwardAddress* address, std::string_view typed,
                    uint64_t now_unix) {
  if (!address->pending) return CodeCheck::kNoCode;
  VerificationCode& code = *address->pending;
  if (now_unix >= code.created_unix + kCodeLifetimeSeconds) {
    address->pending.reset();
    return CodeCheck::kExpired;
  }
  // Same length first (the length is public: always 6), then the bytes in
  // constant time.
  const bool match =
      typed.size() == code.digits.size() &&
      sodium_memcmp(typed.data(), code.digits.data(), code.digits.size()) == 0;
  if (match) {
    address->verified = true;
    address->pending.reset();
    return CodeCheck::kVerified;
  }
  if (++code.wrong_tries >= kMaxWrongCodeTries) {
    address->pending.reset();
    return CodeCheck::kVoided;
  }
  return CodeCheck::kWrong;
}

}  // namespace hail::server::forward
