// The routing core of one network loop, sans-I/O: the logged-in sessions
// the loop owns (contacts as they see them, presence, live deliveries
// waiting for ITEM_ACK, stored items not yet acknowledged), and every
// decision about messages, presence, session replacement and direct-link
// rendezvous (SPEC.md 7.11, 8, 9, 10, 15.2). Events and `now` go in; what
// to do comes out through Effects: frames for its own sessions, envelopes
// for other loops, store requests, sessions to end. It opens no socket,
// reads no clock and touches no store, so a simulator can drive many cores
// with virtual time (tests/server/core_simulation_test.cc).
//
// Threading: a core belongs to one loop thread; every entry point checks
// it (OwnerThread) and aborts on a foreign caller. Cores reach each other
// only through Effects::Post, by SessionAddress. The Directory, P2pBroker,
// pair limiter and Counters are shared and thread-safe.
#ifndef HAIL_SERVER_CORE_LOOP_CORE_H_
#define HAIL_SERVER_CORE_LOOP_CORE_H_

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "protocol/endpoint.h"
#include "protocol/error_code.h"
#include "protocol/messages.h"
#include "server/base/owner_thread.h"
#include "server/core/contact_change.h"
#include "server/core/directory.h"
#include "server/core/envelope.h"
#include "server/core/mail_item.h"
#include "server/core/session_address.h"
#include "server/core/store_request.h"
#include "server/core/undecided_messages.h"
#include "server/counters.h"
#include "server/p2p_broker.h"
#include "server/rate_limiter.h"

namespace hail::server::core {

// What a core does to the world. Implemented by the loop (server/shard.h)
// and by the simulator. Called only from the core's own thread.
class Effects {
 public:
  virtual ~Effects() = default;
  // Seals and sends `message` to the loop's own session `session`.
  virtual void Send(uint64_t session, const protocol::Message& message) = 0;
  // Hands `envelope` to the core of loop `envelope.to.loop` (maybe this
  // one: then it is handled after the current event, never inside it).
  virtual void Post(Envelope envelope) = 0;
  // Runs `request` on the store; its StoreDone comes back to request.loop.
  virtual void Store(StoreRequest request) = 0;
  // Ends the session with SESSION_ENDED{reason}; the loop then calls
  // LoopCore::Ended if the session was logged in.
  virtual void EndSession(uint64_t session, protocol::ErrorCode reason) = 0;
  // Reads the login snapshot of the logged-in session `address` (off the
  // loop, after every store request made so far); the loop then calls
  // LoopCore::LoginLoaded.
  virtual void LoadLogin(const SessionAddress& address) = 0;
};

// Shared services of every core (all thread-safe, outliving the cores).
struct CoreServices {
  Directory* directory = nullptr;
  UndecidedMessages* undecided = nullptr;
  Counters* counters = nullptr;
  P2pBroker* p2p_broker = nullptr;
  LockedRateLimiter* p2p_per_pair = nullptr;
};

// What the transport knows about a session, for direct links.
struct SessionFacts {
  protocol::Endpoint observed;
  protocol::Endpoint lan;
  bool can_link_directly = false;  // UDP (ENet), not TCP
};

// A contact as a user sees it, with the other side's view.
struct ContactView {
  std::string username;
  protocol::Relation mine = protocol::Relation::kNone;
  protocol::Relation theirs = protocol::Relation::kNone;
  // The newest presence version of this contact shown to the session.
  uint64_t presence_version = 0;
  bool SeesPresence() const {
    return mine == protocol::Relation::kAccepted &&
           theirs == protocol::Relation::kAccepted;
  }
};

// What the store held for a user at login (read off the loop).
struct LoginSnapshot {
  struct Contact {
    uint64_t user_id = 0;
    ContactView view;
  };
  std::vector<Contact> contacts;
  std::vector<MailItem> mailbox;  // mailbox order
};

// What the store says about a SEND_MESSAGE (read off the loop).
struct MessageLookup {
  uint64_t recipient = 0;  // 0: no such user
  std::optional<SentRecord> sent;
  protocol::Relation mine = protocol::Relation::kNone;
  protocol::Relation theirs = protocol::Relation::kNone;
  // The message was undecided (UndecidedMessages) before the read.
  bool undecided = false;
};

class LoopCore {
 public:
  // How long a live delivery waits for ITEM_ACK (SPEC.md 10.6).
  static constexpr uint64_t kLiveAckTimeoutMs = 3000;

