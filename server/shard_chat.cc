// Shard: contacts, presence and messages of logged-in sessions (SPEC.md
// "Contacts", "Presence", "Messages and the mailbox"). Runs on the shard's
// loop thread. Store reads go to the io workers, contact decisions to the
// contacts thread, synced writes to the ChatStore's store thread; results
// come back through Post. Another user's session is reached through the
// registry and that user's shard (WithUser).
#include <sodium.h>

#include <algorithm>
#include <future>
#include <map>
#include <utility>

#include "protocol/account_rules.h"
#include "server/shard.h"

namespace hail::server {

using protocol::ErrorCode;
using protocol::Presence;
using protocol::Relation;

namespace {

// How long a live delivery waits for the recipient's ITEM_ACK before the
// message is stored in the recipient's mailbox instead.
constexpr uint64_t kLiveAckTimeoutMs = 3000;

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

struct LoginState {
  Status status;
  std::vector<NamedContact> contacts;
  std::vector<Relation> theirs;  // contacts[i]'s relation to the user
  std::vector<MailItem> mailbox;
  size_t expired = 0;
};

}  // namespace

void Shard::WithUser(uint64_t user, std::function<void(PeerSession&)> deliver,
                     std::function<void()> offline) {
  std::optional<OnlineUser> online = shared_->registry->Find(user);
  if (!online) {
    if (offline) offline();
    return;
  }
  Shard* shard = shared_->shards[online->ref.shard];
  uint64_t session_id = online->ref.session_id;
  shard->Post([shard, session_id, deliver = std::move(deliver),
               offline = std::move(offline)] {
    PeerSession* s = shard->Find(session_id);
    if (s == nullptr ||
        s->session.state() != protocol::ServerSession::State::kLoggedIn) {
      if (offline) offline();
      return;
    }
    if (!s->ready) {
      s->held.emplace_back(deliver, offline);
      return;
    }
    deliver(*s);
  });
}

void Shard::LoadLoginState(PeerSession& s) {
  uint64_t me = s.session.user_id();
  ChatStore* chats = shared_->chats;
  ContactService* contacts = shared_->contacts;
  uint64_t session_id = s.id;
  auto work = [chats, contacts, me] {
    LoginState state;
    std::promise<std::pair<Status, size_t>> expired;
    chats->Expire(me, UnixNow(), [&](Status status, size_t dropped) {
      expired.set_value({status, dropped});
    });
    state.expired = expired.get_future().get().second;
    Result<std::vector<NamedContact>> list = contacts->List(me);
    Result<std::vector<MailItem>> mailbox = chats->ListMailbox(me);
    if (!list.ok() || !mailbox.ok()) {
      state.status = list.ok() ? mailbox.status() : list.status();
      return state;
    }
    state.contacts = std::move(*list);
    for (const NamedContact& c : state.contacts) {
      state.theirs.push_back(chats->GetRelation(c.entry.user_id, me));
    }
    state.mailbox = std::move(*mailbox);
    return state;
  };
  auto done = [this](PeerSession& session, LoginState state) {
    if (!state.status.ok()) {
      shared_->logger->Error("cannot load login state of user {}: {}",
                             session.session.user_id(), state.status.message());
      EndSession(session, ErrorCode::kInternal);
      return;
    }
    shared_->counters->mailbox_expired += state.expired;
    for (size_t i = 0; i < state.contacts.size(); ++i) {
      const NamedContact& c = state.contacts[i];
      session.contacts[c.entry.user_id] = {c.username, c.entry.relation,
                                           state.theirs[i]};
    }
    for (const auto& [peer, view] : session.contacts) {
      SendContactUpdate(session, peer, view);
    }
    SendMessage(session,
                protocol::ContactListEnd{
                    0, static_cast<uint16_t>(session.contacts.size())});
    OrderConversations(&state.mailbox);
    for (const MailItem& item : state.mailbox) {
      if (item.kind == MailItemKind::kMessage) {
        session.unacked_stored[item.sender_id].insert(item.item_id);
      }
      SendMailItem(session, item, /*from_mailbox=*/true);
    }
    shared_->counters->mailbox_items_sent += state.mailbox.size();
    SendMessage(session, protocol::MailboxEnd{
                             static_cast<uint32_t>(state.mailbox.size())});
    session.ready = true;
    auto held = std::move(session.held);
    for (auto& [deliver, offline] : held) deliver(session);
    BroadcastPresence(session, Presence::kOnline, "");
  };
  Offload<LoginState>(shared_->io_workers, work, done, session_id,
                      [this, session_id] {
                        if (PeerSession* gone = Find(session_id)) {
                          EndSession(*gone, ErrorCode::kServerBusy);
                        }
                      });
}

void Shard::SendContactUpdate(PeerSession& s, uint64_t peer,
                              const ContactView& view) {
  protocol::ContactUpdate update;
  update.user_id = peer;
  update.username = view.username;
  update.relation = static_cast<uint8_t>(view.mine);
  update.presence = static_cast<uint8_t>(Presence::kOffline);
  if (view.SeesPresence()) {
    if (std::optional<OnlineUser> online = shared_->registry->Find(peer)) {
      update.presence = static_cast<uint8_t>(online->visible_presence());
      update.status_text = online->visible_status();
    }
  }
  SendMessage(s, update);
}

void Shard::BroadcastPresence(PeerSession& s, Presence presence,
                              const std::string& status) {
  protocol::PresenceUpdate update;
  update.user_id = s.session.user_id();
  update.username = s.session.username();
  update.presence = static_cast<uint8_t>(
      presence == Presence::kInvisible ? Presence::kOffline : presence);
  update.status_text = presence == Presence::kInvisible ? "" : status;
  uint64_t me = update.user_id;
  for (const auto& [peer, view] : s.contacts) {
    if (!view.SeesPresence()) continue;
    WithUser(
        peer,
        [this, update, me](PeerSession& other) {
          auto it = other.contacts.find(me);
          if (it == other.contacts.end() || !it->second.SeesPresence()) return;
          shared_->counters->presence_updates_sent++;
          SendMessage(other, update);
        },
        nullptr);
  }
}

void Shard::SendMailItem(PeerSession& s, const MailItem& item,
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
      SendMessage(s, deliver);
      return;
    }
    case MailItemKind::kContactRequest:
      SendMessage(s, protocol::ContactRequestNotice{
                         item.item_id, item.sender_id, item.sender_name,
                         item.text, item.accepted_unix});
      return;
    case MailItemKind::kContactAnswer:
      SendMessage(s, protocol::ContactAnswerNotice{item.item_id, item.sender_id,
                                                   item.sender_name, item.flag,
                                                   item.accepted_unix});
      return;
    case MailItemKind::kReceipt:
      SendMessage(s, protocol::DeliveryReceipt{item.item_id, item.ref_id,
                                               item.sender_id, item.sender_name,
                                               item.accepted_unix});
      return;
  }
}

