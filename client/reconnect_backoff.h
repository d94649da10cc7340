// Delays between reconnection attempts: 0.5 s, doubling up to 10 s, each
// shortened by up to a quarter (never below 0.5 s) so that clients dropped
// together by a server restart do not all come back in the same instant.
// Pure: the caller supplies the randomness.
#ifndef HAIL_CLIENT_RECONNECT_BACKOFF_H_
#define HAIL_CLIENT_RECONNECT_BACKOFF_H_

#include <cstdint>

namespace hail::client {

class ReconnectBackoff {
 public:
  static constexpr uint64_t kInitialDelayMs = 500;
  static constexpr uint64_t kMaximumDelayMs = 10'000;

  // The delay before the next attempt; `random` picks the jitter (0: none).
  uint64_t NextDelayMs(uint32_t random);
  // After a successful reconnect: the next drop starts again at 0.5 s.
  void Reset() { attempts_ = 0; }
  // Delays handed out since the last Reset.
  uint32_t attempts() const { return attempts_; }

 private:
  uint32_t attempts_ = 0;
};

}  // namespace hail::client

#endif  // HAIL_CLIENT_RECONNECT_BACKOFF_H_
