#include "server/core/directory.h"

#include <algorithm>
#include <utility>

namespace hail::server::core {

Directory::Claimed Directory::Claim(uint64_t user_id, SessionAddress address,
                                    std::string username) {
  Stripe& stripe = StripeOf(user_id);
  MutexLock lock(&stripe.mutex);
  OnlineUser fresh{address,
                   std::move(username),
                   protocol::Presence::kOnline,
                   {},
                   versions_.fetch_add(1) + 1};
  Claimed claimed;
  auto [it, inserted] = stripe.users.try_emplace(user_id, fresh);
  if (inserted) {
    online_.fetch_add(1, std::memory_order_relaxed);
  } else {
    SessionAddress previous = it->second.address;
    it->second = std::move(fresh);
    if (!(previous == address)) {
      claimed.replaced = previous;
      stripe.handing_over[user_id].push_back(previous);
    }
  }
  claimed.wait = stripe.handing_over.count(user_id) != 0;
  return claimed;
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
    stripe.handing_over[user_id].push_back(address);
    return versions_.fetch_add(1) + 1;
  }
  // Replaced (and handing over since). A successor that contacts have seen
  // speaks for the user; one not yet announced looks offline since its
  // claim (its version), and may end before it ever says anything.
  if (it->second.announced) return std::nullopt;
  return it->second.version;
}

std::optional<SessionAddress> Directory::HandedOver(
    uint64_t user_id, const SessionAddress& address) {
  Stripe& stripe = StripeOf(user_id);
  MutexLock lock(&stripe.mutex);
  auto pending = stripe.handing_over.find(user_id);
  if (pending == stripe.handing_over.end()) return std::nullopt;
  std::vector<SessionAddress>& list = pending->second;
  auto mine = std::find(list.begin(), list.end(), address);
  if (mine == list.end()) return std::nullopt;
  list.erase(mine);
  if (!list.empty()) return std::nullopt;
  stripe.handing_over.erase(pending);
  auto current = stripe.users.find(user_id);
  if (current == stripe.users.end()) return std::nullopt;
  return current->second.address;
}

size_t Directory::HandingOver(uint64_t user_id) const {
  const Stripe& stripe = StripeOf(user_id);
  MutexLock lock(&stripe.mutex);
  auto pending = stripe.handing_over.find(user_id);
  return pending == stripe.handing_over.end() ? 0 : pending->second.size();
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
