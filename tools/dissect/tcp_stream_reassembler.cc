#include "tools/dissect/tcp_stream_reassembler.h"

#include <algorithm>
#include <cassert>

namespace hail::dissect {

uint64_t TcpStreamReassembler::Unwrap(uint32_t sequence) const {
  uint32_t relative = sequence - first_byte_;
  auto delta = static_cast<int32_t>(relative - static_cast<uint32_t>(next_));
  return next_ + static_cast<uint64_t>(int64_t{delta});
}

TcpStreamReassembler::Result TcpStreamReassembler::Add(
    uint32_t sequence, bool syn, protocol::ByteSpan data) {
  Result result;
  if (syn && !started_) {
    started_ = true;
    first_byte_ = sequence + 1;
    // Data on a SYN (TCP Fast Open) starts right after it.
    sequence += 1;
  } else if (syn) {
    sequence += 1;  // a retransmitted SYN
  }
  if (!started_) {
    saw_data_ = saw_data_ || !data.empty();
    result.midstream = !data.empty();
    return result;
  }
  if (data.empty() || broken_) {
    result.dropped_bytes = broken_ ? data.size() : 0;
    return result;
  }
  uint64_t begin = Unwrap(sequence);
  uint64_t end = begin + data.size();
  if (end <= next_) {
    result.duplicate_bytes = data.size();
    return result;
  }
  if (begin < next_) {
    result.duplicate_bytes = static_cast<size_t>(next_ - begin);
    data = data.subspan(result.duplicate_bytes);
    begin = next_;
  }
  if (begin == next_) {
    result.delivered.assign(data.begin(), data.end());
    next_ = end;
    Drain(&result);
    return result;
  }
  if (end - next_ > kMaxAheadBytes ||
      held_bytes_ + data.size() > kMaxHeldBytes) {
    result.dropped_bytes = data.size();
    broken_ = true;
    held_.clear();
    held_bytes_ = 0;
    return result;
  }
  auto [it, inserted] = held_.try_emplace(begin);
  if (!inserted && it->second.size() >= data.size()) {
    result.duplicate_bytes = data.size();
    return result;
  }
  held_bytes_ = held_bytes_ - it->second.size() + data.size();
  it->second.assign(data.begin(), data.end());
  result.held_bytes = data.size();
  return result;
}

void TcpStreamReassembler::Drain(Result* result) {
  while (!held_.empty() && held_.begin()->first <= next_) {
    auto it = held_.begin();
    uint64_t end = it->first + it->second.size();
    if (end > next_) {
      auto skip = static_cast<size_t>(next_ - it->first);
      result->delivered.insert(result->delivered.end(),
                               it->second.begin() + skip, it->second.end());
      next_ = end;
    }
    held_bytes_ -= it->second.size();
    held_.erase(it);
  }
  assert(held_.empty() || held_.begin()->first > next_);
}

}  // namespace hail::dissect
