#include "tools/bench/pacer.h"

#include <algorithm>
#include <cmath>

namespace hail::bench {

Pacer::Pacer(double rate_per_s, int64_t start_ns)
    : interval_ns_(1e9 / rate_per_s), start_ns_(start_ns) {}

uint64_t Pacer::Take(int64_t now_ns, uint64_t cap) {
  if (now_ns < start_ns_) return 0;
  // Sends 0..due-1 are due by now.
  double elapsed = static_cast<double>(now_ns - start_ns_);
  uint64_t due = static_cast<uint64_t>(std::floor(elapsed / interval_ns_)) + 1;
  if (due <= taken_) return 0;
  uint64_t n = std::min(due - taken_, cap);
  taken_ += n;
  return n;
}

int64_t Pacer::next_due_ns() const {
  return start_ns_ + static_cast<int64_t>(
                         std::ceil(static_cast<double>(taken_) * interval_ns_));
}

}  // namespace hail::bench
