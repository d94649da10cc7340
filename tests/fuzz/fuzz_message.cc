// Fuzzes the message codec (SPEC.md sections 2.6 and 11): any input either
// fails to decode, or decodes to a message whose encoding is exactly the
// input's prefix (decoding is canonical, trailing bytes aside), lies within
// the registry's size bounds, and decodes again to the same bytes.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "protocol/registry.h"

namespace {

using hail::protocol::Bytes;
using hail::protocol::ByteSpan;
using hail::protocol::Decoded;
using hail::protocol::DecodeMessage;
using hail::protocol::DecodeStatus;

void Check(bool condition) {
  if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ByteSpan input(data, size);
  Decoded decoded = DecodeMessage(input);
  if (decoded.status != DecodeStatus::kOk) {
    Check(decoded.status == DecodeStatus::kUnknownKind ||
          decoded.status == DecodeStatus::kTruncated ||
          decoded.status == DecodeStatus::kInvalid ||
          decoded.status == DecodeStatus::kOversized);
    return 0;
  }
  Check(static_cast<uint16_t>(hail::protocol::KindOf(decoded.message)) ==
        decoded.kind);

  Bytes encoded = hail::protocol::EncodeMessage(decoded.message);
  Check(encoded.size() <= size);
  Check(std::memcmp(encoded.data(), data, encoded.size()) == 0);

  const hail::protocol::KindInfo* info = hail::protocol::FindKind(decoded.kind);
  Check(info != nullptr);
  Check(encoded.size() - 2 >= info->min_body);
  Check(encoded.size() - 2 <= info->max_body);

  Decoded again = DecodeMessage(encoded);
  Check(again.status == DecodeStatus::kOk);
  Check(again.kind == decoded.kind);
  Check(hail::protocol::EncodeMessage(again.message) == encoded);

  // The printer must cope with any decoded value (unknown error codes...).
  Check(!hail::protocol::DescribeMessage(decoded.message).empty());
  return 0;
}
