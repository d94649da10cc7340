#include "server/p2p_broker.h"

#include <vector>

namespace hail::server {

bool P2pBroker::Open(Rendezvous r, uint64_t now_ms) {
  MutexLock lock(&mutex_);
  Expire(now_ms);
  auto pair = PairOf(r.requester, r.peer);
  if (pairs_.count(pair) != 0 || by_session_.size() >= capacity_ ||
      by_session_.count(r.session_id) != 0) {
    return false;
  }
  r.expires_ms = now_ms + kAnswerTimeoutMs;
  pairs_.insert(pair);
  by_session_.emplace(r.session_id, std::move(r));
  return true;
}

std::optional<Rendezvous> P2pBroker::Take(uint64_t session_id, uint64_t peer,
                                          uint64_t now_ms) {
  MutexLock lock(&mutex_);
  Expire(now_ms);
  auto it = by_session_.find(session_id);
  if (it == by_session_.end() || it->second.peer != peer) return std::nullopt;
  Rendezvous r = std::move(it->second);
  by_session_.erase(it);
  pairs_.erase(PairOf(r.requester, r.peer));
  return r;
}

size_t P2pBroker::pending() const {
  MutexLock lock(&mutex_);
  return by_session_.size();
}

void P2pBroker::Expire(uint64_t now_ms) {
  for (auto it = by_session_.begin(); it != by_session_.end();) {
    if (it->second.expires_ms <= now_ms) {
      pairs_.erase(PairOf(it->second.requester, it->second.peer));
      it = by_session_.erase(it);
    } else {
      ++it;
    }
  }
}

}  // namespace hail::server
