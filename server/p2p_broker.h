// Rendezvous waiting for the offered user's answer (SPEC.md "Direct links":
// P2P_REQUEST to P2P_ANSWER). Shared by every loop thread; thread-safe.
// Bounded: at most one pending rendezvous per pair of users and `capacity`
// in all; entries older than the time-to-live are forgotten.
#ifndef HAIL_SERVER_P2P_BROKER_H_
#define HAIL_SERVER_P2P_BROKER_H_

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>

#include "server/base/mutex.h"

namespace hail::server {

struct Rendezvous {
  uint64_t session_id = 0;
  uint64_t requester = 0;
  std::string requester_name;
  uint64_t peer = 0;
  std::string peer_name;
  uint64_t expires_ms = 0;
};

class P2pBroker {
 public:
  static constexpr uint64_t kAnswerTimeoutMs = 15'000;

  explicit P2pBroker(size_t capacity) : capacity_(capacity) {}

  // Records `r` (its expires_ms is set here). False when the pair already
  // has a pending rendezvous or the broker is full.
  bool Open(Rendezvous r, uint64_t now_ms);
  // Removes and returns the pending rendezvous `session_id` offered to
  // `peer`; nullopt when there is none (never opened, answered, expired).
  std::optional<Rendezvous> Take(uint64_t session_id, uint64_t peer,
                                 uint64_t now_ms);
  size_t pending() const;

 private:
  static std::pair<uint64_t, uint64_t> PairOf(uint64_t a, uint64_t b) {
    return a < b ? std::make_pair(a, b) : std::make_pair(b, a);
  }
  void Expire(uint64_t now_ms) REQUIRES(mutex_);

  const size_t capacity_;
  mutable Mutex mutex_;
  std::map<uint64_t, Rendezvous> by_session_ GUARDED_BY(mutex_);
  std::set<std::pair<uint64_t, uint64_t>> pairs_ GUARDED_BY(mutex_);
};

}  // namespace hail::server

#endif  // HAIL_SERVER_P2P_BROKER_H_
