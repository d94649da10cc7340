// Issue #5: hail-dissect on the TCP fallback (SPEC.md 3.8). The stream
// reassembler alone (order, retransmissions, bounds), then the Dissector on
// hand-built segments: records split across segments, an out-of-order
// segment, a retransmission, CLOSE, a broken stream and a capture that
// starts mid-stream.
#include <gtest/gtest.h>
#include <sodium.h>

#include <numeric>

#include "protocol/error_code.h"
#include "protocol/handshake.h"
#include "protocol/registry.h"
#include "protocol/stream_framing.h"
#include "tests/tools/dissect_json.h"
#include "tests/tools/dissect_packets.h"
#include "tools/dissect/dissector.h"
#include "tools/dissect/printers.h"
#include "tools/dissect/tcp_stream_reassembler.h"

namespace hail::dissect {
namespace {

namespace packets = testing::dissect_packets;
using protocol::Bytes;
using protocol::ByteSpan;
using testing::Json;

Bytes Counting(size_t size) {
  Bytes bytes(size);
  std::iota(bytes.begin(), bytes.end(), uint8_t{0});
  return bytes;
}

ByteSpan Slice(const Bytes& bytes, size_t offset, size_t length) {
  return ByteSpan(bytes).subspan(offset, length);
}

TEST(TcpStreamReassemblerTest, InOrderSegmentsAreDeliveredAtOnce) {
  TcpStreamReassembler r;
  Bytes data = Counting(300);
  EXPECT_TRUE(r.Add(1000, true, {}).delivered.empty());
  EXPECT_EQ(r.Add(1001, false, Slice(data, 0, 100)).delivered,
            Bytes(data.begin(), data.begin() + 100));
  EXPECT_EQ(r.Add(1101, false, Slice(data, 100, 200)).delivered,
            Bytes(data.begin() + 100, data.end()));
  EXPECT_EQ(r.Relative(1101), 101u);
}

TEST(TcpStreamReassemblerTest, OutOfOrderSegmentWaitsForTheGap) {
  TcpStreamReassembler r;
  Bytes data = Counting(300);
  r.Add(5, true, {});
  TcpStreamReassembler::Result later = r.Add(206, false, Slice(data, 200, 100));
  EXPECT_TRUE(later.delivered.empty());
  EXPECT_EQ(later.held_bytes, 100u);
  EXPECT_EQ(r.held(), 100u);
  EXPECT_EQ(r.Add(6, false, Slice(data, 0, 100)).delivered.size(), 100u);
  TcpStreamReassembler::Result fill = r.Add(106, false, Slice(data, 100, 100));
  EXPECT_EQ(fill.delivered, Bytes(data.begin() + 100, data.end()));
  EXPECT_EQ(r.held(), 0u);
}

TEST(TcpStreamReassemblerTest, RetransmittedBytesAreSkipped) {
  TcpStreamReassembler r;
  Bytes data = Counting(200);
  r.Add(0xfffffff0, true, {});  // the sequence numbers wrap
  r.Add(0xfffffff1, false, Slice(data, 0, 100));
  TcpStreamReassembler::Result again =
      r.Add(0xfffffff1, false, Slice(data, 0, 100));
  EXPECT_TRUE(again.delivered.empty());
  EXPECT_EQ(again.duplicate_bytes, 100u);
  // Overlapping: the first 50 bytes are old, the next 100 new.
  TcpStreamReassembler::Result overlap =
      r.Add(0xfffffff1 + 50, false, Slice(data, 50, 150));
  EXPECT_EQ(overlap.duplicate_bytes, 50u);
  EXPECT_EQ(overlap.delivered, Bytes(data.begin() + 100, data.end()));
}

TEST(TcpStreamReassemblerTest, SegmentFarAheadBreaksTheDirection) {
  TcpStreamReassembler r;
  r.Add(0, true, {});
  Bytes data = Counting(100);
  TcpStreamReassembler::Result far =
      r.Add(1 + TcpStreamReassembler::kMaxAheadBytes, false, data);
  EXPECT_EQ(far.dropped_bytes, 100u);
  EXPECT_TRUE(r.broken());
  EXPECT_TRUE(r.Add(1, false, data).delivered.empty());
}

TEST(TcpStreamReassemblerTest, HeldBytesAreBounded) {
  TcpStreamReassembler r;
  r.Add(0, true, {});
  Bytes chunk(1000, 7);
  uint32_t sequence = 1001;  // the first 1000 bytes never arrive
  size_t dropped = 0;
  for (int i = 0; i < 300 && dropped == 0; ++i, sequence += 1000) {
    dropped = r.Add(sequence, false, chunk).dropped_bytes;
  }
  EXPECT_EQ(dropped, 1000u);
  EXPECT_TRUE(r.broken());
  EXPECT_EQ(r.held(), 0u);
}

TEST(TcpStreamReassemblerTest, DataWithoutSynIsMidstream) {
  TcpStreamReassembler r;
  TcpStreamReassembler::Result result = r.Add(12345, false, Counting(10));
  EXPECT_TRUE(result.midstream);
  EXPECT_TRUE(result.delivered.empty());
  EXPECT_TRUE(r.midstream());
}

Bytes Plain(const protocol::Message& message) {
  Bytes frame = {protocol::kFramePlain};
  Bytes body = protocol::EncodeMessage(message);
  frame.insert(frame.end(), body.begin(), body.end());
  return frame;
}

class DissectTcpTest : public ::testing::Test {
 protected:
  static constexpr uint32_t kClientIsn = 0x10000000;
  static constexpr uint32_t kServerIsn = 0x7ffffff0;

