#include "protocol/stun.h"

#include <algorithm>
#include <cassert>
#include <cstdio>

namespace hail::protocol::stun {
namespace {

std::string Hex16(uint16_t value) {
  char text[8];
  std::snprintf(text, sizeof text, "0x%04x", value);
  return text;
}

constexpr uint8_t kFamilyIpv4 = 0x01;
constexpr uint8_t kFamilyIpv6 = 0x02;
constexpr size_t kAttributeHeaderSize = 4;
constexpr size_t kFingerprintSize = 8;  // header + u32
constexpr uint16_t kMessageIntegrity = 0x0008;
constexpr uint16_t kMessageIntegritySha256 = 0x001c;

constexpr size_t Padded(size_t n) { return (n + 3) & ~size_t{3}; }

uint16_t Type(AttributeType type) { return static_cast<uint16_t>(type); }

void WriteHeader(ByteWriter* w, uint16_t type,
                 const TransactionId& transaction) {
  w->U16(type);
  w->U16(0);  // length, patched by Finish
  w->U32(transaction.cookie);
  w->Raw(ByteSpan(transaction.id));
}

void WriteAttribute(ByteWriter* w, AttributeType type, ByteSpan value) {
  w->U16(Type(type));
  w->U16(static_cast<uint16_t>(value.size()));
  w->Raw(value);
  w->Zeros(Padded(value.size()) - value.size());
}

void SetLength(Bytes* message, size_t length) {
  (*message)[2] = static_cast<uint8_t>(length >> 8);
  (*message)[3] = static_cast<uint8_t>(length);
}

// Sets the header length, then appends FINGERPRINT when asked.
void Finish(Bytes* message, bool fingerprint) {
  assert(message->size() >= kHeaderSize);
  size_t length = message->size() - kHeaderSize;
  if (!fingerprint) {
    SetLength(message, length);
    return;
  }
  // The CRC covers the header with the length already counting FINGERPRINT.
  SetLength(message, length + kFingerprintSize);
  uint32_t crc = Crc32(*message) ^ kFingerprintXor;
  ByteWriter w(message);
  w.U16(Type(AttributeType::kFingerprint));
  w.U16(4);
  w.U32(crc);
}

const Attribute* Find(const Message& message, AttributeType type) {
  for (const Attribute& a : message.attributes) {
    if (a.type == Type(type)) return &a;
  }
  return nullptr;
}

bool IsKnownInRequest(uint16_t type) {
  // Comprehension-required attributes a Binding request may carry that Hail
  // understands: CHANGE-REQUEST and PADDING (RFC 5780).
  return type == Type(AttributeType::kChangeRequest) ||
         type == Type(AttributeType::kPadding);
}

}  // namespace

uint32_t Crc32(ByteSpan data) {
  uint32_t crc = 0xffffffff;
  for (uint8_t byte : data) {
    crc ^= byte;
    for (int bit = 0; bit < 8; ++bit) {
      crc = (crc >> 1) ^ (0xedb88320 & (0 - (crc & 1)));
    }
  }
  return ~crc;
}

DecodeResult Decode(ByteSpan datagram, bool allow_classic) {
  DecodeResult result;
  ByteReader r(datagram);
  Message m;
  uint16_t length;
  if (!r.U16(&m.type) || !r.U16(&length) || !r.U32(&m.transaction.cookie) ||
      !r.Fixed(&m.transaction.id)) {
    return result;
  }
  if ((m.type & 0xc000) != 0 || length % 4 != 0 ||
      datagram.size() != kHeaderSize + length ||
      (m.transaction.classic() && !allow_classic)) {
    return result;
  }
  if (datagram.size() > kMaxMessageSize) {
    result.error = DecodeError::kTooLarge;
    return result;
  }
  while (r.remaining() > 0) {
    size_t offset = r.position();
    Attribute a;
    uint16_t size;
    ByteSpan value;
    if (!r.U16(&a.type) || !r.U16(&size) || !r.Raw(size, &value) ||
        !r.Skip(Padded(size) - size)) {
      result.error = DecodeError::kBadAttribute;
      return result;
    }
    a.value = value;
    if (a.type == Type(AttributeType::kFingerprint)) {
      if (size != 4 || r.remaining() != 0 || m.transaction.classic()) {
        result.error = DecodeError::kBadFingerprint;
        return result;
      }
      uint32_t sent = uint32_t{value[0]} << 24 | uint32_t{value[1]} << 16 |
                      uint32_t{value[2]} << 8 | value[3];
      if ((Crc32(datagram.first(offset)) ^ kFingerprintXor) != sent) {
        result.error = DecodeError::kBadFingerprint;
        return result;
      }
      m.had_fingerprint = true;
      break;
    }
    m.attributes.push_back(a);
  }
  result.message = std::move(m);
  return result;
}

Bytes EncodeAddressValue(const Endpoint& endpoint, bool xored,
                         const TransactionId& transaction) {
  Bytes out;
  ByteWriter w(&out);
  bool v6 = endpoint.family == Endpoint::Family::kIpv6;
  w.U8(0);
  w.U8(v6 ? kFamilyIpv6 : kFamilyIpv4);
  uint16_t port = endpoint.port;
  if (xored) port ^= static_cast<uint16_t>(kMagicCookie >> 16);
  w.U16(port);
  std::array<uint8_t, 16> mask{};
  if (xored) {
    mask = {0x21, 0x12, 0xa4, 0x42};
    std::copy(transaction.id.begin(), transaction.id.end(), mask.begin() + 4);
  }
  size_t n = v6 ? 16 : 4;
  for (size_t i = 0; i < n; ++i) w.U8(endpoint.address[i] ^ mask[i]);
  return out;
}

bool DecodeAddressValue(ByteSpan value, bool xored,
                        const TransactionId& transaction, Endpoint* out) {
  ByteReader r(value);
  uint8_t reserved, family;
  uint16_t port;
  if (!r.U8(&reserved) || !r.U8(&family) || !r.U16(&port)) return false;
  size_t n;
  Endpoint e;
  if (family == kFamilyIpv4) {
    n = 4;
    e.family = Endpoint::Family::kIpv4;
  } else if (family == kFamilyIpv6) {
    n = 16;
    e.family = Endpoint::Family::kIpv6;
  } else {
    return false;
  }
  if (r.remaining() != n) return false;
  std::array<uint8_t, 16> mask{};
  if (xored) {
    port ^= static_cast<uint16_t>(kMagicCookie >> 16);
    mask = {0x21, 0x12, 0xa4, 0x42};
    std::copy(transaction.id.begin(), transaction.id.end(), mask.begin() + 4);
  }
  ByteSpan address;
  r.Raw(n, &address);
  for (size_t i = 0; i < n; ++i) e.address[i] = address[i] ^ mask[i];
  e.port = port;
  *out = e;
  return true;
}

Bytes EncodeBindingRequest(const BindingRequest& request) {
  Bytes out;
  ByteWriter w(&out);
  WriteHeader(&w, kBindingRequest, request.transaction);
  if (request.software_size > 0) {
    std::string software = "hail";
    software.resize(std::max(software.size(), request.software_size), ' ');
    software.resize(request.software_size);
    WriteAttribute(&w, AttributeType::kSoftware,
                   ByteSpan(reinterpret_cast<const uint8_t*>(software.data()),
                            software.size()));
  }
  Finish(&out, request.fingerprint && !request.transaction.classic());
  return out;
}

std::optional<BindingResponse> DecodeBindingResponse(ByteSpan datagram) {
  DecodeResult decoded = Decode(datagram, /*allow_classic=*/false);
  if (!decoded.message) return std::nullopt;
  const Message& m = *decoded.message;
  if (m.type != kBindingSuccess && m.type != kBindingError) return std::nullopt;
  BindingResponse response;
  response.transaction = m.transaction;
  response.success = m.type == kBindingSuccess;
  if (response.success) {
    const Attribute* xor_mapped = Find(m, AttributeType::kXorMappedAddress);
    const Attribute* mapped = Find(m, AttributeType::kMappedAddress);
    if (xor_mapped) {
      if (!DecodeAddressValue(xor_mapped->value, true, m.transaction,
                              &response.mapped)) {
        return std::nullopt;
      }
    } else if (!mapped ||
               !DecodeAddressValue(mapped->value, false, m.transaction,
                                   &response.mapped)) {
      return std::nullopt;
    }
    if (const Attribute* other = Find(m, AttributeType::kOtherAddress)) {
      if (!DecodeAddressValue(other->value, false, m.transaction,
                              &response.other)) {
        return std::nullopt;
      }
    }
    if (const Attribute* origin = Find(m, AttributeType::kResponseOrigin)) {
      if (!DecodeAddressValue(origin->value, false, m.transaction,
                              &response.response_origin)) {
        return std::nullopt;
      }
    }
    return response;
  }
  const Attribute* error = Find(m, AttributeType::kErrorCode);
  if (!error || error->value.size() < 4) return std::nullopt;
  uint8_t error_class = error->value[2] & 0x07;
  uint8_t number = error->value[3];
  if (error_class < 3 || error_class > 6 || number > 99) return std::nullopt;
  response.error_code = static_cast<uint16_t>(error_class * 100 + number);
  response.reason.assign(error->value.begin() + 4, error->value.end());
  if (const Attribute* unknown = Find(m, AttributeType::kUnknownAttributes)) {
    ByteReader r(unknown->value);
    uint16_t type;
    while (r.remaining() >= 2 && r.U16(&type)) {
      response.unknown_attributes.push_back(type);
    }
  }
  return response;
}

ServerReply AnswerBinding(ByteSpan datagram, const Endpoint& source,
                          const Endpoint& local, const Endpoint& other) {
  ServerReply reply;
  DecodeResult decoded = Decode(datagram, /*allow_classic=*/true);
  if (!decoded.message) {
    reply.outcome = ServerReply::Outcome::kMalformed;
    return reply;
  }
  const Message& m = *decoded.message;
  if (m.type != kBindingRequest) return reply;  // kIgnored
  const size_t budget = ResponseBudget(datagram.size());
  const bool classic = m.transaction.classic();

  std::vector<uint16_t> unknown;
  bool seen_integrity = false;
  for (const Attribute& a : m.attributes) {
    // RFC 8489 14.5: what follows MESSAGE-INTEGRITY is ignored.
    if (seen_integrity) break;
    if (a.type == kMessageIntegrity || a.type == kMessageIntegritySha256) {
      seen_integrity = true;
    }
    if (a.type < kComprehensionOptionalFirst && !IsKnownInRequest(a.type) &&
        std::find(unknown.begin(), unknown.end(), a.type) == unknown.end()) {
      unknown.push_back(a.type);
    }
  }
  if (!unknown.empty()) {
    Bytes out;
    ByteWriter w(&out);
    WriteHeader(&w, kBindingError, m.transaction);
    Bytes list;
    ByteWriter lw(&list);
    for (uint16_t type : unknown) lw.U16(type);
    size_t minimal = kHeaderSize + kAttributeHeaderSize + 4 +
                     kAttributeHeaderSize + Padded(list.size());
    static constexpr std::string_view kReason = "Unknown Attribute";
    bool with_reason = minimal + Padded(kReason.size()) <= budget;
    if (minimal > budget) {
      reply.outcome = ServerReply::Outcome::kTooLarge;
      return reply;
    }
    Bytes code;
    ByteWriter cw(&code);
    cw.U16(0);
    cw.U8(kErrorUnknownAttribute / 100);
    cw.U8(kErrorUnknownAttribute % 100);
    if (with_reason) cw.Raw(kReason);
    WriteAttribute(&w, AttributeType::kErrorCode, code);
    WriteAttribute(&w, AttributeType::kUnknownAttributes, list);
    Finish(&out, false);
    assert(out.size() <= budget);
    reply.outcome = ServerReply::Outcome::kErrorAnswered;
    reply.datagram = std::move(out);
    return reply;
  }
  if (const Attribute* change = Find(m, AttributeType::kChangeRequest)) {
    // Hail has no second IP and answers from the port asked, so it cannot
    // honour a change; answering unchanged would mislead the client.
    if (change->value.size() != 4) {
      reply.outcome = ServerReply::Outcome::kMalformed;
      return reply;
    }
    if ((change->value[3] & 0x06) != 0) return reply;  // kIgnored
  }

  const AttributeType mapped_type = classic ? AttributeType::kMappedAddress
                                            : AttributeType::kXorMappedAddress;
  Bytes mapped = EncodeAddressValue(source, !classic, m.transaction);
  size_t size = kHeaderSize + kAttributeHeaderSize + mapped.size();
  if (size > budget) {
    reply.outcome = ServerReply::Outcome::kTooLarge;
    return reply;
  }
  bool fingerprint = false;
  if (m.had_fingerprint && size + kFingerprintSize <= budget) {
    fingerprint = true;
    size += kFingerprintSize;
  }
  Bytes other_value, origin_value;
  if (!classic && !other.empty()) {
    other_value = EncodeAddressValue(other, false, m.transaction);
    if (size + kAttributeHeaderSize + other_value.size() <= budget) {
      size += kAttributeHeaderSize + other_value.size();
    } else {
      other_value.clear();
    }
  }
  if (!classic && !local.empty()) {
    origin_value = EncodeAddressValue(local, false, m.transaction);
    if (size + kAttributeHeaderSize + origin_value.size() <= budget) {
      size += kAttributeHeaderSize + origin_value.size();
    } else {
      origin_value.clear();
    }
  }
  Bytes out;
  ByteWriter w(&out);
  WriteHeader(&w, kBindingSuccess, m.transaction);
  WriteAttribute(&w, mapped_type, mapped);
  if (!other_value.empty()) {
    WriteAttribute(&w, AttributeType::kOtherAddress, other_value);
  }
  if (!origin_value.empty()) {
    WriteAttribute(&w, AttributeType::kResponseOrigin, origin_value);
  }
  Finish(&out, fingerprint);
  assert(out.size() == size && out.size() <= budget);
  reply.outcome = ServerReply::Outcome::kAnswered;
  reply.datagram = std::move(out);
  return reply;
}

std::string MessageTypeName(uint16_t type) {
  switch (type) {
    case kBindingRequest:
      return "Binding request";
    case kBindingIndication:
      return "Binding indication";
    case kBindingSuccess:
      return "Binding success response";
    case kBindingError:
      return "Binding error response";
    default:
      return "STUN " + Hex16(type);
  }
}

std::string AttributeName(uint16_t type) {
  switch (static_cast<AttributeType>(type)) {
    case AttributeType::kMappedAddress:
      return "MAPPED-ADDRESS";
    case AttributeType::kChangeRequest:
      return "CHANGE-REQUEST";
    case AttributeType::kErrorCode:
      return "ERROR-CODE";
    case AttributeType::kUnknownAttributes:
      return "UNKNOWN-ATTRIBUTES";
    case AttributeType::kXorMappedAddress:
      return "XOR-MAPPED-ADDRESS";
    case AttributeType::kPadding:
      return "PADDING";
    case AttributeType::kSoftware:
      return "SOFTWARE";
    case AttributeType::kFingerprint:
      return "FINGERPRINT";
    case AttributeType::kResponseOrigin:
      return "RESPONSE-ORIGIN";
    case AttributeType::kOtherAddress:
      return "OTHER-ADDRESS";
  }
  return Hex16(type);
}

}  // namespace hail::protocol::stun
