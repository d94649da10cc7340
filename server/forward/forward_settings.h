// A user's extended-delivery settings (issue 11): at most one address per
// channel, each proven by a code before use, and the rule that decides
// when a message waiting in the user's mailbox is forwarded on that
// channel. Plain values: stored as one fwdset/ record (SPEC.md 14.2,
// forward_records.h), decided on by forward_rules.h.
#ifndef HAIL_SERVER_FORWARD_FORWARD_SETTINGS_H_
#define HAIL_SERVER_FORWARD_FORWARD_SETTINGS_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "server/forward/gateway.h"

namespace hail::server::forward {

inline constexpr size_t kChannelCount = 3;

// 0 for e-mail, 1 for SMS, 2 for fax. REQUIRES: a known channel.
inline size_t ChannelIndex(Channel channel) {
  return static_cast<size_t>(channel) - 1;
}
inline Channel ChannelAt(size_t index) {
  return static_cast<Channel>(index + 1);
}

// A code sent over the channel that the user must echo back.
struct VerificationCode {
  std::string digits;         // exactly kCodeDigits ASCII digits
  uint64_t created_unix = 0;  // valid for kCodeLifetimeSeconds from here
  uint8_t wrong_tries = 0;    // kMaxWrongCodeTries void the code

  friend bool operator==(const VerificationCode&,
                         const VerificationCode&) = default;
};

struct ForwardAddress {
  // As the user gave it: an e-mail address, or a phone or fax number in
  // E.164 form. Shown only to that user and the operator.
  std::string address;
  bool verified = false;
  std::optional<VerificationCode> pending;

  friend bool operator==(const ForwardAddress&,
                         const ForwardAddress&) = default;
};

using ContactsMode = protocol::ForwardContactsMode;

// Bounds of a rule (SPEC.md 17.4, the protocol's numbers);
// ValidateSettings (forward_rules.h) enforces them.
inline constexpr uint16_t kMinAfterMinutes = protocol::kForwardMinAfterMinutes;
inline constexpr uint16_t kMaxAfterMinutes = protocol::kForwardMaxAfterMinutes;
inline constexpr uint16_t kMinutesPerDay = protocol::kMinutesPerDay;
inline constexpr uint8_t kMinDailyCap = protocol::kForwardMinDailyCap;
inline constexpr uint8_t kMaxDailyCap = protocol::kForwardMaxDailyCap;
inline constexpr int16_t kMinUtcOffsetMinutes = protocol::kForwardMinUtcOffset;
inline constexpr int16_t kMaxUtcOffsetMinutes = protocol::kForwardMaxUtcOffset;
inline constexpr size_t kMaxRuleContacts = protocol::kForwardMaxContacts;

struct ForwardRule {
  bool enabled = false;
  // A message is forwarded once it has waited this long in the mailbox.
  uint16_t after_minutes = 10;
  // Minutes of the user's local day, 0..1439. Nothing is forwarded from
  // quiet_start up to (not including) quiet_end; a start after the end
  // crosses midnight; equal values mean no quiet hours.
  uint16_t quiet_start = 0;
  uint16_t quiet_end = 0;
  // Jobs per local day (of their due time) on this channel.
  uint8_t daily_cap = 10;
  ContactsMode contacts_mode = ContactsMode::kAll;
  std::vector<uint64_t> contacts;  // user ids, kList only; at most 64

  friend bool operator==(const ForwardRule&, const ForwardRule&) = default;
};

struct ChannelSettings {
  std::optional<ForwardAddress> address;
  ForwardRule rule;

  friend bool operator==(const ChannelSettings&,
                         const ChannelSettings&) = default;
};

struct ForwardSettings {
  // The user's offset from UTC for quiet hours and daily caps.
  int16_t utc_offset_minutes = 0;
  std::array<ChannelSettings, kChannelCount> channels;

  ChannelSettings& of(Channel channel) {
    return channels[ChannelIndex(channel)];
  }
  const ChannelSettings& of(Channel channel) const {
    return channels[ChannelIndex(channel)];
  }

  friend bool operator==(const ForwardSettings&,
                         const ForwardSettings&) = default;
};

}  // namespace hail::server::forward

#endif  // HAIL_SERVER_FORWARD_FORWARD_SETTINGS_H_
