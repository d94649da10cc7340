// Who is online: for each logged-in user, the loop thread (shard) and
// session that hold them, and their presence. Shared by every shard;
// thread-safe. A login claims the user; the previous holder, if any, is
// returned so its shard can be told to end that session.
#ifndef HAIL_SERVER_SESSION_REGISTRY_H_
#define HAIL_SERVER_SESSION_REGISTRY_H_

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "protocol/contact_messages.h"

namespace hail::server {

struct SessionRef {
  unsigned shard = 0;
  uint64_t session_id = 0;  // unique per shard
  bool operator==(const SessionRef&) const = default;
};

struct OnlineUser {
  SessionRef ref;
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

class SessionRegistry {
 public:
  // Records `ref` as the user's session (presence online, no status);
  // returns the one it replaces.
  std::optional<SessionRef> Claim(uint64_t user_id, SessionRef ref,
                                  std::string username);
  // Forgets the user's session only if it is still `ref`; true if it was.
  bool Release(uint64_t user_id, SessionRef ref);
  // Sets the presence of the user's session `ref`; false if not current.
  bool SetPresence(uint64_t user_id, SessionRef ref,
                   protocol::Presence presence, std::string status_text);
  std::optional<OnlineUser> Find(uint64_t user_id) const;
  bool IsOnline(uint64_t user_id) const;
  size_t online() const;

 private:
  mutable std::mutex mutex_;
  std::unordered_map<uint64_t, OnlineUser> users_;
};

}  // namespace hail::server

#endif  // HAIL_SERVER_SESSION_REGISTRY_H_
