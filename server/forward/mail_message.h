// The e-mail a forwarded Hail message becomes (SPEC.md 17.5): an RFC 5322
// message in UTF-8 that any mail system reads as written, whatever the
// script: RFC 2047 encoded words in the header, a base64 text/plain body.
// Pure functions, no I/O.
#ifndef HAIL_SERVER_FORWARD_MAIL_MESSAGE_H_
#define HAIL_SERVER_FORWARD_MAIL_MESSAGE_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "server/forward/gateway.h"

namespace hail::server::forward {

struct MailIdentity {
  // The address forwarded mail comes from (envelope and From header).
  std::string from_address;
  // The right-hand side of Message-ID; empty: the domain of from_address.
  std::string message_id_domain;
};

// An address forwarding accepts (SPEC.md 17.2): local@domain, at most 254
// bytes, printable ASCII without spaces, quotes, angle brackets, commas or
// semicolons, one '@' with a non-empty part on each side and a dot in the
// domain. Stricter than RFC 5321 on purpose: nothing in it can change the
// meaning of a header or an SMTP command.
bool IsForwardableMailAddress(std::string_view address);

// The whole message, header and body, lines ended by CRLF.
std::string ComposeMail(const ForwardJob& job, const MailIdentity& identity);

// `text` as a header value: unchanged when it is printable ASCII, else as
// RFC 2047 "B" encoded words of at most 75 characters each, folded onto
// continuation lines, never splitting a UTF-8 sequence.
std::string EncodeHeaderText(std::string_view text);

// RFC 5322 date-time of `unix_seconds` in UTC ("Fri, 04 Dec 2026 00:05:00
// +0000"), independent of the locale.
std::string MailDate(uint64_t unix_seconds);

// Base64 (RFC 2045) in lines of 76 characters ended by CRLF.
std::string Base64Lines(std::string_view bytes);

}  // namespace hail::server::forward

#endif  // HAIL_SERVER_FORWARD_MAIL_MESSAGE_H_
