// The rules of extended delivery's settings (SPEC.md section 17): channels,
// address syntax, verification codes, rule ranges and the contact list.
// Shared by the server (which enforces them) and clients (which check
// before sending). Pure functions, no I/O.
#ifndef HAIL_PROTOCOL_FORWARD_RULES_H_
#define HAIL_PROTOCOL_FORWARD_RULES_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hail::protocol {

enum class ForwardChannel : uint8_t { kEmail = 1, kSms = 2, kFax = 3 };
inline constexpr uint8_t kForwardChannelFirst = 1;
inline constexpr uint8_t kForwardChannelEnd = 4;

// Whom a rule forwards for.
enum class ForwardContactsMode : uint8_t {
  kAll = 0,   // every accepted contact
  kList = 1,  // only the accepted contacts the rule names
};

// What a FORWARD_NOTICE tells the sender.
enum class ForwardState : uint8_t {
  kHandedOver = 1,  // the gateway accepted the job
  kDelivered = 2,   // the operator reported delivery (SMS delivery report)
  kFailed = 3,      // given up; the notice's reason says why
};

// Wire and value limits (section 17.2 and 17.4).
inline constexpr size_t kForwardAddressMaxLength = 254;
inline constexpr size_t kEmailLocalPartMaxLength = 64;
inline constexpr size_t kE164MinDigits = 8;
inline constexpr size_t kE164MaxDigits = 15;
inline constexpr size_t kForwardCodeLength = 6;
inline constexpr uint16_t kForwardMinAfterMinutes = 1;
inline constexpr uint16_t kForwardMaxAfterMinutes = 1440;
inline constexpr uint16_t kForwardDefaultAfterMinutes = 10;
inline constexpr uint16_t kMinutesPerDay = 1440;
inline constexpr int16_t kForwardMinUtcOffset = -840;
inline constexpr int16_t kForwardMaxUtcOffset = 840;
inline constexpr uint16_t kForwardMinDailyCap = 1;
inline constexpr uint16_t kForwardMaxDailyCap = 100;
inline constexpr uint16_t kForwardDefaultDailyCap = 10;
inline constexpr size_t kForwardMaxContacts = 64;
// 64 names of at most 32 bytes and the 63 commas between them.
inline constexpr size_t kForwardContactsMaxLength = 64 * 32 + 63;
inline constexpr size_t kForwardReasonMaxLength = 128;

// "email", "sms", "fax"; nullopt for anything else.
std::optional<ForwardChannel> ForwardChannelFromName(std::string_view name);
// "email", "sms", "fax", or "channel N" for unknown values.
std::string ForwardChannelName(uint8_t channel);
// What users read: "e-mail", "SMS", "fax", or "channel N".
std::string ForwardChannelLabel(uint8_t channel);

// The practical e-mail syntax of section 17.2: dot-atom local part of at
// most 64 bytes, "@", a domain of two or more LDH labels; 254 bytes at most.
bool IsValidEmailAddress(std::string_view address);
// E.164 as section 17.2 writes it: "+", then 8..15 digits, not starting 0.
bool IsValidE164Number(std::string_view number);
// The address rule of `channel`; false for unknown channels.
bool IsValidForwardAddress(uint8_t channel, std::string_view address);
// Exactly six ASCII digits.
bool IsValidForwardCode(std::string_view code);

// Splits a rule's contacts field: names separated by single commas, each a
// valid username (section 7.1), 1..64 of them. Returns the canonical names
// in the given order without repeats, or nullopt when the field breaks the
// rule. An empty field gives an empty list.
std::optional<std::vector<std::string>> ParseForwardContacts(
    std::string_view contacts);
// The contacts field for `names` (joined with commas).
std::string JoinForwardContacts(const std::vector<std::string>& names);

struct ForwardRuleFields;  // protocol/forward_messages.h

// True when every rule field is in its range (section 17.4) and the
// contacts field agrees with contacts_mode; names are not looked up.
bool AreValidForwardRules(const ForwardRuleFields& rule);

}  // namespace hail::protocol

#endif  // HAIL_PROTOCOL_FORWARD_RULES_H_
