#include "protocol/account_rules.h"

#include <cstdint>

namespace hail::protocol {

std::optional<std::string> NormalizeUsername(std::string_view name) {
  if (name.size() < kUsernameMinLength || name.size() > kUsernameMaxLength) {
    return std::nullopt;
  }
  std::string out;
  out.reserve(name.size());
  for (char c : name) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    bool letter = c >= 'a' && c <= 'z';
    bool digit = c >= '0' && c <= '9';
    bool mark = c == '.' || c == '_' || c == '-';
    if (!letter && !digit && !mark) return std::nullopt;
    if (out.empty() && !letter) return std::nullopt;
    out.push_back(c);
  }
  return out;
}

bool IsValidUtf8(std::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    uint8_t b = static_cast<uint8_t>(text[i]);
    size_t extra;
    uint32_t cp;
    if (b < 0x80) {
      ++i;
      continue;
    } else if ((b & 0xe0) == 0xc0) {
      extra = 1;
      cp = b & 0x1f;
    } else if ((b & 0xf0) == 0xe0) {
      extra = 2;
      cp = b & 0x0f;
    } else if ((b & 0xf8) == 0xf0) {
      extra = 3;
      cp = b & 0x07;
    } else {
      return false;
    }
    if (text.size() - i <= extra) return false;
    for (size_t k = 1; k <= extra; ++k) {
      uint8_t c = static_cast<uint8_t>(text[i + k]);
      if ((c & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (c & 0x3f);
    }
    static constexpr uint32_t kMinForLength[] = {0, 0x80, 0x800, 0x10000};
    if (cp < kMinForLength[extra] || cp > 0x10ffff) return false;
    if (cp >= 0xd800 && cp <= 0xdfff) return false;
    i += extra + 1;
  }
  return true;
}

bool IsAcceptablePassword(std::string_view password) {
  if (password.size() < kPasswordMinLength ||
      password.size() > kPasswordMaxLength) {
    return false;
  }
  if (password.find('\0') != std::string_view::npos) return false;
  return IsValidUtf8(password);
}

bool IsAcceptableClientVersion(std::string_view version) {
  if (version.empty() || version.size() > kClientVersionMaxLength) return false;
  for (char c : version) {
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

}  // namespace hail::protocol
