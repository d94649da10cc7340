#include "server/store_bridge.h"

#include <future>
#include <memory>
#include <utility>

#include "server/write_error.h"

namespace hail::server {

using core::StoreDone;
using core::StoreRequest;
using protocol::ErrorCode;

void RunStoreRequest(ChatStore* chats, StoreRequest request,
                     std::function<void(StoreDone)> done) {
  auto shared = std::make_shared<StoreDone>();
  shared->request = std::move(request);
  const StoreRequest& r = shared->request;
  auto accepted = [shared, done](Status status,
                                 ChatStore::AcceptOutcome outcome) {
    shared->error = status.ok() ? outcome.error : ErrorForWrite(status);
    shared->conversation_seq = outcome.conversation_seq;
    shared->duplicate = std::move(outcome.duplicate);
    done(std::move(*shared));
  };
  auto written = [shared, done](Status status) {
    shared->error = status.ok() ? ErrorCode::kOk : ErrorForWrite(status);
    done(std::move(*shared));
  };
  uint64_t sender = r.item.sender_id;
  switch (r.kind) {
    case StoreRequest::Kind::kAcceptLive:
      chats->AcceptMessage(sender, r.recipient, r.item.item_id, r.record,
                           std::nullopt, r.record.accepted_unix, accepted,
                           ChatStore::Durability::kBuffered);
      return;
    case StoreRequest::Kind::kAcceptStored:
      chats->AcceptMessage(sender, r.recipient, r.item.item_id, r.record,
                           r.item, r.record.accepted_unix, accepted,
                           ChatStore::Durability::kSynced, r.per_sender_quota,
                           r.forwardable);
      return;
    case StoreRequest::Kind::kAcceptBlocked:
      chats->AcceptMessage(sender, r.recipient, r.item.item_id, r.record,
                           std::nullopt, r.record.accepted_unix, accepted);
      return;
    case StoreRequest::Kind::kStoreAfterLive:
      chats->StoreAccepted(r.recipient, r.item, written, r.forwardable);
      return;
    case StoreRequest::Kind::kReceipt:
      chats->AppendNotice(
          r.recipient, r.item, [shared, done](Status status, ErrorCode error) {
            shared->error = status.ok() ? error : ErrorForWrite(status);
            done(std::move(*shared));
          });
      return;
    case StoreRequest::Kind::kAcknowledge:
      chats->Acknowledge(
          r.recipient, r.item.item_id, sender,
          [shared, done](Status status, bool found) {
            shared->error =
                status.ok() ? ErrorCode::kOk : ErrorForWrite(status);
            shared->found = found;
            done(std::move(*shared));
          },
          ChatStore::Durability::kBuffered);
      return;
  }
}

Result<core::LoginSnapshot> LoadLoginSnapshot(ChatStore* chats,
                                              ContactService* contacts,
                                              uint64_t user, uint64_t now_unix,
                                              size_t* expired) {
  std::promise<size_t> dropped;
  chats->Expire(user, now_unix,
                [&](Status, size_t count) { dropped.set_value(count); });
  *expired = dropped.get_future().get();
  Result<std::vector<NamedContact>> list = contacts->List(user);
  if (!list.ok()) return list.status();
  Result<std::vector<MailItem>> mailbox = chats->ListMailbox(user);
  if (!mailbox.ok()) return mailbox.status();
  core::LoginSnapshot snapshot;
  for (const NamedContact& c : *list) {
    core::LoginSnapshot::Contact contact;
    contact.user_id = c.entry.user_id;
    contact.view.username = c.username;
    contact.view.mine = c.entry.relation;
    contact.view.theirs = chats->GetRelation(c.entry.user_id, user);
    snapshot.contacts.push_back(std::move(contact));
  }
  snapshot.mailbox = std::move(*mailbox);
  return snapshot;
}

core::MessageLookup LookupMessage(AccountService* accounts, ChatStore* chats,
                                  uint64_t sender,
                                  const std::string& recipient_name,
                                  const protocol::ItemId& message_id,
                                  uint64_t now_unix) {
  core::MessageLookup lookup;
  Result<UserRecord> record = accounts->Lookup(recipient_name);
  if (!record.ok()) return lookup;
  lookup.recipient = record->user_id;
  lookup.sent = chats->FindSent(sender, message_id, now_unix);
  lookup.mine = chats->GetRelation(sender, lookup.recipient);
  lookup.theirs = chats->GetRelation(lookup.recipient, sender);
  return lookup;
}

}  // namespace hail::server
