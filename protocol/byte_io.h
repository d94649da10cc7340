// Explicit big-endian byte codecs. Every Hail wire integer is big-endian
// (SPEC.md section "Conventions"); nothing on the wire is ever read by
// casting a struct. A ByteReader never reads past its span: every read
// reports failure instead, and a failed reader stays failed.
#ifndef HAIL_PROTOCOL_BYTE_IO_H_
#define HAIL_PROTOCOL_BYTE_IO_H_

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace hail::protocol {

using Bytes = std::vector<uint8_t>;
using ByteSpan = std::span<const uint8_t>;

// Appends big-endian fields to a growing buffer. Never fails.
class ByteWriter {
 public:
  explicit ByteWriter(Bytes* out) : out_(out) {}

  void U8(uint8_t v) { out_->push_back(v); }
  void U16(uint16_t v) {
    U8(static_cast<uint8_t>(v >> 8));
    U8(static_cast<uint8_t>(v));
  }
  void U32(uint32_t v) {
    U16(static_cast<uint16_t>(v >> 16));
    U16(static_cast<uint16_t>(v));
  }
  void U64(uint64_t v) {
    U32(static_cast<uint32_t>(v >> 32));
    U32(static_cast<uint32_t>(v));
  }
  void Raw(ByteSpan data) { Append(data.data(), data.size()); }
  void Raw(std::string_view data) { Append(data.data(), data.size()); }
  // A u16 length followed by that many bytes. REQUIRES: size <= 65535.
  void String16(std::string_view s) {
    U16(static_cast<uint16_t>(s.size()));
    Raw(s);
  }
  void Bytes16(ByteSpan b) {
    U16(static_cast<uint16_t>(b.size()));
    Raw(b);
  }
  // A u8 length followed by that many bytes. REQUIRES: size <= 255.
  void String8(std::string_view s) {
    U8(static_cast<uint8_t>(s.size()));
    Raw(s);
  }
  void Zeros(size_t n) { out_->resize(out_->size() + n, 0); }

 private:
  void Append(const void* data, size_t n) {
    if (n == 0) return;
    size_t old = out_->size();
    out_->resize(old + n);
    std::memcpy(out_->data() + old, data, n);
  }

  Bytes* out_;
};

// Consumes big-endian fields from a span. Each read returns false (and
// leaves the reader failed) when the span is too short.
class ByteReader {
 public:
  explicit ByteReader(ByteSpan data) : data_(data) {}

  bool ok() const { return ok_; }
  size_t remaining() const { return ok_ ? data_.size() - pos_ : 0; }
  size_t position() const { return pos_; }
  ByteSpan Rest() const { return ok_ ? data_.subspan(pos_) : ByteSpan(); }

  bool U8(uint8_t* v) {
    if (!Need(1)) return false;
    *v = data_[pos_++];
    return true;
  }
  bool U16(uint16_t* v) {
    if (!Need(2)) return false;
    *v = static_cast<uint16_t>(data_[pos_] << 8 | data_[pos_ + 1]);
    pos_ += 2;
    return true;
  }
  bool U32(uint32_t* v) {
    if (!Need(4)) return false;
    *v = 0;
    for (int i = 0; i < 4; ++i) *v = (*v << 8) | data_[pos_ + i];
    pos_ += 4;
    return true;
  }
  bool U64(uint64_t* v) {
    if (!Need(8)) return false;
    *v = 0;
    for (int i = 0; i < 8; ++i) *v = (*v << 8) | data_[pos_ + i];
    pos_ += 8;
    return true;
  }
  template <size_t N>
  bool Fixed(std::array<uint8_t, N>* out) {
    if (!Need(N)) return false;
    std::copy_n(data_.begin() + pos_, N, out->begin());
    pos_ += N;
    return true;
  }
  bool Raw(size_t n, ByteSpan* out) {
    if (!Need(n)) return false;
    *out = data_.subspan(pos_, n);
    pos_ += n;
    return true;
  }
  // A u16 length then bytes; fails when the length exceeds max_len.
  bool String16(std::string* out, size_t max_len) {
    uint16_t n;
    ByteSpan raw;
    if (!U16(&n)) return false;
    if (n > max_len) return Invalid();
    if (!Raw(n, &raw)) return false;
    out->assign(raw.begin(), raw.end());
    return true;
  }
  bool Bytes16(Bytes* out, size_t max_len) {
    uint16_t n;
    ByteSpan raw;
    if (!U16(&n)) return false;
    if (n > max_len) return Invalid();
    if (!Raw(n, &raw)) return false;
    out->assign(raw.begin(), raw.end());
    return true;
  }
  bool String8(std::string* out, size_t max_len) {
    uint8_t n;
    ByteSpan raw;
    if (!U8(&n)) return false;
    if (n > max_len) return Invalid();
    if (!Raw(n, &raw)) return false;
    out->assign(raw.begin(), raw.end());
    return true;
  }
  bool Skip(size_t n) {
    ByteSpan ignored;
    return Raw(n, &ignored);
  }
  bool Fail() {
    ok_ = false;
    return false;
  }
  // Fails because a value breaks a limit (as opposed to running out).
  bool Invalid() {
    invalid_ = true;
    return Fail();
  }
  bool invalid() const { return invalid_; }

 private:
  bool Need(size_t n) {
    if (!ok_ || data_.size() - pos_ < n) return Fail();
    return true;
  }

  ByteSpan data_;
  size_t pos_ = 0;
  bool ok_ = true;
  bool invalid_ = false;
};

std::string ToHex(ByteSpan data);
// Parses hex digits, ignoring ASCII whitespace. Returns false on any other
// character or an odd digit count.
bool FromHex(std::string_view text, Bytes* out);

}  // namespace hail::protocol

#endif  // HAIL_PROTOCOL_BYTE_IO_H_
