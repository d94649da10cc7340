#include "server/session_registry.h"

namespace hail::server {

std::optional<SessionRef> SessionRegistry::Claim(uint64_t user_id,
                                                 SessionRef ref,
                                                 std::string username) {
  std::lock_guard<std::mutex> lock(mutex_);
  OnlineUser fresh{ref, std::move(username), protocol::Presence::kOnline, {}};
  auto [it, inserted] = users_.try_emplace(user_id, fresh);
  if (inserted) return std::nullopt;
  SessionRef previous = it->second.ref;
  it->second = std::move(fresh);
  if (previous == ref) return std::nullopt;
  return previous;
}

bool SessionRegistry::Release(uint64_t user_id, SessionRef ref) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = users_.find(user_id);
  if (it == users_.end() || !(it->second.ref == ref)) return false;
  users_.erase(it);
  return true;
}

bool SessionRegistry::SetPresence(uint64_t user_id, SessionRef ref,
                                  protocol::Presence presence,
                                  std::string status_text) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = users_.find(user_id);
  if (it == users_.end() || !(it->second.ref == ref)) return false;
  it->second.presence = presence;
  it->second.status_text = std::move(status_text);
  return true;
}

std::optional<OnlineUser> SessionRegistry::Find(uint64_t user_id) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = users_.find(user_id);
  if (it == users_.end()) return std::nullopt;
  return it->second;
}

bool SessionRegistry::IsOnline(uint64_t user_id) const {
  std::lock_guard<std::mutex> lock(mutex_);
  return users_.count(user_id) != 0;
}

size_t SessionRegistry::online() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return users_.size();
}

}  // namespace hail::server
