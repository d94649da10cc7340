// Builders of synthetic Hail traffic for the hail-dissect tests: raw IPv4
// and UDP around pre-session datagrams and ENet commands, and pcap files.
// Checksums are left zero (the dissector does not verify them).
#ifndef HAIL_TESTS_TOOLS_DISSECT_PACKETS_H_
#define HAIL_TESTS_TOOLS_DISSECT_PACKETS_H_

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "protocol/byte_io.h"

namespace hail::testing::dissect_packets {

using protocol::Bytes;
using protocol::ByteWriter;

inline constexpr uint16_t kServerPort = 4000;
inline constexpr uint16_t kClientPort = 51000;
inline constexpr int kLinkRaw = 101;

// IPv4 127.0.0.1 -> 127.0.0.1, UDP `source` -> `destination`.
inline Bytes Ipv4Udp(uint16_t source, uint16_t destination,
                     const Bytes& payload) {
  Bytes out;
  ByteWriter w(&out);
  w.U8(0x45);
  w.U8(0);
  w.U16(static_cast<uint16_t>(20 + 8 + payload.size()));
  w.U16(0);
  w.U16(0x4000);  // don't fragment
  w.U8(64);
  w.U8(17);
  w.U16(0);
  w.U32(0x7f000001);
  w.U32(0x7f000001);
  w.U16(source);
  w.U16(destination);
  w.U16(static_cast<uint16_t>(8 + payload.size()));
  w.U16(0);
  w.Raw(protocol::ByteSpan(payload));
  return out;
}

// IPv4 127.0.0.1 -> 127.0.0.1, TCP `source` -> `destination` with 12 bytes
// of options (NOP, NOP, timestamps) before `payload`.
inline Bytes Ipv4Tcp(uint16_t source, uint16_t destination, uint32_t sequence,
                     uint32_t acknowledgment, uint8_t flags,
                     const Bytes& payload) {
  Bytes out;
  ByteWriter w(&out);
  w.U8(0x45);
  w.U8(0);
  w.U16(static_cast<uint16_t>(20 + 32 + payload.size()));
  w.U16(0);
  w.U16(0x4000);
  w.U8(64);
  w.U8(6);
  w.U16(0);
  w.U32(0x7f000001);
  w.U32(0x7f000001);
  w.U16(source);
  w.U16(destination);
  w.U32(sequence);
  w.U32(acknowledgment);
  w.U8(8 << 4);  // data offset: 8 words
  w.U8(flags);
  w.U16(65535);  // window
  w.U16(0);      // checksum
  w.U16(0);      // urgent pointer
  w.U8(1);
  w.U8(1);
  w.U8(8);
  w.U8(10);
  w.U32(1);
  w.U32(2);
  w.Raw(protocol::ByteSpan(payload));
  return out;
}

inline Bytes ToServer(const Bytes& payload) {
  return Ipv4Udp(kClientPort, kServerPort, payload);
}
inline Bytes ToClient(const Bytes& payload) {
  return Ipv4Udp(kServerPort, kClientPort, payload);
}

// ENet header without sent time, CRC32 field zero, then the commands.
inline Bytes Enet(uint16_t peer_id, const Bytes& commands) {
  Bytes out;
  ByteWriter w(&out);
  w.U16(peer_id);
  w.U32(0);
  w.Raw(protocol::ByteSpan(commands));
  return out;
}

inline Bytes SendReliable(uint8_t channel, uint16_t sequence,
                          const Bytes& payload) {
  Bytes out;
  ByteWriter w(&out);
  w.U8(0x86);
  w.U8(channel);
  w.U16(sequence);
  w.U16(static_cast<uint16_t>(payload.size()));
  w.Raw(protocol::ByteSpan(payload));
  return out;
}

inline Bytes SendFragment(uint8_t channel, uint16_t sequence, uint16_t start,
                          uint32_t count, uint32_t number, uint32_t total,
                          uint32_t offset, const Bytes& data) {
  Bytes out;
  ByteWriter w(&out);
  w.U8(0x88);
  w.U8(channel);
  w.U16(sequence);
  w.U16(start);
  w.U16(static_cast<uint16_t>(data.size()));
  w.U32(count);
  w.U32(number);
  w.U32(total);
  w.U32(offset);
  w.Raw(protocol::ByteSpan(data));
  return out;
}

// A classic pcap file (microseconds, host byte order) of raw IPv4 frames.
// `snaplen` and each record's caplen can be made to lie.
struct PcapRecord {
  Bytes data;
  uint32_t caplen_override = 0;  // 0: data.size()
};

inline Bytes PcapFile(const std::vector<PcapRecord>& records,
                      uint32_t snaplen = 65535, uint32_t link = kLinkRaw) {
  Bytes out;
  auto put32 = [&](uint32_t v) {
    uint8_t b[4];
    std::memcpy(b, &v, 4);
    out.insert(out.end(), b, b + 4);
  };
  auto put16 = [&](uint16_t v) {
    uint8_t b[2];
    std::memcpy(b, &v, 2);
    out.insert(out.end(), b, b + 2);
  };
  put32(0xa1b2c3d4);
  put16(2);
  put16(4);
  put32(0);
  put32(0);
  put32(snaplen);
  put32(link);
  uint32_t second = 1764547200;
  for (const PcapRecord& r : records) {
    put32(second++);
    put32(123456);
    put32(r.caplen_override ? r.caplen_override
                            : static_cast<uint32_t>(r.data.size()));
    put32(static_cast<uint32_t>(r.data.size()));
    out.insert(out.end(), r.data.begin(), r.data.end());
  }
  return out;
}

}  // namespace hail::testing::dissect_packets

#endif  // HAIL_TESTS_TOOLS_DISSECT_PACKETS_H_
