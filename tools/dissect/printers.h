// Renders a DatagramResult for people (one line, or a -V tree) and for
// programs (one JSON object per datagram). Every string that came from the
// capture is escaped (escape.h); secret fields (protocol::Sensitivity)
// print as "<secret>" unless show_secrets.
#ifndef HAIL_TOOLS_DISSECT_PRINTERS_H_
#define HAIL_TOOLS_DISSECT_PRINTERS_H_

#include <string>
#include <string_view>

#include "tools/dissect/dissector.h"

namespace hail::dissect {

struct PrintOptions {
  bool show_secrets = false;
};

inline constexpr std::string_view kSecretPlaceholder = "<secret>";

// "SECONDS.MICROS" with six digits of microseconds.
std::string FormatTime(int64_t seconds, int64_t microseconds);

// "TIME SRC -> DST SUMMARY\n".
std::string FormatLine(const DatagramResult& result,
                       const PrintOptions& options);
// A tshark -V style tree of every layer and field, ending with a blank line.
std::string FormatTree(const DatagramResult& result,
                       const PrintOptions& options);
// One JSON object and "\n"; the shape is documented in README.md
// ("Looking at the wire: hail-dissect").
std::string FormatJson(const DatagramResult& result,
                       const PrintOptions& options);

// --kind: a Hail frame of that kind (registry name) is in the datagram.
bool HasKind(const DatagramResult& result, std::string_view kind);
// --user: a decoded username, sender, recipient or from_username equals
// `user`.
bool MentionsUser(const DatagramResult& result, std::string_view user);

}  // namespace hail::dissect

#endif  // HAIL_TOOLS_DISSECT_PRINTERS_H_
