// Reading SPEC.md's fenced example blocks (```hex NAME, ```kx NAME, ...), for
// the tests that hold the codecs to the spec's golden bytes. REQUIRES: the
// test target defines HAIL_SOURCE_DIR (every hail_test does).
#ifndef HAIL_TESTS_SUPPORT_SPEC_BLOCKS_H_
#define HAIL_TESTS_SUPPORT_SPEC_BLOCKS_H_

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace hail::testing {

struct SpecBlock {
  std::string info;  // e.g. "hex" or "kx"
  std::string name;  // e.g. "LOGIN_REQUEST"
  std::string text;  // the lines between the fences
  int line = 0;      // 1-based line of the opening fence
};

// The whole of SPEC.md; empty when it cannot be read.
inline std::string ReadSpec() {
  std::ifstream in(HAIL_SOURCE_DIR "/SPEC.md");
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

inline std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// Every fenced block whose info string is "<info> <NAME>".
inline std::vector<SpecBlock> BlocksWithInfo(const std::string& spec,
                                             const std::string& info) {
  std::vector<SpecBlock> blocks;
  std::vector<std::string> lines = Lines(spec);
  const std::string opening = "```" + info + " ";
  for (size_t i = 0; i < lines.size(); ++i) {
    if (lines[i].rfind(opening, 0) != 0) continue;
    SpecBlock block;
    block.info = info;
    block.name = lines[i].substr(opening.size());
    block.line = static_cast<int>(i + 1);
    for (++i; i < lines.size() && lines[i] != "```"; ++i) {
      block.text += lines[i] + "\n";
    }
    blocks.push_back(block);
  }
  return blocks;
}

}  // namespace hail::testing

#endif  // HAIL_TESTS_SUPPORT_SPEC_BLOCKS_H_
