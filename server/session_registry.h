// Which loop thread holds each logged-in user's session. Shared by every
// shard; thread-safe. A login claims the user; the previous holder, if any,
// is returned so its shard can be told to end that session.
#ifndef HAIL_SERVER_SESSION_REGISTRY_H_
#define HAIL_SERVER_SESSION_REGISTRY_H_

#include <cstdint>
#include <mutex>
#include <optional>
#include <unordered_map>

namespace hail::server {

struct SessionRef {
  unsigned shard = 0;
  uint64_t session_id = 0;  // unique per shard
  bool operator==(const SessionRef&) const = default;
};

class SessionRegistry {
 public:
  // Records `ref` as the user's session; returns the one it replaces.
  std::optional<SessionRef> Claim(uint64_t user_id, SessionRef ref);
  // Forgets the user's session only if it is still `ref`.
  void Release(uint64_t user_id, SessionRef ref);
  bool IsOnline(uint64_t user_id) const;
  size_t online() const;

 private:
  mutable std::mutex mutex_;
  std::unordered_map<uint64_t, SessionRef> sessions_;
};

}  // namespace hail::server

#endif  // HAIL_SERVER_SESSION_REGISTRY_H_
