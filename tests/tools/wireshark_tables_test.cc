// tools/wireshark/hail.lua keeps its own copy of the kind and error code
// names (Lua cannot read the C++ registry). These tests hold the copy to
// the registry and to the error codes, so that a new kind cannot be
// forgotten there (the direct-link kinds once were).
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <string>

#include "gtest/gtest.h"
#include "protocol/error_code.h"
#include "protocol/registry.h"

namespace hail::protocol {
namespace {

// The `[KEY] = "NAME"` pairs of the Lua table that starts at `local NAME = {`.
std::map<long, std::string> LuaTable(const std::string& table) {
  std::ifstream in(HAIL_SOURCE_DIR "/tools/wireshark/hail.lua");
  std::stringstream text;
  text << in.rdbuf();
  std::string lua = text.str();
  std::map<long, std::string> rows;
  size_t begin = lua.find("local " + table + " = {");
  if (begin == std::string::npos) return rows;
  size_t end = lua.find("\n}", begin);
  std::string body = lua.substr(begin, end - begin);
  static const std::regex kPair(
      R"re(\[(0x[0-9a-fA-F]+|[0-9]+)\] = "([A-Z0-9_]+)")re");
  for (auto it = std::sregex_iterator(body.begin(), body.end(), kPair);
       it != std::sregex_iterator(); ++it) {
    rows[std::stol((*it)[1].str(), nullptr, 0)] = (*it)[2].str();
  }
  return rows;
}

TEST(WiresharkTablesTest, KindsTableIsTheRegistry) {
  std::map<long, std::string> lua = LuaTable("KINDS");
  std::map<long, std::string> registry;
  for (const KindInfo& info : AllKinds()) {
    registry[static_cast<long>(info.kind)] = std::string(info.name);
  }
  EXPECT_EQ(lua, registry);
}

TEST(WiresharkTablesTest, ErrorsTableIsTheErrorCodeList) {
  std::map<long, std::string> lua = LuaTable("ERRORS");
  std::map<long, std::string> codes;
  for (uint16_t code = 0; code < kErrorCodeEnd; ++code) {
    codes[code] = std::string(ErrorCodeName(static_cast<ErrorCode>(code)));
  }
  EXPECT_EQ(lua, codes);
}

}  // namespace
}  // namespace hail::protocol
