#include "protocol/spec_blocks.h"

#include <sstream>

namespace hail::protocol {
namespace {

constexpr std::string_view kFence = "```";

// "## 11. Message registry" -> ("11", "Message registry");
// "### 11.12 LOGIN_REQUEST (0x0022)" -> ("11.12", "LOGIN_REQUEST (0x0022)").
// Nullopt for lines that are not a heading with a number.
std::optional<std::pair<std::string, std::string>> NumberedHeading(
    std::string_view line) {
  size_t hashes = line.find_first_not_of('#');
  if (hashes == 0 || hashes == std::string_view::npos) return std::nullopt;
  if (line[hashes] != ' ') return std::nullopt;
  std::string_view rest = line.substr(hashes + 1);
  size_t space = rest.find(' ');
  if (space == std::string_view::npos) return std::nullopt;
  std::string number(rest.substr(0, space));
  if (!number.empty() && number.back() == '.') number.pop_back();
  if (number.empty()) return std::nullopt;
  for (char c : number) {
    if (!(c == '.' || (c >= '0' && c <= '9'))) return std::nullopt;
  }
  return std::make_pair(number, std::string(rest.substr(space + 1)));
}

}  // namespace

std::vector<std::string> Lines(std::string_view text) {
  std::vector<std::string> lines;
  std::istringstream in{std::string(text)};
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::vector<SpecBlock> NamedBlocks(std::string_view spec) {
  std::vector<SpecBlock> blocks;
  std::vector<std::string> lines = Lines(spec);
  std::string section_number, section_title;
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string& line = lines[i];
    if (auto heading = NumberedHeading(line)) {
      section_number = heading->first;
      section_title = heading->second;
      continue;
    }
    if (line.rfind(kFence, 0) != 0) continue;
    // An opening fence: skip to its closing one, keeping named blocks.
    std::string_view info_string = std::string_view(line).substr(kFence.size());
    size_t space = info_string.find(' ');
    bool named = space != std::string_view::npos && space > 0 &&
                 space + 1 < info_string.size() &&
                 info_string.find(' ', space + 1) == std::string_view::npos;
    SpecBlock block;
    block.line = static_cast<int>(i + 1);
    for (++i; i < lines.size() && lines[i] != kFence; ++i) {
      block.text += lines[i] + "\n";
    }
    if (!named) continue;
    block.info = std::string(info_string.substr(0, space));
    block.name = std::string(info_string.substr(space + 1));
    block.section_number = section_number;
    block.section_title = section_title;
    blocks.push_back(std::move(block));
  }
  return blocks;
}

std::vector<SpecBlock> BlocksWithInfo(std::string_view spec,
                                      std::string_view info) {
  std::vector<SpecBlock> blocks;
  for (SpecBlock& block : NamedBlocks(spec)) {
    if (block.info == info) blocks.push_back(std::move(block));
  }
  return blocks;
}

bool SpecBlockBytes(const SpecBlock& block, Bytes* out) {
  return FromHex(block.text, out);
}

std::optional<std::vector<std::pair<std::string, Bytes>>> SpecBlockValues(
    const SpecBlock& block) {
  std::vector<std::pair<std::string, Bytes>> values;
  for (const std::string& line : Lines(block.text)) {
    std::istringstream in(line);
    std::string name, hex, extra;
    if (!(in >> name)) continue;  // blank
    Bytes bytes;
    if (!(in >> hex) || (in >> extra) || !FromHex(hex, &bytes)) {
      return std::nullopt;
    }
    values.emplace_back(name, std::move(bytes));
  }
  return values;
}

}  // namespace hail::protocol
