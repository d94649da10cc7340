#include "tools/spec_vectors/spec_vectors.h"

#include <cstdio>
#include <set>

#include "protocol/byte_io.h"
#include "protocol/registry.h"
#include "protocol/spec_blocks.h"
#include "protocol/text.h"

namespace hail::spec_vectors {
namespace {

using protocol::Bytes;
using protocol::SpecBlock;

std::string Quoted(std::string_view text) {
  return "\"" + protocol::JsonEscape(text) + "\"";
}

const protocol::KindInfo* KindNamed(std::string_view name) {
  for (const protocol::KindInfo& info : protocol::AllKinds()) {
    if (info.name == name) return &info;
  }
  return nullptr;
}

std::string Where(const SpecBlock& block) {
  return "SPEC.md line " + std::to_string(block.line) + " (" + block.info +
         " " + block.name + "): ";
}

// `"message": {...}` for the example of a message kind; false with *error
// when its bytes are not a complete message of that kind.
bool AppendMessage(const SpecBlock& block, const protocol::KindInfo& info,
                   const Bytes& bytes, std::string* out, std::string* error) {
  protocol::Decoded decoded = protocol::DecodeMessage(bytes);
  if (decoded.status != protocol::DecodeStatus::kOk ||
      decoded.kind != static_cast<uint16_t>(info.kind)) {
    *error = Where(block) + "does not decode as " + std::string(info.name);
    return false;
  }
  char id[8];
  std::snprintf(id, sizeof id, "0x%04x", static_cast<unsigned>(info.kind));
  *out += ",\n      \"message\": {\n        \"kind_id\": " + Quoted(id) +
          ",\n        \"fields\": [";
  const char* separator = "\n";
  for (const protocol::PrintedField& field :
       protocol::DescribeMessage(decoded.message)) {
    *out += separator;
    *out += "          {\"name\": " + Quoted(field.name) +
            ", \"value\": " + Quoted(field.value);
    if (field.secret) *out += ", \"secret\": true";
    *out += "}";
    separator = ",\n";
  }
  *out += "\n        ]\n      }";
  return true;
}

}  // namespace

std::string VectorsJson(std::string_view spec, std::string* error) {
  std::vector<SpecBlock> blocks = protocol::NamedBlocks(spec);
  if (blocks.empty()) {
    *error = "SPEC.md has no named example blocks";
    return "";
  }
  std::string out =
      "{\n  \"source\": \"SPEC.md\",\n"
      "  \"generator\": \"tools/spec_vectors (hail-spec-vectors); do not edit "
      "by hand\",\n"
      "  \"vectors\": [";
  std::set<std::string> names;
  const char* separator = "\n";
  for (const SpecBlock& block : blocks) {
    if (!names.insert(block.name).second) {
      *error = Where(block) + "a second block with this name";
      return "";
    }
    out += separator;
    separator = ",\n";
    out += "    {\n      \"name\": " + Quoted(block.name) +
           ",\n      \"block\": " + Quoted(block.info) +
           ",\n      \"section\": " + Quoted(block.section_number) +
           ",\n      \"section_title\": " + Quoted(block.section_title) +
           ",\n      \"line\": " + std::to_string(block.line);
    if (block.info == "hex") {
      Bytes bytes;
      if (!protocol::SpecBlockBytes(block, &bytes) || bytes.empty()) {
        *error = Where(block) + "not hex byte pairs";
        return "";
      }
      out += ",\n      \"hex\": " + Quoted(protocol::ToHex(bytes));
      if (const protocol::KindInfo* info = KindNamed(block.name)) {
        if (!AppendMessage(block, *info, bytes, &out, error)) return "";
      }
    } else {
      auto values = protocol::SpecBlockValues(block);
      if (!values || values->empty()) {
        *error = Where(block) + "a line is not <name> <hex>";
        return "";
      }
      out += ",\n      \"values\": {";
      const char* value_separator = "\n";
      std::set<std::string> value_names;
      for (const auto& [name, bytes] : *values) {
        if (!value_names.insert(name).second) {
          *error = Where(block) + "a second value named " + name;
          return "";
        }
        out += value_separator;
        out +=
            "        " + Quoted(name) + ": " + Quoted(protocol::ToHex(bytes));
        value_separator = ",\n";
      }
      out += "\n      }";
    }
    out += "\n    }";
  }
  out += "\n  ]\n}\n";
  return out;
}

}  // namespace hail::spec_vectors
