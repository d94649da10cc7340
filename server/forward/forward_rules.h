// The recipient's decision, made pure (issue 11): whether a message that
// waits in a user's mailbox is forwarded on each channel, and when; and the
// check of the code that proves an address. No clock, no I/O: `now` and
// the facts about the sender come in, a decision per channel comes out.
//
// Nobody can make the server write to a stranger: only a verified address
// is ever used, only for messages from accepted contacts the recipient has
// not blocked (and, in list mode, only for the listed ones), at most
// daily_cap times a local day per channel, never in quiet hours.
#ifndef HAIL_SERVER_FORWARD_FORWARD_RULES_H_
#define HAIL_SERVER_FORWARD_FORWARD_RULES_H_

#include <array>
#include <cstdint>
#include <functional>
#include <string_view>

#include "protocol/status.h"
#include "server/forward/forward_settings.h"

namespace hail::server::forward {

inline constexpr size_t kCodeDigits = protocol::kForwardCodeLength;
inline constexpr uint64_t kCodeLifetimeSeconds = 30 * 60;
inline constexpr uint8_t kMaxWrongCodeTries = 5;

// Ok, or InvalidArgument naming the first field out of its bounds
// (forward_settings.h): after_minutes, quiet hours, daily_cap, the offset,
// the contact list, an empty or over-long address (1..254 bytes), a
// pending code that is not kCodeDigits digits.
Status ValidateSettings(const ForwardSettings& settings);

// Why a channel does not forward a message.
enum class SkipReason : uint8_t {
  kNone = 0,               // it does forward
  kNoVerifiedAddress = 1,  // no address on the channel, or not verified
  kRuleOff = 2,            // the channel's rule is not enabled
  kBlocked = 3,            // the recipient blocked the sender
  kNotAContact = 4,        // the sender is not an accepted contact
  kNotInContactList = 5,   // list mode, and the sender is not listed
  kDailyCapReached = 6,    // daily_cap jobs already due that local day
};
const char* SkipReasonName(SkipReason reason);  // "no_verified_address", ...

// What the decision needs to know besides the recipient's settings.
struct MessageFacts {
  uint64_t sender = 0;
  bool blocked_by_recipient = false;
  bool sender_is_contact = false;  // an accepted contact of the recipient
  uint64_t accepted_unix = 0;      // when the server accepted the message
  uint64_t now_unix = 0;
  // How many jobs the recipient already has on `channel` that are due on
  // `local_day` (LocalDay of their due time) and were not cancelled.
  // Called only for channels that pass every other check.
  std::function<uint32_t(Channel channel, int64_t local_day)> jobs_on_day;
};

struct ChannelDecision {
  Channel channel = Channel::kEmail;
  SkipReason reason = SkipReason::kNone;
  // When reason is kNone: when to hand the message to the gateway.
  uint64_t due_unix = 0;

  bool forward() const { return reason == SkipReason::kNone; }
};

// One decision per channel, in channel order (e-mail, SMS, fax). The due
// time is the later of accepted_unix + after_minutes and now_unix, moved
// to the end of the quiet hours when it falls inside them.
// REQUIRES: ValidateSettings(settings).ok(); facts.jobs_on_day is set.
std::array<ChannelDecision, kChannelCount> DecideForwarding(
    const ForwardSettings& settings, const MessageFacts& facts);

// Days since 1970-01-01 in the user's local time.
int64_t LocalDay(uint64_t unix_seconds, int16_t utc_offset_minutes);

// True when `unix_seconds` falls in the rule's quiet hours.
bool InQuietHours(uint64_t unix_seconds, uint16_t quiet_start,
                  uint16_t quiet_end, int16_t utc_offset_minutes);

// `unix_seconds` itself when outside the quiet hours, else the first
// second after they end.
uint64_t PastQuietHours(uint64_t unix_seconds, uint16_t quiet_start,
                        uint16_t quiet_end, int16_t utc_offset_minutes);

// --- codes ---

// A fresh code of kCodeDigits uniformly random digits (libsodium).
VerificationCode NewVerificationCode(uint64_t now_unix);

enum class CodeCheck : uint8_t {
  kVerified = 0,  // the code matched: the address is verified
  kWrong = 1,     // it did not; one more wrong try counted
  kVoided = 2,    // it did not, and that was the last try: code dropped
  kExpired = 3,   // older than kCodeLifetimeSeconds: code dropped
  kNoCode = 4,    // nothing pending (never sent, used, voided, expired)
};

// Checks `typed` against the address's pending code, comparing in
// constant time (sodium_memcmp), and updates `address`: verified and the
// code dropped on a match, wrong_tries counted otherwise, the code dropped
// once expired or at kMaxWrongCodeTries wrong tries.
CodeCheck CheckCode(ForwardAddress* address, std::string_view typed,
                    uint64_t now_unix);

}  // namespace hail::server::forward

#endif  // HAIL_SERVER_FORWARD_FORWARD_RULES_H_
