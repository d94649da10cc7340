// Token-bucket rate limiting keyed by a string (a source address, a
// username, ...). Sans-I/O: the caller passes the time; nothing here reads a
// clock, so tests drive time by hand.
#ifndef HAIL_SERVER_RATE_LIMITER_H_
#define HAIL_SERVER_RATE_LIMITER_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "server/base/mutex.h"

namespace hail::server {

// Each key owns a bucket of up to `burst` tokens that refills continuously
// at `refill_per_second`; an action costs one token. An unseen key starts
// with a full bucket.
//
// Memory is bounded by `max_keys`. When a new key would exceed it, buckets
// that have refilled to full are dropped first (forgetting them changes no
// answer, since a new bucket starts full). If every bucket is still partly
// drained, the new key is refused rather than the map grown or a drained
// bucket evicted: evicting would hand an attacker who cycles through many
// keys a fresh burst for each, while refusing only delays newcomers until
// some bucket refills. Sweeps are skipped until some bucket can have
// refilled, so a flood of new keys costs O(log n) per call.
//
// Times may be any monotonic millisecond count; a time earlier than the last
// one seen for a bucket is treated as no time passing.
//
// NOT thread-safe: each network loop thread owns its own RateLimiter.
class RateLimiter {
 public:
  // REQUIRES: burst >= 1, refill_per_second > 0, max_keys > 0.
  RateLimiter(double burst, double refill_per_second, size_t max_keys);

  RateLimiter(const RateLimiter&) = delete;
  RateLimiter& operator=(const RateLimiter&) = delete;

  // Takes one token from `key`'s bucket. False when the bucket is empty, or
  // when `key` is new and the limiter is full of partly drained buckets.
  bool TryAcquire(std::string_view key, uint64_t now_ms);

  // How long until TryAcquire(key) can succeed: 0 when a token is available
  // now. For a new key refused because the limiter is full, a lower bound:
  // the earliest time any bucket can have refilled.
  uint64_t RetryAfterMs(std::string_view key, uint64_t now_ms) const;

  // Gives back a token TryAcquire took for an action that did not happen
  // after all (or must not count); never above `burst`.
  void Refund(std::string_view key, uint64_t now_ms);

  // Number of keys currently tracked (at most max_keys).
  size_t key_count() const { return buckets_.size(); }

 private:
  struct Bucket {
    double tokens = 0;
    uint64_t updated_ms = 0;  // time `tokens` was computed for
  };

  // Tokens in `bucket` at now_ms, without changing it.
  double TokensAt(const Bucket& bucket, uint64_t now_ms) const;
  // Brings `bucket` forward to now_ms.
  void Refill(Bucket* bucket, uint64_t now_ms) const;
  // Earliest time at which `bucket` will be full again.
  uint64_t FullAtMs(const Bucket& bucket) const;
  // Drops every full bucket and recomputes earliest_full_ms_.
  void DropFullBuckets(uint64_t now_ms);

  const double burst_;
  const double refill_per_ms_;
  const size_t max_keys_;
  // An ordered map: lookups stay O(log n) whatever keys an attacker picks
  // (no hash flooding).
  std::map<std::string, Bucket, std::less<>> buckets_;
  // A lower bound on FullAtMs over all buckets: before it, a sweep cannot
  // free anything. Consuming tokens only moves a bucket's full time later.
  uint64_t earliest_full_ms_ = UINT64_MAX;
};

// A RateLimiter shared by every loop thread, so that spreading requests over
// loops earns no extra budget. Thread-safe.
class LockedRateLimiter {
 public:
  LockedRateLimiter(double burst, double refill_per_second, size_t max_keys)
      : limiter_(burst, refill_per_second, max_keys) {}
  bool TryAcquire(std::string_view key, uint64_t now_ms) {
    MutexLock lock(&mutex_);
    return limiter_.TryAcquire(key, now_ms);
  }
  uint64_t RetryAfterMs(std::string_view key, uint64_t now_ms) {
    MutexLock lock(&mutex_);
    return limiter_.RetryAfterMs(key, now_ms);
  }

 private:
  Mutex mutex_;
  RateLimiter limiter_ GUARDED_BY(mutex_);
};

}  // namespace hail::server

#endif  // HAIL_SERVER_RATE_LIMITER_H_
