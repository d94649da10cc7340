// Pre-session datagrams and the demultiplexing rule of SPEC.md "One port,
// three kinds of datagram". A client proves it receives at its address
// before the server allocates anything: HELLO (padded to 64 bytes) is
// answered by a stateless COOKIE (20 bytes) bound to the source address and
// the current minute; the cookie then rides in ENet's CONNECT data.
#ifndef HAIL_PROTOCOL_PRESESSION_H_
#define HAIL_PROTOCOL_PRESESSION_H_

#include <array>
#include <cstdint>
#include <optional>

#include "protocol/byte_io.h"
#include "protocol/endpoint.h"
#include "protocol/error_code.h"

namespace hail::protocol {

// "HAIL": its first byte sets ENet's COMPRESSED header flag, which Hail never
// enables, so no valid Hail ENet datagram starts with it.
inline constexpr std::array<uint8_t, 4> kPresessionMagic = {0x48, 0x41, 0x49,
                                                            0x4c};
inline constexpr uint8_t kPresessionVersion = 1;
inline constexpr size_t kHelloSize = 64;
inline constexpr size_t kCookieSize = 20;
inline constexpr size_t kPresessionRejectSize = 16;
// A cookie is valid in the minute it was minted and the next one.
inline constexpr uint64_t kCookieBucketSeconds = 60;

// kProbe is sent between clients only (protocol/p2p_link.h).
enum class PresessionType : uint8_t {
  kHello = 1,
  kCookie = 2,
  kReject = 3,
  kProbe = 4
};

struct HelloDatagram {
  uint8_t version = kPresessionVersion;
  uint64_t client_nonce = 0;
};

struct CookieDatagram {
  uint8_t version = kPresessionVersion;
  uint64_t client_nonce = 0;
  uint32_t cookie = 0;
  uint16_t valid_for_seconds = kCookieBucketSeconds;
};

struct PresessionRejectDatagram {
  uint8_t highest_version = kPresessionVersion;
  uint64_t client_nonce = 0;
  ErrorCode error = ErrorCode::kUnsupportedVersion;
};

Bytes EncodeHello(const HelloDatagram& hello);
Bytes EncodeCookie(const CookieDatagram& cookie);
Bytes EncodePresessionReject(const PresessionRejectDatagram& reject);
// Each decoder checks magic, type and exact length; HELLO also requires its
// padding to be zero.
std::optional<HelloDatagram> DecodeHello(ByteSpan datagram);
std::optional<CookieDatagram> DecodeCookie(ByteSpan datagram);
std::optional<PresessionRejectDatagram> DecodePresessionReject(
    ByteSpan datagram);

enum class DatagramClass : uint8_t {
  kHail,  // starts with kPresessionMagic
  kStun,  // RFC 8489 shape, or a classic RFC 3489 Binding request
  kEnet,  // anything else; ENet validates it
};

// SPEC.md 3.2. A classic (cookie-less) Binding request has the shape of an
// ENet datagram for peer 1, session 0; the caller passes
// `classic_stun_allowed` only when ENet would drop such a datagram from this
// source anyway (its host's peer 1 is not connected to that source), so
// nothing ENet would accept is ever classified as STUN. Clients never
// expect classic STUN and leave it false.
DatagramClass ClassifyDatagram(ByteSpan datagram,
                               bool classic_stun_allowed = false);
// The classic request shape alone: bytes 00 01, a length matching the size
// (a multiple of 4), no magic cookie.
bool HasClassicStunRequestShape(ByteSpan datagram);

// Mints and checks address-bound cookies. Stateless apart from the secret;
// one instance may be shared by every loop thread (read-only after
// construction).
class CookieMinter {
 public:
  explicit CookieMinter(const std::array<uint8_t, 32>& secret);
  uint32_t Mint(const Endpoint& source, uint64_t now_unix) const;
  bool Verify(const Endpoint& source, uint32_t cookie, uint64_t now_unix) const;

 private:
  uint32_t Compute(const Endpoint& source, uint64_t bucket) const;
  std::array<uint8_t, 32> secret_;
};

}  // namespace hail::protocol

#endif  // HAIL_PROTOCOL_PRESESSION_H_
