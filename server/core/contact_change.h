// The outcome of one contact operation (SPEC.md 8.3-8.6), made by the
// ContactService and told to both users by the routing core.
#ifndef HAIL_SERVER_CORE_CONTACT_CHANGE_H_
#define HAIL_SERVER_CORE_CONTACT_CHANGE_H_

#include <cstdint>
#include <optional>
#include <string>

#include "protocol/contact_messages.h"
#include "protocol/error_code.h"
#include "server/core/mail_item.h"

namespace hail::server {

// What a contact operation did, for the loop threads to tell both sides.
struct ContactChange {
  protocol::ErrorCode error = protocol::ErrorCode::kOk;
  uint64_t me = 0;
  std::string my_name;
  uint64_t peer = 0;
  std::string peer_name;
  bool my_side_changed = false;
  protocol::Relation my_relation = protocol::Relation::kNone;
  // The peer is told only when this is set (never when they are blocked).
  bool peer_side_changed = false;
  protocol::Relation peer_relation = protocol::Relation::kNone;
  // A request or answer notice for the peer, already in their mailbox.
  std::optional<MailItem> notice_for_peer;
  // Both sides just became kAccepted: exchange presence.
  bool now_accepted = false;
  // Both sides just stopped seeing each other: show each other offline.
  bool now_apart = false;
};

}  // namespace hail::server

#endif  // HAIL_SERVER_CORE_CONTACT_CHANGE_H_
