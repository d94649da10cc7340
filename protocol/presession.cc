#include "protocol/presession.h"

#include <sodium.h>

#include <algorithm>

namespace hail::protocol {
namespace {

void WriteHead(ByteWriter* w, PresessionType type, uint8_t version) {
  w->Raw(ByteSpan(kPresessionMagic));
  w->U8(static_cast<uint8_t>(type));
  w->U8(version);
}

// Checks magic, exact size and type; leaves `r` after the type byte.
bool ReadHead(ByteReader* r, ByteSpan datagram, size_t size,
              PresessionType type) {
  if (datagram.size() != size) return false;
  ByteSpan magic;
  uint8_t t;
  if (!r->Raw(4, &magic) ||
      !std::equal(magic.begin(), magic.end(), kPresessionMagic.begin())) {
    return false;
  }
  return r->U8(&t) && t == static_cast<uint8_t>(type);
}

}  // namespace

Bytes EncodeHello(const HelloDatagram& hello) {
  Bytes out;
  ByteWriter w(&out);
  WriteHead(&w, PresessionType::kHello, hello.version);
  w.U64(hello.client_nonce);
  w.Zeros(kHelloSize - out.size());
  return out;
}

Bytes EncodeCookie(const CookieDatagram& cookie) {
  Bytes out;
  ByteWriter w(&out);
  WriteHead(&w, PresessionType::kCookie, cookie.version);
  w.U64(cookie.client_nonce);
  w.U32(cookie.cookie);
  w.U16(cookie.valid_for_seconds);
  return out;
}

Bytes EncodePresessionReject(const PresessionRejectDatagram& reject) {
  Bytes out;
  ByteWriter w(&out);
  WriteHead(&w, PresessionType::kReject, reject.highest_version);
  w.U64(reject.client_nonce);
  w.U16(static_cast<uint16_t>(reject.error));
  return out;
}

std::optional<HelloDatagram> DecodeHello(ByteSpan datagram) {
  ByteReader r(datagram);
  HelloDatagram hello;
  if (!ReadHead(&r, datagram, kHelloSize, PresessionType::kHello) ||
      !r.U8(&hello.version) || !r.U64(&hello.client_nonce)) {
    return std::nullopt;
  }
  ByteSpan padding = r.Rest();
  if (!std::all_of(padding.begin(), padding.end(),
                   [](uint8_t b) { return b == 0; })) {
    return std::nullopt;
  }
  return hello;
}

std::optional<CookieDatagram> DecodeCookie(ByteSpan datagram) {
  ByteReader r(datagram);
  CookieDatagram cookie;
  if (!ReadHead(&r, datagram, kCookieSize, PresessionType::kCookie) ||
      !r.U8(&cookie.version) || !r.U64(&cookie.client_nonce) ||
      !r.U32(&cookie.cookie) || !r.U16(&cookie.valid_for_seconds)) {
    return std::nullopt;
  }
  return cookie;
}

std::optional<PresessionRejectDatagram> DecodePresessionReject(
    ByteSpan datagram) {
  ByteReader r(datagram);
  PresessionRejectDatagram reject;
  uint16_t error;
  if (!ReadHead(&r, datagram, kPresessionRejectSize, PresessionType::kReject) ||
      !r.U8(&reject.highest_version) || !r.U64(&reject.client_nonce) ||
      !r.U16(&error)) {
    return std::nullopt;
  }
  reject.error = static_cast<ErrorCode>(error);
  return reject;
}

namespace {

// STUN's fixed header: at least 20 bytes, top two bits of byte 0 clear, and
// the size equal to 20 plus the u16 at bytes 2..3, a multiple of 4.
bool HasStunHeaderShape(ByteSpan datagram) {
  if (datagram.size() < 20 || (datagram[0] & 0xc0) != 0) return false;
  size_t length = size_t{datagram[2]} << 8 | datagram[3];
  return length % 4 == 0 && datagram.size() == 20 + length;
}

bool HasMagicCookie(ByteSpan datagram) {
  return datagram[4] == 0x21 && datagram[5] == 0x12 && datagram[6] == 0xa4 &&
         datagram[7] == 0x42;
}

}  // namespace

bool HasClassicStunRequestShape(ByteSpan datagram) {
  return HasStunHeaderShape(datagram) && datagram[0] == 0x00 &&
         datagram[1] == 0x01 && !HasMagicCookie(datagram);
}

DatagramClass ClassifyDatagram(ByteSpan datagram, bool classic_stun_allowed) {
  if (datagram.size() >= 4 &&
      std::equal(kPresessionMagic.begin(), kPresessionMagic.end(),
                 datagram.begin())) {
    return DatagramClass::kHail;
  }
  // RFC 8489 section 5: the header shape and the magic cookie 0x2112A442.
  if (HasStunHeaderShape(datagram) && HasMagicCookie(datagram)) {
    return DatagramClass::kStun;
  }
  if (classic_stun_allowed && HasClassicStunRequestShape(datagram)) {
    return DatagramClass::kStun;
  }
  return DatagramClass::kEnet;
}

CookieMinter::CookieMinter(const std::array<uint8_t, 32>& secret)
    : secret_(secret) {}

uint32_t CookieMinter::Compute(const Endpoint& source, uint64_t bucket) const {
  static constexpr char kLabel[] = "hail-cookie-v1";
  Bytes input;
  ByteWriter w(&input);
  w.Raw(std::string_view(kLabel));
  w.U8(static_cast<uint8_t>(source.family));
  w.Raw(ByteSpan(source.address));
  w.U16(source.port);
  w.U64(bucket);
  std::array<uint8_t, crypto_generichash_BYTES_MIN> mac;
  crypto_generichash(mac.data(), mac.size(), input.data(), input.size(),
                     secret_.data(), secret_.size());
  return uint32_t{mac[0]} << 24 | uint32_t{mac[1]} << 16 |
         uint32_t{mac[2]} << 8 | mac[3];
}

uint32_t CookieMinter::Mint(const Endpoint& source, uint64_t now_unix) const {
  return Compute(source, now_unix / kCookieBucketSeconds);
}

bool CookieMinter::Verify(const Endpoint& source, uint32_t cookie,
                          uint64_t now_unix) const {
  uint64_t bucket = now_unix / kCookieBucketSeconds;
  if (Compute(source, bucket) == cookie) return true;
  return bucket > 0 && Compute(source, bucket - 1) == cookie;
}

}  // namespace hail::protocol
