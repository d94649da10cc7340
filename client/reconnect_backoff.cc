#include "client/reconnect_backoff.h"

#include <algorithm>

namespace hail::client {

uint64_t ReconnectBackoff::NextDelayMs(uint32_t random) {
  if (attempts_++ == 0) return random % (kFirstSpreadMs + 1);
  uint64_t delay = kSecondDelayMs;
  for (uint32_t i = 1; i + 1 < attempts_ && delay < kMaximumDelayMs; ++i) {
    delay *= 2;
  }
  delay = std::min(delay, kMaximumDelayMs);
  return delay - random % (delay / 4 + 1);
}

}  // namespace hail::client
