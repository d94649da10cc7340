// What one loop hands another: a typed payload for one session address
// (server/core/session_address.h). Nothing crosses loops as a closure, so
// nothing can run against the wrong loop's state: the receiving loop's core
// looks the address up in its own table and drops (or reroutes) an envelope
// whose session has gone or logged in again since.
#ifndef HAIL_SERVER_CORE_ENVELOPE_H_
#define HAIL_SERVER_CORE_ENVELOPE_H_

#include <cstdint>
#include <variant>
#include <vector>

#include "protocol/endpoint.h"
#include "protocol/messages.h"
#include "server/core/contact_change.h"
#include "server/core/mail_item.h"
#include "server/core/session_address.h"
#include "server/core/store_request.h"
#include "server/p2p_broker.h"

namespace hail::server::core {

// End the session: its user logged in elsewhere.
struct Kick {};

// `update` is the presence of `user`; shown if the target sees that user.
struct PresenceOf {
  uint64_t user = 0;
  uint64_t version = 0;  // OnlineUser::version of the change
  protocol::PresenceUpdate update;
};

// A message for the target's user, accepted by the checks of SPEC.md 10.4:
// delivered live, or stored when something older is pending (10.6).
struct MessageForRecipient {
  MailItem item;
  SentRecord record;
};

// A mailbox item stored while its owner is logged in: sent at once (10.7).
struct StoredItem {
  MailItem item;
};

// Messages sent to the target as they are (answers, receipts, notices).
struct Frames {
  std::vector<protocol::Message> messages;
};

// The peer's side of a contact operation by `change.me` (SPEC.md 8.2).
struct ContactNews {
  ContactChange change;
};

// Direct-link rendezvous (SPEC.md 16.2): an offer for the target, and the
// go-ahead for the requester once the peer consented.
struct P2pOfferFor {
  Rendezvous rendezvous;
};
struct P2pGoAhead {
  Rendezvous rendezvous;
  protocol::SessionKey key{};
  protocol::Endpoint peer_public;
  protocol::Endpoint peer_lan;
};

struct Envelope {
  using Payload =
      std::variant<Kick, PresenceOf, MessageForRecipient, StoredItem, Frames,
                   ContactNews, P2pOfferFor, P2pGoAhead, StoreDone>;
  SessionAddress to;  // StoreDone: only to.loop counts
  Payload payload;
};

}  // namespace hail::server::core

#endif  // HAIL_SERVER_CORE_ENVELOPE_H_
