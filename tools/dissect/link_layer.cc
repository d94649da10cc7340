#include "tools/dissect/link_layer.h"

#include <cstdio>

namespace hail::dissect {
namespace {

using protocol::ByteReader;
using protocol::ByteSpan;
using Status = LinkResult::Status;

constexpr uint16_t kEtherTypeIpv4 = 0x0800;
constexpr uint16_t kEtherTypeIpv6 = 0x86dd;
constexpr uint16_t kEtherTypeVlan = 0x8100;
constexpr uint16_t kEtherTypeQinQ = 0x88a8;
constexpr uint8_t kProtocolTcp = 6;
constexpr uint8_t kProtocolUdp = 17;
constexpr size_t kUdpHeaderSize = 8;
constexpr size_t kTcpMinHeaderSize = 20;

LinkResult Malformed(std::string error) {
  LinkResult r;
  r.status = Status::kMalformed;
  r.error = std::move(error);
  return r;
}

LinkResult NotUdp() {
  LinkResult r;
  r.status = Status::kNotUdp;
  return r;
}

LinkResult DecodeUdp(ByteSpan segment, LinkResult r) {
  ByteReader reader(segment);
  uint16_t length = 0;
  uint16_t checksum = 0;
  if (!reader.U16(&r.source.port) || !reader.U16(&r.destination.port) ||
      !reader.U16(&length) || !reader.U16(&checksum)) {
    return Malformed("truncated UDP header");
  }
  if (length < kUdpHeaderSize) return Malformed("UDP length below 8");
  if (length > segment.size()) {
    return Malformed("UDP length " + std::to_string(length) +
                     " exceeds the captured " + std::to_string(segment.size()) +
                     " bytes");
  }
  r.payload = segment.subspan(kUdpHeaderSize, length - kUdpHeaderSize);
  r.status = Status::kUdp;
  return r;
}

// `segment` is the whole IP payload: the TCP header, options, then data.
LinkResult DecodeTcp(ByteSpan segment, LinkResult r) {
  ByteReader reader(segment);
  uint8_t offset_byte = 0;
  if (!reader.U16(&r.source.port) || !reader.U16(&r.destination.port) ||
      !reader.U32(&r.tcp.sequence) || !reader.U32(&r.tcp.acknowledgment) ||
      !reader.U8(&offset_byte) || !reader.U8(&r.tcp.flags)) {
    return Malformed("truncated TCP header");
  }
  size_t header_length = (size_t{offset_byte} >> 4) * 4;
  if (header_length < kTcpMinHeaderSize) {
    return Malformed("TCP data offset below 20 bytes");
  }
  if (header_length > segment.size()) {
    return Malformed("TCP data offset " + std::to_string(header_length) +
                     " exceeds the captured " + std::to_string(segment.size()) +
                     " bytes");
  }
  r.payload = segment.subspan(header_length);
  r.status = Status::kTcp;
  return r;
}

// The transport header after IP: UDP, TCP, or neither.
LinkResult DecodeTransport(uint8_t protocol, ByteSpan segment, LinkResult r) {
  if (protocol == kProtocolUdp) return DecodeUdp(segment, std::move(r));
  if (protocol == kProtocolTcp) return DecodeTcp(segment, std::move(r));
  return NotUdp();
}

LinkResult DecodeIpv4(ByteSpan packet) {
  ByteReader reader(packet);
  uint8_t version_ihl = 0, tos = 0, ttl = 0, protocol = 0;
  uint16_t total_length = 0, id = 0, fragment = 0, checksum = 0;
  LinkResult r;
  if (!reader.U8(&version_ihl) || !reader.U8(&tos) ||
      !reader.U16(&total_length) || !reader.U16(&id) ||
      !reader.U16(&fragment) || !reader.U8(&ttl) || !reader.U8(&protocol) ||
      !reader.U16(&checksum)) {
    return Malformed("truncated IPv4 header");
  }
  std::array<uint8_t, 4> src{}, dst{};
  if (!reader.Fixed(&src) || !reader.Fixed(&dst)) {
    return Malformed("truncated IPv4 header");
  }
  if ((version_ihl >> 4) != 4) return Malformed("IP version is not 4");
  size_t header_length = size_t{version_ihl & 0x0fu} * 4;
  if (header_length < 20) return Malformed("IPv4 header length below 20");
  if (total_length < header_length) {
    return Malformed("IPv4 total length below its header length");
  }
  if (total_length > packet.size()) {
    return Malformed("IPv4 total length " + std::to_string(total_length) +
                     " exceeds the captured " + std::to_string(packet.size()) +
                     " bytes");
  }
  if (protocol != kProtocolUdp && protocol != kProtocolTcp) return NotUdp();
  if ((fragment & 0x3fff) != 0) {
    return Malformed("IPv4 fragment (not reassembled)");
  }
  std::copy(src.begin(), src.end(), r.source.address.begin());
  std::copy(dst.begin(), dst.end(), r.destination.address.begin());
  return DecodeTransport(
      protocol, packet.subspan(header_length, total_length - header_length), r);
}

LinkResult DecodeIpv6(ByteSpan packet) {
  ByteReader reader(packet);
  uint32_t first = 0;
  uint16_t payload_length = 0;
  uint8_t next = 0, hop_limit = 0;
  LinkResult r;
  r.source.ipv6 = r.destination.ipv6 = true;
  if (!reader.U32(&first) || !reader.U16(&payload_length) ||
      !reader.U8(&next) || !reader.U8(&hop_limit) ||
      !reader.Fixed(&r.source.address) ||
      !reader.Fixed(&r.destination.address)) {
    return Malformed("truncated IPv6 header");
  }
  if ((first >> 28) != 6) return Malformed("IP version is not 6");
  if (payload_length > reader.remaining()) {
    return Malformed("IPv6 payload length exceeds the captured bytes");
  }
  ByteSpan rest = packet.subspan(40, payload_length);
  // Hop-by-hop, routing and destination options headers: skip them.
  for (int hops = 0; hops < 8 && (next == 0 || next == 43 || next == 60);
       ++hops) {
    ByteReader ext(rest);
    uint8_t following = 0, length = 0;
    if (!ext.U8(&following) || !ext.U8(&length)) {
      return Malformed("truncated IPv6 extension header");
    }
    size_t size = (size_t{length} + 1) * 8;
    if (size > rest.size()) return Malformed("truncated IPv6 extension header");
    rest = rest.subspan(size);
    next = following;
  }
  if (next == 44) return Malformed("IPv6 fragment (not reassembled)");
  return DecodeTransport(next, rest, r);
}

LinkResult DecodeByEtherType(uint16_t ether_type, ByteSpan rest) {
  if (ether_type == kEtherTypeIpv4) return DecodeIpv4(rest);
  if (ether_type == kEtherTypeIpv6) return DecodeIpv6(rest);
  return NotUdp();
}

LinkResult DecodeByFamily(uint32_t family, ByteSpan rest) {
  if (family == 2) return DecodeIpv4(rest);
  // AF_INET6 is 10 on Linux, 24, 28 or 30 on the BSDs and macOS.
  if (family == 10 || family == 24 || family == 28 || family == 30) {
    return DecodeIpv6(rest);
  }
  return NotUdp();
}

LinkResult DecodeRawIp(ByteSpan packet) {
  if (packet.empty()) return Malformed("empty IP packet");
  uint8_t version = packet[0] >> 4;
  if (version == 4) return DecodeIpv4(packet);
  if (version == 6) return DecodeIpv6(packet);
  return Malformed("IP version " + std::to_string(version));
}

}  // namespace

std::string UdpEndpoint::ToString() const {
  char text[64];
  if (!ipv6) {
    std::snprintf(text, sizeof text, "%u.%u.%u.%u:%u", address[0], address[1],
                  address[2], address[3], port);
    return text;
  }
  std::string out = "[";
  for (int i = 0; i < 8; ++i) {
    if (i > 0) out += ':';
    std::snprintf(text, sizeof text, "%x",
                  (address[2 * i] << 8) | address[2 * i + 1]);
    out += text;
  }
  return out + "]:" + std::to_string(port);
}

bool IsSupportedLinkType(int link_type) {
  switch (link_type) {
    case kLinkNull:
    case kLinkEthernet:
    case kLinkRawOpenBsd:
    case kLinkRawBsd:
    case kLinkRaw:
    case kLinkLoop:
    case kLinkLinuxSll:
    case kLinkIpv4:
    case kLinkIpv6:
    case kLinkLinuxSll2:
      return true;
    default:
      return false;
  }
}

LinkResult DecodeLinkLayer(int link_type, ByteSpan frame) {
  ByteReader reader(frame);
  switch (link_type) {
    case kLinkNull:
    case kLinkLoop: {
      if (frame.size() < 4) return Malformed("truncated loopback header");
      uint32_t big = 0;
      reader.U32(&big);
      uint32_t family = big;
      if (link_type == kLinkNull && (big & 0xffff) == 0) {
        // Written in the capturing host's order; accept either.
        family = ((big & 0xff) << 24) | ((big & 0xff00) << 8) |
                 ((big >> 8) & 0xff00) | (big >> 24);
      }
      return DecodeByFamily(family, frame.subspan(4));
    }
    case kLinkEthernet: {
      if (frame.size() < 14) return Malformed("truncated Ethernet header");
      reader.Skip(12);
      uint16_t ether_type = 0;
      reader.U16(&ether_type);
      for (int tags = 0; tags < 2 && (ether_type == kEtherTypeVlan ||
                                      ether_type == kEtherTypeQinQ);
           ++tags) {
        uint16_t tci = 0;
        if (!reader.U16(&tci) || !reader.U16(&ether_type)) {
          return Malformed("truncated VLAN tag");
        }
      }
      return DecodeByEtherType(ether_type, reader.Rest());
    }
    case kLinkLinuxSll: {
      if (frame.size() < 16) return Malformed("truncated Linux SLL header");
      reader.Skip(14);
      uint16_t protocol = 0;
      reader.U16(&protocol);
      return DecodeByEtherType(protocol, reader.Rest());
    }
    case kLinkLinuxSll2: {
      if (frame.size() < 20) return Malformed("truncated Linux SLL2 header");
      uint16_t protocol = 0;
      reader.U16(&protocol);
      return DecodeByEtherType(protocol, frame.subspan(20));
    }
    case kLinkRawOpenBsd:
    case kLinkRawBsd:
    case kLinkRaw:
      return DecodeRawIp(frame);
    case kLinkIpv4:
      return DecodeIpv4(frame);
    case kLinkIpv6:
      return DecodeIpv6(frame);
    default:
      return Malformed("unsupported link type " + std::to_string(link_type));
  }
}

}  // namespace hail::dissect