  DissectTcpTest() : dissector_(Dissector::Options{}) {
    EXPECT_GE(sodium_init(), 0);
    hello_.client_ephemeral_key.fill(0x5a);
    keys_.client_to_server.fill(0x11);
    keys_.server_to_client.fill(0x22);
    protocol::KeyLogEntry entry;
    entry.client_ephemeral = hello_.client_ephemeral_key;
    entry.keys = keys_;
    dissector_.AddKeys(entry);
  }

  DatagramResult Feed(const Bytes& ip_packet) {
    CapturedFrame frame;
    frame.link_type = packets::kLinkRaw;
    frame.data = ip_packet;
    frame.original_length = ip_packet.size();
    return dissector_.Dissect(frame);
  }

  // Client data at stream offset `offset` (0 = first byte).
  DatagramResult ToServer(size_t offset, const Bytes& data) {
    return Feed(packets::Ipv4Tcp(packets::kClientPort, packets::kServerPort,
                                 kClientIsn + 1 + static_cast<uint32_t>(offset),
                                 kServerIsn + 1, kTcpAck | kTcpPsh, data));
  }
  DatagramResult ToClient(size_t offset, const Bytes& data) {
    return Feed(packets::Ipv4Tcp(packets::kServerPort, packets::kClientPort,
                                 kServerIsn + 1 + static_cast<uint32_t>(offset),
                                 kClientIsn + 1, kTcpAck | kTcpPsh, data));
  }

  void Handshake() {
    DatagramResult syn =
        Feed(packets::Ipv4Tcp(packets::kClientPort, packets::kServerPort,
                              kClientIsn, 0, kTcpSyn, {}));
    EXPECT_EQ(syn.datagram_class, DatagramClass::kTcp);
    EXPECT_EQ(syn.tcp->flags, "SYN");
    EXPECT_EQ(syn.tcp->sequence, 0u);
    Feed(packets::Ipv4Tcp(packets::kServerPort, packets::kClientPort,
                          kServerIsn, kClientIsn + 1, kTcpSyn | kTcpAck, {}));
    DatagramResult ack =
        Feed(packets::Ipv4Tcp(packets::kClientPort, packets::kServerPort,
                              kClientIsn + 1, kServerIsn + 1, kTcpAck, {}));
    EXPECT_EQ(ack.tcp->sequence, 1u);
    EXPECT_EQ(ack.tcp->acknowledgment, 1u);
    EXPECT_TRUE(ack.problems.empty());
  }

  Bytes HelloRecord() {
    return protocol::stream::EncodeFrameRecord(0, Plain(hello_));
  }

