// One direction of a captured TCP connection put back into byte order, for
// hail-dissect's TCP fallback decoding (SPEC.md 3.8). Sans-I/O: segments in
// capture order go in, the bytes that became contiguous come out.
//
// The SYN fixes the initial sequence number. Bytes already delivered
// (retransmissions, overlaps) are skipped and counted; segments ahead of the
// next expected byte wait, within kMaxAheadBytes of it and kMaxHeldBytes in
// all. Anything beyond those bounds is dropped, which leaves a hole that can
// never fill: the direction is then broken() and delivers nothing more.
// A direction whose SYN was not captured is never decoded (midstream()):
// record boundaries cannot be found from an arbitrary byte.
// Single-threaded; one per connection direction.
#ifndef HAIL_TOOLS_DISSECT_TCP_STREAM_REASSEMBLER_H_
#define HAIL_TOOLS_DISSECT_TCP_STREAM_REASSEMBLER_H_

#include <cstdint>
#include <map>

#include "protocol/byte_io.h"

namespace hail::dissect {

class TcpStreamReassembler {
 public:
  static constexpr uint64_t kMaxAheadBytes = 1 << 20;
  static constexpr size_t kMaxHeldBytes = 256 * 1024;

  struct Result {
    protocol::Bytes delivered;   // newly contiguous bytes, in stream order
    size_t duplicate_bytes = 0;  // already delivered or already held
    size_t held_bytes = 0;       // of this segment, waiting for a hole
    size_t dropped_bytes = 0;    // of this segment, beyond the bounds
    bool midstream = false;      // no SYN: nothing decoded
  };

  // One captured segment of this direction: its sequence number, whether
  // it carries SYN, and its data.
  Result Add(uint32_t sequence, bool syn, protocol::ByteSpan data);

  bool started() const { return started_; }
  // Data arrived before any SYN of this direction.
  bool midstream() const { return !started_ && saw_data_; }
  bool broken() const { return broken_; }
  // `sequence` relative to the initial sequence number (the first data
  // byte is 1), or as it is before the SYN was seen.
  uint32_t Relative(uint32_t sequence) const {
    return started_ ? sequence - initial_sequence() : sequence;
  }
  // REQUIRES: started().
  uint32_t initial_sequence() const { return first_byte_ - 1; }
  size_t held() const { return held_bytes_; }

 private:
  // The stream offset of `sequence`, unwrapped around next_.
  uint64_t Unwrap(uint32_t sequence) const;
  void Drain(Result* result);

  bool started_ = false;
  bool saw_data_ = false;
  bool broken_ = false;
  uint32_t first_byte_ = 0;  // initial sequence number + 1
  // Offset of the next byte to deliver. Starts at 2^32 so that offsets
  // "before" the stream stay representable.
  uint64_t next_ = uint64_t{1} << 32;
  std::map<uint64_t, protocol::Bytes> held_;  // by offset, all > next_
  size_t held_bytes_ = 0;
};

}  // namespace hail::dissect

#endif  // HAIL_TOOLS_DISSECT_TCP_STREAM_REASSEMBLER_H_
