#include "client/json_line.h"

#include <fmt/format.h>

#include "protocol/text.h"

namespace hail::client {

std::string JsonQuote(std::string_view text) {
  return "\"" + protocol::JsonEscape(text) + "\"";
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
