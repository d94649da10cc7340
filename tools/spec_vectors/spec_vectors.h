// SPEC.md's examples as machine-readable test vectors (issue 12), for
// implementers in other languages: every named fenced block (SPEC.md 2.7)
// with its section, its source line and its bytes, and for a message kind's
// example the fields the registry decodes from those bytes. The JSON layout
// is described in README.md ("Test vectors"); protocol/spec_vectors.json is
// the committed copy.
#ifndef HAIL_TOOLS_SPEC_VECTORS_SPEC_VECTORS_H_
#define HAIL_TOOLS_SPEC_VECTORS_SPEC_VECTORS_H_

#include <string>
#include <string_view>

namespace hail::spec_vectors {

// The JSON document for the text of SPEC.md, ending in a newline. Empty, with
// *error saying which block and why, when a block cannot be turned into a
// vector: hex that is not hex, a value line that is not "<name> <hex>", a
// message example the registry does not decode completely, or no examples.
std::string VectorsJson(std::string_view spec, std::string* error);

}  // namespace hail::spec_vectors

#endif  // HAIL_TOOLS_SPEC_VECTORS_SPEC_VECTORS_H_
