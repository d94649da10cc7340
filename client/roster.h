// The contact list as the server's events tell it (ContactUpdated,
// PresenceChanged), for `hail who` and `hail chat`. Pure: fed events,
// never touches the network. Not thread-safe.
#ifndef HAIL_CLIENT_ROSTER_H_
#define HAIL_CLIENT_ROSTER_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "client/events.h"

namespace hail::client {

class Roster {
 public:
  struct Entry {
    uint64_t user_id = 0;
    std::string username;
    protocol::Relation relation = protocol::Relation::kNone;
    protocol::Presence presence = protocol::Presence::kOffline;
    std::string status;
  };

  // Records the entry (relation kNone removes it). Returns the relation it
  // had before (kNone when unknown).
  protocol::Relation Apply(const ContactUpdated& update);
  // Records the presence of a known entry; returns its presence before, or
  // nullopt (and records nothing) for a user not in the roster.
  std::optional<protocol::Presence> Apply(const PresenceChanged& change);
  // Forgets everything: a new login sends the whole list again.
  void Clear() { entries_.clear(); }

  const Entry* Find(std::string_view username) const;
  // Contacts (accepted) first, those online (any presence but offline)
  // before the others, then everyone else by relation; by name within.
  std::vector<Entry> Sorted() const;
  size_t size() const { return entries_.size(); }
  // Accepted contacts whose presence is not offline.
  size_t online_count() const;

 private:
  std::map<std::string, Entry, std::less<>> entries_;  // by username
};

// "online", "away: at lunch", "asks to add you", "request sent", "blocked":
// how `hail who` and /who describe an entry.
std::string DescribeEntry(const Roster::Entry& entry);

}  // namespace hail::client

#endif  // HAIL_CLIENT_ROSTER_H_