void Shard::EndLogin(PeerSession& s) {
  uint64_t me = s.session.user_id();
  bool current = shared_->registry->Release(me, {index_, s.id});
  if (current && s.ready) BroadcastPresence(s, Presence::kOffline, "");
  // Deliveries still waiting for the login to finish take their offline
  // path (a live message goes to the mailbox).
  auto held = std::move(s.held);
  s.held.clear();
  for (auto& [deliver, offline] : held) {
    if (offline) offline();
  }
  // Live messages this session never acknowledged go to the mailbox.
  for (auto& [key, pending] : s.pending_live) StoreAfterLive(me, pending.item);
  s.pending_live.clear();
  s.unacked_stored.clear();
  s.ready = false;
  s.contacts.clear();
}

// --- contacts ---

void Shard::OnContactRequest(PeerSession& s, const protocol::Message& request) {
  shared_->counters->contact_operations++;
  ContactService* contacts = shared_->contacts;
  uint64_t me = s.session.user_id();
  std::string my_name = s.session.username();
  uint32_t request_id = std::visit(
      [](const auto& m) -> uint32_t {
        if constexpr (requires { m.request_id; }) {
          return m.request_id;
        } else {
          return 0;
        }
      },
      request);
  auto work = [contacts, me, my_name, request] {
    uint64_t now = UnixNow();
    if (auto* add = std::get_if<protocol::ContactAdd>(&request)) {
      return contacts->Add(me, my_name, add->username, add->text, now);
    }
    if (auto* answer = std::get_if<protocol::ContactAnswer>(&request)) {
      return contacts->Answer(me, my_name, answer->username,
                              answer->accept != 0, now);
    }
    if (auto* remove = std::get_if<protocol::ContactRemove>(&request)) {
      return contacts->Remove(me, my_name, remove->username, now);
    }
    const auto& block = std::get<protocol::ContactBlock>(request);
    return contacts->Block(me, my_name, block.username, block.blocked != 0,
                           now);
  };
  uint64_t session_id = s.id;
  bool queued =
      shared_->contact_worker->TrySubmit([this, work, session_id, request_id] {
        ContactChange change = work();
        Post([this, session_id, request_id, change] {
          if (PeerSession* session = Find(session_id)) {
            ApplyContactChange(*session, request_id, change);
          }
        });
      });
  if (!queued) {
    shared_->counters->server_busy++;
    SendMessage(s, protocol::RequestResult{request_id, ErrorCode::kServerBusy});
  }
}

