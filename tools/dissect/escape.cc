#include "tools/dissect/escape.h"

#include <cstdint>

#include "protocol/text.h"

namespace hail::dissect {
namespace {

constexpr char kHex[] = "0123456789abcdef";

void AppendByteEscape(std::string* out, uint8_t byte) {
  out->append("\\x");
  out->push_back(kHex[byte >> 4]);
  out->push_back(kHex[byte & 0xf]);
}

// Length of the valid UTF-8 sequence starting at text[i] (1..4), or 0 when
// the byte there does not start one (overlong forms, surrogates and values
// above U+10FFFF are invalid).
size_t Utf8SequenceLength(std::string_view text, size_t i) {
  auto at = [&](size_t k) { return static_cast<uint8_t>(text[k]); };
  uint8_t b0 = at(i);
  size_t n;
  uint32_t min;
  uint32_t cp;
  if (b0 < 0x80) return 1;
  if ((b0 & 0xe0) == 0xc0) {
    n = 2;
    min = 0x80;
    cp = b0 & 0x1f;
  } else if ((b0 & 0xf0) == 0xe0) {
    n = 3;
    min = 0x800;
    cp = b0 & 0x0f;
  } else if ((b0 & 0xf8) == 0xf0) {
    n = 4;
    min = 0x10000;
    cp = b0 & 0x07;
  } else {
    return 0;
  }
  if (text.size() - i < n) return 0;
  for (size_t k = 1; k < n; ++k) {
    uint8_t b = at(i + k);
    if ((b & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (b & 0x3f);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
  return n;
}

// True for the two-byte encodings of U+0080..U+009F (C1 controls).
bool IsC1(std::string_view text, size_t i, size_t n) {
  return n == 2 && static_cast<uint8_t>(text[i]) == 0xc2 &&
         static_cast<uint8_t>(text[i + 1]) < 0xa0;
}

}  // namespace

std::string EscapeText(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    size_t n = Utf8SequenceLength(text, i);
    auto byte = static_cast<uint8_t>(text[i]);
    if (n == 0) {
      AppendByteEscape(&out, byte);
      i += 1;
      continue;
    }
    if (n == 1) {
      switch (byte) {
        case '\\':
          out.append("\\\\");
          break;
        case '\n':
          out.append("\\n");
          break;
        case '\r':
          out.append("\\r");
          break;
        case '\t':
          out.append("\\t");
          break;
        default:
          if (byte < 0x20 || byte == 0x7f) {
            AppendByteEscape(&out, byte);
          } else {
            out.push_back(static_cast<char>(byte));
          }
      }
    } else if (IsC1(text, i, n)) {
      out.append("\\u00");
      uint8_t cp = static_cast<uint8_t>(text[i + 1]);
      out.push_back(kHex[cp >> 4]);
      out.push_back(kHex[cp & 0xf]);
    } else {
      out.append(text.substr(i, n));
    }
    i += n;
  }
  return out;
}

std::string JsonString(std::string_view text) {
  // Text that JsonEscape may take as is (valid UTF-8 without C1 controls),
  // flushed before each C1 control, which JsonEscape would leave raw.
  std::string out;
  std::string clean;
  clean.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    size_t n = Utf8SequenceLength(text, i);
    if (n == 0) {
      AppendByteEscape(&clean, static_cast<uint8_t>(text[i]));
      i += 1;
      continue;
    }
    if (IsC1(text, i, n)) {
      out += protocol::JsonEscape(clean);
      clean.clear();
      out.append("\\u00");
      auto cp = static_cast<uint8_t>(text[i + 1]);
      out.push_back(kHex[cp >> 4]);
      out.push_back(kHex[cp & 0xf]);
    } else {
      clean.append(text.substr(i, n));
    }
    i += n;
  }
  return out + protocol::JsonEscape(clean);
}

}  // namespace hail::dissect
