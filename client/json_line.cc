#include "client/json_line.h"

#include <fmt/format.h>

namespace hail::client {

std::string JsonQuote(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
          out += fmt::format("\\u{:04x}", static_cast<unsigned char>(c));
        } else {
          out += c;
        }
    }
  }
  out += '"';
  return out;
}

void JsonLine::AddKey(std::string_view key) {
  if (!body_.empty()) body_ += ',';
  body_ += JsonQuote(key);
  body_ += ':';
}

JsonLine& JsonLine::AddString(std::string_view key, std::string_view value) {
  AddKey(key);
  body_ += JsonQuote(value);
  return *this;
}

JsonLine& JsonLine::AddNumber(std::string_view key, int64_t value) {
  AddKey(key);
  body_ += std::to_string(value);
  return *this;
}

JsonLine& JsonLine::AddUnsigned(std::string_view key, uint64_t value) {
  AddKey(key);
  body_ += std::to_string(value);
  return *this;
}

JsonLine& JsonLine::AddBool(std::string_view key, bool value) {
  AddKey(key);
  body_ += value ? "true" : "false";
  return *this;
}

}  // namespace hail::client
