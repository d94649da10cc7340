// The record framing that carries a Hail session over a TCP byte stream
// (SPEC.md 3.8 "TCP fallback"), sans-I/O: bytes go in, records come out.
//
//   record = length u32 (big-endian, bytes after it) | channel u8 | body
//   channel 0 or 1: body is one PLAIN or SEALED frame (SPEC.md section 5)
//   channel 0xff:   CLOSE, body is a u16 wire error code (like ENet's
//                   disconnect data, SPEC.md 4.8); nothing follows it
#ifndef HAIL_PROTOCOL_STREAM_FRAMING_H_
#define HAIL_PROTOCOL_STREAM_FRAMING_H_

#include <cstdint>
#include <optional>
#include <string_view>

#include "protocol/byte_io.h"

namespace hail::protocol::stream {

inline constexpr size_t kLengthSize = 4;
inline constexpr uint8_t kCloseChannel = 0xff;
// The largest frame, the same as the largest ENet packet either side
// accepts (SPEC.md 4.6).
inline constexpr size_t kMaxFrameSize = 65536;
inline constexpr uint32_t kMaxRecordLength = 1 + kMaxFrameSize;
inline constexpr uint32_t kCloseRecordLength = 3;

// TCP keepalive both sides configure in place of ENet's pings (SPEC.md
// 3.8): first probe after 5 s idle, then every 1 s, 10 unanswered probes
// end the connection; unacknowledged data ends it after 15 s.
inline constexpr int kKeepaliveIdleSeconds = 5;
inline constexpr int kKeepaliveIntervalSeconds = 1;
inline constexpr int kKeepaliveProbes = 10;
inline constexpr unsigned kUserTimeoutMs = 15000;

struct Record {
  enum class Type : uint8_t { kFrame, kClose };
  Type type = Type::kFrame;
  uint8_t channel = 0;      // kFrame: 0 or 1
  Bytes frame;              // kFrame: the PLAIN or SEALED frame
  uint16_t close_code = 0;  // kClose: a wire error code (SPEC.md section 12)
};

// Why a stream was refused; the stream is unusable afterwards and the
// receiver closes the connection (and counts the reason).
enum class StreamError : uint8_t {
  kNone,
  kEmptyRecord,     // length 0 or 1: no frame byte
  kOversized,       // length above kMaxRecordLength
  kUnknownChannel,  // channel neither 0, 1 nor 0xff
  kBadClose,        // a CLOSE whose length is not 3
};
std::string_view StreamErrorName(StreamError error);

// A frame record. Returns empty bytes (nothing to send) when `channel` is
// not a Hail channel or `frame` is empty or longer than kMaxFrameSize.
Bytes EncodeFrameRecord(uint8_t channel, ByteSpan frame);
Bytes EncodeCloseRecord(uint16_t code);

// Splits one direction of a stream into records. Holds at most one
// incomplete record plus the bytes of the last Append: a length over the
// limit is refused as soon as its four bytes are in, before any body is
// kept. Single-threaded; one per connection direction.
class StreamDecoder {
 public:
  // Takes bytes as received. Ignored after an error or a CLOSE.
  void Append(ByteSpan bytes);
  // The next complete record, or nullopt: more bytes are needed, the
  // stream ended with CLOSE (closed()), or it is broken (error()). Call it
  // until nullopt after each Append.
  std::optional<Record> Next();

  StreamError error() const { return error_; }
  bool closed() const { return closed_; }
  // Bytes of an incomplete record held. Nonzero when the connection ends:
  // the peer stopped mid-record.
  size_t pending() const { return buffer_.size() - consumed_; }

 private:
  Bytes buffer_;
  size_t consumed_ = 0;  // bytes of buffer_ already returned as records
  StreamError error_ = StreamError::kNone;
  bool closed_ = false;
};

}  // namespace hail::protocol::stream

#endif  // HAIL_PROTOCOL_STREAM_FRAMING_H_
