// Fuzzes the TCP record decoder (SPEC.md 3.8, protocol/stream_framing.h):
// the input, fed whole and fed in pieces whose sizes come from its first
// byte, must yield the same records, each re-encoding to its own bytes, and
// the decoder must never hold more than one record plus one piece.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "protocol/stream_framing.h"

namespace {

namespace stream = hail::protocol::stream;
using hail::protocol::Bytes;
using hail::protocol::ByteSpan;

void Check(bool condition) {
  if (!condition) std::abort();
}

struct Outcome {
  std::vector<stream::Record> records;
  stream::StreamError error = stream::StreamError::kNone;
};

Outcome Decode(ByteSpan input, size_t piece) {
  Outcome outcome;
  stream::StreamDecoder decoder;
  for (size_t offset = 0; offset < input.size(); offset += piece) {
    ByteSpan chunk =
        input.subspan(offset, std::min(piece, input.size() - offset));
    decoder.Append(chunk);
    while (std::optional<stream::Record> record = decoder.Next()) {
      outcome.records.push_back(std::move(*record));
    }
    Check(decoder.pending() <=
          stream::kLengthSize + stream::kMaxRecordLength + chunk.size());
  }
  outcome.error = decoder.error();
  return outcome;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  size_t piece = 1 + data[0] % 64;
  ByteSpan input(data + 1, size - 1);
  Outcome whole = Decode(input, input.size() == 0 ? 1 : input.size());
  Outcome pieces = Decode(input, piece);
  Check(whole.error == pieces.error);
  Check(whole.records.size() == pieces.records.size());
  size_t offset = 0;
  for (size_t i = 0; i < whole.records.size(); ++i) {
    const stream::Record& record = whole.records[i];
    Check(record.type == pieces.records[i].type);
    Check(record.frame == pieces.records[i].frame);
    Bytes encoded =
        record.type == stream::Record::Type::kClose
            ? stream::EncodeCloseRecord(record.close_code)
            : stream::EncodeFrameRecord(record.channel, record.frame);
    Check(!encoded.empty());
    Check(offset + encoded.size() <= input.size());
    Check(Bytes(input.begin() + offset,
                input.begin() + offset + encoded.size()) == encoded);
    offset += encoded.size();
  }
  return 0;
}
