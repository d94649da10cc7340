#include "server/contact_service.h"

#include <sodium.h>

#include <future>

#include "protocol/account_rules.h"
#include "server/write_error.h"

namespace hail::server {

using protocol::ErrorCode;
using protocol::Relation;

ContactService::ContactService(AccountStore* accounts, ChatStore* chats)
    : accounts_(accounts), chats_(chats) {}

bool ContactService::AtContactLimit(uint64_t owner) {
  // An unreadable list counts as full: no entry is added blindly.
  Result<std::vector<ContactEntry>> list = chats_->ListContacts(owner);
  return !list.ok() || list->size() >= protocol::kMaxContacts;
}

bool ContactService::Resolve(const std::string& peer_name,
                             ContactChange* change) {
  std::optional<std::string> canonical = protocol::NormalizeUsername(peer_name);
  if (!canonical) {
    change->error = ErrorCode::kUserNotFound;
    return false;
  }
  Result<UserRecord> record = accounts_->FindByName(*canonical);
  if (!record.ok()) {
    change->error = record.status().IsNotFound() ? ErrorCode::kUserNotFound
                                                 : ErrorCode::kInternal;
    return false;
  }
  if (record->user_id == change->me) {
    change->error = ErrorCode::kNotAllowed;
    return false;
  }
  change->peer = record->user_id;
  change->peer_name = record->username;
  return true;
}

Status ContactService::Write(uint64_t a, uint64_t b, Relation a_to_b,
                             Relation b_to_a, const std::string& text,
                             uint64_t now_unix) {
  std::promise<Status> written;
  chats_->SetRelations(a, b, a_to_b, b_to_a, text, now_unix,
                       [&](Status status) { written.set_value(status); });
  return written.get_future().get();
}

Status ContactService::WriteOne(uint64_t owner, uint64_t peer,
                                Relation relation, uint64_t now_unix) {
  std::promise<Status> written;
  chats_->SetRelation(owner, peer, relation, now_unix,
                      [&](Status status) { written.set_value(status); });
  return written.get_future().get();
}

std::optional<MailItem> ContactService::StoreNotice(uint64_t recipient,
                                                    MailItem item) {
  randombytes_buf(item.item_id.data(), item.item_id.size());
  std::promise<bool> stored;
  chats_->AppendNotice(recipient, item, [&](Status status, ErrorCode error) {
    stored.set_value(status.ok() && error == ErrorCode::kOk);
  });
  if (!stored.get_future().get()) return std::nullopt;
  return item;
}

ContactChange ContactService::Add(uint64_t me, const std::string& my_name,
                                  const std::string& peer_name,
                                  const std::string& text, uint64_t now_unix) {
  // The decision order of SPEC.md section 8.3.
  ContactChange change;
  change.me = me;
  change.my_name = my_name;
  if (!protocol::IsValidUtf8(text)) {
    change.error = ErrorCode::kInvalidText;
    return change;
  }
  if (!Resolve(peer_name, &change)) return change;
  Relation mine = chats_->GetRelation(me, change.peer);
  Relation theirs = chats_->GetRelation(change.peer, me);
  if (mine == Relation::kAccepted || mine == Relation::kRequested) {
    return change;  // step 3: nothing to do
  }
  if (mine == Relation::kPending) {
    return Answer(me, my_name, change.peer_name, true, now_unix);  // step 4
  }
  if (mine == Relation::kNone && AtContactLimit(me)) {
    change.error = ErrorCode::kContactLimit;  // step 5
    return change;
  }
  if (theirs == Relation::kBlocked) {
    // Step 6: a blocked user learns nothing; the request goes nowhere.
    if (Status written =
            WriteOne(me, change.peer, Relation::kRequested, now_unix);
        !written.ok()) {
      change.error = ErrorForWrite(written);
      return change;
    }
    change.my_side_changed = true;
    change.my_relation = Relation::kRequested;
    return change;
  }
  if (theirs == Relation::kNone && AtContactLimit(change.peer)) {
    change.error = ErrorCode::kContactLimit;  // step 7
    return change;
  }
  // Step 8 (also when my side was kBlocked: adding lifts my block).
  if (Status written = Write(me, change.peer, Relation::kRequested,
                             Relation::kPending, text, now_unix);
      !written.ok()) {
    change.error = ErrorForWrite(written);
    return change;
  }
  change.my_side_changed = change.peer_side_changed = true;
  change.my_relation = Relation::kRequested;
  change.peer_relation = Relation::kPending;
  MailItem request;
  request.kind = MailItemKind::kContactRequest;
  request.sender_id = me;
  request.sender_name = my_name;
  request.text = text;
  request.accepted_unix = now_unix;
  change.notice_for_peer = StoreNotice(change.peer, request);
  return change;
}

ContactChange ContactService::Answer(uint64_t me, const std::string& my_name,
                                     const std::string& peer_name, bool accept,
                                     uint64_t now_unix) {
  ContactChange change;
  change.me = me;
  change.my_name = my_name;
  if (!Resolve(peer_name, &change)) return change;
  if (chats_->GetRelation(me, change.peer) != Relation::kPending) {
    change.error = ErrorCode::kNoSuchRequest;
    return change;
  }
  Relation theirs = chats_->GetRelation(change.peer, me);
  Relation mine_after = accept ? Relation::kAccepted : Relation::kNone;
  // Their side may only have become something else by their own block.
  Relation theirs_after =
      theirs == Relation::kBlocked
          ? Relation::kBlocked
          : (accept ? Relation::kAccepted : Relation::kNone);
  if (Status written =
          Write(me, change.peer, mine_after, theirs_after, "", now_unix);
      !written.ok()) {
    change.error = ErrorForWrite(written);
    return change;
  }
  change.my_side_changed = true;
  change.my_relation = mine_after;
  if (theirs != Relation::kBlocked) {
    change.peer_side_changed = true;
    change.peer_relation = theirs_after;
    change.now_accepted = accept;
    MailItem answer;
    answer.kind = MailItemKind::kContactAnswer;
    answer.sender_id = me;
    answer.sender_name = my_name;
    answer.flag = accept ? 1 : 0;
    answer.accepted_unix = now_unix;
    change.notice_for_peer = StoreNotice(change.peer, answer);
  }
  return change;
}

ContactChange ContactService::Remove(uint64_t me, const std::string& my_name,
                                     const std::string& peer_name,
                                     uint64_t now_unix) {
  ContactChange change;
  change.me = me;
  change.my_name = my_name;
  if (!Resolve(peer_name, &change)) return change;
  Relation mine = chats_->GetRelation(me, change.peer);
  Relation theirs = chats_->GetRelation(change.peer, me);
  if (mine == Relation::kNone) {
    change.error = ErrorCode::kNotAContact;
    return change;
  }
  Relation theirs_after =
      theirs == Relation::kBlocked ? Relation::kBlocked : Relation::kNone;
  if (Status written =
          Write(me, change.peer, Relation::kNone, theirs_after, "", now_unix);
      !written.ok()) {
    change.error = ErrorForWrite(written);
    return change;
  }
  change.my_side_changed = true;
  change.my_relation = Relation::kNone;
  change.now_apart = mine == Relation::kAccepted;
  if (theirs != Relation::kBlocked && theirs != Relation::kNone) {
    change.peer_side_changed = true;
    change.peer_relation = Relation::kNone;
  }
  return change;
}

ContactChange ContactService::Block(uint64_t me, const std::string& my_name,
                                    const std::string& peer_name, bool blocked,
                                    uint64_t now_unix) {
  // SPEC.md section 8.6.
  ContactChange change;
  change.me = me;
  change.my_name = my_name;
  if (!Resolve(peer_name, &change)) return change;
  Relation mine = chats_->GetRelation(me, change.peer);
  if (!blocked) {
    if (mine != Relation::kBlocked) return change;  // nothing to lift
    return Remove(me, my_name, change.peer_name, now_unix);
  }
  if (mine == Relation::kBlocked) return change;
  if (mine == Relation::kNone && AtContactLimit(me)) {
    change.error = ErrorCode::kContactLimit;
    return change;
  }
  // Only my side changes; the blocked user is told nothing.
  if (Status written = WriteOne(me, change.peer, Relation::kBlocked, now_unix);
      !written.ok()) {
    change.error = ErrorForWrite(written);
    return change;
  }
  change.my_side_changed = true;
  change.my_relation = Relation::kBlocked;
  change.now_apart = mine == Relation::kAccepted;
  return change;
}

Result<std::vector<NamedContact>> ContactService::List(uint64_t me) {
  Result<std::vector<ContactEntry>> entries = chats_->ListContacts(me);
  if (!entries.ok()) return entries.status();
  std::vector<NamedContact> named;
  for (const ContactEntry& entry : *entries) {
    Result<UserRecord> record = accounts_->FindById(entry.user_id);
    if (!record.ok()) continue;
    named.push_back({entry, record->username});
  }
  return named;
}

}  // namespace hail::server
