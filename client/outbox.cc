#include "client/outbox.h"

#include <algorithm>
#include <cassert>
#include <limits>
#include <utility>

namespace hail::client {

uint64_t Outbox::RetryDelayMs(uint32_t refusals, uint32_t random) {
  uint64_t nominal = kMaximumRetryMs;
  if (refusals >= 1 && refusals <= 7) {
    nominal = std::min(kMaximumRetryMs, kFirstRetryMs << (refusals - 1));
  }
  // Up to a quarter shorter, so that senders refused together spread out.
  uint64_t quarter = nominal / 4;
  return nominal - quarter * random / std::numeric_limits<uint32_t>::max();
}

void Outbox::Add(protocol::SendMessage message) {
  assert(!Contains(message.message_id));
  entries_.push_back(Entry{std::move(message)});
}

Outbox::Entry* Outbox::FindMutable(const protocol::ItemId& id) {
  auto it = std::find_if(entries_.begin(), entries_.end(), [&](const Entry& e) {
    return e.message.message_id == id;
  });
  return it == entries_.end() ? nullptr : &*it;
}

const Outbox::Entry* Outbox::Find(const protocol::ItemId& id) const {
  return const_cast<Outbox*>(this)->FindMutable(id);
}

std::optional<protocol::SendMessage> Outbox::Take(const protocol::ItemId& id) {
  auto it = std::find_if(entries_.begin(), entries_.end(), [&](const Entry& e) {
    return e.message.message_id == id;
  });
  if (it == entries_.end()) return std::nullopt;
  protocol::SendMessage message = std::move(it->message);
  entries_.erase(it);
  return message;
}

bool Outbox::Contains(const protocol::ItemId& id) const {
  return Find(id) != nullptr;
}

std::optional<uint64_t> Outbox::Defer(const protocol::ItemId& id,
                                      uint64_t now_ms, uint32_t random) {
  Entry* entry = FindMutable(id);
  if (entry == nullptr || entry->retry_at_ms != 0) return std::nullopt;
  ++entry->refusals;
  uint64_t delay = RetryDelayMs(entry->refusals, random);
  entry->retry_at_ms = std::max<uint64_t>(now_ms + delay, 1);
  return delay;
}

std::vector<protocol::SendMessage> Outbox::TakeDue(uint64_t now_ms) {
  std::vector<protocol::SendMessage> due;
  for (Entry& entry : entries_) {
    if (entry.retry_at_ms != 0 && entry.retry_at_ms <= now_ms) {
      entry.retry_at_ms = 0;
      due.push_back(entry.message);
    }
  }
  return due;
}

void Outbox::MarkAllSent() {
  for (Entry& entry : entries_) entry.retry_at_ms = 0;
}

std::optional<uint64_t> Outbox::next_retry_ms() const {
  std::optional<uint64_t> next;
  for (const Entry& entry : entries_) {
    if (entry.retry_at_ms == 0) continue;
    next = next ? std::min(*next, entry.retry_at_ms) : entry.retry_at_ms;
  }
  return next;
}

}  // namespace hail::client
