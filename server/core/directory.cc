#include "server/core/directory.h"

#include <utility>

namespace hail::server::core {

std::optional<SessionAddress> Directory::Claim(uint64_t user_id,
                                               SessionAddress address,
                                               std::string username) {
  Stripe& stripe = StripeOf(user_id);
  MutexLock lock(&stripe.mutex);
  OnlineUser fresh{address,
                   std::move(username),
                   protocol::Presence::kOnline,
                   {},
                   versions_.fetch_add(1) + 1};
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

std::optional<uint64_t> Directory::Release(uint64_t user_id,
                                           const SessionAddress& address) {
  Stripe& stripe = StripeOf(user_id);
  MutexLock lock(&stripe.mutex);
  auto it = stripe.users.find(user_id);
  if (it == stripe.users.end()) {
    // Its successor, if any, is gone too: the user is offline now.
    return versions_.fetch_add(1) + 1;
  }
  if (it->second.address == address) {
    stripe.users.erase(it);
    online_.fetch_sub(1, std::memory_order_relaxed);
    return versions_.fetch_add(1) + 1;
  }
  // Replaced. A successor that contacts have seen speaks for the user; one
  // not yet announced looks offline since its claim (its version), and may
  // end before it ever says anything.
  if (it->second.announced) return std::nullopt;
  return it->second.version;
}

std::optional<uint64_t> Directory::SetPresence(uint64_t user_id,
                                               const SessionAddress& address,
                                               protocol::Presence presence,
                                               std::string status_text) {
  Stripe& stripe = StripeOf(user_id);
  MutexLock lock(&stripe.mutex);
  auto it = stripe.users.find(user_id);
  if (it == stripe.users.end() || !(it->second.address == address)) {
    return std::nullopt;
  }
  it->second.presence = presence;
  it->second.status_text = std::move(status_text);
  it->second.version = versions_.fetch_add(1) + 1;
  return it->second.version;
}

std::optional<OnlineUser> Directory::Announce(uint64_t user_id,
                                              const SessionAddress& address) {
  Stripe& stripe = StripeOf(user_id);
  MutexLock lock(&stripe.mutex);
  auto it = stripe.users.find(user_id);
  if (it == stripe.users.end() || !(it->second.address == address)) {
    return std::nullopt;
  }
  it->second.announced = true;
  it->second.version = versions_.fetch_add(1) + 1;
  return it->second;
}

std::optional<OnlineUser> Directory::Find(uint64_t user_id) const {
  const Stripe& stripe = StripeOf(user_id);
  MutexLock lock(&stripe.mutex);
  auto it = stripe.users.find(user_id);
  if (it == stripe.users.end()) return std::nullopt;
  return it->second;
}

Directory::Seen Directory::Look(uint64_t user_id) const {
  const Stripe& stripe = StripeOf(user_id);
  MutexLock lock(&stripe.mutex);
  auto it = stripe.users.find(user_id);
  if (it == stripe.users.end()) {
    // Every change of this user so far has a version up to this one (each
    // takes the stripe lock), and every later one a greater version.
    return Seen{protocol::Presence::kOffline, {}, versions_.load()};
  }
  return Seen{it->second.visible_presence(), it->second.visible_status(),
              it->second.version};
}

std::optional<SessionAddress> Directory::AddressOf(uint64_t user_id) const {
  const Stripe& stripe = StripeOf(user_id);
  MutexLock lock(&stripe.mutex);
  auto it = stripe.users.find(user_id);
  if (it == stripe.users.end()) return std::nullopt;
  return it->second.address;
}

}  // namespace hail::server::core
