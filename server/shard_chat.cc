// Shard: the store work around the core's decisions about contacts,
// presence and messages (SPEC.md "Contacts", "Presence", "Messages and the
// mailbox"). Runs on the shard's loop thread. Store reads go to the io
// workers and contact decisions to the contacts thread; their results come
// back through Post and go to core_, which decides (server/core).
#include <utility>

#include "protocol/account_rules.h"
#include "server/forward_service.h"
#include "server/shard.h"
#include "server/store_bridge.h"

namespace hail::server {

using protocol::ErrorCode;

void Shard::LoadLoginState(PeerSession& s,
                           const core::SessionAddress& address) {
  uint64_t me = s.session.user_id();
  ChatStore* chats = shared_->chats;
  ContactService* contacts = shared_->contacts;
  struct Loaded {
    Result<core::LoginSnapshot> snapshot = core::LoginSnapshot{};
    size_t expired = 0;
  };
  ForwardService* forward = shared_->forward;
  auto work = [chats, contacts, forward, me] {
    // Logged in: jobs for messages waiting here stop (SPEC.md 17.6).
    if (forward != nullptr) forward->LoggedIn(me);
    Loaded loaded;
    loaded.snapshot =
        LoadLoginSnapshot(chats, contacts, me, UnixNow(), &loaded.expired);
    return loaded;
  };
  auto done = [this, address](PeerSession& session, Loaded loaded) {
    if (!loaded.snapshot.ok()) {
      shared_->logger->Error("cannot load login state of user {}: {}",
                             session.session.user_id(),
                             loaded.snapshot.status().message());
      EndSession(session, ErrorCode::kInternal);
      return;
    }
    shared_->counters->mailbox_expired += loaded.expired;
    core_.LoginLoaded(address, std::move(*loaded.snapshot), now_ms_);
  };
  uint64_t session_id = s.id;
  Offload<Loaded>(shared_->io_workers, work, done, session_id,
                  [this, session_id] {
                    if (PeerSession* gone = Find(session_id)) {
                      EndSession(*gone, ErrorCode::kServerBusy);
                    }
                  });
}

void Shard::EndLogin(PeerSession& s) {
  core_.Ended(s.id, now_ms_);
  s.address = {};
}

void Shard::OnContactRequest(PeerSession& s, const protocol::Message& request) {
  shared_->counters->contact_operations++;
  ContactService* contacts = shared_->contacts;
  uint64_t me = s.session.user_id();
  std::string my_name = s.session.username();
  uint32_t request_id = protocol::RequestIdOf(request);
  ForwardService* forward = shared_->forward;
  auto work = [contacts, forward, me, my_name, request] {
    uint64_t now = UnixNow();
    if (auto* add = std::get_if<protocol::ContactAdd>(&request)) {
      return contacts->Add(me, my_name, add->username, add->text, now);
    }
    if (auto* answer = std::get_if<protocol::ContactAnswer>(&request)) {
      return contacts->Answer(me, my_name, answer->username,
                              answer->accept != 0, now);
    }
    ContactChange change;
    bool stops_forwarding = true;
    if (auto* remove = std::get_if<protocol::ContactRemove>(&request)) {
      change = contacts->Remove(me, my_name, remove->username, now);
    } else {
      const auto& block = std::get<protocol::ContactBlock>(request);
      stops_forwarding = block.blocked != 0;
      change =
          contacts->Block(me, my_name, block.username, block.blocked != 0, now);
    }
    // Blocked or removed: their messages are no longer forwarded, and
    // jobs not yet handed over end at once (SPEC.md 17.6).
    if (stops_forwarding && change.error == ErrorCode::kOk &&
        forward != nullptr) {
      forward->StoppedForwardingFrom(me, change.peer);
    }
    return change;
  };
  Offload<ContactChange>(
      shared_->contact_worker, work,
      [this, request_id](PeerSession& session, ContactChange change) {
        core_.ContactChanged(session.id, request_id, change);
      },
      s.id,
      [&] {
        SendMessage(
            s, protocol::RequestResult{request_id, ErrorCode::kServerBusy});
      });
}

void Shard::OnSendMessage(PeerSession& s, const protocol::SendMessage& r) {
  // The checks of SPEC.md section 10.4 that need no store, in order; the
  // core makes the others, for a contact at once, else with what the io
  // workers read.
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
  // A contact: decided here, no store read (the common case).
  if (core_.SendToContact(s.id, r, *name, UnixNow())) return;
  ChatStore* chats = shared_->chats;
  AccountService* accounts = shared_->accounts;
  uint64_t me = s.session.user_id();
  protocol::ItemId message_id = r.message_id;
  core::UndecidedMessages* undecided = shared_->undecided;
  auto work = [chats, accounts, undecided, me, message_id, name = *name] {
    // Asked before the read: a record read after a decision is final.
    bool was_undecided = undecided->IsOpen(me, message_id);
    core::MessageLookup lookup =
        LookupMessage(accounts, chats, me, name, message_id, UnixNow());
    lookup.undecided = was_undecided;
    return lookup;
  };
  auto done = [this, request = r](PeerSession& session,
                                  core::MessageLookup lookup) {
    core_.SendMessage(session.id, request, lookup, UnixNow());
  };
  Offload<core::MessageLookup>(shared_->io_workers, work, done, s.id, [&] {
    refuse(s, r.message_id, ErrorCode::kServerBusy);
  });
}

}  // namespace hail::server
