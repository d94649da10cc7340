// Makes untrusted capture bytes safe to print (SPEC.md section 16: nothing a
// peer sends may drive the reader's terminal or break a JSON consumer).
#ifndef HAIL_TOOLS_DISSECT_ESCAPE_H_
#define HAIL_TOOLS_DISSECT_ESCAPE_H_

#include <string>
#include <string_view>

namespace hail::dissect {

// For terminals: valid UTF-8 is kept except control characters (C0, DEL and
// C1), which become \n, \r, \t or \xNN / \u00NN; every byte that is not part
// of valid UTF-8 becomes \xNN; a backslash becomes \\. The result is
// printable ASCII plus printable non-ASCII UTF-8.
std::string EscapeText(std::string_view text);

// For JSON string values: invalid UTF-8 bytes become the four characters
// \xNN, C1 controls \u00NN, then protocol::JsonEscape handles quotes,
// backslashes and C0/DEL. The result is valid UTF-8 JSON string content.
std::string JsonString(std::string_view text);

}  // namespace hail::dissect

#endif  // HAIL_TOOLS_DISSECT_ESCAPE_H_
