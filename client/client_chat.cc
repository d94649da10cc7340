// Client: contact, presence and message requests, and the server messages
// that answer or deliver them (SPEC.md "Contacts", "Presence", "Messages").
// The connection itself is in client.cc.
#include <fmt/format.h>
#include <sodium.h>

#include <utility>

#include "client/client.h"
#include "client/client_internal.h"
#include "client/enet_transport.h"
#include "protocol/account_rules.h"
#include "protocol/client_session.h"

namespace hail::client {
namespace {

using internal::CanonicalUsername;
using protocol::Kind;

// Refusals after which SPEC.md 10.3 lets the sender try again later with
// the same message id; every other answer is final.
bool IsRetryableRefusal(protocol::ErrorCode error) {
  return error == protocol::ErrorCode::kMailboxFull ||
         error == protocol::ErrorCode::kServerBusy ||
         error == protocol::ErrorCode::kInternal;
}

// UTF-8 text of at most `max_length` bytes (at least one when `non_empty`).
Status CheckText(std::string_view what, std::string_view text,
                 size_t max_length, bool non_empty) {
  if (non_empty && text.empty()) {
    return Status::InvalidArgument(fmt::format("the {} is empty", what));
  }
  if (text.size() > max_length) {
    return Status::InvalidArgument(
        fmt::format("the {} is {} bytes long; at most {} are allowed", what,
                    text.size(), max_length));
  }
  if (!protocol::IsValidUtf8(text)) {
    return Status::InvalidArgument(
        fmt::format("the {} is not valid UTF-8", what));
  }
  return Status::Ok();
}

}  // namespace

// --- Requests ---

Result<uint32_t> Client::AddContact(std::string_view username,
                                    std::string_view text) {
  if (Status status = RequireSecured(); !status.ok()) return status;
  Result<std::string> canonical = CanonicalUsername(username);
  if (!canonical.ok()) return canonical.status();
  if (Status status = CheckText("contact request text", text,
                                protocol::kContactRequestTextMaxLength, false);
      !status.ok()) {
    return status;
  }
  protocol::ContactAdd request;
  uint32_t request_id = NextRequestId();
  request.request_id = request_id;
  request.username = *canonical;
  request.text = std::string(text);
  return SendRequest(std::move(request), request_id,
                     {Kind::kContactAdd, *canonical});
}

Result<uint32_t> Client::AnswerContact(std::string_view username, bool accept) {
  if (Status status = RequireSecured(); !status.ok()) return status;
  Result<std::string> canonical = CanonicalUsername(username);
  if (!canonical.ok()) return canonical.status();
  protocol::ContactAnswer request;
  uint32_t request_id = NextRequestId();
  request.request_id = request_id;
  request.username = *canonical;
  request.accept = accept ? 1 : 0;
  return SendRequest(std::move(request), request_id,
                     {Kind::kContactAnswer, *canonical});
}

Result<uint32_t> Client::RemoveContact(std::string_view username) {
  if (Status status = RequireSecured(); !status.ok()) return status;
  Result<std::string> canonical = CanonicalUsername(username);
  if (!canonical.ok()) return canonical.status();
  protocol::ContactRemove request;
  uint32_t request_id = NextRequestId();
  request.request_id = request_id;
  request.username = *canonical;
  return SendRequest(std::move(request), request_id,
                     {Kind::kContactRemove, *canonical});
}

Result<uint32_t> Client::BlockContact(std::string_view username, bool blocked) {
  if (Status status = RequireSecured(); !status.ok()) return status;
  Result<std::string> canonical = CanonicalUsername(username);
  if (!canonical.ok()) return canonical.status();
  protocol::ContactBlock request;
  uint32_t request_id = NextRequestId();
  request.request_id = request_id;
  request.username = *canonical;
  request.blocked = blocked ? 1 : 0;
  return SendRequest(std::move(request), request_id,
                     {Kind::kContactBlock, *canonical});
}

Result<uint32_t> Client::RequestContactList() {
  if (Status status = RequireSecured(); !status.ok()) return status;
  protocol::ContactListRequest request;
  uint32_t request_id = NextRequestId();
  request.request_id = request_id;
  return SendRequest(request, request_id, {Kind::kContactListRequest, {}});
}

Result<uint32_t> Client::SetPresence(protocol::Presence presence,
                                     std::string_view status_text) {
  if (Status status = RequireSecured(); !status.ok()) return status;
  auto value = static_cast<uint8_t>(presence);
  if (value == 0 || value >= protocol::kPresenceEnd) {
    return Status::InvalidArgument(
        "presence must be online, away, busy or invisible");
  }
  if (Status status = CheckText("status text", status_text,
                                protocol::kStatusTextMaxLength, false);
      !status.ok()) {
    return status;
  }
  protocol::SetPresence request;
  uint32_t request_id = NextRequestId();
  request.request_id = request_id;
  request.presence = value;
  request.status_text = std::string(status_text);
  return SendRequest(std::move(request), request_id, {Kind::kSetPresence, {}});
}

Result<protocol::ItemId> Client::SendMessage(std::string_view recipient,
                                             std::string_view text) {
  bool logged_in = state_ == State::kSecured && !logged_in_username_.empty();
  if (!logged_in && !reconnect_.active) {
    return Status::InvalidArgument(
        "not logged in: messages need a logged-in session");
  }
  Result<std::string> canonical = CanonicalUsername(recipient);
  if (!canonical.ok()) return canonical.status();
  if (Status status =
          CheckText("message", text, protocol::kMessageTextMaxLength, true);
      !status.ok()) {
    return status;
  }
  protocol::SendMessage message;
  do {
    randombytes_buf(message.message_id.data(), message.message_id.size());
  } while (outbox_.Contains(message.message_id));
  message.recipient = *canonical;
  message.sent_unix = internal::UnixNow();
  message.text = std::string(text);
  // While reconnecting it waits in the outbox and goes out after RESUME.
  // Over an authenticated direct link when there is one; the server path
  // takes it over if the link drops or does not answer in time.
  // Written before it leaves: a process that ends before the answer leaves
  // it to the next one.
  if (outbox_file_) {
    if (!outbox_file_->Add(message, message.sent_unix).ok()) {
      ++counters_.outbox_write_failures;
    }
  }
  if (logged_in && !reconnect_.active) {
    bool sent_direct = false;
    for (auto& [peer_id, peer] : direct_) {
      if (peer.username != message.recipient ||
          peer.stage != DirectPeer::Stage::kUp) {
        continue;
      }
      protocol::DirectMessage direct{message.message_id, message.sent_unix,
                                     message.text};
      if (enet_ != nullptr &&
          enet_
              ->SendOnLink(peer.link,
                           protocol::SealMessage(*peer.channel, direct))
              .ok()) {
        ++counters_.direct_messages_sent;
        direct_sent_[message.message_id] =
            DirectSend{peer_id, internal::SteadyNowMs() + kDirectAckTimeoutMs};
        sent_direct = true;
      }
      break;
    }
    if (!sent_direct) {
      if (Status status = SendOutboxMessage(message); !status.ok()) {
        return status;
      }
    }
  }
  protocol::ItemId id = message.message_id;
  outbox_.Add(std::move(message));
  return id;
}

Status Client::SendOutboxMessage(const protocol::SendMessage& message) {
  return transport_->Send(session_->Seal(message));
}

void Client::ResendStoredMessages(LoginResult* result) {
  outbox_file_.emplace(options_.home, server_, result->username);
  Result<OutboxFile::Contents> contents =
      outbox_file_->Load(internal::UnixNow());
  if (!contents.ok()) {
    result->outbox_problem = contents.status().message();
    return;
  }
  result->outbox_problem = std::move(contents->problem);
  for (protocol::SendMessage& message : contents->messages) {
    if (outbox_.Contains(message.message_id)) continue;  // this run's own
    if (!SendOutboxMessage(message).ok()) break;         // the drop is reported
    restored_ids_.insert(message.message_id);
    outbox_.Add(std::move(message));
    ++result->resent_messages;
  }
}

void Client::ForgetStoredMessage(const protocol::ItemId& message_id) {
  restored_ids_.erase(message_id);
  if (outbox_file_ &&
      !outbox_file_->Remove(message_id, internal::UnixNow()).ok()) {
    ++counters_.outbox_write_failures;
  }
}

Status Client::AcknowledgeItem(const protocol::ItemId& item_id,
                               uint64_t sender_id) {
  if (reconnect_.active) {
    // Sent when the server delivers the item again after RESUME.
    dedup_.MarkAcknowledged(sender_id, item_id);
    return Status::Ok();
  }
  if (Status status = RequireSecured(); !status.ok()) return status;
  if (Status status = SendItemAck(item_id, sender_id); !status.ok()) {
    return status;
  }
  dedup_.MarkAcknowledged(sender_id, item_id);
  return Status::Ok();
}

Status Client::SendItemAck(const protocol::ItemId& item_id,
                           uint64_t sender_id) {
  return transport_->Send(
      session_->Seal(protocol::ItemAck{item_id, sender_id}));
}

void Client::OnItem(uint64_t sender_id, const protocol::ItemId& item_id,
                    Event event) {
  switch (dedup_.Record(sender_id, item_id)) {
    case DeliveryDedup::Seen::kNew:
      events_.push_back(std::move(event));
      if (options_.auto_ack && SendItemAck(item_id, sender_id).ok()) {
        dedup_.MarkAcknowledged(sender_id, item_id);
      }
      return;
    case DeliveryDedup::Seen::kReported:
      ++counters_.duplicate_deliveries;
      // With auto_ack the earlier ITEM_ACK could not be sent: try again.
      // Without, the application holds the item and acknowledges it (this
      // copy included: an ITEM_ACK names the item, not the delivery).
      if (options_.auto_ack && SendItemAck(item_id, sender_id).ok()) {
        dedup_.MarkAcknowledged(sender_id, item_id);
      }
      return;
    case DeliveryDedup::Seen::kAcknowledged:
      // The server did not get (or had not yet processed) the earlier
      // ITEM_ACK; repeat it.
      ++counters_.duplicate_deliveries;
      SendItemAck(item_id, sender_id);
      return;
  }
}

// --- Server messages ---

void Client::Handle(const protocol::RequestResult& message) {
  if (OnP2pRequestResult(message)) return;
  std::optional<PendingRequest> pending = TakePending(
      message.request_id,
      {Kind::kContactAdd, Kind::kContactAnswer, Kind::kContactRemove,
       Kind::kContactBlock, Kind::kContactListRequest, Kind::kSetPresence,
       Kind::kForwardAddressAdd, Kind::kForwardAddressVerify,
       Kind::kForwardAddressRemove, Kind::kForwardRulesSet});
  if (!pending) return;
  events_.push_back(
      RequestDone{message.request_id, pending->kind, message.error});
}

void Client::Handle(const protocol::ContactUpdate& message) {
  auto relation = static_cast<protocol::Relation>(message.relation);
  relations_[message.user_id] = relation;
  NoteContact(message.user_id, message.username,
              relation == protocol::Relation::kAccepted &&
                  static_cast<protocol::Presence>(message.presence) !=
                      protocol::Presence::kOffline);
  events_.push_back(ContactUpdated{
      message.user_id, message.username,
      static_cast<protocol::Relation>(message.relation),
      static_cast<protocol::Presence>(message.presence), message.status_text});
}

void Client::Handle(const protocol::ContactListEnd& message) {
  // request_id 0 ends the list sent at login.
  if (message.request_id != 0 &&
      !TakePending(message.request_id, {Kind::kContactListRequest})) {
    return;
  }
  events_.push_back(ContactListEnd{message.request_id, message.count});
}

void Client::Handle(const protocol::ContactRequestNotice& message) {
  ContactRequest request{message.item_id, message.from_user_id,
                         message.from_username, message.text,
                         message.sent_unix};
  // The notice waits in the mailbox until acknowledged; the request it
  // tells of may have been answered meanwhile (accepted from another
  // command, say): then this user's relation is no longer PENDING.
  auto known = relations_.find(message.from_user_id);
  request.answered = known != relations_.end() &&
                     known->second != protocol::Relation::kPending;
  OnItem(0, message.item_id, std::move(request));
}

void Client::Handle(const protocol::ContactAnswerNotice& message) {
  OnItem(0, message.item_id,
         ContactAnswered{message.item_id, message.user_id, message.username,
                         message.accepted != 0, message.answered_unix});
}

void Client::Handle(const protocol::PresenceUpdate& message) {
  NoteContact(message.user_id, message.username,
              static_cast<protocol::Presence>(message.presence) !=
                  protocol::Presence::kOffline);
  events_.push_back(PresenceChanged{
      message.user_id, message.username,
      static_cast<protocol::Presence>(message.presence), message.status_text});
}

void Client::Handle(const protocol::MessageAccepted& message) {
  MessageAccepted accepted;
  accepted.message_id = message.message_id;
  accepted.error = message.error;
  accepted.path = ServerPath();
  accepted.restored = restored_ids_.contains(message.message_id);
  if (IsRetryableRefusal(message.error)) {
    // Refused for now: held, with the same id, and sent again in this
    // session after a delay (and by a later run from the file).
    const Outbox::Entry* entry = outbox_.Find(message.message_id);
    std::optional<uint64_t> delay =
        entry == nullptr
            ? std::nullopt
            : outbox_.Defer(message.message_id, internal::SteadyNowMs(),
                            randombytes_random());
    if (!delay) {
      ++counters_.unmatched_replies;
      return;
    }
    restored_ids_.erase(message.message_id);  // the file keeps it
    accepted.recipient = entry->message.recipient;
    accepted.kept_for_retry = true;
    accepted.retry_in_ms = *delay;
    events_.push_back(std::move(accepted));
    return;
  }
  std::optional<protocol::SendMessage> sent = outbox_.Take(message.message_id);
  if (!sent) {
    // Answered before (a resend raced the first answer), or never ours.
    ++counters_.unmatched_replies;
    return;
  }
  ForgetStoredMessage(message.message_id);
  accepted.route = static_cast<protocol::Route>(message.route);
  accepted.seq = message.seq;
  accepted.accepted_unix = message.accepted_unix;
  accepted.recipient = std::move(sent->recipient);
  events_.push_back(std::move(accepted));
}

void Client::RetryRefusedMessages(uint64_t now_ms) {
  if (logged_in_username_.empty() || reconnect_.active) return;
  for (const protocol::SendMessage& message : outbox_.TakeDue(now_ms)) {
    ++counters_.messages_retried;
    // A send that fails here is resent after the reconnection it leads to.
    (void)SendOutboxMessage(message);
  }
}

void Client::Handle(const protocol::MessageDeliver& message) {
  MessageReceived received;
  received.message_id = message.message_id;
  received.sender_id = message.sender_id;
  received.sender = message.sender;
  received.seq = message.seq;
  received.accepted_unix = message.accepted_unix;
  received.text = message.text;
  received.from_mailbox = message.from_mailbox != 0;
  received.path = ServerPath();
  OnItem(message.sender_id, message.message_id, std::move(received));
}

void Client::Handle(const protocol::DeliveryReceipt& message) {
  OnItem(
      0, message.item_id,
      DeliveryReceipt{message.item_id, message.message_id, message.recipient_id,
                      message.recipient, message.delivered_unix});
}

void Client::Handle(const protocol::MailboxEnd& message) {
  events_.push_back(MailboxEnd{message.count});
}

}  // namespace hail::client
