// How `hail` describes events for people (`hail chat`, `hail listen`
// without --json, `hail inbox`): one line each, starting with "[time]" for
// messages, "->" for what became of one's own messages and "*" for
// notices. Text from other users passes through TerminalSafe first, so it
// cannot move the cursor, change colours or start a line of its own that
// would pass for hail's output; only a message's text keeps its lines,
// each after the first behind kContinuation (MessageTextSafe).
#ifndef HAIL_CLIENT_EVENT_TEXT_H_
#define HAIL_CLIENT_EVENT_TEXT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "client/events.h"

namespace hail::client {

// The event as text without a trailing newline (a message with several
// lines keeps them); nullopt for events with nothing worth a line (an empty
// mailbox, say).
std::optional<std::string> EventText(const Event& event);

// What a connecting client waits for now, without the leading "* ":
// "waiting for the server's COOKIE (attempt 2)".
std::string ConnectProgressText(const ConnectProgress& progress);

// `text` on one line: every control character (C0 with newline, DEL and
// the C1 range) replaced by '?'. Invalid UTF-8 is kept as it is.
std::string TerminalSafe(std::string_view text);

// What starts each line of a message after its first: no line of hail's
// own output starts so.
inline constexpr std::string_view kContinuation = "  | ";

// A message's text for the terminal: TerminalSafe line by line, lines after
// the first behind kContinuation, so "hi\n[11:45] alice: fake" cannot pass
// for a second message.
std::string MessageTextSafe(std::string_view text);

// "07:30" for minute 450 of the day (forwarding quiet hours).
std::string MinuteOfDayText(uint16_t minute);
// "UTC+01:00", "UTC-05:30" for an offset in minutes.
std::string UtcOffsetText(int16_t minutes);

// "14:03" for a time today (local time), "2025-01-31 14:03" otherwise;
// `now_unix` says what today is.
std::string FormatWhen(uint64_t unix_seconds, uint64_t now_unix);

}  // namespace hail::client

#endif  // HAIL_CLIENT_EVENT_TEXT_H_
