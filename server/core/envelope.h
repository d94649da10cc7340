// What one loop hands another: a typed payload for one session address
// (server/core/session_address.h). Nothing crosses loops as a closure, so
// nothing can run against the wrong loop's state: the receiving loop's core
// looks the address up in its own table and drops (or reroutes) an envelope
// whose session has gone or logged in again since.
#ifndef HAIL_SERVER_CORE_ENVELOPE_H_
#define HAIL_SERVER_CORE_ENVELOPE_H_

#include <cstdint>
#include <optional>
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

// Every earlier session of the user has handed over (Directory::HandedOver):
// the session may read the mailbox now.
struct HandoverDone {};

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

// A delivery receipt for the target (the message's sender), sent live and
// stored only if the target does not acknowledge it in time (SPEC.md 10.9);
// for a message acknowledged live, after `answer` (MESSAGE_ACCEPTED{LIVE}).
// `owner` is the target's user, whose mailbox takes it if the session went.
struct LiveReceipt {
  uint64_t owner = 0;
  MailItem receipt;
  std::optional<protocol::MessageAccepted> answer;
};

// Messages sent to the target as they are (answers, notices).
struct Frames {
  std::vector<protocol::Message> messages;
};

// The peer's side of a contact operation by `change.me` (SPEC.md 8.2).
struct ContactNews {
  ContactChange change;
};

// Direct-link rendezvous (SPEC.md 15.2): an offer for the target, and the
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
      std::variant<Kick, HandoverDone, PresenceOf, MessageForRecipient,
                   StoredItem, LiveReceipt, Frames, ContactNews, P2pOfferFor,
                   P2pGoAhead, StoreDone>;
  SessionAddress to;  // StoreDone: only to.loop counts
  Payload payload;
};

}  // namespace hail::server::core

#endif  // HAIL_SERVER_CORE_ENVELOPE_H_
