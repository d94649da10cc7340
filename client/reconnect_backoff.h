// Delays between reconnection attempts (SPEC.md 6.8.1): the first attempt
// after a drop starts at once, within a random 0..500 ms so that clients
// dropped together by a server restart do not all come back in the same
// instant; later ones wait 1 s, doubling up to 10 s, each shortened by up
// to a quarter at random. Pure: the caller supplies the randomness.
#ifndef HAIL_CLIENT_RECONNECT_BACKOFF_H_
#define HAIL_CLIENT_RECONNECT_BACKOFF_H_

#include <cstdint>

namespace hail::client {

class ReconnectBackoff {
 public:
  // The first attempt's delay is drawn from 0..kFirstSpreadMs.
  static constexpr uint64_t kFirstSpreadMs = 500;
  // The second attempt's nominal delay; it doubles from there.
  static constexpr uint64_t kSecondDelayMs = 1000;
  static constexpr uint64_t kMaximumDelayMs = 10'000;

  // The delay before the next attempt; `random` picks the jitter (0: none,
  // which makes the first delay 0 and every later one its nominal value).
  uint64_t NextDelayMs(uint32_t random);
  // After a successful reconnect: the next drop starts again at once.
  void Reset() { attempts_ = 0; }
  // Delays handed out since the last Reset.
  uint32_t attempts() const { return attempts_; }

 private:
  uint32_t attempts_ = 0;
};

}  // namespace hail::client

#endif  // HAIL_CLIENT_RECONNECT_BACKOFF_H_
