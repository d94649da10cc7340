// The rules of the contact list (SPEC.md "Contacts"): who may add whom,
// requests and answers, removal and blocking. BLOCKING: each call reads the
// store and waits for its synced write, so calls run one at a time on the
// server's contacts thread, which also makes every decision see the
// previous one's result. Never call from a network loop.
#ifndef HAIL_SERVER_CONTACT_SERVICE_H_
#define HAIL_SERVER_CONTACT_SERVICE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "protocol/contact_messages.h"
#include "protocol/error_code.h"
#include "server/account_store.h"
#include "server/chat_store.h"
#include "server/core/contact_change.h"

namespace hail::server {

// A contact with the peer's username, for CONTACT_UPDATE.
struct NamedContact {
  ContactEntry entry;
  std::string username;
};

class ContactService {
 public:
  ContactService(AccountStore* accounts, ChatStore* chats);

  ContactChange Add(uint64_t me, const std::string& my_name,
                    const std::string& peer_name, const std::string& text,
                    uint64_t now_unix);
  ContactChange Answer(uint64_t me, const std::string& my_name,
                       const std::string& peer_name, bool accept,
                       uint64_t now_unix);
  ContactChange Remove(uint64_t me, const std::string& my_name,
                       const std::string& peer_name, uint64_t now_unix);
  ContactChange Block(uint64_t me, const std::string& my_name,
                      const std::string& peer_name, bool blocked,
                      uint64_t now_unix);
  // The user's contacts with names (entries of deleted users are skipped).
  Result<std::vector<NamedContact>> List(uint64_t me);

 private:
  // Resolves `peer_name`; fills change.peer/peer_name or the error.
  bool Resolve(const std::string& peer_name, ContactChange* change);
  // True when `owner` has kMaxContacts entries (or they cannot be read).
  bool AtContactLimit(uint64_t owner);
  Status Write(uint64_t a, uint64_t b, protocol::Relation a_to_b,
               protocol::Relation b_to_a, const std::string& text,
               uint64_t now_unix);
  Status WriteOne(uint64_t owner, uint64_t peer, protocol::Relation relation,
                  uint64_t now_unix);
  // Stores a notice for `recipient`; returns it when stored.
  std::optional<MailItem> StoreNotice(uint64_t recipient, MailItem item);

  AccountStore* accounts_;
  ChatStore* chats_;
};

}  // namespace hail::server

#endif  // HAIL_SERVER_CONTACT_SERVICE_H_
