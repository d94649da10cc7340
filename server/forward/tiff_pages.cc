#include "server/forward/tiff_pages.h"

#include <set>

namespace hail::server::forward {
namespace {

constexpr uint16_t kTagImageWidth = 256;
constexpr uint16_t kTagImageLength = 257;
constexpr uint16_t kTagCompression = 259;
constexpr uint16_t kTypeShort = 3;
constexpr uint16_t kTypeLong = 4;
constexpr size_t kMaxPages = 10000;
constexpr uint32_t kFaxWidth = 1728;
constexpr uint32_t kCompressionG3 = 3;

// Reads integers of one byte order from `bytes`; every read is bounds
// checked and reports failure instead of reading past the end.
class Reader {
 public:
  Reader(std::string_view bytes, bool little_endian)
      : bytes_(bytes), little_endian_(little_endian) {}

  bool Read(size_t offset, size_t width, uint32_t& value) const {
    if (offset > bytes_.size() || bytes_.size() - offset < width) return false;
    value = 0;
    for (size_t i = 0; i < width; ++i) {
      uint32_t byte = static_cast<uint8_t>(bytes_[offset + i]);
      value |= little_endian_ ? byte << (8 * i) : byte << (8 * (width - 1 - i));
    }
    return true;
  }

 private:
  std::string_view bytes_;
  bool little_endian_;
};

}  // namespace

std::optional<std::vector<TiffPage>> ReadTiffPages(std::string_view bytes) {
  if (bytes.size() < 8) return std::nullopt;
  bool little_endian;
  if (bytes.substr(0, 4) == std::string_view("II*\0", 4)) {
    little_endian = true;
  } else if (bytes.substr(0, 4) == std::string_view("MM\0*", 4)) {
    little_endian = false;
  } else {
    return std::nullopt;
  }
  Reader reader(bytes, little_endian);
  uint32_t offset = 0;
  if (!reader.Read(4, 4, offset)) return std::nullopt;
  std::vector<TiffPage> pages;
  std::set<uint32_t> seen;
  while (offset != 0) {
    if (pages.size() >= kMaxPages || !seen.insert(offset).second) break;
    uint32_t entries = 0;
    if (!reader.Read(offset, 2, entries)) return std::nullopt;
    TiffPage page;
    for (uint32_t i = 0; i < entries; ++i) {
      size_t entry = offset + 2 + 12 * static_cast<size_t>(i);
      uint32_t tag = 0, type = 0, value = 0;
      if (!reader.Read(entry, 2, tag) || !reader.Read(entry + 2, 2, type)) {
        return std::nullopt;
      }
      if (type == kTypeShort) {
        if (!reader.Read(entry + 8, 2, value)) return std::nullopt;
      } else if (type == kTypeLong) {
        if (!reader.Read(entry + 8, 4, value)) return std::nullopt;
      } else {
        continue;
      }
      if (tag == kTagImageWidth) page.width = value;
      if (tag == kTagImageLength) page.length = value;
      if (tag == kTagCompression) page.compression = value;
    }
    pages.push_back(page);
    if (!reader.Read(offset + 2 + 12 * static_cast<size_t>(entries), 4,
                     offset)) {
      return std::nullopt;
    }
  }
  return pages;
}

bool IsFaxG3(const std::vector<TiffPage>& pages) {
  if (pages.empty()) return false;
  for (const TiffPage& page : pages) {
    if (page.compression != kCompressionG3 || page.width != kFaxWidth) {
      return false;
    }
  }
  return true;
}

}  // namespace hail::server::forward