void Shard::ApplyContactChange(PeerSession& s, uint32_t request_id,
                               const ContactChange& change) {
  SendMessage(s, protocol::RequestResult{request_id, change.error});
  if (change.error != ErrorCode::kOk) return;
  uint64_t me = change.me;
  if (change.my_side_changed) {
    ContactView& view = s.contacts[change.peer];
    view.username = change.peer_name;
    view.mine = change.my_relation;
    if (change.peer_side_changed) view.theirs = change.peer_relation;
    SendContactUpdate(s, change.peer, view);
    if (view.mine == Relation::kNone) s.contacts.erase(change.peer);
  }
  bool tell_peer =
      change.peer_side_changed || change.notice_for_peer || change.now_apart;
  if (!tell_peer) return;
  // What my side looks like to the peer now, and my presence for them.
  Relation my_relation = change.my_relation;
  std::optional<OnlineUser> me_online = shared_->registry->Find(me);
  WithUser(
      change.peer,
      [this, change, me, my_relation](PeerSession& other) {
        ContactView& view = other.contacts[me];
        view.username = change.my_name;
        view.theirs = my_relation;
        if (change.peer_side_changed) {
          view.mine = change.peer_relation;
          SendContactUpdate(other, me, view);
        } else if (change.now_apart) {
          // Told nothing about why: the user just looks offline.
          protocol::PresenceUpdate offline;
          offline.user_id = me;
          offline.username = change.my_name;
          offline.presence = static_cast<uint8_t>(Presence::kOffline);
          SendMessage(other, offline);
        }
        if (view.mine == Relation::kNone) other.contacts.erase(me);
        if (change.notice_for_peer) {
          SendMailItem(other, *change.notice_for_peer, false);
        }
        if (change.now_accepted) {
          // The peer's presence for me, from the peer's shard.
          std::optional<OnlineUser> them =
              shared_->registry->Find(other.session.user_id());
          protocol::PresenceUpdate update;
          update.user_id = other.session.user_id();
          update.username = other.session.username();
          if (them) {
            update.presence = static_cast<uint8_t>(them->visible_presence());
            update.status_text = them->visible_status();
          }
          WithUser(
              me,
              [this, update](PeerSession& mine) {
                shared_->counters->presence_updates_sent++;
                SendMessage(mine, update);
              },
              nullptr);
        }
      },
      nullptr);
}

void Shard::OnContactList(PeerSession& s,
                          const protocol::ContactListRequest& r) {
  for (const auto& [peer, view] : s.contacts) SendContactUpdate(s, peer, view);
  SendMessage(s, protocol::ContactListEnd{
                     r.request_id, static_cast<uint16_t>(s.contacts.size())});
}

// --- presence ---