  LoopCore(uint32_t loop, CoreServices services, Effects* effects);
  LoopCore(const LoopCore&) = delete;
  LoopCore& operator=(const LoopCore&) = delete;

  uint32_t loop() const { return loop_; }

  // --- sessions ---
  // `session` finished a login as `user`: claims the user in the directory
  // (the session it replaces is kicked) and returns its address. The login
  // snapshot is read (Effects::LoadLogin) once earlier sessions of the user
  // have handed over what they held (SPEC.md 7.11). The session is not
  // ready until LoginLoaded: envelopes for it wait.
  SessionAddress LoggedIn(uint64_t session, uint64_t user, std::string username,
                          SessionFacts facts, uint64_t now_ms);
  // The login snapshot arrived: sends the contact list, the mailbox and
  // MAILBOX_END (SPEC.md 8.8), then what waited, then presence.
  void LoginLoaded(const SessionAddress& address, LoginSnapshot snapshot,
                   uint64_t now_ms);
  // The logged-in session ended (logout, link gone, replaced, timeout):
  // presence goes offline, live deliveries go to the mailbox, and once all
  // of them are on their way there the user's next session is told.
  void Ended(uint64_t session, uint64_t now_ms);
  bool IsLoggedIn(uint64_t session) const;
  size_t logged_in() const { return sessions_.size(); }

  // --- requests of logged-in sessions ---
  void SetPresence(uint64_t session, const protocol::SetPresence& request);
  void ContactList(uint64_t session,
                   const protocol::ContactListRequest& request);
  // A contact operation's outcome (ContactService ran off the loop).
  void ContactChanged(uint64_t session, uint32_t request_id,
                      const ContactChange& change);
  // A SEND_MESSAGE that passed the text and name checks, with what the
  // store says about it: the rest of SPEC.md 10.4 and routing (10.6).
  void SendMessage(uint64_t session, const protocol::SendMessage& request,
                   const MessageLookup& lookup, uint64_t now_unix);
  // The fast path of a SEND_MESSAGE: when `recipient_name` (normalized) is
  // one of the session's contacts, routes it with no store read (the store
  // checks for a duplicate as it accepts) and returns true; false when the
  // loop must look the recipient up in the store and call SendMessage.
  bool SendToContact(uint64_t session, const protocol::SendMessage& request,
                     const std::string& recipient_name, uint64_t now_unix);
  void ItemAck(uint64_t session, const protocol::ItemAck& ack,
               uint64_t now_unix);
  void P2pRequest(uint64_t session, const protocol::P2pRequest& request,
                  uint64_t now_ms);
  void P2pAnswer(uint64_t session, const protocol::P2pAnswer& answer,
                 uint64_t now_ms);

  // --- from other loops and the store ---
  void Receive(Envelope envelope, uint64_t now_ms);
  // Which loop's core gets `done` (thread-safe; called where the store
  // completes). Normally the loop that asked; a message stored for a user
  // who was offline when it was routed goes to the user's session if there
  // is one now, on the path (store, then the session's loop) that later
  // live messages of the conversation take, so none of them overtakes it.
  static uint32_t CompletionLoop(StoreDone* done, const Directory& directory);
  // Live deliveries past their ITEM_ACK deadline go to the mailbox.
  void Tick(uint64_t now_ms);

 private:
  struct PendingLive {
    MailItem item;
    uint64_t deadline_ms = 0;  // 0: not sent yet (accepting)
    // Its SentRecord::content_hash, to tell a resend from a reused id.
    std::array<uint8_t, 32> content_hash{};
  };
  struct Session {
    SessionAddress address;
    uint64_t user = 0;
    std::string username;
    SessionFacts facts;
    bool awaiting_handover = false;  // the snapshot is read after it
    bool ready = false;              // contact list and mailbox sent
    std::vector<Envelope> held;      // waiting for ready, in arrival order
    // P2P_REQUESTs sent before ready: judged once `contacts` is loaded.
    std::vector<protocol::P2pRequest> held_p2p;
    std::unordered_map<uint64_t, ContactView> contacts;
    std::map<std::pair<uint64_t, protocol::ItemId>, PendingLive> pending_live;
    // Receipts sent live, by item id, until ITEM_ACK{item_id, 0}.
    std::map<protocol::ItemId, PendingLive> live_receipts;
    // Stored messages sent and not yet acknowledged, by sender.
    std::map<uint64_t, std::set<protocol::ItemId>> unacked_stored;
    // Mailbox items (sender, item id) this session was sent: an item goes
    // to a session at most once (SPEC.md 10.7), whether the login mailbox
    // or a later StoredItem brought it. Bounded by the mailbox quota.
    std::set<std::pair<uint64_t, protocol::ItemId>> items_sent;
  };

