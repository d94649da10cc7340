// `hail forward ...`: the words and rule options of the extended-delivery
// commands (SPEC.md section 17), parsed without I/O so tests can drive it.
//
//   hail forward add email|sms|fax ADDRESS
//   hail forward verify CHANNEL CODE
//   hail forward remove CHANNEL
//   hail forward rules CHANNEL [--after MIN] [--quiet HH:MM-HH:MM|none]
//        [--utc-offset +HH:MM] [--cap N] [--contacts all|NAME,NAME] [--off]
//   hail forward list
#ifndef HAIL_CLIENT_FORWARD_CLI_H_
#define HAIL_CLIENT_FORWARD_CLI_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/forward_messages.h"
#include "protocol/forward_rules.h"
#include "protocol/status.h"

namespace hail::client {

// The rule options as typed; unset when not given.
struct ForwardRuleOptions {
  std::optional<std::string> after;
  std::optional<std::string> quiet;
  std::optional<std::string> utc_offset;
  std::optional<std::string> cap;
  std::optional<std::string> contacts;
  bool off = false;

  bool any() const {
    return after || quiet || utc_offset || cap || contacts || off;
  }
};

struct ForwardCommand {
  enum class Action : uint8_t { kAdd, kVerify, kRemove, kRules, kList };
  Action action = Action::kList;
  protocol::ForwardChannel channel = protocol::ForwardChannel::kEmail;
  std::string argument;  // kAdd: the address; kVerify: the code
  // kRules: the whole new rule. Options not given take the defaults of
  // SPEC.md 11.53 (after 10 min, no quiet hours, cap 10, all contacts).
  protocol::ForwardRuleFields rule;
  // kRules without --utc-offset: the runner puts this machine's offset in.
  bool utc_offset_given = false;
};

// The words after "forward". Rule options are only valid with "rules".
Result<ForwardCommand> ParseForwardCommand(
    const std::vector<std::string>& words, const ForwardRuleOptions& options);

// The same from one line of words, rule options inline (`hail chat`'s
// "/forward rules sms --after 30 --off").
Result<ForwardCommand> ParseForwardLine(std::string_view line);

// This machine's offset from UTC now, in minutes (0 when unknown). Reads
// the clock and the time zone.
int16_t LocalUtcOffsetMinutes();

// "HH:MM" (00:00..23:59) as a minute of the day.
std::optional<uint16_t> ParseMinuteOfDay(std::string_view text);
// "+HH:MM" or "-HH:MM" (at most 14:00) as minutes; "Z" and "0" are 0.
std::optional<int16_t> ParseUtcOffset(std::string_view text);

// One line per action for --help.
inline constexpr std::string_view kForwardUsage =
    "  forward add email|sms|fax ADDRESS\n"
    "                          forward offline messages to ADDRESS (an "
    "e-mail address,\n"
    "                          or a number as +4915112345678); a code is "
    "sent there\n"
    "  forward verify CHANNEL CODE\n"
    "                          prove the address with the code it received\n"
    "  forward remove CHANNEL  stop forwarding on CHANNEL and forget its "
    "address\n"
    "  forward rules CHANNEL [--after MIN] [--quiet HH:MM-HH:MM|none]\n"
    "                [--utc-offset +HH:MM] [--cap N] [--contacts "
    "all|NAME,NAME] [--off]\n"
    "                          replace CHANNEL's rule (defaults: after 10 "
    "min, no quiet\n"
    "                          hours, this machine's UTC offset, cap 10 a "
    "day, all contacts)\n"
    "  forward list            show your forwarding addresses and rules\n";

}  // namespace hail::client

#endif  // HAIL_CLIENT_FORWARD_CLI_H_
