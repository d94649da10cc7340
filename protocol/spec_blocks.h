// Reading SPEC.md's fenced example blocks (```hex NAME, ```kx NAME, ...): the
// golden-bytes tests and the test-vector generator (tools/spec_vectors/) both
// read the spec through this one parser (SPEC.md 2.7 "How to read the
// examples"). Pure text in, blocks out: no files.
#ifndef HAIL_PROTOCOL_SPEC_BLOCKS_H_
#define HAIL_PROTOCOL_SPEC_BLOCKS_H_

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "protocol/byte_io.h"

namespace hail::protocol {

struct SpecBlock {
  std::string info;  // e.g. "hex" or "kx"
  std::string name;  // e.g. "LOGIN_REQUEST"
  std::string text;  // the lines between the fences, each ending in "\n"
  int line = 0;      // 1-based line of the opening fence
  // The innermost numbered heading above the block: "11.12" and
  // "LOGIN_REQUEST (0x0022)"; empty before the first one.
  std::string section_number;
  std::string section_title;
};

// The lines of `text`, without their "\n".
std::vector<std::string> Lines(std::string_view text);

// Every fenced block whose info string is "<info> <NAME>" (one word, a
// space, one word), in SPEC order. Blocks with a bare info string ("```text")
// are not examples and are left out.
std::vector<SpecBlock> NamedBlocks(std::string_view spec);

// The blocks of NamedBlocks whose info string is "<info> <NAME>".
std::vector<SpecBlock> BlocksWithInfo(std::string_view spec,
                                      std::string_view info);

// A ```hex block's bytes: its hex pairs with the spaces and line breaks
// dropped. False when anything else is in it.
bool SpecBlockBytes(const SpecBlock& block, Bytes* out);

// A value block's (```kx) lines "<name> <hex>", in order, blank lines
// skipped. Nullopt when a line is not a name followed by one hex word.
std::optional<std::vector<std::pair<std::string, Bytes>>> SpecBlockValues(
    const SpecBlock& block);

}  // namespace hail::protocol

#endif  // HAIL_PROTOCOL_SPEC_BLOCKS_H_