void Shard::OnSetPresence(PeerSession& s, const protocol::SetPresence& r) {
  if (r.presence == 0 || r.presence >= protocol::kPresenceEnd ||
      !protocol::IsValidUtf8(r.status_text)) {
    SendMessage(s,
                protocol::RequestResult{r.request_id, ErrorCode::kInvalidText});
    return;
  }
  auto presence = static_cast<Presence>(r.presence);
  shared_->registry->SetPresence(s.session.user_id(), {index_, s.id}, presence,
                                 r.status_text);
  SendMessage(s, protocol::RequestResult{r.request_id, ErrorCode::kOk});
  if (s.ready) BroadcastPresence(s, presence, r.status_text);
}

// --- messages ---

void Shard::AnswerMessage(uint64_t sender,
                          const protocol::MessageAccepted& answer) {
  // A sender who has gone gets the same answer again when it resends the
  // message id after reconnecting (dedup).
  WithUser(
      sender, [this, answer](PeerSession& s) { SendMessage(s, answer); },
      nullptr);
}

void Shard::SendReceipt(uint64_t sender, const protocol::ItemId& message_id,
                        uint64_t recipient, const std::string& recipient_name) {
  // A receipt is a mailbox item of the sender (SPEC.md section 10.9):
  // stored first, then sent at once if the sender is logged in.
  MailItem receipt;
  receipt.kind = MailItemKind::kReceipt;
  randombytes_buf(receipt.item_id.data(), receipt.item_id.size());
  receipt.sender_id = recipient;
  receipt.sender_name = recipient_name;
  receipt.ref_id = message_id;
  receipt.accepted_unix = UnixNow();
  shared_->chats->AppendNotice(
      sender, receipt, [this, sender, receipt](Status status, ErrorCode error) {
        if (!status.ok() || error != ErrorCode::kOk) {
          shared_->counters->notices_dropped++;
          return;
        }
        shared_->counters->receipts_sent++;
        WithUser(
            sender,
            [this, receipt](PeerSession& s) {
              SendMailItem(s, receipt, false);
            },
            nullptr);
      });
}

bool Shard::HasPendingFrom(const PeerSession& s, uint64_t sender) const {
  auto stored = s.unacked_stored.find(sender);
  if (stored != s.unacked_stored.end() && !stored->second.empty()) return true;
  for (const auto& [key, pending] : s.pending_live) {
    if (key.first == sender) return true;
  }
  return false;
}

void Shard::AcceptStored(uint64_t recipient, MailItem item, SentRecord record,
                         bool send_now) {
  record.route = protocol::Route::kStored;
  uint64_t sender = item.sender_id;
  shared_->chats->AcceptMessage(
      sender, recipient, item.item_id, record, item, record.accepted_unix,
      [this, sender, recipient, item, send_now](
          Status status, ChatStore::AcceptOutcome outcome) {
        protocol::MessageAccepted answer{
            item.item_id, status.ok() ? outcome.error : ErrorCode::kInternal, 0,
            outcome.conversation_seq, item.accepted_unix};
        if (answer.error != ErrorCode::kOk) {
          shared_->counters->messages_refused++;
          answer.seq = 0;
          answer.accepted_unix = 0;
          AnswerMessage(sender, answer);
          return;
        }
        answer.route = static_cast<uint8_t>(protocol::Route::kStored);
        shared_->counters->messages_stored++;
        AnswerMessage(sender, answer);
        if (!send_now) return;
        // Stored while its owner is logged in: sent at once (section 10.7).
        MailItem stored = item;
        stored.conversation_seq = outcome.conversation_seq;
        WithUser(
            recipient,
            [this, stored](PeerSession& r) {
              r.unacked_stored[stored.sender_id].insert(stored.item_id);
              SendMailItem(r, stored, false);
            },
            nullptr);
      });
}

