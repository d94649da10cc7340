#include "client/reconnect_backoff.h"

#include <algorithm>

namespace hail::client {

uint64_t ReconnectBackoff::NextDelayMs(uint32_t random) {
  uint64_t delay = kInitialDelayMs;
  for (uint32_t i = 0; i < attempts_ && delay < kMaximumDelayMs; ++i) {
    delay *= 2;
  }
  delay = std::min(delay, kMaximumDelayMs);
  ++attempts_;
  uint64_t jitter = random % (delay / 4 + 1);
  return std::max(delay - jitter, kInitialDelayMs);
}

}  // namespace hail::client
