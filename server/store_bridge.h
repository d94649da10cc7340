// Where the routing core (server/core) meets the store: runs the core's
// StoreRequests on the ChatStore, and makes the reads the core needs at
// login and for each SEND_MESSAGE. Used by the loops and by the simulator,
// so both run the same store code.
#ifndef HAIL_SERVER_STORE_BRIDGE_H_
#define HAIL_SERVER_STORE_BRIDGE_H_

#include <cstdint>
#include <functional>
#include <string>

#include "protocol/status.h"
#include "server/account_service.h"
#include "server/chat_store.h"
#include "server/contact_service.h"
#include "server/core/loop_core.h"
#include "server/core/store_request.h"

namespace hail::server {

// Queues `request` on the store; `done` runs on the store thread once the
// write is as durable as the request asks (StoreRequest::synced).
void RunStoreRequest(ChatStore* chats, core::StoreRequest request,
                     std::function<void(core::StoreDone)> done);

// BLOCKING (store reads and a synced expiry): never on a network loop.
// The user's contacts with both sides' relations and their mailbox, after
// dropping expired items (how many goes to *expired).
Result<core::LoginSnapshot> LoadLoginSnapshot(ChatStore* chats,
                                              ContactService* contacts,
                                              uint64_t user, uint64_t now_unix,
                                              size_t* expired);

// BLOCKING (store reads): what SPEC.md 10.4 needs to judge a SEND_MESSAGE
// from `sender` to the (normalized) `recipient_name`.
core::MessageLookup LookupMessage(AccountService* accounts, ChatStore* chats,
                                  uint64_t sender,
                                  const std::string& recipient_name,
                                  const protocol::ItemId& message_id,
                                  uint64_t now_unix);

}  // namespace hail::server

#endif  // HAIL_SERVER_STORE_BRIDGE_H_
