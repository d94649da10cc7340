// Link layer -> IPv4/IPv6 -> UDP or TCP, for the link types tcpdump writes
// on Linux and BSD (Ethernet, Linux cooked v1/v2, raw IP, loopback).
// Sans-I/O: a captured frame in, the UDP payload or TCP segment data (a view
// into it) out. Never reads past the frame; never trusts a length field.
#ifndef HAIL_TOOLS_DISSECT_LINK_LAYER_H_
#define HAIL_TOOLS_DISSECT_LINK_LAYER_H_

#include <cstdint>
#include <string>

#include "protocol/byte_io.h"

namespace hail::dissect {

// pcap link types (LINKTYPE_* values as pcap_datalink reports them).
inline constexpr int kLinkNull = 0;         // DLT_NULL: host-order AF_ word
inline constexpr int kLinkEthernet = 1;     // DLT_EN10MB
inline constexpr int kLinkRawOpenBsd = 12;  // DLT_RAW on most systems
inline constexpr int kLinkRawBsd = 14;      // DLT_RAW on some BSDs
inline constexpr int kLinkRaw = 101;        // LINKTYPE_RAW
inline constexpr int kLinkLoop = 108;       // DLT_LOOP: network-order AF_
inline constexpr int kLinkLinuxSll = 113;   // DLT_LINUX_SLL
inline constexpr int kLinkIpv4 = 228;       // DLT_IPV4
inline constexpr int kLinkIpv6 = 229;       // DLT_IPV6
inline constexpr int kLinkLinuxSll2 = 276;  // DLT_LINUX_SLL2

struct UdpEndpoint {
  bool ipv6 = false;
  std::array<uint8_t, 16> address{};  // IPv4 in the first 4 bytes
  uint16_t port = 0;
  // "1.2.3.4:5" or "[::1]:5".
  std::string ToString() const;
  auto operator<=>(const UdpEndpoint&) const = default;
};

// TCP header flags (RFC 9293 3.1).
inline constexpr uint8_t kTcpFin = 0x01;
inline constexpr uint8_t kTcpSyn = 0x02;
inline constexpr uint8_t kTcpRst = 0x04;
inline constexpr uint8_t kTcpPsh = 0x08;
inline constexpr uint8_t kTcpAck = 0x10;

// The TCP header fields the dissector reads; options are skipped.
struct TcpHeader {
  uint32_t sequence = 0;
  uint32_t acknowledgment = 0;
  uint8_t flags = 0;  // kTcp* bits
};

struct LinkResult {
  enum class Status : uint8_t {
    kUdp,        // `source`, `destination` and `payload` are set
    kTcp,        // the same, and `tcp`; `payload` is the segment's data
    kNotUdp,     // well formed, but neither UDP nor TCP over IP (ARP, ...)
    kMalformed,  // `error` says what
  };
  Status status = Status::kMalformed;
  std::string error;
  UdpEndpoint source;  // also a TCP endpoint: address and port
  UdpEndpoint destination;
  protocol::ByteSpan payload;
  TcpHeader tcp;  // kTcp only
};

// True for the link types DecodeLinkLayer understands.
bool IsSupportedLinkType(int link_type);
LinkResult DecodeLinkLayer(int link_type, protocol::ByteSpan frame);

}  // namespace hail::dissect

#endif  // HAIL_TOOLS_DISSECT_LINK_LAYER_H_
