// Open-loop pacing for hail-bench: a total rate of sends per second spread
// evenly over time, so that a second is never a burst followed by silence.
// Pure arithmetic on a caller-supplied clock (nanoseconds, any monotonic
// origin); one Pacer belongs to one thread.
#ifndef HAIL_TOOLS_BENCH_PACER_H_
#define HAIL_TOOLS_BENCH_PACER_H_

#include <cstdint>

namespace hail::bench {

class Pacer {
 public:
  // `rate_per_s` > 0. Send k (counting from 0) is due at
  // start_ns + k * 1e9 / rate_per_s.
  Pacer(double rate_per_s, int64_t start_ns);

  // How many sends are due at `now_ns` and not yet taken; taking them
  // advances the schedule. Never returns more than `cap` at once (a stalled
  // caller catches up over several calls rather than in one burst).
  uint64_t Take(int64_t now_ns, uint64_t cap = UINT64_MAX);
  // When the next send is due.
  int64_t next_due_ns() const;
  uint64_t taken() const { return taken_; }

 private:
  double interval_ns_;
  int64_t start_ns_;
  uint64_t taken_ = 0;
};

}  // namespace hail::bench

#endif  // HAIL_TOOLS_BENCH_PACER_H_
