// Issue #4: ENet fragment reassembly in hail-dissect (in order, out of
// order, duplicates, missing fragments, ENet's validity rules, bounds).
#include <gtest/gtest.h>

#include <numeric>

#include "tools/dissect/fragment_reassembler.h"

namespace hail::dissect {
namespace {

using protocol::Bytes;
using protocol::ByteSpan;
using Outcome = FragmentReassembler::Outcome;

Bytes Packet(size_t size) {
  Bytes packet(size);
  std::iota(packet.begin(), packet.end(), uint8_t{0});
  return packet;
}

// Fragment `number` of `packet` cut in pieces of `piece` bytes.
FragmentReassembler::Fragment Piece(const Bytes& packet, size_t piece,
                                    uint32_t number) {
  auto count = static_cast<uint32_t>((packet.size() + piece - 1) / piece);
  size_t offset = number * piece;
  size_t length = std::min(piece, packet.size() - offset);
  return {count, number, static_cast<uint32_t>(packet.size()),
          static_cast<uint32_t>(offset),
          ByteSpan(packet).subspan(offset, length)};
}

const FragmentReassembler::SetKey kKey{1, true, 1, false, 7};

TEST(FragmentReassemblerTest, InOrderFragmentsGiveThePacket) {
  FragmentReassembler r;
  Bytes packet = Packet(4000);
  EXPECT_EQ(r.Add(kKey, Piece(packet, 1372, 0)).outcome, Outcome::kIncomplete);
  EXPECT_EQ(r.Add(kKey, Piece(packet, 1372, 1)).outcome, Outcome::kIncomplete);
  FragmentReassembler::Result done = r.Add(kKey, Piece(packet, 1372, 2));
  ASSERT_EQ(done.outcome, Outcome::kComplete);
  EXPECT_EQ(done.packet, packet);
  EXPECT_EQ(r.pending_sets(), 0u);
  EXPECT_EQ(r.pending_bytes(), 0u);
}

TEST(FragmentReassemblerTest, OutOfOrderFragmentsGiveThePacket) {
  FragmentReassembler r;
  Bytes packet = Packet(4000);
  r.Add(kKey, Piece(packet, 1000, 3));
  r.Add(kKey, Piece(packet, 1000, 1));
  r.Add(kKey, Piece(packet, 1000, 0));
  FragmentReassembler::Result done = r.Add(kKey, Piece(packet, 1000, 2));
  ASSERT_EQ(done.outcome, Outcome::kComplete);
  EXPECT_EQ(done.packet, packet);
}

TEST(FragmentReassemblerTest, DuplicateFragmentIsIgnored) {
  FragmentReassembler r;
  Bytes packet = Packet(3000);
  r.Add(kKey, Piece(packet, 1500, 0));
  FragmentReassembler::Result again = r.Add(kKey, Piece(packet, 1500, 0));
  EXPECT_EQ(again.outcome, Outcome::kDuplicate);
  EXPECT_EQ(again.received, 1u);
  EXPECT_EQ(r.Add(kKey, Piece(packet, 1500, 1)).outcome, Outcome::kComplete);
}

TEST(FragmentReassemblerTest, MissingFragmentLeavesTheSetIncomplete) {
  FragmentReassembler r;
  Bytes packet = Packet(3000);
  r.Add(kKey, Piece(packet, 1000, 0));
  EXPECT_EQ(r.Add(kKey, Piece(packet, 1000, 2)).outcome, Outcome::kIncomplete);
  EXPECT_EQ(r.pending_sets(), 1u);
  r.DropConnection(kKey.connection);
  EXPECT_EQ(r.pending_sets(), 0u);
  EXPECT_EQ(r.pending_bytes(), 0u);
}

TEST(FragmentReassemblerTest, SetsOfOtherChannelsAndDirectionsStayApart) {
  FragmentReassembler r;
  Bytes packet = Packet(2000);
  FragmentReassembler::SetKey other = kKey;
  other.to_server = false;
  r.Add(kKey, Piece(packet, 1000, 0));
  EXPECT_EQ(r.Add(other, Piece(packet, 1000, 1)).outcome, Outcome::kIncomplete);
  EXPECT_EQ(r.pending_sets(), 2u);
}

TEST(FragmentReassemblerTest, AbsurdCountsOffsetsAndLengthsAreInvalid) {
  FragmentReassembler r;
  Bytes data(100);
  auto add = [&](uint32_t count, uint32_t number, uint32_t total,
                 uint32_t offset, size_t length) {
    return r.Add(kKey,
                 {count, number, total, offset, ByteSpan(data).first(length)});
  };
  EXPECT_EQ(add(0, 0, 100, 0, 10).outcome, Outcome::kInvalid);
  EXPECT_EQ(add(3, 3, 100, 0, 10).outcome, Outcome::kInvalid);
  EXPECT_EQ(add(0xffffffff, 1, 100, 0, 10).outcome, Outcome::kInvalid);
  EXPECT_EQ(add(2, 0, 0xffffffff, 0, 10).outcome, Outcome::kInvalid);
  EXPECT_EQ(add(200, 0, 100, 0, 10).outcome, Outcome::kInvalid);
  EXPECT_EQ(add(2, 0, 100, 100, 1).outcome, Outcome::kInvalid);
  EXPECT_EQ(add(2, 0, 100, 95, 10).outcome, Outcome::kInvalid);
  EXPECT_EQ(add(2, 0, 100, 0xfffffff0, 10).outcome, Outcome::kInvalid);
  EXPECT_EQ(r.pending_sets(), 0u);
  // A later fragment that disagrees with its set's count is invalid too.
  EXPECT_EQ(add(2, 0, 100, 0, 50).outcome, Outcome::kIncomplete);
  EXPECT_EQ(add(3, 1, 100, 50, 50).outcome, Outcome::kInvalid);
  EXPECT_EQ(add(2, 1, 99, 50, 49).outcome, Outcome::kInvalid);
}

TEST(FragmentReassemblerTest, MemoryIsBoundedByDroppingTheOldestSets) {
  FragmentReassembler r;
  Bytes data(16);
  for (uint32_t i = 0; i < FragmentReassembler::kMaxPendingSets + 10; ++i) {
    FragmentReassembler::SetKey key = kKey;
    key.start_sequence_number = static_cast<uint16_t>(i);
    r.Add(key, {2, 0, 32, 0, ByteSpan(data)});
  }
  EXPECT_EQ(r.pending_sets(), FragmentReassembler::kMaxPendingSets);
  EXPECT_EQ(r.dropped_sets(), 10u);
  // Large sets are bounded by bytes as well.
  FragmentReassembler big;
  for (uint16_t i = 0; i < 40; ++i) {
    FragmentReassembler::SetKey key = kKey;
    key.start_sequence_number = i;
    big.Add(key,
            {2, 0, FragmentReassembler::kMaxTotalLength, 0, ByteSpan(data)});
  }
  EXPECT_LE(big.pending_bytes(), FragmentReassembler::kMaxPendingBytes);
  EXPECT_GT(big.dropped_sets(), 0u);
}

}  // namespace
}  // namespace hail::dissect