void Shard::RouteToOnline(PeerSession& r, MailItem item, SentRecord record) {
  uint64_t me = r.session.user_id();
  if (HasPendingFrom(r, item.sender_id)) {
    // Something older from this sender is still open: the mailbox keeps
    // the conversation in order.
    AcceptStored(me, item, record, /*send_now=*/true);
    return;
  }
  record.route = protocol::Route::kLive;
  uint64_t session_id = r.id;
  shared_->chats->AcceptMessage(
      item.sender_id, me, item.item_id, record, std::nullopt,
      record.accepted_unix,
      [this, me, session_id, item](Status status,
                                   ChatStore::AcceptOutcome outcome) {
        if (!status.ok() || outcome.error != ErrorCode::kOk) {
          shared_->counters->messages_refused++;
          AnswerMessage(
              item.sender_id,
              protocol::MessageAccepted{
                  item.item_id,
                  status.ok() ? outcome.error : ErrorCode::kInternal, 0, 0, 0});
          return;
        }
        MailItem live = item;
        live.conversation_seq = outcome.conversation_seq;
        Post([this, me, session_id, live] {
          PeerSession* r = Find(session_id);
          if (r == nullptr ||
              r->session.state() != protocol::ServerSession::State::kLoggedIn) {
            // Gone meanwhile: the mailbox takes it.
            StoreAfterLive(me, live);
            return;
          }
          SendMailItem(*r, live, false);
          r->pending_live[{live.sender_id, live.item_id}] = {
              live, now_ms_ + kLiveAckTimeoutMs};
        });
      });
}

void Shard::StoreAfterLive(uint64_t recipient, const MailItem& item) {
  shared_->counters->live_fallbacks_stored++;
  protocol::MessageAccepted answer{
      item.item_id, ErrorCode::kOk,
      static_cast<uint8_t>(protocol::Route::kStored), item.conversation_seq,
      item.accepted_unix};
  shared_->chats->StoreAccepted(
      recipient, item, [this, sender = item.sender_id, answer](Status st) {
        if (st.ok()) AnswerMessage(sender, answer);
      });
}

void Shard::OnSendMessage(PeerSession& s, const protocol::SendMessage& r) {
  // The checks of SPEC.md section 10.4, in order.
  auto refuse = [this](PeerSession& session, const protocol::ItemId& id,
                       ErrorCode error) {
    shared_->counters->messages_refused++;
    SendMessage(session, protocol::MessageAccepted{id, error, 0, 0, 0});
  };
  if (r.text.empty() || !protocol::IsValidUtf8(r.text)) {
    refuse(s, r.message_id, ErrorCode::kInvalidText);
    return;
  }
  std::optional<std::string> name = protocol::NormalizeUsername(r.recipient);
  if (!name) {
    refuse(s, r.message_id, ErrorCode::kUserNotFound);
    return;
  }
  struct Lookup {
    uint64_t recipient = 0;  // 0: no such user
    std::optional<SentRecord> sent;
    Relation mine = Relation::kNone;
    Relation theirs = Relation::kNone;
  };
  ChatStore* chats = shared_->chats;
  AccountService* accounts = shared_->accounts;
  uint64_t me = s.session.user_id();
  protocol::ItemId message_id = r.message_id;
  auto work = [chats, accounts, me, message_id, name = *name] {
    Lookup lookup;
    Result<UserRecord> record = accounts->Lookup(name);
    if (!record.ok()) return lookup;
    lookup.recipient = record->user_id;
    lookup.sent = chats->FindSent(me, message_id, UnixNow());
    lookup.mine = chats->GetRelation(me, lookup.recipient);
    lookup.theirs = chats->GetRelation(lookup.recipient, me);
    return lookup;
  };
  MailItem item;
  item.kind = MailItemKind::kMessage;
  item.item_id = r.message_id;
  item.sender_id = me;
  item.sender_name = s.session.username();
  item.text = r.text;
  auto done = [this, item, refuse](PeerSession& session, Lookup lookup) {
    if (lookup.recipient == 0) {
      refuse(session, item.item_id, ErrorCode::kUserNotFound);
      return;
    }
    std::array<uint8_t, 32> hash =
        MessageContentHash(lookup.recipient, item.text);
    if (lookup.sent) {
      shared_->counters->messages_deduplicated++;
      const SentRecord& sent = *lookup.sent;
      if (sent.recipient_id != lookup.recipient || sent.content_hash != hash) {
        refuse(session, item.item_id, ErrorCode::kIdReused);
      } else {
        SendMessage(session, protocol::MessageAccepted{
                                 item.item_id, ErrorCode::kOk,
                                 static_cast<uint8_t>(sent.route),
                                 sent.conversation_seq, sent.accepted_unix});
      }
      return;
    }
    if (lookup.recipient == item.sender_id ||
        lookup.mine != Relation::kAccepted) {
      refuse(session, item.item_id, ErrorCode::kNotAContact);
      return;
    }
    SentRecord record;
    record.recipient_id = lookup.recipient;
    record.content_hash = hash;
    record.accepted_unix = UnixNow();
    MailItem accepted = item;
    accepted.accepted_unix = record.accepted_unix;
    if (lookup.theirs == Relation::kBlocked) {
      // Accepted and dropped: the sender cannot tell (section 10.11).
      record.route = protocol::Route::kStored;
      shared_->chats->AcceptMessage(
          item.sender_id, lookup.recipient, item.item_id, record, std::nullopt,
          record.accepted_unix,
          [this, accepted](Status status, ChatStore::AcceptOutcome outcome) {
            if (!status.ok() || outcome.error != ErrorCode::kOk) return;
            shared_->counters->messages_dropped_blocked++;
            AnswerMessage(
                accepted.sender_id,
                protocol::MessageAccepted{
                    accepted.item_id, ErrorCode::kOk,
                    static_cast<uint8_t>(protocol::Route::kStored),
                    outcome.conversation_seq, accepted.accepted_unix});
          });
      return;
    }
    uint64_t recipient = lookup.recipient;
    WithUser(
        recipient,
        [this, accepted, record](PeerSession& r) {
          RouteToOnline(r, accepted, record);
        },
        [this, recipient, accepted, record] {
          AcceptStored(recipient, accepted, record, /*send_now=*/false);
        });
  };
  Offload<Lookup>(shared_->io_workers, work, done, s.id,
                  [&] { refuse(s, r.message_id, ErrorCode::kServerBusy); });
}

