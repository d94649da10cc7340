#include "server/forward/sms_text.h"

#include <cassert>
#include <vector>

namespace hail::server::forward {
namespace {

constexpr char32_t kReplacement = 0xFFFD;

// Decodes UTF-8 strictly (no overlong forms, no surrogates, nothing above
// U+10FFFF); each byte that does not start a valid sequence is U+FFFD.
std::vector<char32_t> DecodeUtf8(std::string_view utf8) {
  std::vector<char32_t> out;
  out.reserve(utf8.size());
  size_t i = 0;
  while (i < utf8.size()) {
    const auto lead = static_cast<unsigned char>(utf8[i]);
    size_t length = 0;
    char32_t code = 0;
    char32_t minimum = 0;
    if (lead < 0x80) {
      out.push_back(lead);
      ++i;
      continue;
    } else if (lead >= 0xC2 && lead <= 0xDF) {
      length = 2, code = lead & 0x1F, minimum = 0x80;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
      length = 3, code = lead & 0x0F, minimum = 0x800;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
      length = 4, code = lead & 0x07, minimum = 0x10000;
    }
    bool valid = length != 0 && i + length <= utf8.size();
    for (size_t k = 1; valid && k < length; ++k) {
      const auto next = static_cast<unsigned char>(utf8[i + k]);
      if ((next & 0xC0) != 0x80) {
        valid = false;
      } else {
        code = (code << 6) | (next & 0x3F);
      }
    }
    if (valid && code >= minimum && code <= 0x10FFFF &&
        !(code >= 0xD800 && code <= 0xDFFF)) {
      out.push_back(code);
      i += length;
    } else {
      out.push_back(kReplacement);
      ++i;
    }
  }
  return out;
}

size_t UnitsOf(char32_t code) { return code > 0xFFFF ? 2 : 1; }

size_t CapacityUnits(int max_messages) {
  return max_messages == 1
             ? kSinglePartUnits
             : kConcatenatedPartUnits * static_cast<size_t>(max_messages);
}

}  // namespace

void AppendUtf8(char32_t code, std::string& out) {
  if (code < 0x80) {
    out.push_back(static_cast<char>(code));
  } else if (code < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (code >> 6)));
    out.push_back(static_cast<char>(0x80 | (code & 0x3F)));
  } else if (code < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (code >> 12)));
    out.push_back(static_cast<char>(0x80 | ((code >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (code & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (code >> 18)));
    out.push_back(static_cast<char>(0x80 | ((code >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((code >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (code & 0x3F)));
  }
}

size_t Utf16Units(std::string_view utf8) {
  size_t units = 0;
  for (char32_t code : DecodeUtf8(utf8)) units += UnitsOf(code);
  return units;
}

int SmsPartsFor(size_t units) {
  if (units <= kSinglePartUnits) return 1;
  return static_cast<int>((units + kConcatenatedPartUnits - 1) /
                          kConcatenatedPartUnits);
}

std::string CutNote(size_t omitted_characters) {
  return " [cut: " + std::to_string(omitted_characters) + " more characters]";
}

SmsText ComposeSmsText(std::string_view sender, std::string_view text,
                       int max_messages) {
  assert(max_messages >= 1);
  std::string whole(sender);
  whole += ": ";
  whole += text;
  const std::vector<char32_t> codes = DecodeUtf8(whole);
  size_t total_units = 0;
  for (char32_t code : codes) total_units += UnitsOf(code);

  const size_t capacity = CapacityUnits(max_messages);
  SmsText result;
  size_t kept = codes.size();
  if (total_units > capacity) {
    // The note is sized for the most characters that could be left out;
    // the real count is never longer, so kept text + note still fits.
    const size_t note_units = CutNote(codes.size()).size();
    assert(note_units < capacity);
    const size_t budget = capacity - note_units;
    size_t units = 0;
    kept = 0;
    while (kept < codes.size() && units + UnitsOf(codes[kept]) <= budget) {
      units += UnitsOf(codes[kept]);
      ++kept;
    }
    result.cut = true;
    result.omitted_characters = codes.size() - kept;
  }
  for (size_t i = 0; i < kept; ++i) {
    AppendUtf8(codes[i], result.utf8);
    result.utf16_units += UnitsOf(codes[i]);
  }
  if (result.cut) {
    const std::string note = CutNote(result.omitted_characters);
    result.utf8 += note;
    result.utf16_units += note.size();  // ASCII: one unit per byte
  }
  assert(result.utf16_units <= capacity);
  result.parts = SmsPartsFor(result.utf16_units);
  return result;
}

}  // namespace hail::server::forward