  Session* Find(uint64_t session);
  // The session `address` names, if it is still that login.
  Session* Find(const SessionAddress& address);
  void Deliver(Session& s, Envelope envelope, uint64_t now_ms);
  // What happens to an envelope whose session is gone.
  void Undeliverable(Envelope envelope, uint64_t now_ms);
  // Posts `payload` to the current session of `user`, if online.
  bool PostToUser(uint64_t user, Envelope::Payload payload);
  void Send(Session& s, const protocol::Message& message);
  void SendContactUpdate(Session& s, uint64_t peer, ContactView& view);
  void SendMailItem(Session& s, const MailItem& item, bool from_mailbox);
  void BroadcastPresence(Session& s, protocol::Presence presence,
                         const std::string& status, uint64_t version);
  bool HasPendingFrom(const Session& s, uint64_t sender) const;
  // Accepts a message that passed SPEC.md 10.4's checks and routes it.
  void Accept(Session& sender, const protocol::SendMessage& r,
              uint64_t recipient, protocol::Relation theirs,
              std::array<uint8_t, 32> hash, uint64_t now_unix);
  // Answers the sender from a duplicate's record; false if none.
  bool AnsweredAsDuplicate(const StoreDone& done);
  // A request that opened its message in UndecidedMessages and accepted
  // nothing (a duplicate, a refusal) closes it again.
  void DecideIfOpened(const StoreRequest& request);
  void RouteMessage(Session& r, MailItem item, SentRecord record);
  // `recipient_gone`: its session ended, so the message may be forwarded.
  void StoreAfterLive(uint64_t recipient, const MailItem& item,
                      bool recipient_gone);
  // A session that ended is done with what it held: the directory hears
  // it, and the user's session waiting for it reads its mailbox.
  void FinishHandover(uint64_t user, const SessionAddress& gone);
  // A live delivery accepted for a session that has ended meanwhile.
  void AcceptedAfterEnd(const StoreDone& done);
  // The receipt for `owner` (the message's sender) goes live to its
  // session, or into its mailbox if it has none.
  void SendReceipt(uint64_t owner, MailItem receipt,
                   std::optional<protocol::MessageAccepted> answer);
  // Stores a receipt; with `send_now` the owner's session gets it then.
  void StoreReceipt(uint64_t owner, MailItem receipt, bool send_now,
                    std::optional<protocol::MessageAccepted> answer);
  void AnswerSender(uint64_t sender, const protocol::MessageAccepted& answer);
  void OnStoreDone(StoreDone& done, uint64_t now_ms);  // takes what it keeps
  void OnContactNews(Session& s, const ContactChange& change);
  // Direct links (loop_core_p2p.cc).
  const ContactView* AcceptedContact(const Session& s, uint64_t peer) const;
  void CloseRendezvous(uint64_t user, uint64_t session_id, uint64_t peer_id,
                       const std::string& peer_name,
                       protocol::ErrorCode reason);
  void OnP2pOffer(Session& s, const Rendezvous& rendezvous, uint64_t now_ms);
  void OnP2pGoAhead(Session& s, const P2pGoAhead& go, uint64_t now_ms);

  const uint32_t loop_;
  const CoreServices services_;
  Effects* const effects_;
  OwnerThread owner_;
  // Logged-in sessions of this loop, by session id.
  std::unordered_map<uint64_t, Session> sessions_;
  // Sessions that ended with live messages still being accepted: what is
  // left before they have handed over (their StoreDones store them).
  struct Departed {
    uint64_t user = 0;
    size_t accepting = 0;
  };
  std::map<std::pair<uint64_t, uint64_t>, Departed> departed_;  // session, gen
  uint64_t next_generation_ = 1;
};

}  // namespace hail::server::core

#endif  // HAIL_SERVER_CORE_LOOP_CORE_H_
