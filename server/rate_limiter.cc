#include "server/rate_limiter.h"

#include <algorithm>
#include <cassert>
#include <cmath>

namespace hail::server {

namespace {

// Absorbs floating-point rounding, so that a bucket is not found one
// billionth of a token short at the very millisecond RetryAfterMs named.
constexpr double kTokenEpsilon = 1e-9;

// Rounds a non-negative duration up to whole milliseconds, saturating.
uint64_t CeilMs(double ms) {
  double rounded = std::ceil(ms);
  if (rounded >= 18446744073709549568.0) return UINT64_MAX;
  return static_cast<uint64_t>(rounded);
}

}  // namespace

RateLimiter::RateLimiter(double burst, double refill_per_second,
                         size_t max_keys)
    : burst_(burst),
      refill_per_ms_(refill_per_second / 1000.0),
      max_keys_(max_keys) {
  assert(burst >= 1);
  assert(refill_per_second > 0);
  assert(max_keys > 0);
}

double RateLimiter::TokensAt(const Bucket& bucket, uint64_t now_ms) const {
  if (now_ms <= bucket.updated_ms) return bucket.tokens;
  double elapsed = static_cast<double>(now_ms - bucket.updated_ms);
  return std::min(burst_, bucket.tokens + elapsed * refill_per_ms_);
}

void RateLimiter::Refill(Bucket* bucket, uint64_t now_ms) const {
  bucket->tokens = TokensAt(*bucket, now_ms);
  bucket->updated_ms = std::max(bucket->updated_ms, now_ms);
}

uint64_t RateLimiter::FullAtMs(const Bucket& bucket) const {
  double missing = burst_ - bucket.tokens;
  if (missing <= kTokenEpsilon) return bucket.updated_ms;
  uint64_t wait_ms = CeilMs(missing / refill_per_ms_);
  if (wait_ms > UINT64_MAX - bucket.updated_ms) return UINT64_MAX;
  return bucket.updated_ms + wait_ms;
}

void RateLimiter::DropFullBuckets(uint64_t now_ms) {
  earliest_full_ms_ = UINT64_MAX;
  for (auto it = buckets_.begin(); it != buckets_.end();) {
    if (TokensAt(it->second, now_ms) >= burst_ - kTokenEpsilon) {
      it = buckets_.erase(it);
    } else {
      earliest_full_ms_ = std::min(earliest_full_ms_, FullAtMs(it->second));
      ++it;
    }
  }
}

bool RateLimiter::TryAcquire(std::string_view key, uint64_t now_ms) {
  auto it = buckets_.find(key);
  if (it != buckets_.end()) {
    Bucket& bucket = it->second;
    Refill(&bucket, now_ms);
    if (bucket.tokens < 1 - kTokenEpsilon) return false;
    bucket.tokens = std::max(0.0, bucket.tokens - 1);
    return true;
  }
  if (buckets_.size() >= max_keys_ && now_ms >= earliest_full_ms_) {
    DropFullBuckets(now_ms);
  }
  if (buckets_.size() >= max_keys_) return false;
  Bucket bucket{burst_ - 1, now_ms};
  earliest_full_ms_ = std::min(earliest_full_ms_, FullAtMs(bucket));
  buckets_.emplace(std::string(key), bucket);
  return true;
}

void RateLimiter::Refund(std::string_view key, uint64_t now_ms) {
  auto it = buckets_.find(key);
  if (it == buckets_.end()) return;  // full again, and forgotten
  Bucket& bucket = it->second;
  Refill(&bucket, now_ms);
  bucket.tokens = std::min(burst_, bucket.tokens + 1);
  earliest_full_ms_ = std::min(earliest_full_ms_, FullAtMs(bucket));
}

uint64_t RateLimiter::RetryAfterMs(std::string_view key,
                                   uint64_t now_ms) const {
  auto it = buckets_.find(key);
  if (it == buckets_.end()) {
    if (buckets_.size() < max_keys_ || now_ms >= earliest_full_ms_) return 0;
    return earliest_full_ms_ - now_ms;
  }
  double tokens = TokensAt(it->second, now_ms);
  if (tokens >= 1 - kTokenEpsilon) return 0;
  return CeilMs((1 - tokens) / refill_per_ms_);
}

}  // namespace hail::server
