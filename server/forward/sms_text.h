// The text of one forwarded SMS (SPEC.md 17): "<sender>: <text>", sent as
// UCS-2 (Kannel's coding=2) and cut by Hail, never by Kannel, to fit the
// number of concatenated parts smsbox sends at most (its max-messages).
// Kannel silently drops whatever does not fit in max-messages parts, so the
// gateway cuts first and says so in the text. Pure functions, no I/O.
#ifndef HAIL_SERVER_FORWARD_SMS_TEXT_H_
#define HAIL_SERVER_FORWARD_SMS_TEXT_H_

#include <cstddef>
#include <string>
#include <string_view>

namespace hail::server::forward {

// UCS-2 capacity of one SMS: 140 octets, of which a concatenated part
// spends 6 on its user data header (GSM 03.40).
inline constexpr size_t kSinglePartUnits = 70;
inline constexpr size_t kConcatenatedPartUnits = 67;

struct SmsText {
  std::string utf8;               // the text handed to Kannel, valid UTF-8
  size_t utf16_units = 0;         // its length in UTF-16 code units
  int parts = 0;                  // SMS parts Kannel makes of it
  bool cut = false;               // the sender's text did not fit
  size_t omitted_characters = 0;  // code points left out when cut
};

// Length of `utf8` in UTF-16 code units: 2 for a code point above U+FFFF
// (a surrogate pair), else 1. Each invalid byte counts as one U+FFFD.
size_t Utf16Units(std::string_view utf8);

// Appends code point `code` (at most U+10FFFF) to `out` as UTF-8.
void AppendUtf8(char32_t code, std::string& out);

// How many parts Kannel splits a UCS-2 text of `units` code units into:
// 1 up to kSinglePartUnits, else ceil(units / kConcatenatedPartUnits).
int SmsPartsFor(size_t units);

// The note that ends a cut text: " [cut: N more characters]", N being the
// code points left out.
std::string CutNote(size_t omitted_characters);

// "<sender>: <text>" (invalid UTF-8 bytes become U+FFFD). When that takes
// more than `max_messages` parts (70 units if max_messages is 1, else
// 67 * max_messages), it is cut at a code point boundary (never inside a
// UTF-8 sequence or a surrogate pair) so that the kept text plus CutNote
// fits. REQUIRES: max_messages >= 1.
SmsText ComposeSmsText(std::string_view sender, std::string_view text,
                       int max_messages);

}  // namespace hail::server::forward

#endif  // HAIL_SERVER_FORWARD_SMS_TEXT_H_