  Dissector dissector_;
  protocol::ClientHello hello_;
  protocol::SessionKeys keys_;
};

TEST_F(DissectTcpTest, RecordSplitAcrossSegmentsIsDecodedWhenComplete) {
  Handshake();
  Bytes record = HelloRecord();
  DatagramResult first = ToServer(0, Bytes(record.begin(), record.begin() + 3));
  EXPECT_TRUE(first.tcp->records.empty());
  DatagramResult second =
      ToServer(3, Bytes(record.begin() + 3, record.begin() + 20));
  EXPECT_TRUE(second.tcp->records.empty());
  DatagramResult last = ToServer(20, Bytes(record.begin() + 20, record.end()));
  ASSERT_EQ(last.tcp->records.size(), 1u);
  EXPECT_EQ(last.tcp->records[0].channel, 0);
  EXPECT_EQ(last.tcp->records[0].length, record.size() - 5);
  ASSERT_EQ(last.hail.size(), 1u);
  EXPECT_EQ(last.hail[0].kind, "CLIENT_HELLO");
  EXPECT_FALSE(last.hail[0].sealed);
  EXPECT_TRUE(last.problems.empty()) << last.problems[0].text;
  EXPECT_NE(FormatLine(last, {}).find("TCP [PSH,ACK] seq=21 ack=1 len="),
            std::string::npos)
      << FormatLine(last, {});
  EXPECT_NE(FormatLine(last, {}).find("> ch0 CLIENT_HELLO"), std::string::npos);
  Json json = Json::Parse(FormatJson(last, {}));
  EXPECT_EQ(json.keys(),
            (std::vector<std::string>{"frame", "time", "src", "dst", "class",
                                      "tcp", "hail", "errors"}));
  EXPECT_EQ(json["class"].text, "tcp");
  EXPECT_EQ(json["tcp"]["seq"].number(), 21);
  EXPECT_EQ(json["tcp"]["records"].array.size(), 1u);
  EXPECT_EQ(json["hail"].array[0]["kind"].text, "CLIENT_HELLO");
  EXPECT_NE(FormatTree(last, {}).find("Hail record 1: channel 0"),
            std::string::npos);
}

TEST_F(DissectTcpTest, SealedRecordsDecryptOutOfOrderAndRetransmitted) {
  Handshake();
  Bytes hello = HelloRecord();
  ToServer(0, hello);
  protocol::SecureChannel server(keys_, protocol::SecureChannel::Role::kServer);
  protocol::Pong pong;
  pong.nonce = 77;
  Bytes first = protocol::stream::EncodeFrameRecord(
      0, server.Seal(0, protocol::EncodeMessage(pong)));
  pong.nonce = 78;
  Bytes second = protocol::stream::EncodeFrameRecord(
      0, server.Seal(0, protocol::EncodeMessage(pong)));
  // Two records in two segments that cut the second record in half; the
  // later segment arrives first.
  Bytes stream = first;
  stream.insert(stream.end(), second.begin(), second.end());
  size_t cut = first.size() + second.size() / 2;
  DatagramResult early =
      ToClient(cut, Bytes(stream.begin() + cut, stream.end()));
  EXPECT_TRUE(early.tcp->records.empty());
  ASSERT_EQ(early.tcp->notes.size(), 1u);
  EXPECT_NE(early.tcp->notes[0].find("out of order"), std::string::npos);
  EXPECT_TRUE(early.problems.empty());
  DatagramResult filled =
      ToClient(0, Bytes(stream.begin(), stream.begin() + cut));
  ASSERT_EQ(filled.hail.size(), 2u);
  EXPECT_TRUE(filled.problems.empty()) << filled.problems[0].text;
  for (const HailFrame& hail : filled.hail) {
    EXPECT_TRUE(hail.sealed);
    EXPECT_TRUE(hail.decrypted);
    EXPECT_EQ(hail.kind, "PONG");
  }
  EXPECT_EQ(filled.hail[0].fields[0].value, "77");
  EXPECT_EQ(filled.hail[1].fields[0].value, "78");
  EXPECT_EQ(filled.hail[1].command_index, 1u);
  // A retransmission of the first segment adds nothing.
  DatagramResult again =
      ToClient(0, Bytes(stream.begin(), stream.begin() + cut));
  EXPECT_TRUE(again.hail.empty());
  EXPECT_TRUE(again.problems.empty());
  ASSERT_EQ(again.tcp->notes.size(), 1u);
  EXPECT_NE(again.tcp->notes[0].find("retransmission"), std::string::npos);
  EXPECT_GE(dissector_.counts().retransmissions, 1u);
}

TEST_F(DissectTcpTest, CloseRecordShowsItsErrorName) {
  Handshake();
  Bytes close = protocol::stream::EncodeCloseRecord(
      static_cast<uint16_t>(protocol::ErrorCode::kShuttingDown));
  DatagramResult r = ToClient(0, close);
  ASSERT_EQ(r.tcp->records.size(), 1u);
  EXPECT_EQ(r.tcp->records[0].channel, protocol::stream::kCloseChannel);
  EXPECT_NE(r.tcp->records[0].close_reason.find(
                protocol::ErrorCodeName(protocol::ErrorCode::kShuttingDown)),
            std::string::npos);
  EXPECT_TRUE(r.problems.empty());
  EXPECT_NE(FormatLine(r, {}).find("> CLOSE error="), std::string::npos);
  Json json = Json::Parse(FormatJson(r, {}));
  EXPECT_EQ(json["tcp"]["records"].array[0]["channel"].number(), 255);
  // Bytes after CLOSE are a problem.
  DatagramResult after = ToClient(close.size(), HelloRecord());
  EXPECT_EQ(after.problems.size(), 1u);
}

TEST_F(DissectTcpTest, MalformedRecordIsReportedOnceAndStopsTheDirection) {
  Handshake();
  Bytes bad = {0, 0, 0, 5, 7, 1, 2, 3, 4};  // channel 7
  DatagramResult r = ToServer(0, bad);
  ASSERT_EQ(r.problems.size(), 1u);
  EXPECT_EQ(r.problems[0].kind, ProblemKind::kMalformed);
  EXPECT_NE(r.problems[0].text.find(protocol::stream::StreamErrorName(
                protocol::stream::StreamError::kUnknownChannel)),
            std::string::npos);
  DatagramResult more = ToServer(bad.size(), HelloRecord());
  EXPECT_TRUE(more.problems.empty());
  EXPECT_TRUE(more.hail.empty());
  // The other direction still decodes.
  DatagramResult reply = ToClient(
      0, protocol::stream::EncodeFrameRecord(0, Plain(protocol::Pong{})));
  EXPECT_EQ(reply.hail.size(), 1u);
}

TEST_F(DissectTcpTest, CaptureStartingMidStreamIsReportedNotDecoded) {
  DatagramResult r = ToServer(100, HelloRecord());
  EXPECT_EQ(r.datagram_class, DatagramClass::kTcp);
  ASSERT_EQ(r.problems.size(), 1u);
  EXPECT_NE(r.problems[0].text.find("mid-stream"), std::string::npos);
  EXPECT_TRUE(r.hail.empty());
  DatagramResult next = ToServer(100 + HelloRecord().size(), HelloRecord());
  EXPECT_TRUE(next.problems.empty());
  EXPECT_TRUE(next.hail.empty());
  EXPECT_EQ(dissector_.counts().malformed, 1u);
}

TEST_F(DissectTcpTest, FinInsideARecordIsReported) {
  Handshake();
  Bytes record = HelloRecord();
  record.resize(record.size() - 1);
  DatagramResult r = Feed(packets::Ipv4Tcp(
      packets::kClientPort, packets::kServerPort, kClientIsn + 1,
      kServerIsn + 1, kTcpFin | kTcpAck, record));
  ASSERT_EQ(r.problems.size(), 1u);
  EXPECT_NE(r.problems[0].text.find("ends inside a record"), std::string::npos);
  EXPECT_EQ(r.tcp->flags, "FIN,ACK");
}

TEST_F(DissectTcpTest, TcpToOtherPortsIsNotHail) {
  DatagramResult r = Feed(packets::Ipv4Tcp(51000, 22, 1, 0, kTcpSyn, {}));
  EXPECT_EQ(r.datagram_class, DatagramClass::kOther);
  EXPECT_FALSE(r.tcp);
  EXPECT_TRUE(r.problems.empty());
}

}  // namespace
}  // namespace hail::dissect
