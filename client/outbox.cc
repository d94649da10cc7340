#include "client/outbox.h"

#include <algorithm>
#include <cassert>
#include <utility>

namespace hail::client {

void Outbox::Add(protocol::SendMessage message) {
  assert(!Contains(message.message_id));
  messages_.push_back(std::move(message));
}

std::optional<protocol::SendMessage> Outbox::Take(const protocol::ItemId& id) {
  auto it = std::find_if(
      messages_.begin(), messages_.end(),
      [&](const protocol::SendMessage& m) { return m.message_id == id; });
  if (it == messages_.end()) return std::nullopt;
  protocol::SendMessage message = std::move(*it);
  messages_.erase(it);
  return message;
}

bool Outbox::Contains(const protocol::ItemId& id) const {
  return std::any_of(
      messages_.begin(), messages_.end(),
      [&](const protocol::SendMessage& m) { return m.message_id == id; });
}

}  // namespace hail::client
