// LoopCore: sessions, contacts, presence and messages (SPEC.md 8-10). The
// direct-link rendezvous is in loop_core_p2p.cc.
#include "server/core/loop_core.h"

#include <sodium.h>

#include <algorithm>
#include <type_traits>
#include <utility>

#include "protocol/account_rules.h"

namespace hail::server::core {

using protocol::ErrorCode;
using protocol::Presence;
using protocol::Relation;

namespace {

// Mailbox order, except that the messages of one conversation go in seq
// order (a live message that fell back to the mailbox is stored after later
// ones): each conversation's messages are sorted within the slots they hold.
void OrderConversations(std::vector<MailItem>* mailbox) {
  std::map<uint64_t, std::vector<size_t>> slots;
  for (size_t i = 0; i < mailbox->size(); ++i) {
    if ((*mailbox)[i].kind == MailItemKind::kMessage) {
      slots[(*mailbox)[i].sender_id].push_back(i);
    }
  }
  for (auto& [sender, positions] : slots) {
    std::vector<MailItem> items;
    for (size_t i : positions) items.push_back((*mailbox)[i]);
    std::stable_sort(items.begin(), items.end(),
                     [](const MailItem& a, const MailItem& b) {
                       return a.conversation_seq < b.conversation_seq;
                     });
    for (size_t k = 0; k < positions.size(); ++k) {
      (*mailbox)[positions[k]] = std::move(items[k]);
    }
  }
}

protocol::MessageAccepted Refusal(const protocol::ItemId& id, ErrorCode error) {
  return protocol::MessageAccepted{id, error, 0, 0, 0};
}

protocol::MessageAccepted Accepted(const MailItem& item, protocol::Route route,
                                   uint64_t seq) {
  return protocol::MessageAccepted{item.item_id, ErrorCode::kOk,
                                   static_cast<uint8_t>(route), seq,
                                   item.accepted_unix};
}

// The receipt of SPEC.md 10.9, a mailbox item of the message's sender.
MailItem MakeReceipt(const protocol::ItemId& message_id, uint64_t recipient,
                     const std::string& recipient_name, uint64_t now_unix) {
  MailItem receipt;
  receipt.kind = MailItemKind::kReceipt;
  randombytes_buf(receipt.item_id.data(), receipt.item_id.size());
  receipt.sender_id = recipient;
  receipt.sender_name = recipient_name;
  receipt.ref_id = message_id;
  receipt.accepted_unix = now_unix;
  return receipt;
}

}  // namespace

LoopCore::LoopCore(uint32_t loop, CoreServices services, Effects* effects)
    : loop_(loop), services_(services), effects_(effects) {}

LoopCore::Session* LoopCore::Find(uint64_t session) {
  auto it = sessions_.find(session);
  return it == sessions_.end() ? nullptr : &it->second;
}

LoopCore::Session* LoopCore::Find(const SessionAddress& address) {
  if (address.loop != loop_) return nullptr;
  Session* s = Find(address.session);
  if (s == nullptr || s->address.generation != address.generation) {
    return nullptr;
  }
  return s;
}

bool LoopCore::IsLoggedIn(uint64_t session) const {
  return sessions_.count(session) != 0;
}

bool LoopCore::PostToUser(uint64_t user, Envelope::Payload payload) {
  std::optional<SessionAddress> address = services_.directory->AddressOf(user);
  if (!address) return false;
  effects_->Post(Envelope{*address, std::move(payload)});
  return true;
}

void LoopCore::Send(Session& s, const protocol::Message& message) {
  effects_->Send(s.address.session, message);
}

// --- sessions ---

SessionAddress LoopCore::LoggedIn(uint64_t session, uint64_t user,
                                  std::string username, SessionFacts facts,
                                  uint64_t) {
  owner_.Check();
  SessionAddress address{loop_, session, next_generation_++};
  Session& s = sessions_[session];
  s = Session{};
  s.address = address;
  s.user = user;
  s.username = username;
  s.facts = facts;
  Directory::Claimed claimed =
      services_.directory->Claim(user, address, std::move(username));
  if (claimed.replaced) effects_->Post(Envelope{*claimed.replaced, Kick{}});
  if (claimed.wait) {
    // The mailbox is read once the sessions before this one have put back
    // what they held, so that it has all of it, in seq order.
    s.awaiting_handover = true;
  } else {
    effects_->LoadLogin(address);
  }
  return address;
}

void LoopCore::LoginLoaded(const SessionAddress& address,
                           LoginSnapshot snapshot, uint64_t now_ms) {
  owner_.Check();
  Session* s = Find(address);
  if (s == nullptr) return;  // ended while the store was read
  for (LoginSnapshot::Contact& c : snapshot.contacts) {
    s->contacts[c.user_id] = std::move(c.view);
  }
  for (auto& [peer, view] : s->contacts) SendContactUpdate(*s, peer, view);
  Send(*s,
       protocol::ContactListEnd{0, static_cast<uint16_t>(s->contacts.size())});
  OrderConversations(&snapshot.mailbox);
  for (const MailItem& item : snapshot.mailbox) {
    s->items_sent.insert({item.sender_id, item.item_id});
    if (item.kind == MailItemKind::kMessage) {
      s->unacked_stored[item.sender_id].insert(item.item_id);
    }
    SendMailItem(*s, item, /*from_mailbox=*/true);
  }
  services_.counters->mailbox_items_sent += snapshot.mailbox.size();
  Send(*s,
       protocol::MailboxEnd{static_cast<uint32_t>(snapshot.mailbox.size())});
  s->ready = true;
  std::vector<Envelope> held = std::move(s->held);
  s->held.clear();
  for (size_t i = 0; i < held.size(); ++i) {
    Deliver(*s, std::move(held[i]), now_ms);
    s = Find(address);
    if (s == nullptr) {  // kicked by what it held
      for (size_t k = i + 1; k < held.size(); ++k) {
        Undeliverable(std::move(held[k]), now_ms);
      }
      return;
    }
  }
  // What contacts see now: online, or what SET_PRESENCE chose while the
  // snapshot was read (it was not broadcast then). A session already
  // replaced says nothing: its successor speaks for the user.
  if (std::optional<OnlineUser> mine =
          services_.directory->Announce(s->user, address)) {
    BroadcastPresence(*s, mine->presence, mine->status_text, mine->version);
  }
  // Direct-link requests that came before the contact list was loaded
  // (SPEC.md 15.2 judges them by it).
  std::vector<protocol::P2pRequest> p2p = std::move(s->held_p2p);
  s->held_p2p.clear();
  for (const protocol::P2pRequest& request : p2p) {
    P2pRequest(address.session, request, now_ms);
  }
}

void LoopCore::Ended(uint64_t session, uint64_t now_ms) {
  owner_.Check();
  auto it = sessions_.find(session);
  if (it == sessions_.end()) return;
  Session s = std::move(it->second);
  sessions_.erase(it);
  std::optional<uint64_t> gone =
      services_.directory->Release(s.user, s.address);
  if (gone && s.ready) BroadcastPresence(s, Presence::kOffline, "", *gone);
  for (Envelope& envelope : s.held) {
    Undeliverable(std::move(envelope), now_ms);
  }
  // Live messages this session never acknowledged go to the mailbox; those
  // still being accepted do so when their StoreDone finds the session gone.
  size_t accepting = 0;
  for (auto& [key, pending] : s.pending_live) {
    if (pending.deadline_ms != 0) {
      StoreAfterLive(s.user, pending.item, /*recipient_gone=*/true);
    } else {
      ++accepting;
    }
  }
  // So do receipts it never acknowledged; a newer session gets them now.
  for (auto& [id, pending] : s.live_receipts) {
    services_.counters->receipt_fallbacks_stored++;
    StoreReceipt(s.user, std::move(pending.item), /*send_now=*/true,
                 std::nullopt);
  }
  if (accepting == 0) {
    FinishHandover(s.user, s.address);
  } else {
    departed_[{s.address.session, s.address.generation}] =
        Departed{s.user, accepting};
  }
}

void LoopCore::FinishHandover(uint64_t user, const SessionAddress& gone) {
  // Every store request above was made before this: a snapshot read after
  // it (Effects::LoadLogin) sees them all.
  if (std::optional<SessionAddress> next =
          services_.directory->HandedOver(user, gone)) {
    effects_->Post(Envelope{*next, HandoverDone{}});
  }
}

void LoopCore::Receive(Envelope envelope, uint64_t now_ms) {
  owner_.Check();
  if (auto* done = std::get_if<StoreDone>(&envelope.payload)) {
    OnStoreDone(*done, now_ms);
    return;
  }
  Session* s = Find(envelope.to);
  if (s == nullptr) {
    Undeliverable(std::move(envelope), now_ms);
    return;
  }
  if (std::holds_alternative<Kick>(envelope.payload)) {
    services_.counters->sessions_replaced++;
    effects_->EndSession(s->address.session, ErrorCode::kSessionReplaced);
    return;
  }
  if (std::holds_alternative<HandoverDone>(envelope.payload)) {
    if (s->awaiting_handover) {
      s->awaiting_handover = false;
      effects_->LoadLogin(s->address);
    }
    return;
  }
  if (!s->ready) {
    s->held.push_back(std::move(envelope));
    return;
  }
  Deliver(*s, std::move(envelope), now_ms);
}

void LoopCore::Deliver(Session& s, Envelope envelope, uint64_t now_ms) {
  std::visit(
      [&](auto& p) {
        using T = std::decay_t<decltype(p)>;
        if constexpr (std::is_same_v<T, Kick>) {
          services_.counters->sessions_replaced++;
          effects_->EndSession(s.address.session, ErrorCode::kSessionReplaced);
        } else if constexpr (std::is_same_v<T, HandoverDone>) {
          // Handled on arrival (Receive), never held.
        } else if constexpr (std::is_same_v<T, PresenceOf>) {
          auto it = s.contacts.find(p.user);
          if (it == s.contacts.end() || !it->second.SeesPresence()) return;
          // Older than what the session was shown: it came in late.
          if (p.version <= it->second.presence_version) return;
          it->second.presence_version = p.version;
          services_.counters->presence_updates_sent++;
          Send(s, p.update);
        } else if constexpr (std::is_same_v<T, MessageForRecipient>) {
          RouteMessage(s, std::move(p.item), std::move(p.record));
        } else if constexpr (std::is_same_v<T, StoredItem>) {
          // Sent once per session: the login mailbox may have had it.
          if (!s.items_sent.insert({p.item.sender_id, p.item.item_id}).second) {
            return;
          }
          if (p.item.kind == MailItemKind::kMessage) {
            s.unacked_stored[p.item.sender_id].insert(p.item.item_id);
          }
          // It is in the mailbox as it is sent (SPEC.md 10.7).
          SendMailItem(s, p.item, /*from_mailbox=*/true);
        } else if constexpr (std::is_same_v<T, LiveReceipt>) {
          services_.counters->receipts_sent++;
          if (p.answer) Send(s, *p.answer);
          SendMailItem(s, p.receipt, /*from_mailbox=*/false);
          protocol::ItemId id = p.receipt.item_id;
          s.live_receipts[id] =
              PendingLive{std::move(p.receipt), now_ms + kLiveAckTimeoutMs};
        } else if constexpr (std::is_same_v<T, Frames>) {
          for (const protocol::Message& m : p.messages) Send(s, m);
        } else if constexpr (std::is_same_v<T, ContactNews>) {
          OnContactNews(s, p.change);
        } else if constexpr (std::is_same_v<T, P2pOfferFor>) {
          OnP2pOffer(s, p.rendezvous, now_ms);
        } else if constexpr (std::is_same_v<T, P2pGoAhead>) {
          OnP2pGoAhead(s, p, now_ms);
        } else if constexpr (std::is_same_v<T, StoreDone>) {
          OnStoreDone(p, now_ms);
        }
      },
      envelope.payload);
}

void LoopCore::Undeliverable(Envelope envelope, uint64_t now_ms) {
  std::visit(
      [&](auto& p) {
        using T = std::decay_t<decltype(p)>;
        if constexpr (std::is_same_v<T, MessageForRecipient>) {
          // The recipient's session went while the message travelled: the
          // mailbox takes it, and sends it on if the user is back.
          StoreRequest request;
          request.kind = StoreRequest::Kind::kAcceptStored;
          request.loop = loop_;
          request.recipient = p.record.recipient_id;
          request.item = std::move(p.item);
          request.record = std::move(p.record);
          request.record.route = protocol::Route::kStored;
          request.send_now = true;
          effects_->Store(std::move(request));
        } else if constexpr (std::is_same_v<T, LiveReceipt>) {
          // Its answer is lost with the session: a resend gets it again.
          StoreReceipt(p.owner, std::move(p.receipt), /*send_now=*/true,
                       std::nullopt);
        } else if constexpr (std::is_same_v<T, P2pOfferFor>) {
          const Rendezvous& r = p.rendezvous;
          if (services_.p2p_broker->Take(r.session_id, r.peer, now_ms)) {
            CloseRendezvous(r.requester, r.session_id, r.peer, r.peer_name,
                            ErrorCode::kUnavailable);
          }
        } else if constexpr (std::is_same_v<T, P2pGoAhead>) {
          const Rendezvous& r = p.rendezvous;
          services_.counters->p2p_declined++;
          CloseRendezvous(r.peer, r.session_id, r.requester, r.requester_name,
                          ErrorCode::kUnavailable);
        }
        // Anything else was for that session only (presence, answers the
        // sender gets again by resending, a kick of a session now gone);
        // a stored item waits in the mailbox for the next login.
      },
      envelope.payload);
}

// --- contacts and presence ---

void LoopCore::SendContactUpdate(Session& s, uint64_t peer, ContactView& view) {
  protocol::ContactUpdate update;
  update.user_id = peer;
  update.username = view.username;
  update.relation = static_cast<uint8_t>(view.mine);
  update.presence = static_cast<uint8_t>(Presence::kOffline);
  if (view.SeesPresence()) {
    // Shown with its version, so that an older PRESENCE still on its way
    // from another loop cannot undo it.
    Directory::Seen seen = services_.directory->Look(peer);
    update.presence = static_cast<uint8_t>(seen.presence);
    update.status_text = std::move(seen.status_text);
    view.presence_version = std::max(view.presence_version, seen.version);
  }
  Send(s, update);
}

void LoopCore::BroadcastPresence(Session& s, Presence presence,
                                 const std::string& status, uint64_t version) {
  PresenceOf of;
  of.user = s.user;
  of.version = version;
  of.update.user_id = s.user;
  of.update.username = s.username;
  of.update.presence = static_cast<uint8_t>(
      presence == Presence::kInvisible ? Presence::kOffline : presence);
  of.update.status_text = presence == Presence::kInvisible ? "" : status;
  for (const auto& [peer, view] : s.contacts) {
    if (view.SeesPresence()) PostToUser(peer, of);
  }
}

void LoopCore::SetPresence(uint64_t session, const protocol::SetPresence& r) {
  owner_.Check();
  Session* s = Find(session);
  if (s == nullptr) return;
  if (r.presence == 0 || r.presence >= protocol::kPresenceEnd ||
      !protocol::IsValidUtf8(r.status_text)) {
    Send(*s, protocol::RequestResult{r.request_id, ErrorCode::kInvalidText});
    return;
  }
  auto presence = static_cast<Presence>(r.presence);
  std::optional<uint64_t> version = services_.directory->SetPresence(
      s->user, s->address, presence, r.status_text);
  Send(*s, protocol::RequestResult{r.request_id, ErrorCode::kOk});
  // A replaced session (not current) no longer speaks for the user.
  if (s->ready && version) {
    BroadcastPresence(*s, presence, r.status_text, *version);
  }
}

void LoopCore::ContactList(uint64_t session,
                           const protocol::ContactListRequest& r) {
  owner_.Check();
  Session* s = Find(session);
  if (s == nullptr) return;
  for (auto& [peer, view] : s->contacts) SendContactUpdate(*s, peer, view);
  Send(*s, protocol::ContactListEnd{r.request_id,
                                    static_cast<uint16_t>(s->contacts.size())});
}

void LoopCore::ContactChanged(uint64_t session, uint32_t request_id,
                              const ContactChange& change) {
  owner_.Check();
  Session* s = Find(session);
  if (s == nullptr) return;
  Send(*s, protocol::RequestResult{request_id, change.error});
  if (change.error != ErrorCode::kOk) return;
  if (change.my_side_changed) {
    ContactView& view = s->contacts[change.peer];
    view.username = change.peer_name;
    view.mine = change.my_relation;
    if (change.peer_side_changed) view.theirs = change.peer_relation;
    SendContactUpdate(*s, change.peer, view);
    if (view.mine == Relation::kNone) s->contacts.erase(change.peer);
  }
  if (change.peer_side_changed || change.notice_for_peer || change.now_apart) {
    PostToUser(change.peer, ContactNews{change});
  }
}

void LoopCore::OnContactNews(Session& s, const ContactChange& change) {
  uint64_t me = change.me;  // who made the change
  ContactView& view = s.contacts[me];
  view.username = change.my_name;
  view.theirs = change.my_relation;
  if (change.peer_side_changed) {
    view.mine = change.peer_relation;
    SendContactUpdate(s, me, view);
    if (change.now_accepted && view.SeesPresence()) {
      // The one who accepted, for the one who asked (SPEC.md 8.4): its
      // presence as contacts see it, unless a newer one was shown already.
      Directory::Seen seen = services_.directory->Look(me);
      if (seen.version >= view.presence_version) {
        view.presence_version = seen.version;
        protocol::PresenceUpdate update;
        update.user_id = me;
        update.username = change.my_name;
        update.presence = static_cast<uint8_t>(seen.presence);
        update.status_text = std::move(seen.status_text);
        services_.counters->presence_updates_sent++;
        Send(s, update);
      }
    }
  } else if (change.now_apart) {
    // Told nothing about why: the user just looks offline.
    protocol::PresenceUpdate offline;
    offline.user_id = me;
    offline.username = change.my_name;
    offline.presence = static_cast<uint8_t>(Presence::kOffline);
    Send(s, offline);
  }
  if (view.mine == Relation::kNone) s.contacts.erase(me);
  if (change.notice_for_peer && s.items_sent
                                    .insert({change.notice_for_peer->sender_id,
                                             change.notice_for_peer->item_id})
                                    .second) {
    SendMailItem(s, *change.notice_for_peer, false);
  }
  if (change.now_accepted) {
    // This user's presence, for the one who just accepted.
    protocol::PresenceUpdate update;
    update.user_id = s.user;
    update.username = s.username;
    Directory::Seen seen = services_.directory->Look(s.user);
    update.presence = static_cast<uint8_t>(seen.presence);
    update.status_text = std::move(seen.status_text);
    if (PostToUser(me, Frames{{update}})) {
      services_.counters->presence_updates_sent++;
    }
  }
}

// --- messages ---

void LoopCore::SendMailItem(Session& s, const MailItem& item,
                            bool from_mailbox) {
  switch (item.kind) {
    case MailItemKind::kMessage: {
      protocol::MessageDeliver deliver;
      deliver.message_id = item.item_id;
      deliver.sender_id = item.sender_id;
      deliver.sender = item.sender_name;
      deliver.seq = item.conversation_seq;
      deliver.accepted_unix = item.accepted_unix;
      deliver.from_mailbox = from_mailbox ? 1 : 0;
      deliver.text = item.text;
      Send(s, std::move(deliver));
      return;
    }
    case MailItemKind::kContactRequest:
      Send(s, protocol::ContactRequestNotice{item.item_id, item.sender_id,
                                             item.sender_name, item.text,
                                             item.accepted_unix});
      return;
    case MailItemKind::kContactAnswer:
      Send(s, protocol::ContactAnswerNotice{item.item_id, item.sender_id,
                                            item.sender_name, item.flag,
                                            item.accepted_unix});
      return;
    case MailItemKind::kReceipt:
      Send(s,
           protocol::DeliveryReceipt{item.item_id, item.ref_id, item.sender_id,
                                     item.sender_name, item.accepted_unix});
      return;
    case MailItemKind::kForwardNotice: {
      protocol::ForwardNotice notice;
      notice.item_id = item.item_id;
      notice.message_id = item.ref_id;
      notice.recipient_id = item.sender_id;
      notice.recipient = item.sender_name;
      notice.channel = item.flag;
      notice.state = static_cast<uint8_t>(item.conversation_seq);
      notice.reason = item.text;
      notice.state_unix = item.accepted_unix;
      Send(s, std::move(notice));
      return;
    }
  }
}

void LoopCore::AnswerSender(uint64_t sender,
                            const protocol::MessageAccepted& answer) {
  // A sender who has gone gets the same answer again when it resends the
  // message id after reconnecting (SPEC.md 10.5).
  PostToUser(sender, Frames{{answer}});
}

bool LoopCore::HasPendingFrom(const Session& s, uint64_t sender) const {
  // Live deliveries still waiting for ITEM_ACK do not count: later ones
  // follow them on the session's ordered channel, and the store gives them
  // their seqs in the same order.
  auto stored = s.unacked_stored.find(sender);
  return stored != s.unacked_stored.end() && !stored->second.empty();
}

void LoopCore::SendMessage(uint64_t session, const protocol::SendMessage& r,
                           const MessageLookup& lookup, uint64_t now_unix) {
  owner_.Check();
  Session* s = Find(session);
  if (s == nullptr) return;
  auto refuse = [&](ErrorCode error) {
    services_.counters->messages_refused++;
    Send(*s, Refusal(r.message_id, error));
  };
  if (lookup.recipient == 0) return refuse(ErrorCode::kUserNotFound);
  std::array<uint8_t, 32> hash = MessageContentHash(lookup.recipient, r.text);
  if (lookup.sent) {
    services_.counters->messages_deduplicated++;
    const SentRecord& sent = *lookup.sent;
    if (sent.recipient_id != lookup.recipient || sent.content_hash != hash) {
      return refuse(ErrorCode::kIdReused);
    }
    if (lookup.undecided ||
        services_.undecided->IsOpen(s->user, r.message_id)) {
      // Delivered live and not decided yet (before or after the read): its
      // decision answers the sender's session then, this one (SPEC.md 10.5).
      return;
    }
    Send(*s, protocol::MessageAccepted{
                 r.message_id, ErrorCode::kOk, static_cast<uint8_t>(sent.route),
                 sent.conversation_seq, sent.accepted_unix});
    return;
  }
  if (lookup.recipient == s->user || lookup.mine != Relation::kAccepted) {
    return refuse(ErrorCode::kNotAContact);
  }
  Accept(*s, r, lookup.recipient, lookup.theirs, std::move(hash), now_unix);
}

bool LoopCore::SendToContact(uint64_t session, const protocol::SendMessage& r,
                             const std::string& recipient_name,
                             uint64_t now_unix) {
  owner_.Check();
  Session* s = Find(session);
  if (s == nullptr) return true;  // gone: nothing to answer
  for (const auto& [peer, view] : s->contacts) {
    if (view.username != recipient_name) continue;
    if (view.mine != Relation::kAccepted || peer == s->user) return false;
    // The recipient and both relations are known here, kept current by
    // ContactNews; the store checks for a duplicate as it accepts.
    Accept(*s, r, peer, view.theirs, MessageContentHash(peer, r.text),
           now_unix);
    return true;
  }
  return false;
}

void LoopCore::Accept(Session& sender, const protocol::SendMessage& r,
                      uint64_t recipient, Relation theirs,
                      std::array<uint8_t, 32> hash, uint64_t now_unix) {
  Session* s = &sender;
  MailItem item;
  item.kind = MailItemKind::kMessage;
  item.item_id = r.message_id;
  item.sender_id = s->user;
  item.sender_name = s->username;
  item.text = r.text;
  item.accepted_unix = now_unix;
  SentRecord record;
  record.recipient_id = recipient;
  record.content_hash = hash;
  record.accepted_unix = now_unix;
  record.route = protocol::Route::kStored;

  StoreRequest request;
  request.loop = loop_;
  request.recipient = recipient;
  request.undecided = services_.undecided->IsOpen(s->user, r.message_id);
  if (theirs == Relation::kBlocked) {
    // Accepted and dropped: the sender cannot tell (SPEC.md 10.11).
    request.kind = StoreRequest::Kind::kAcceptBlocked;
    request.item = std::move(item);
    request.record = std::move(record);
    effects_->Store(std::move(request));
    return;
  }
  std::optional<SessionAddress> online =
      services_.directory->AddressOf(recipient);
  if (online) {
    effects_->Post(Envelope{
        *online, MessageForRecipient{std::move(item), std::move(record)}});
    return;
  }
  // Stored; sent on at once should the recipient log in meanwhile.
  request.kind = StoreRequest::Kind::kAcceptStored;
  request.item = std::move(item);
  request.record = std::move(record);
  request.send_now = true;
  request.forwardable = true;  // offline: the recipient's rules may apply
  effects_->Store(std::move(request));
}

void LoopCore::RouteMessage(Session& r, MailItem item, SentRecord record) {
  auto key = std::make_pair(item.sender_id, item.item_id);
  if (auto in_flight = r.pending_live.find(key);
      in_flight != r.pending_live.end()) {
    // A resend of a message on its way live to this very session: its one
    // answer comes with the ITEM_ACK or the fallback (SPEC.md 10.5).
    services_.counters->messages_deduplicated++;
    if (in_flight->second.content_hash != record.content_hash) {
      services_.counters->messages_refused++;
      AnswerSender(item.sender_id, Refusal(item.item_id, ErrorCode::kIdReused));
    }
    return;
  }
  StoreRequest request;
  request.loop = loop_;
  request.recipient = r.user;
  if (HasPendingFrom(r, item.sender_id)) {
    request.undecided =
        services_.undecided->IsOpen(item.sender_id, item.item_id);
    // Something older from this sender waits in the mailbox: the mailbox
    // keeps the conversation in order (SPEC.md 10.6). Open from now on, and
    // sent from here once stored, so that nothing later overtakes it.
    request.kind = StoreRequest::Kind::kAcceptStored;
    request.session = r.address;
    record.route = protocol::Route::kStored;
    request.send_now = true;
    // On its way to the recipient already: like a live delivery, not
    // refused for the sender's share of the mailbox (the mailbox's own
    // limit still holds).
    request.per_sender_quota = false;
    // A resend of a stored message the session has not acknowledged finds
    // it pending already: it stays so whatever the store says of the resend
    // (a duplicate), until the session's ITEM_ACK names it.
    request.opened_pending =
        r.unacked_stored[item.sender_id].insert(item.item_id).second;
  } else {
    request.kind = StoreRequest::Kind::kAcceptLive;
    request.session = r.address;
    record.route = protocol::Route::kLive;
    // Undecided from now on, unless it already was (a resend while the
    // original is on its way to an earlier session of the recipient).
    request.opened_undecided =
        services_.undecided->Open(item.sender_id, item.item_id);
    request.undecided = !request.opened_undecided;
    // Waits for its seq, then for ITEM_ACK (or the mailbox, after 3 s);
    // the item comes back with the seq.
    PendingLive& pending = r.pending_live[key];
    pending = PendingLive{};
    pending.content_hash = record.content_hash;
  }
  request.item = std::move(item);
  request.record = std::move(record);
  effects_->Store(std::move(request));
}

void LoopCore::SendReceipt(uint64_t owner, MailItem receipt,
                           std::optional<protocol::MessageAccepted> answer) {
  std::optional<SessionAddress> address = services_.directory->AddressOf(owner);
  if (address) {
    effects_->Post(Envelope{
        *address, LiveReceipt{owner, std::move(receipt), std::move(answer)}});
    return;
  }
  // Offline owner: the mailbox keeps it (and sends it should the owner be
  // back by then).
  StoreReceipt(owner, std::move(receipt), /*send_now=*/true, answer);
}

void LoopCore::StoreReceipt(uint64_t owner, MailItem receipt, bool send_now,
                            std::optional<protocol::MessageAccepted> answer) {
  StoreRequest request;
  request.kind = StoreRequest::Kind::kReceipt;
  request.loop = loop_;
  request.recipient = owner;
  request.item = std::move(receipt);
  request.send_now = send_now;
  request.live_answer = std::move(answer);
  effects_->Store(std::move(request));
}

void LoopCore::StoreAfterLive(uint64_t recipient, const MailItem& item,
                              bool recipient_gone) {
  services_.counters->live_fallbacks_stored++;
  StoreRequest request;
  request.kind = StoreRequest::Kind::kStoreAfterLive;
  request.forwardable = recipient_gone;
  request.loop = loop_;
  request.recipient = recipient;
  request.item = item;
  effects_->Store(std::move(request));
}

void LoopCore::DecideIfOpened(const StoreRequest& request) {
  if (request.opened_undecided) {
    services_.undecided->Decide(request.item.sender_id, request.item.item_id);
  }
}

bool LoopCore::AnsweredAsDuplicate(const StoreDone& done) {
  if (!done.duplicate) return false;
  const StoreRequest& request = done.request;
  const SentRecord& earlier = *done.duplicate;
  services_.counters->messages_deduplicated++;
  if (earlier.recipient_id != request.recipient ||
      earlier.content_hash != request.record.content_hash) {
    services_.counters->messages_refused++;
    AnswerSender(request.item.sender_id,
                 Refusal(request.item.item_id, ErrorCode::kIdReused));
  } else if (request.undecided ||
             (!request.opened_undecided &&
              services_.undecided->IsOpen(request.item.sender_id,
                                          request.item.item_id))) {
    // The original is delivered live and undecided (when this request was
    // made, or since): its decision is the one answer (SPEC.md 10.5).
  } else {
    AnswerSender(request.item.sender_id,
                 protocol::MessageAccepted{request.item.item_id, ErrorCode::kOk,
                                           static_cast<uint8_t>(earlier.route),
                                           earlier.conversation_seq,
                                           earlier.accepted_unix});
  }
  return true;
}

uint32_t LoopCore::CompletionLoop(StoreDone* done, const Directory& directory) {
  StoreRequest& request = done->request;
  if (request.kind == StoreRequest::Kind::kAcceptStored && request.send_now &&
      request.session.session == 0) {
    if (std::optional<SessionAddress> now =
            directory.AddressOf(request.recipient)) {
      request.session = *now;
      return now->loop;
    }
  }
  return request.loop;
}

void LoopCore::AcceptedAfterEnd(const StoreDone& done) {
  const StoreRequest& request = done.request;
  if (AnsweredAsDuplicate(done)) {
    // Nothing was accepted.
    DecideIfOpened(request);
  } else if (done.error != ErrorCode::kOk) {
    DecideIfOpened(request);
    services_.counters->messages_refused++;
    AnswerSender(request.item.sender_id,
                 Refusal(request.item.item_id, done.error));
  } else {
    // Into the mailbox, as part of the ended session's hand-over.
    MailItem live = request.item;
    live.conversation_seq = done.conversation_seq;
    StoreAfterLive(request.recipient, live, /*recipient_gone=*/true);
  }
  auto departed =
      departed_.find({request.session.session, request.session.generation});
  if (departed == departed_.end() || --departed->second.accepting != 0) {
    return;
  }
  uint64_t user = departed->second.user;
  departed_.erase(departed);
  FinishHandover(user, request.session);
}

void LoopCore::OnStoreDone(StoreDone& done, uint64_t now_ms) {
  const StoreRequest& request = done.request;
  const MailItem& item = request.item;
  uint64_t sender = item.sender_id;
  switch (request.kind) {
    case StoreRequest::Kind::kAcceptLive: {
      Session* r = Find(request.session);
      if (r == nullptr) {
        AcceptedAfterEnd(done);
        return;
      }
      auto key = std::make_pair(sender, item.item_id);
      if (done.duplicate) {
        r->pending_live.erase(key);
        AnsweredAsDuplicate(done);
        DecideIfOpened(request);
        return;
      }
      if (done.error != ErrorCode::kOk) {
        r->pending_live.erase(key);
        DecideIfOpened(request);
        services_.counters->messages_refused++;
        AnswerSender(sender, Refusal(item.item_id, done.error));
        return;
      }
      auto pending = r->pending_live.find(key);
      if (pending == r->pending_live.end()) {
        MailItem live = item;
        live.conversation_seq = done.conversation_seq;
        StoreAfterLive(request.recipient, live, /*recipient_gone=*/false);
        return;
      }
      // The item moves from the request into the pending delivery.
      MailItem& live = pending->second.item;
      live = std::move(done.request.item);
      live.conversation_seq = done.conversation_seq;
      pending->second.deadline_ms = now_ms + kLiveAckTimeoutMs;
      SendMailItem(*r, live, /*from_mailbox=*/false);
      return;
    }
    case StoreRequest::Kind::kAcceptStored: {
      // Routed at a session of this loop: that session, if still there.
      Session* r =
          request.session.session != 0 ? Find(request.session) : nullptr;
      if (done.error != ErrorCode::kOk || done.duplicate) {
        // Nothing stored: pending only if it was before this request.
        if (r != nullptr && request.opened_pending) {
          auto open = r->unacked_stored.find(sender);
          if (open != r->unacked_stored.end()) {
            open->second.erase(item.item_id);
            if (open->second.empty()) r->unacked_stored.erase(open);
          }
        }
        if (AnsweredAsDuplicate(done)) return;
        services_.counters->messages_refused++;
        AnswerSender(sender, Refusal(item.item_id, done.error));
        return;
      }
      services_.counters->messages_stored++;
      AnswerSender(sender, Accepted(item, protocol::Route::kStored,
                                    done.conversation_seq));
      if (!request.send_now) return;
      MailItem stored = item;
      stored.conversation_seq = done.conversation_seq;
      if (r != nullptr && !r->ready) {
        // Its login sequence is still to come: after it, in order.
        r->held.push_back(Envelope{r->address, StoredItem{std::move(stored)}});
      } else if (r != nullptr) {
        r->unacked_stored[sender].insert(stored.item_id);
        if (r->items_sent.insert({sender, stored.item_id}).second) {
          SendMailItem(*r, stored, /*from_mailbox=*/true);
        }
      } else {
        PostToUser(request.recipient, StoredItem{std::move(stored)});
      }
      return;
    }
    case StoreRequest::Kind::kAcceptBlocked:
      if (AnsweredAsDuplicate(done) || done.error != ErrorCode::kOk) return;
      services_.counters->messages_dropped_blocked++;
      AnswerSender(sender, Accepted(item, protocol::Route::kStored,
                                    done.conversation_seq));
      return;
    case StoreRequest::Kind::kStoreAfterLive:
      // Decided: STORED, now that the record says so (SPEC.md 10.5).
      services_.undecided->Decide(sender, item.item_id);
      if (done.error != ErrorCode::kOk) return;
      AnswerSender(sender, Accepted(item, protocol::Route::kStored,
                                    item.conversation_seq));
      return;
    case StoreRequest::Kind::kReceipt: {
      if (done.error != ErrorCode::kOk) {
        services_.counters->notices_dropped++;
        if (item.kind == MailItemKind::kForwardNotice) {
          services_.counters->forward_notices_dropped++;
        }
      }
      if (!request.send_now) return;
      if (request.live_answer) {
        PostToUser(request.recipient, Frames{{*request.live_answer}});
      }
      if (done.error == ErrorCode::kOk &&
          PostToUser(request.recipient, StoredItem{item})) {
        services_.counters->receipts_sent++;
      }
      return;
    }
    case StoreRequest::Kind::kAcknowledge:
      // A stored message that is acknowledged earns its sender a receipt.
      if (done.error != ErrorCode::kOk || !done.found || sender == 0) return;
      SendReceipt(sender,
                  MakeReceipt(item.item_id, request.recipient,
                              request.recipient_name, request.now_unix),
                  std::nullopt);
      return;
  }
}

void LoopCore::ItemAck(uint64_t session, const protocol::ItemAck& r,
                       uint64_t now_unix) {
  owner_.Check();
  Session* s = Find(session);
  if (s == nullptr) return;
  services_.counters->items_acknowledged++;
  auto pending = s->pending_live.find({r.sender_id, r.item_id});
  if (pending != s->pending_live.end() && pending->second.deadline_ms != 0) {
    // Delivered live: the sender hears LIVE, then gets the receipt. Nothing
    // waits for a disk: the recipient has the message, and the sender's
    // outbox still holds it until that answer arrives (SPEC.md 10.3).
    const MailItem& item = pending->second.item;
    services_.counters->messages_live++;
    uint64_t sender = item.sender_id;
    protocol::MessageAccepted answer =
        Accepted(item, protocol::Route::kLive, item.conversation_seq);
    MailItem receipt =
        MakeReceipt(item.item_id, s->user, s->username, now_unix);
    s->pending_live.erase(pending);
    services_.undecided->Decide(sender, answer.message_id);
    SendReceipt(sender, std::move(receipt), answer);
    return;
  }
  if (r.sender_id == 0 && s->live_receipts.erase(r.item_id) > 0) {
    return;  // a receipt sent live: never stored, nothing to delete
  }
  auto open = s->unacked_stored.find(r.sender_id);
  if (open != s->unacked_stored.end()) {
    open->second.erase(r.item_id);
    if (open->second.empty()) s->unacked_stored.erase(open);
  }
  // Whatever is in the mailbox under this id goes.
  StoreRequest acknowledge;
  acknowledge.kind = StoreRequest::Kind::kAcknowledge;
  acknowledge.loop = loop_;
  acknowledge.recipient = s->user;
  acknowledge.recipient_name = s->username;
  acknowledge.now_unix = now_unix;
  acknowledge.item.item_id = r.item_id;
  acknowledge.item.sender_id = r.sender_id;
  effects_->Store(std::move(acknowledge));
}

void LoopCore::Tick(uint64_t now_ms) {
  owner_.Check();
  for (auto& [id, s] : sessions_) {
    for (auto it = s.pending_live.begin(); it != s.pending_live.end();) {
      if (it->second.deadline_ms == 0 || now_ms < it->second.deadline_ms) {
        ++it;
        continue;
      }
      // Unresponsive recipient: the mailbox keeps the message; it stays
      // open (pending) for ordering until acknowledged.
      MailItem item = std::move(it->second.item);
      it = s.pending_live.erase(it);
      s.unacked_stored[item.sender_id].insert(item.item_id);
      StoreAfterLive(s.user, item, /*recipient_gone=*/false);
    }
    // Receipts too; this session had them, so they wait for the next one
    // (or this one's late ITEM_ACK, which deletes them).
    for (auto it = s.live_receipts.begin(); it != s.live_receipts.end();) {
      if (now_ms < it->second.deadline_ms) {
        ++it;
        continue;
      }
      services_.counters->receipt_fallbacks_stored++;
      s.items_sent.insert({it->second.item.sender_id, it->first});
      StoreReceipt(s.user, std::move(it->second.item), /*send_now=*/false,
                   std::nullopt);
      it = s.live_receipts.erase(it);
    }
  }
}

}  // namespace hail::server::core
