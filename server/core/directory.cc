#include "server/core/directory.h"

#include <utility>

namespace hail::server::core {

std::optional<SessionAddress> Directory::Claim(uint64_t user_id,
                                               SessionAddress address,
                                               std::string username) {
  Stripe& stripe = StripeOf(user_id);
  MutexLock lock(&stripe.mutex);
  OnlineUser fresh{
      address, std::move(username), protocol::Presence::kOnline, {}};
  auto [it, inserted] = stripe.users.try_emplace(user_id, fresh);
  if (inserted) {
    online_.fetch_add(1, std::memory_order_relaxed);
    return std::nullopt;
  }
  SessionAddress previous = it->second.address;
  it->second = std::move(fresh);
  if (previous == address) return std::nullopt;
  return previous;
}

bool Directory::Release(uint64_t user_id, const SessionAddress& address) {
  Stripe& stripe = StripeOf(user_id);
  MutexLock lock(&stripe.mutex);
  auto it = stripe.users.find(user_id);
  if (it == stripe.users.end() || !(it->second.address == address)) {
    return false;
  }
  stripe.users.erase(it);
  online_.fetch_sub(1, std::memory_order_relaxed);
  return true;
}

bool Directory::SetPresence(uint64_t user_id, const SessionAddress& address,
                            protocol::Presence presence,
                            std::string status_text) {
  Stripe& stripe = StripeOf(user_id);
  MutexLock lock(&stripe.mutex);
  auto it = stripe.users.find(user_id);
  if (it == stripe.users.end() || !(it->second.address == address)) {
    return false;
  }
  it->second.presence = presence;
  it->second.status_text = std::move(status_text);
  return true;
}

std::optional<OnlineUser> Directory::Find(uint64_t user_id) const {
  const Stripe& stripe = StripeOf(user_id);
  MutexLock lock(&stripe.mutex);
  auto it = stripe.users.find(user_id);
  if (it == stripe.users.end()) return std::nullopt;
  return it->second;
}

std::optional<SessionAddress> Directory::AddressOf(uint64_t user_id) const {
  const Stripe& stripe = StripeOf(user_id);
  MutexLock lock(&stripe.mutex);
  auto it = stripe.users.find(user_id);
  if (it == stripe.users.end()) return std::nullopt;
  return it->second.address;
}

}  // namespace hail::server::core
