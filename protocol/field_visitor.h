// One field list per message, three uses. A message struct lists its fields
// once, in wire order, in a `template <class V> void Fields(V& v)` member;
// FieldWriter encodes, FieldReader decodes and FieldPrinter names every field
// for the dissector and logs. Byte layouts are those of protocol/byte_io.h.
#ifndef HAIL_PROTOCOL_FIELD_VISITOR_H_
#define HAIL_PROTOCOL_FIELD_VISITOR_H_

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "protocol/byte_io.h"
#include "protocol/endpoint.h"
#include "protocol/error_code.h"

namespace hail::protocol {

// Whether a field is shown by tools that print decrypted traffic without
// --show-secrets (passwords, tokens).
enum class Sensitivity { kPublic, kSecret };

class FieldWriter {
 public:
  explicit FieldWriter(Bytes* out) : writer_(out) {}
  // False once a string was longer than its field's limit; what was written
  // is then not a valid encoding and must be thrown away.
  bool ok() const { return ok_; }
  void U8(std::string_view, uint8_t& v) { writer_.U8(v); }
  void U16(std::string_view, uint16_t& v) { writer_.U16(v); }
  void U32(std::string_view, uint32_t& v) { writer_.U32(v); }
  void U64(std::string_view, uint64_t& v) { writer_.U64(v); }
  // Two's complement in a u16 (SPEC.md 2.2).
  void I16(std::string_view, int16_t& v) {
    writer_.U16(static_cast<uint16_t>(v));
  }
  void Error(std::string_view, ErrorCode& v) {
    writer_.U16(static_cast<uint16_t>(v));
  }
  template <size_t N>
  void Fixed(std::string_view, std::array<uint8_t, N>& v,
             Sensitivity = Sensitivity::kPublic) {
    writer_.Raw(ByteSpan(v.data(), N));
  }
  void Str8(std::string_view, std::string& v, size_t max_len,
            Sensitivity = Sensitivity::kPublic) {
    if (v.size() > max_len || v.size() > 0xff) ok_ = false;
    writer_.String8(v);
  }
  void Str16(std::string_view, std::string& v, size_t max_len,
             Sensitivity = Sensitivity::kPublic) {
    if (v.size() > max_len || v.size() > 0xffff) ok_ = false;
    writer_.String16(v);
  }
  void Addr(std::string_view, Endpoint& v) { EncodeEndpoint(v, &writer_); }

 private:
  ByteWriter writer_;
  bool ok_ = true;
};

class FieldReader {
 public:
  explicit FieldReader(ByteSpan in) : reader_(in) {}
  bool ok() const { return reader_.ok(); }
  bool invalid() const { return reader_.invalid(); }
  size_t remaining() const { return reader_.remaining(); }

  void U8(std::string_view, uint8_t& v) { reader_.U8(&v); }
  void U16(std::string_view, uint16_t& v) { reader_.U16(&v); }
  void U32(std::string_view, uint32_t& v) { reader_.U32(&v); }
  void U64(std::string_view, uint64_t& v) { reader_.U64(&v); }
  void I16(std::string_view, int16_t& v) {
    uint16_t raw = 0;
    if (reader_.U16(&raw)) v = static_cast<int16_t>(raw);
  }
  void Error(std::string_view, ErrorCode& v) {
    uint16_t raw = 0;
    if (reader_.U16(&raw)) v = static_cast<ErrorCode>(raw);
  }
  template <size_t N>
  void Fixed(std::string_view, std::array<uint8_t, N>& v,
             Sensitivity = Sensitivity::kPublic) {
    reader_.Fixed(&v);
  }
  void Str8(std::string_view, std::string& v, size_t max_len,
            Sensitivity = Sensitivity::kPublic) {
    reader_.String8(&v, max_len);
  }
  void Str16(std::string_view, std::string& v, size_t max_len,
             Sensitivity = Sensitivity::kPublic) {
    reader_.String16(&v, max_len);
  }
  void Addr(std::string_view, Endpoint& v) { DecodeEndpoint(&reader_, &v); }

 private:
  ByteReader reader_;
};

// One decoded field as text, for dissectors and logs.
struct PrintedField {
  std::string name;
  std::string value;
  bool secret = false;
};

class FieldPrinter {
 public:
  std::vector<PrintedField> fields;

  void U8(std::string_view n, uint8_t& v) { Add(n, std::to_string(v)); }
  void U16(std::string_view n, uint16_t& v) { Add(n, std::to_string(v)); }
  void U32(std::string_view n, uint32_t& v) { Add(n, std::to_string(v)); }
  void U64(std::string_view n, uint64_t& v) { Add(n, std::to_string(v)); }
  void I16(std::string_view n, int16_t& v) { Add(n, std::to_string(v)); }
  void Error(std::string_view n, ErrorCode& v) {
    Add(n, std::string(ErrorCodeName(v)) + "(" +
               std::to_string(static_cast<uint16_t>(v)) + ")");
  }
  template <size_t N>
  void Fixed(std::string_view n, std::array<uint8_t, N>& v,
             Sensitivity s = Sensitivity::kPublic) {
    Add(n, ToHex(ByteSpan(v.data(), N)), s);
  }
  void Str8(std::string_view n, std::string& v, size_t,
            Sensitivity s = Sensitivity::kPublic) {
    Add(n, v, s);
  }
  void Str16(std::string_view n, std::string& v, size_t,
             Sensitivity s = Sensitivity::kPublic) {
    Add(n, v, s);
  }
  void Addr(std::string_view n, Endpoint& v) { Add(n, v.ToString()); }

 private:
  void Add(std::string_view n, std::string value,
           Sensitivity s = Sensitivity::kPublic) {
    fields.push_back(
        {std::string(n), std::move(value), s == Sensitivity::kSecret});
  }
};

}  // namespace hail::protocol

#endif  // HAIL_PROTOCOL_FIELD_VISITOR_H_
