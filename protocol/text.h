// Text helpers for every program that prints protocol data (logs, CLI JSON,
// dissector): untrusted bytes never reach a terminal or a JSON consumer
// unescaped.
#ifndef HAIL_PROTOCOL_TEXT_H_
#define HAIL_PROTOCOL_TEXT_H_

#include <string>
#include <string_view>

namespace hail::protocol {

// Escapes `text` for use inside a JSON string literal: quote, backslash, and
// every control character (including DEL) as \n, \r, \t or \u00XX.
std::string JsonEscape(std::string_view text);

}  // namespace hail::protocol

#endif  // HAIL_PROTOCOL_TEXT_H_