void Shard::CheckPendingLive(PeerSession& s, uint64_t now_ms) {
  for (auto it = s.pending_live.begin(); it != s.pending_live.end();) {
    if (now_ms < it->second.deadline_ms) {
      ++it;
      continue;
    }
    // Unresponsive recipient: the mailbox keeps the message; it stays open
    // (pending) for ordering until acknowledged.
    MailItem item = it->second.item;
    it = s.pending_live.erase(it);
    s.unacked_stored[item.sender_id].insert(item.item_id);
    StoreAfterLive(s.session.user_id(), item);
  }
}

void Shard::OnItemAck(PeerSession& s, const protocol::ItemAck& r) {
  shared_->counters->items_acknowledged++;
  uint64_t me = s.session.user_id();
  std::string my_name = s.session.username();
  auto pending = s.pending_live.find({r.sender_id, r.item_id});
  if (pending != s.pending_live.end()) {
    const MailItem& item = pending->second.item;
    shared_->counters->messages_live++;
    AnswerMessage(
        item.sender_id,
        protocol::MessageAccepted{item.item_id, ErrorCode::kOk,
                                  static_cast<uint8_t>(protocol::Route::kLive),
                                  item.conversation_seq, item.accepted_unix});
    SendReceipt(item.sender_id, item.item_id, me, my_name);
    s.pending_live.erase(pending);
  }
  auto open = s.unacked_stored.find(r.sender_id);
  if (open != s.unacked_stored.end()) {
    open->second.erase(r.item_id);
    if (open->second.empty()) s.unacked_stored.erase(open);
  }
  // Whatever is in the mailbox under this id goes; a stored message that is
  // acknowledged earns its sender a receipt.
  uint64_t sender = r.sender_id;
  protocol::ItemId item_id = r.item_id;
  shared_->chats->Acknowledge(
      me, item_id, sender,
      [this, me, my_name, sender, item_id](Status status, bool found) {
        if (!status.ok() || !found || sender == 0) return;
        SendReceipt(sender, item_id, me, my_name);
      });
}

}  // namespace hail::server
