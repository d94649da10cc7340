// Builds one JSON object on one line, for `hail --json`. Keys are written in
// the order they are added; strings are escaped per RFC 8259 (bytes >= 0x80
// pass through, so valid UTF-8 stays valid).
#ifndef HAIL_CLIENT_JSON_LINE_H_
#define HAIL_CLIENT_JSON_LINE_H_

#include <cstdint>
#include <string>
#include <string_view>

namespace hail::client {

class JsonLine {
 public:
  JsonLine& AddString(std::string_view key, std::string_view value);
  JsonLine& AddNumber(std::string_view key, int64_t value);
  JsonLine& AddUnsigned(std::string_view key, uint64_t value);
  JsonLine& AddBool(std::string_view key, bool value);

  // The object with a trailing newline.
  std::string str() const { return "{" + body_ + "}\n"; }

 private:
  void AddKey(std::string_view key);
  std::string body_;
};

// `text` as a JSON string literal, quotes included.
std::string JsonQuote(std::string_view text);

}  // namespace hail::client

#endif  // HAIL_CLIENT_JSON_LINE_H_
