// An IP endpoint as carried on the wire (SPEC.md "Conventions: endpoint").
// Wire form: family u8 (0 none, 4 IPv4, 6 IPv6), then 0, 4 or 16 address
// bytes, then port u16 (absent for family 0).
#ifndef HAIL_PROTOCOL_ENDPOINT_H_
#define HAIL_PROTOCOL_ENDPOINT_H_

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "protocol/byte_io.h"

namespace hail::protocol {

struct Endpoint {
  enum class Family : uint8_t { kNone = 0, kIpv4 = 4, kIpv6 = 6 };

  Family family = Family::kNone;
  // IPv4 uses the first 4 bytes; the rest stay zero.
  std::array<uint8_t, 16> address{};
  uint16_t port = 0;

  static Endpoint Ipv4(uint32_t host_order_address, uint16_t port);
  bool empty() const { return family == Family::kNone; }
  // "1.2.3.4:5", "[::1]:5", or "-" when empty.
  std::string ToString() const;
  // Parses the forms ToString produces (no names, no resolution).
  static std::optional<Endpoint> Parse(std::string_view text);
  // For IPv4, the address in host byte order.
  uint32_t Ipv4HostOrder() const;

  auto operator<=>(const Endpoint&) const = default;
};

void EncodeEndpoint(const Endpoint& endpoint, ByteWriter* writer);
bool DecodeEndpoint(ByteReader* reader, Endpoint* endpoint);

}  // namespace hail::protocol

#endif  // HAIL_PROTOCOL_ENDPOINT_H_
