// Who is online: for each logged-in user, the address of its session and its
// presence. Shared by every loop; thread-safe. The map is split into
// stripes by user id, each with its own lock, so loops looking up different
// users rarely wait for each other. A login claims the user; the session it
// replaces, if any, is returned so that its loop can be told to end it.
#ifndef HAIL_SERVER_CORE_DIRECTORY_H_
#define HAIL_SERVER_CORE_DIRECTORY_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>

#include "protocol/contact_messages.h"
#include "server/base/mutex.h"
#include "server/core/session_address.h"

namespace hail::server::core {

struct OnlineUser {
  SessionAddress address;
  std::string username;
  protocol::Presence presence = protocol::Presence::kOnline;
  std::string status_text;

  // What contacts may see: invisible looks offline, with no status.
  protocol::Presence visible_presence() const {
    return presence == protocol::Presence::kInvisible
               ? protocol::Presence::kOffline
               : presence;
  }
  std::string visible_status() const {
    return presence == protocol::Presence::kInvisible ? std::string()
                                                      : status_text;
  }
};

class Directory {
 public:
  Directory() = default;
  Directory(const Directory&) = delete;
  Directory& operator=(const Directory&) = delete;

  // Records `address` as the user's session (presence online, no status);
  // returns the address it replaces.
  std::optional<SessionAddress> Claim(uint64_t user_id, SessionAddress address,
                                      std::string username);
  // Forgets the user's session only if it is still `address`; true if so.
  bool Release(uint64_t user_id, const SessionAddress& address);
  // Sets the presence of the user's session `address`; false if the user's
  // current session is another one.
  bool SetPresence(uint64_t user_id, const SessionAddress& address,
                   protocol::Presence presence, std::string status_text);
  std::optional<OnlineUser> Find(uint64_t user_id) const;
  std::optional<SessionAddress> AddressOf(uint64_t user_id) const;
  bool IsOnline(uint64_t user_id) const {
    return AddressOf(user_id).has_value();
  }
  size_t online() const { return online_.load(std::memory_order_relaxed); }

 private:
  static constexpr size_t kStripes = 64;
  struct Stripe {
    mutable Mutex mutex;
    std::unordered_map<uint64_t, OnlineUser> users GUARDED_BY(mutex);
  };
  Stripe& StripeOf(uint64_t user_id) { return stripes_[user_id % kStripes]; }
  const Stripe& StripeOf(uint64_t user_id) const {
    return stripes_[user_id % kStripes];
  }

  std::array<Stripe, kStripes> stripes_;
  std::atomic<size_t> online_{0};
};

}  // namespace hail::server::core

#endif  // HAIL_SERVER_CORE_DIRECTORY_H_
