// The STUN subset of SPEC.md 3.4: Binding requests and responses (RFC 8489,
// formerly RFC 5389, and classic RFC 3489 requests without the magic
// cookie), with XOR-MAPPED-ADDRESS, MAPPED-ADDRESS, OTHER-ADDRESS and
// RESPONSE-ORIGIN (RFC 5780), FINGERPRINT and the 420 error. Sans-I/O: bytes
// and endpoints in, bytes or typed messages out. Every attribute is
// bound-checked; nothing reads past the datagram.
#ifndef HAIL_PROTOCOL_STUN_H_
#define HAIL_PROTOCOL_STUN_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "protocol/byte_io.h"
#include "protocol/endpoint.h"

namespace hail::protocol::stun {

inline constexpr uint32_t kMagicCookie = 0x2112a442;
inline constexpr size_t kHeaderSize = 20;
// Largest STUN message Hail decodes (SPEC.md 3.4.1); larger ones are
// malformed.
inline constexpr size_t kMaxMessageSize = 1280;

// Message types (method Binding = 1 with its class bits).
inline constexpr uint16_t kBindingRequest = 0x0001;
inline constexpr uint16_t kBindingIndication = 0x0011;
inline constexpr uint16_t kBindingSuccess = 0x0101;
inline constexpr uint16_t kBindingError = 0x0111;

// Attribute types. Below 0x8000 an attribute is comprehension-required.
enum class AttributeType : uint16_t {
  kMappedAddress = 0x0001,
  kChangeRequest = 0x0003,
  kErrorCode = 0x0009,
  kUnknownAttributes = 0x000a,
  kXorMappedAddress = 0x0020,
  kPadding = 0x0026,
  kSoftware = 0x8022,
  kFingerprint = 0x8028,
  kResponseOrigin = 0x802b,
  kOtherAddress = 0x802c,
};
inline constexpr uint16_t kComprehensionOptionalFirst = 0x8000;
// FINGERPRINT = CRC-32(message up to it) XOR this.
inline constexpr uint32_t kFingerprintXor = 0x5354554e;
inline constexpr uint16_t kErrorUnknownAttribute = 420;

// Bytes 4..19 of the header: the magic cookie and a 96-bit transaction id
// (RFC 8489), or a 128-bit transaction id whose first 4 bytes are not the
// cookie (RFC 3489, "classic").
struct TransactionId {
  uint32_t cookie = kMagicCookie;
  std::array<uint8_t, 12> id{};

  bool classic() const { return cookie != kMagicCookie; }
  auto operator<=>(const TransactionId&) const = default;
};

// One attribute as received: `value` views the datagram, padding excluded.
struct Attribute {
  uint16_t type = 0;
  ByteSpan value;
};

// A decoded STUN message. Attributes after MESSAGE-INTEGRITY are kept (Hail
// does not authenticate); FINGERPRINT, when present, was last and correct
// and is not listed.
struct Message {
  uint16_t type = 0;
  TransactionId transaction;
  std::vector<Attribute> attributes;
  bool had_fingerprint = false;
};

// Why Decode refused a datagram.
enum class DecodeError : uint8_t {
  kNotStun,         // not the STUN header shape (SPEC.md 3.2)
  kTooLarge,        // over kMaxMessageSize
  kBadAttribute,    // an attribute runs past the message
  kBadFingerprint,  // FINGERPRINT wrong, misplaced or not last
};

struct DecodeResult {
  std::optional<Message> message;
  DecodeError error = DecodeError::kNotStun;  // meaningful without a message
};

// Decodes the header and walks every attribute. A classic (cookie-less)
// header is accepted only when `allow_classic`.
DecodeResult Decode(ByteSpan datagram, bool allow_classic);

// A Binding request as our client sends it.
struct BindingRequest {
  TransactionId transaction;
  // Bytes of SOFTWARE text to carry ("hail" then spaces): pads the request
  // so that the server's answer with OTHER-ADDRESS fits its 1.6x budget.
  size_t software_size = 0;
  bool fingerprint = true;
};

// SOFTWARE size Hail clients use (SPEC.md 3.4.5): request 44 bytes with
// FINGERPRINT, budget 70, enough for every optional attribute.
inline constexpr size_t kHailSoftwareSize = 12;

Bytes EncodeBindingRequest(const BindingRequest& request);

// A Binding response as our client reads it (success or error).
struct BindingResponse {
  TransactionId transaction;
  bool success = false;
  Endpoint mapped;           // XOR-MAPPED-ADDRESS, else MAPPED-ADDRESS
  Endpoint other;            // OTHER-ADDRESS, empty when absent
  Endpoint response_origin;  // RESPONSE-ORIGIN, empty when absent
  uint16_t error_code = 0;   // error responses: 300..699
  std::string reason;
  std::vector<uint16_t> unknown_attributes;
};

// Decodes a Binding success or error response (RFC 8489 only). Nullopt for
// anything else, for a success without a usable mapped address, and for
// malformed attributes.
std::optional<BindingResponse> DecodeBindingResponse(ByteSpan datagram);

// What a server does with one datagram classified as STUN.
struct ServerReply {
  enum class Outcome : uint8_t {
    kAnswered,       // `datagram` is a Binding success response
    kErrorAnswered,  // `datagram` is a 420 error response
    kTooLarge,       // even the minimal answer breaks the 1.6x rule
    kMalformed,      // not decodable (DecodeError)
    kIgnored,        // well-formed but not answered: not a Binding request,
                     // or a CHANGE-REQUEST the server cannot honour
  };
  Outcome outcome = Outcome::kIgnored;
  Bytes datagram;
};

// The response budget of SPEC.md 3.7: floor(request_size * 8 / 5).
constexpr size_t ResponseBudget(size_t request_size) {
  return request_size * 8 / 5;
}

// Answers one STUN datagram received from `source` on `local`. `other` is
// the alternate STUN endpoint advertised in OTHER-ADDRESS (empty: none).
// Classic requests are answered with MAPPED-ADDRESS only. Optional
// attributes are added in the order FINGERPRINT (if the request had one),
// OTHER-ADDRESS, RESPONSE-ORIGIN while the reply stays within
// ResponseBudget(datagram.size()).
ServerReply AnswerBinding(ByteSpan datagram, const Endpoint& source,
                          const Endpoint& local, const Endpoint& other);

// Encodes an address attribute value (MAPPED-ADDRESS layout, or the XOR
// form). Exposed for the dissector and tests.
Bytes EncodeAddressValue(const Endpoint& endpoint, bool xored,
                         const TransactionId& transaction);
// Decodes either form; false when the value is malformed.
bool DecodeAddressValue(ByteSpan value, bool xored,
                        const TransactionId& transaction, Endpoint* out);

// "Binding request", "Binding success response", ... or "STUN 0x1234".
std::string MessageTypeName(uint16_t type);
// "XOR-MAPPED-ADDRESS", ... or "0x1234".
std::string AttributeName(uint16_t type);

// The standard CRC-32 (zlib's), as FINGERPRINT uses it.
uint32_t Crc32(ByteSpan data);

}  // namespace hail::protocol::stun

#endif  // HAIL_PROTOCOL_STUN_H_
