#include "client/roster.h"

#include <algorithm>

#include "client/display_names.h"
#include "client/event_text.h"

namespace hail::client {
namespace {

// Sort key: accepted contacts first (online ones before offline), then
// pending requests, sent requests and blocked users.
int Rank(const Roster::Entry& entry) {
  switch (entry.relation) {
    case protocol::Relation::kAccepted:
      return entry.presence == protocol::Presence::kOffline ? 1 : 0;
    case protocol::Relation::kPending:
      return 2;
    case protocol::Relation::kRequested:
      return 3;
    case protocol::Relation::kBlocked:
      return 4;
    default:
      return 5;
  }
}

}  // namespace

protocol::Relation Roster::Apply(const ContactUpdated& update) {
  auto it = entries_.find(update.username);
  protocol::Relation before =
      it == entries_.end() ? protocol::Relation::kNone : it->second.relation;
  if (update.relation == protocol::Relation::kNone) {
    if (it != entries_.end()) entries_.erase(it);
    return before;
  }
  Entry& entry = entries_[update.username];
  entry.user_id = update.user_id;
  entry.username = update.username;
  entry.relation = update.relation;
  entry.presence = update.presence;
  entry.status = update.status;
  return before;
}

std::optional<protocol::Presence> Roster::Apply(const PresenceChanged& change) {
  auto it = entries_.find(change.username);
  if (it == entries_.end()) return std::nullopt;
  protocol::Presence before = it->second.presence;
  it->second.presence = change.presence;
  it->second.status = change.status;
  return before;
}

const Roster::Entry* Roster::Find(std::string_view username) const {
  auto it = entries_.find(username);
  return it == entries_.end() ? nullptr : &it->second;
}

std::vector<Roster::Entry> Roster::Sorted() const {
  std::vector<Entry> sorted;
  for (const auto& [name, entry] : entries_) sorted.push_back(entry);
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const Entry& a, const Entry& b) {
                     if (Rank(a) != Rank(b)) return Rank(a) < Rank(b);
                     return a.username < b.username;
                   });
  return sorted;
}

size_t Roster::online_count() const {
  return static_cast<size_t>(
      std::count_if(entries_.begin(), entries_.end(), [](const auto& pair) {
        return pair.second.relation == protocol::Relation::kAccepted &&
               pair.second.presence != protocol::Presence::kOffline;
      }));
}

std::string DescribeEntry(const Roster::Entry& entry) {
  switch (entry.relation) {
    case protocol::Relation::kAccepted: {
      std::string text = PresenceName(entry.presence);
      if (!entry.status.empty()) text += ": " + TerminalSafe(entry.status);
      return text;
    }
    case protocol::Relation::kPending:
      return "asks to add you";
    case protocol::Relation::kRequested:
      return "request sent, no answer yet";
    case protocol::Relation::kBlocked:
      return "blocked";
    default:
      return RelationName(entry.relation);
  }
}

}  // namespace hail::client
