// The one registry of message kinds: id, name, direction, framing, ENet
// channel and body size bounds. The session state machines, the dissector
// and the spec-coverage test all read it (SPEC.md "Message registry").
#ifndef HAIL_PROTOCOL_REGISTRY_H_
#define HAIL_PROTOCOL_REGISTRY_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "protocol/byte_io.h"
#include "protocol/field_visitor.h"
#include "protocol/messages.h"

namespace hail::protocol {

// kPeerToPeer kinds travel only on a direct link between two clients.
enum class Direction : uint8_t {
  kClientToServer,
  kServerToClient,
  kBoth,
  kPeerToPeer
};
// PLAIN kinds travel only before keys exist; SEALED kinds only after.
enum class Framing : uint8_t { kPlain, kSealed };

// ENet channels (SPEC.md "ENet usage"). Both are reliable and sequenced.
inline constexpr uint8_t kChannelControl = 0;
inline constexpr uint8_t kChannelMessaging = 1;
inline constexpr uint8_t kChannelCount = 2;

// Largest message body (the bytes after the kind) any kind may have.
inline constexpr size_t kMaxBodySize = 16384;

struct KindInfo {
  Kind kind;
  std::string_view name;  // SPEC.md name, e.g. "LOGIN_REQUEST"
  Direction direction;
  Framing framing;
  uint8_t channel;
  size_t min_body;  // encoded size with every variable field empty
  size_t max_body;  // encoded size with every variable field at its limit
  // A client-to-server request whose body starts with its u32 request_id
  // (SPEC.md 7.4); false for ERROR and the results, which echo one.
  bool has_request_id;
};

std::span<const KindInfo> AllKinds();
// nullptr for kinds not in the registry.
const KindInfo* FindKind(uint16_t kind);
// "UNKNOWN" when not registered.
std::string_view KindName(uint16_t kind);

enum class DecodeStatus : uint8_t {
  kOk,
  kTruncated,    // shorter than the kind id or than its fields
  kUnknownKind,  // not in the registry
  kInvalid,      // a field breaks its limits (length, enum value)
  kOversized,    // a known kind whose body is longer than kMaxBodySize
};

struct Decoded {
  DecodeStatus status = DecodeStatus::kTruncated;
  uint16_t kind = 0;
  // The leading request_id of a kind that has one (KindInfo::has_request_id)
  // whenever its 4 bytes are present, even when the rest is malformed, so
  // that an ERROR about the message can echo it (SPEC.md 7.4); 0 otherwise.
  uint32_t request_id = 0;
  Message message;
};

// Encodes kind (u16) followed by the body. Returns empty bytes (never a
// valid encoding) when a string field is longer than its limit, so that an
// over-long value can never be sent cut short.
Bytes EncodeMessage(const Message& message);
// Decodes kind + body. Trailing bytes after the known fields are ignored
// (SPEC.md 2.6), but a body longer than kMaxBodySize is kOversized whatever
// it holds (SPEC.md 2.4).
Decoded DecodeMessage(ByteSpan bytes);
Kind KindOf(const Message& message);
// Every field with its SPEC.md name, in wire order.
std::vector<PrintedField> DescribeMessage(const Message& message);

}  // namespace hail::protocol

#endif  // HAIL_PROTOCOL_REGISTRY_H_
