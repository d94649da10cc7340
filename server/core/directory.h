// Who is online: for each logged-in user, the address of its session and its
// presence. Shared by every loop; thread-safe. The map is split into
// stripes by user id, each with its own lock, so loops looking up different
// users rarely wait for each other. A login claims the user; the session it
// replaces, if any, is returned so that its loop can be told to end it.
//
// Hand-over (SPEC.md 7.11): a session that stops being the user's (replaced
// or ended) may still hold live messages the client never acknowledged.
// Until its loop has put them into the mailbox (HandedOver), the user has a
// hand-over in progress, and a new session must not read the mailbox yet
// (Claimed::wait): it is told by its loop once the last one is done.
#ifndef HAIL_SERVER_CORE_DIRECTORY_H_
#define HAIL_SERVER_CORE_DIRECTORY_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "protocol/contact_messages.h"
#include "server/base/mutex.h"
#include "server/core/session_address.h"

namespace hail::server::core {

struct OnlineUser {
  SessionAddress address;
  std::string username;
  protocol::Presence presence = protocol::Presence::kOnline;
  std::string status_text;
  // Orders this user's presence changes (login, SET_PRESENCE, logout): a
  // contact shown a newer version ignores an older update that arrives
  // late over another loop's queue.
  uint64_t version = 0;
  // Set once the session's login sequence is sent (Announce); until then
  // contacts see the user offline, so a login that ends early needs no
  // "offline" for anyone.
  bool announced = false;

  // What contacts may see: invisible or not yet announced looks offline,
  // with no status.
  protocol::Presence visible_presence() const {
    return !announced || presence == protocol::Presence::kInvisible
               ? protocol::Presence::kOffline
               : presence;
  }
  std::string visible_status() const {
    return visible_presence() == protocol::Presence::kOffline ? std::string()
                                                              : status_text;
  }
};

class Directory {
 public:
  Directory() = default;
  Directory(const Directory&) = delete;
  Directory& operator=(const Directory&) = delete;

  struct Claimed {
    std::optional<SessionAddress> replaced;  // to be ended
    bool wait = false;  // hand-overs in progress: read the mailbox later
  };
  // Records `address` as the user's session (presence online, no status).
  // The session it replaces now hands over.
  Claimed Claim(uint64_t user_id, SessionAddress address, std::string username);
  // The session at `address` has ended. Forgets it if it is still the
  // user's (it now hands over), and returns the version under which
  // contacts are to be told the user is offline; nullopt when an announced
  // successor speaks for the user instead.
  std::optional<uint64_t> Release(uint64_t user_id,
                                  const SessionAddress& address);
  // The session at `address`, replaced or ended, has put everything it held
  // into the mailbox. Returns the user's current session if that was the
  // last hand-over it waited for.
  std::optional<SessionAddress> HandedOver(uint64_t user_id,
                                           const SessionAddress& address);
  // Sessions of the user still handing over (tests, stats).
  size_t HandingOver(uint64_t user_id) const;
  // Sets the presence of the user's session `address` and returns the
  // change's version; nullopt if the user's current session is another.
  std::optional<uint64_t> SetPresence(uint64_t user_id,
                                      const SessionAddress& address,
                                      protocol::Presence presence,
                                      std::string status_text);
  // Makes the user's session `address` visible to contacts (a new
  // version); returns its state, or nullopt if it is not current.
  std::optional<OnlineUser> Announce(uint64_t user_id,
                                     const SessionAddress& address);
  std::optional<OnlineUser> Find(uint64_t user_id) const;
  // What contacts may see of the user now, with the version it has; for a
  // user offline, a version no earlier change exceeds.
  struct Seen {
    protocol::Presence presence = protocol::Presence::kOffline;
    std::string status_text;
    uint64_t version = 0;
  };
  Seen Look(uint64_t user_id) const;
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
    // Per user, the sessions that have not handed over yet.
    std::unordered_map<uint64_t, std::vector<SessionAddress>> handing_over
        GUARDED_BY(mutex);
  };
  Stripe& StripeOf(uint64_t user_id) { return stripes_[user_id % kStripes]; }
  const Stripe& StripeOf(uint64_t user_id) const {
    return stripes_[user_id % kStripes];
  }

  std::array<Stripe, kStripes> stripes_;
  std::atomic<size_t> online_{0};
  std::atomic<uint64_t> versions_{0};  // one sequence for every change
};

}  // namespace hail::server::core

#endif  // HAIL_SERVER_CORE_DIRECTORY_H_
