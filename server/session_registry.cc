#include "server/session_registry.h"

namespace hail::server {

std::optional<SessionRef> SessionRegistry::Claim(uint64_t user_id,
                                                 SessionRef ref) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto [it, inserted] = sessions_.try_emplace(user_id, ref);
  if (inserted) return std::nullopt;
  SessionRef previous = it->second;
  it->second = ref;
  if (previous == ref) return std::nullopt;
  return previous;
}

void SessionRegistry::Release(uint64_t user_id, SessionRef ref) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = sessions_.find(user_id);
  if (it != sessions_.end() && it->second == ref) sessions_.erase(it);
}

bool SessionRegistry::IsOnline(uint64_t user_id) const {
  std::lock_guard<std::mutex> lock(mutex_);
  return sessions_.count(user_id) != 0;
}

size_t SessionRegistry::online() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return sessions_.size();
}

}  // namespace hail::server
