// SPEC.md for the tests that hold the codecs to the spec's golden bytes: the
// file itself, and the block parser of protocol/spec_blocks.h under the
// names the tests use. REQUIRES: the test target defines HAIL_SOURCE_DIR
// (every hail_test does).
#ifndef HAIL_TESTS_SUPPORT_SPEC_BLOCKS_H_
#define HAIL_TESTS_SUPPORT_SPEC_BLOCKS_H_

#include <fstream>
#include <sstream>
#include <string>

#include "protocol/spec_blocks.h"

namespace hail::testing {

using protocol::BlocksWithInfo;
using protocol::Lines;
using SpecBlock = protocol::SpecBlock;

// The whole of SPEC.md; empty when it cannot be read.
inline std::string ReadSpec() {
  std::ifstream in(HAIL_SOURCE_DIR "/SPEC.md");
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

}  // namespace hail::testing

#endif  // HAIL_TESTS_SUPPORT_SPEC_BLOCKS_H_
