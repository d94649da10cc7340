// The messages this client sent that the server has not yet answered with
// MESSAGE_ACCEPTED, in the order they were sent. After a reconnect the
// client sends all of them again, with the same message ids, in that order;
// the server's deduplication makes a resend of an already stored message
// harmless (SPEC.md "Messages").
//
// In memory; the Client keeps a durable copy in an OutboxFile so that a
// later process resends what this one left unanswered. Not thread-safe; owned
// by one Client.
#ifndef HAIL_CLIENT_OUTBOX_H_
#define HAIL_CLIENT_OUTBOX_H_

#include <cstddef>
#include <deque>
#include <optional>

#include "protocol/chat_messages.h"

namespace hail::client {

class Outbox {
 public:
  // REQUIRES: no message with the same id is held.
  void Add(protocol::SendMessage message);
  // Removes and returns the message with this id; nullopt when not held.
  std::optional<protocol::SendMessage> Take(const protocol::ItemId& id);
  bool Contains(const protocol::ItemId& id) const;

  // Oldest first.
  const std::deque<protocol::SendMessage>& messages() const {
    return messages_;
  }
  size_t size() const { return messages_.size(); }
  bool empty() const { return messages_.empty(); }

 private:
  std::deque<protocol::SendMessage> messages_;
};

}  // namespace hail::client

#endif  // HAIL_CLIENT_OUTBOX_H_
