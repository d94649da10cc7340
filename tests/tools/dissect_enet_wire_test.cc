// Issue #4: the ENet 1.3 command parsers of protocol/enet_wire.h, on golden
// bytes built from enet/protocol.h's layouts, with every truncation.
#include <gtest/gtest.h>

#include "protocol/byte_io.h"
#include "protocol/enet_wire.h"

namespace hail::protocol::enet_wire {
namespace {

// Header: peer 0x0001 with SENT_TIME, sent time 0x1234, checksum.
Bytes HeaderBytes() { return {0x80, 0x01, 0x12, 0x34, 0xde, 0xad, 0xbe, 0xef}; }

Bytes Append(Bytes a, const Bytes& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// One golden command of each type (command header + body + payload).
struct Golden {
  CommandType type;
  Bytes bytes;
};

std::vector<Golden> Goldens() {
  return {
      {CommandType::kAcknowledge,
       {0x01, 0x00, 0x00, 0x05, 0x00, 0x07, 0x12, 0x30}},
      {CommandType::kConnect,
       {0x82, 0xff, 0x00, 0x01, 0x00, 0x00, 0xff, 0xff, 0x00, 0x00,
        0x05, 0x78, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x13, 0x88, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x02,
        0x01, 0x02, 0x03, 0x04, 0xb1, 0x61, 0x03, 0x8d}},
      {CommandType::kVerifyConnect,
       {0x83, 0xff, 0x00, 0x01, 0x00, 0x07, 0x00, 0x00, 0x00, 0x00, 0x05,
        0x78, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x13, 0x88, 0x00,
        0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x02, 0x01, 0x02, 0x03, 0x04}},
      {CommandType::kDisconnect,
       {0x84, 0xff, 0x00, 0x09, 0x00, 0x00, 0x00, 0x0e}},
      {CommandType::kPing, {0x85, 0xff, 0x00, 0x0a}},
      {CommandType::kSendReliable,
       {0x86, 0x00, 0x00, 0x03, 0x00, 0x02, 0xaa, 0xbb}},
      {CommandType::kSendUnreliable,
       {0x07, 0x01, 0x00, 0x03, 0x00, 0x04, 0x00, 0x01, 0xcc}},
      {CommandType::kSendFragment,
       {0x88, 0x01, 0x00, 0x10, 0x00, 0x10, 0x00, 0x02, 0x00,
        0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00,
        0x0f, 0xa0, 0x00, 0x00, 0x05, 0x50, 0xdd, 0xee}},
      {CommandType::kSendUnsequenced,
       {0x49, 0x00, 0x00, 0x00, 0x00, 0x2a, 0x00, 0x01, 0xff}},
      {CommandType::kBandwidthLimit,
       {0x8a, 0xff, 0x00, 0x04, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x20,
        0x00}},
      {CommandType::kThrottleConfigure,
       {0x8b, 0xff, 0x00, 0x05, 0x00, 0x00, 0x13, 0x88, 0x00, 0x00, 0x00, 0x02,
        0x00, 0x00, 0x00, 0x03}},
      {CommandType::kSendUnreliableFragment,
       {0x0c, 0x01, 0x00, 0x00, 0x00, 0x07, 0x00, 0x01, 0x00,
        0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x99}},
  };
}

TEST(EnetWireTest, HeaderFieldsAreReadBigEndian) {
  Datagram d =
      ParseDatagram(Append(HeaderBytes(), {0x85, 0xff, 0x00, 0x01}), true);
  ASSERT_EQ(d.error, ParseError::kOk);
  EXPECT_EQ(d.header.peer_id, 1);
  EXPECT_TRUE(d.header.sent_time_present);
  EXPECT_EQ(d.header.sent_time, 0x1234);
  EXPECT_EQ(d.header.checksum, 0xdeadbeefu);
  ASSERT_EQ(d.commands.size(), 1u);
  EXPECT_EQ(d.commands[0].type, CommandType::kPing);
  EXPECT_EQ(d.commands[0].reliable_sequence_number, 1);
}

TEST(EnetWireTest, EveryCommandParsesItsGoldenBytes) {
  for (const Golden& g : Goldens()) {
    Bytes datagram = Append(HeaderBytes(), g.bytes);
    Datagram d = ParseDatagram(datagram, true);
    ASSERT_EQ(d.error, ParseError::kOk) << CommandName(g.type);
    ASSERT_EQ(d.commands.size(), 1u);
    EXPECT_EQ(d.commands[0].type, g.type);
    EXPECT_EQ(d.commands[0].offset, 8u);
  }
}

TEST(EnetWireTest, CommandFieldsMatchTheGoldenValues) {
  std::vector<Golden> goldens = Goldens();
  Bytes all = HeaderBytes();
  for (const Golden& g : goldens) all = Append(all, g.bytes);
  Datagram d = ParseDatagram(all, true);
  ASSERT_EQ(d.error, ParseError::kOk);
  ASSERT_EQ(d.commands.size(), goldens.size());
  const Command& ack = d.commands[0];
  EXPECT_EQ(ack.reliable_sequence_number, 5);
  EXPECT_EQ(ack.received_reliable_sequence_number, 7);
  EXPECT_EQ(ack.received_sent_time, 0x1230);
  const Command& connect = d.commands[1];
  EXPECT_TRUE(connect.acknowledge);
  EXPECT_EQ(connect.channel_id, 0xff);
  EXPECT_EQ(connect.incoming_session_id, 0xff);
  EXPECT_EQ(connect.mtu, 1400u);
  EXPECT_EQ(connect.window_size, 65536u);
  EXPECT_EQ(connect.channel_count, 2u);
  EXPECT_EQ(connect.packet_throttle_interval, 5000u);
  EXPECT_EQ(connect.connect_id, 0x01020304u);
  EXPECT_EQ(connect.data, 0xb161038du);
  const Command& verify = d.commands[2];
  EXPECT_EQ(verify.outgoing_peer_id, 7);
  EXPECT_EQ(verify.connect_id, 0x01020304u);
  EXPECT_EQ(d.commands[3].data, 14u);
  const Command& reliable = d.commands[5];
  EXPECT_EQ(reliable.data_length, 2);
  EXPECT_EQ(Bytes(reliable.payload.begin(), reliable.payload.end()),
            (Bytes{0xaa, 0xbb}));
  const Command& unreliable = d.commands[6];
  EXPECT_FALSE(unreliable.acknowledge);
  EXPECT_EQ(unreliable.unreliable_sequence_number, 4);
  EXPECT_EQ(unreliable.payload.size(), 1u);
  const Command& fragment = d.commands[7];
  EXPECT_EQ(fragment.start_sequence_number, 0x10);
  EXPECT_EQ(fragment.fragment_count, 3u);
  EXPECT_EQ(fragment.fragment_number, 1u);
  EXPECT_EQ(fragment.total_length, 4000u);
  EXPECT_EQ(fragment.fragment_offset, 0x550u);
  EXPECT_EQ(fragment.payload.size(), 2u);
  const Command& unsequenced = d.commands[8];
  EXPECT_TRUE(unsequenced.unsequenced);
  EXPECT_EQ(unsequenced.unsequenced_group, 42);
  EXPECT_EQ(d.commands[9].incoming_bandwidth, 0x1000u);
  EXPECT_EQ(d.commands[9].outgoing_bandwidth, 0x2000u);
  EXPECT_EQ(d.commands[10].packet_throttle_deceleration, 3u);
  EXPECT_EQ(d.commands[11].type, CommandType::kSendUnreliableFragment);
  EXPECT_EQ(d.commands[11].payload.size(), 1u);
}

TEST(EnetWireTest, EveryTruncationFailsCleanly) {
  for (const Golden& g : Goldens()) {
    Bytes full = Append(HeaderBytes(), g.bytes);
    for (size_t n = 0; n < full.size(); ++n) {
      // An exact copy, so that AddressSanitizer sees any read past the end.
      Bytes prefix(full.begin(), full.begin() + static_cast<long>(n));
      Datagram d = ParseDatagram(prefix, true);
      EXPECT_NE(d.error, ParseError::kOk) << CommandName(g.type) << " " << n;
      EXPECT_TRUE(d.commands.empty());
      EXPECT_LE(d.error_offset, n);
    }
  }
}

TEST(EnetWireTest, UnknownCommandNumbersAreErrors) {
  for (uint8_t number : {0, 13, 14, 15}) {
    Datagram d = ParseDatagram(
        Append(HeaderBytes(), {static_cast<uint8_t>(0x80 | number), 0, 0, 0, 0,
                               0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}),
        true);
    EXPECT_EQ(d.error, ParseError::kUnknownCommand);
    EXPECT_EQ(d.error_offset, 8u);
  }
}

TEST(EnetWireTest, CommandsBeforeAnErrorAreKept) {
  Bytes datagram = Append(HeaderBytes(), {0x85, 0xff, 0x00, 0x01});
  datagram = Append(datagram, {0x86, 0x00, 0x00, 0x02, 0xff, 0xff, 0x01});
  Datagram d = ParseDatagram(datagram, true);
  EXPECT_EQ(d.error, ParseError::kTruncatedPayload);
  EXPECT_EQ(d.error_offset, 12u);
  ASSERT_EQ(d.commands.size(), 1u);
  EXPECT_EQ(d.commands[0].type, CommandType::kPing);
}

TEST(EnetWireTest, CompressedAndEmptyDatagramsAreErrors) {
  EXPECT_EQ(ParseDatagram(Bytes{0x40, 0x00, 0, 0, 0, 0, 0x85, 0xff, 0, 1}, true)
                .error,
            ParseError::kCompressed);
  EXPECT_EQ(ParseDatagram(Bytes{0x00, 0x00, 0, 0, 0, 0}, true).error,
            ParseError::kNoCommands);
  EXPECT_EQ(ParseDatagram(Bytes{}, true).error, ParseError::kTruncatedHeader);
}

TEST(EnetWireTest, CommandSizesMatchEnetProtocolHeader) {
  EXPECT_EQ(CommandSize(0), 0u);
  EXPECT_EQ(CommandSize(1), 8u);
  EXPECT_EQ(CommandSize(2), 48u);
  EXPECT_EQ(CommandSize(3), 44u);
  EXPECT_EQ(CommandSize(4), 8u);
  EXPECT_EQ(CommandSize(5), 4u);
  EXPECT_EQ(CommandSize(6), 6u);
  EXPECT_EQ(CommandSize(7), 8u);
  EXPECT_EQ(CommandSize(8), 24u);
  EXPECT_EQ(CommandSize(9), 8u);
  EXPECT_EQ(CommandSize(10), 12u);
  EXPECT_EQ(CommandSize(11), 16u);
  EXPECT_EQ(CommandSize(12), 24u);
  EXPECT_EQ(CommandSize(13), 0u);
}

}  // namespace
}  // namespace hail::protocol::enet_wire
