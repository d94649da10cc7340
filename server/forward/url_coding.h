// Percent-encoding of URL query values (RFC 3986), as the SMS gateway
// builds Kannel's sendsms query and parses Kannel's delivery report
// callbacks. Pure functions, no I/O.
#ifndef HAIL_SERVER_FORWARD_URL_CODING_H_
#define HAIL_SERVER_FORWARD_URL_CODING_H_

#include <optional>
#include <string>
#include <string_view>

namespace hail::server::forward {

// Every byte except the unreserved ones (A-Z a-z 0-9 - . _ ~) becomes %XX
// (upper-case hex), so the result is safe as a query value.
std::string PercentEncode(std::string_view bytes);

// Decodes %XX (either case) and, as in HTML forms, '+' as a space. Returns
// nullopt for a '%' not followed by two hex digits.
std::optional<std::string> PercentDecode(std::string_view encoded);

}  // namespace hail::server::forward

#endif  // HAIL_SERVER_FORWARD_URL_CODING_H_
