// hail-spec-vectors: writes SPEC.md's examples as JSON test vectors, or
// checks that a committed copy is what SPEC.md gives today.
//
//   hail-spec-vectors SPEC.md OUT.json
//   hail-spec-vectors --check SPEC.md COMMITTED.json
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

#include "tools/spec_vectors/spec_vectors.h"

namespace {

bool ReadFile(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::stringstream buffer;
  buffer << in.rdbuf();
  *out = buffer.str();
  return true;
}

int Usage() {
  std::fprintf(stderr,
               "usage: hail-spec-vectors SPEC.md OUT.json\n"
               "       hail-spec-vectors --check SPEC.md COMMITTED.json\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  bool check = argc == 4 && std::string_view(argv[1]) == "--check";
  if (argc != 3 && !check) return Usage();
  std::string spec_path = argv[check ? 2 : 1];
  std::string json_path = argv[check ? 3 : 2];

  std::string spec;
  if (!ReadFile(spec_path, &spec)) {
    std::fprintf(stderr, "hail-spec-vectors: cannot read %s\n",
                 spec_path.c_str());
    return 1;
  }
  std::string error;
  std::string json = hail::spec_vectors::VectorsJson(spec, &error);
  if (json.empty()) {
    std::fprintf(stderr, "hail-spec-vectors: %s: %s\n", spec_path.c_str(),
                 error.c_str());
    return 1;
  }

  if (check) {
    std::string committed;
    if (ReadFile(json_path, &committed) && committed == json) return 0;
    std::fprintf(stderr,
                 "%s is not what %s gives today (SPEC.md's examples "
                 "changed). Regenerate it with:\n  %s %s %s\n",
                 json_path.c_str(), spec_path.c_str(), argv[0],
                 spec_path.c_str(), json_path.c_str());
    return 1;
  }

  std::ofstream out(json_path, std::ios::binary | std::ios::trunc);
  out << json;
  out.close();
  if (!out) {
    std::fprintf(stderr, "hail-spec-vectors: cannot write %s\n",
                 json_path.c_str());
    return 1;
  }
  return 0;
}
