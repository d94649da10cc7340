// protocol/stream_framing: records round-trip, split anywhere, and every
// malformed stream is refused as early as its bytes allow.
#include "protocol/stream_framing.h"

#include <gtest/gtest.h>

#include "protocol/error_code.h"
#include "protocol/registry.h"

namespace hail::protocol::stream {
namespace {

Bytes Frame(size_t size, uint8_t fill = 0x02) { return Bytes(size, fill); }

Bytes Concat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& part : parts)
    out.insert(out.end(), part.begin(), part.end());
  return out;
}

TEST(StreamFramingTest, FrameRecordIsLengthChannelFrame) {
  Bytes record = EncodeFrameRecord(kChannelMessaging, Bytes{0x02, 0xaa});
  EXPECT_EQ(record, (Bytes{0x00, 0x00, 0x00, 0x03, 0x01, 0x02, 0xaa}));
}

TEST(StreamFramingTest, CloseRecordCarriesTheErrorCode) {
  EXPECT_EQ(EncodeCloseRecord(15),
            (Bytes{0x00, 0x00, 0x00, 0x03, 0xff, 0x00, 0x0f}));
}

TEST(StreamFramingTest, EncoderRefusesWhatTheDecoderWouldRefuse) {
  EXPECT_TRUE(EncodeFrameRecord(kChannelCount, Frame(4)).empty());
  EXPECT_TRUE(EncodeFrameRecord(kChannelControl, Bytes{}).empty());
  EXPECT_TRUE(
      EncodeFrameRecord(kChannelControl, Frame(kMaxFrameSize + 1)).empty());
  EXPECT_FALSE(
      EncodeFrameRecord(kChannelControl, Frame(kMaxFrameSize)).empty());
}

TEST(StreamFramingTest, RecordsSplitAtEveryByteAreReassembled) {
  Bytes stream =
      Concat({EncodeFrameRecord(0, Frame(10, 0x01)),
              EncodeFrameRecord(1, Frame(300, 0x02)), EncodeCloseRecord(17)});
  StreamDecoder decoder;
  std::vector<Record> records;
  for (uint8_t byte : stream) {
    decoder.Append(ByteSpan(&byte, 1));
    while (std::optional<Record> r = decoder.Next()) records.push_back(*r);
  }
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[0].channel, 0);
  EXPECT_EQ(records[0].frame, Frame(10, 0x01));
  EXPECT_EQ(records[1].channel, 1);
  EXPECT_EQ(records[1].frame, Frame(300, 0x02));
  EXPECT_EQ(records[2].type, Record::Type::kClose);
  EXPECT_EQ(records[2].close_code, 17);
  EXPECT_TRUE(decoder.closed());
  EXPECT_EQ(decoder.error(), StreamError::kNone);
}

TEST(StreamFramingTest, ManyRecordsInOneAppendComeOutInOrder) {
  StreamDecoder decoder;
  Bytes stream;
  for (uint8_t i = 1; i <= 50; ++i) {
    Bytes record = EncodeFrameRecord(i % 2, Frame(i, i));
    stream.insert(stream.end(), record.begin(), record.end());
  }
  decoder.Append(stream);
  for (uint8_t i = 1; i <= 50; ++i) {
    std::optional<Record> r = decoder.Next();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->frame, Frame(i, i));
  }
  EXPECT_FALSE(decoder.Next());
  EXPECT_EQ(decoder.pending(), 0u);
}

TEST(StreamFramingTest, EveryShorterPrefixYieldsNothingAndNoError) {
  Bytes record = EncodeFrameRecord(0, Frame(20));
  for (size_t length = 0; length < record.size(); ++length) {
    StreamDecoder decoder;
    decoder.Append(ByteSpan(record.data(), length));
    EXPECT_FALSE(decoder.Next()) << length;
    EXPECT_EQ(decoder.error(), StreamError::kNone) << length;
    EXPECT_EQ(decoder.pending(), length) << length;
  }
}

TEST(StreamFramingTest, OversizedLengthIsRefusedFromItsFourBytes) {
  StreamDecoder decoder;
  decoder.Append(Bytes{0x00, 0x01, 0x00, 0x02});  // kMaxRecordLength + 1
  EXPECT_FALSE(decoder.Next());
  EXPECT_EQ(decoder.error(), StreamError::kOversized);
}

TEST(StreamFramingTest, LargestRecordIsAccepted) {
  StreamDecoder decoder;
  decoder.Append(EncodeFrameRecord(0, Frame(kMaxFrameSize)));
  std::optional<Record> r = decoder.Next();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->frame.size(), kMaxFrameSize);
}

TEST(StreamFramingTest, EmptyRecordsAreRefused) {
  for (uint8_t length : {0, 1}) {
    StreamDecoder decoder;
    decoder.Append(Bytes{0x00, 0x00, 0x00, length, 0x00});
    EXPECT_FALSE(decoder.Next());
    EXPECT_EQ(decoder.error(), StreamError::kEmptyRecord);
  }
}

TEST(StreamFramingTest, UnknownChannelIsRefusedBeforeItsBody) {
  StreamDecoder decoder;
  decoder.Append(Bytes{0x00, 0x00, 0x01, 0x00, 0x02});
  EXPECT_FALSE(decoder.Next());
  EXPECT_EQ(decoder.error(), StreamError::kUnknownChannel);
}

TEST(StreamFramingTest, CloseOfTheWrongLengthIsRefused) {
  StreamDecoder decoder;
  decoder.Append(Bytes{0x00, 0x00, 0x00, 0x04, 0xff, 0x00, 0x0f, 0x00});
  EXPECT_FALSE(decoder.Next());
  EXPECT_EQ(decoder.error(), StreamError::kBadClose);
}

TEST(StreamFramingTest, NothingIsReadAfterClose) {
  StreamDecoder decoder;
  decoder.Append(
      Concat({EncodeCloseRecord(0), EncodeFrameRecord(0, Frame(3))}));
  std::optional<Record> close = decoder.Next();
  ASSERT_TRUE(close);
  EXPECT_EQ(close->type, Record::Type::kClose);
  EXPECT_FALSE(decoder.Next());
  decoder.Append(EncodeFrameRecord(0, Frame(3)));
  EXPECT_FALSE(decoder.Next());
}

TEST(StreamFramingTest, ErrorIsSticky) {
  StreamDecoder decoder;
  decoder.Append(Bytes{0x00, 0x00, 0x00, 0x00});
  EXPECT_FALSE(decoder.Next());
  decoder.Append(EncodeFrameRecord(0, Frame(3)));
  EXPECT_FALSE(decoder.Next());
  EXPECT_EQ(decoder.error(), StreamError::kEmptyRecord);
}

}  // namespace
}  // namespace hail::protocol::stream
