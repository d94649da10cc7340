// The messages this client sent that the server has not yet finally
// answered with MESSAGE_ACCEPTED, in the order they were sent. After a
// reconnect the client sends all of them again, with the same message ids, in
// that order; the server's deduplication makes a resend of an already stored
// message harmless (SPEC.md "Messages").
//
// A message the server refused for now (MAILBOX_FULL, SERVER_BUSY, INTERNAL)
// stays here, deferred: it is sent again with the same id once its retry
// time comes, after 1 s, doubling up to 60 s (SPEC.md 10.3).
//
// In memory; the Client keeps a durable copy in an OutboxFile so that a
// later process resends what this one left unanswered. Not thread-safe; owned
// by one Client.
#ifndef HAIL_CLIENT_OUTBOX_H_
#define HAIL_CLIENT_OUTBOX_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <vector>

#include "protocol/chat_messages.h"

namespace hail::client {

class Outbox {
 public:
  // Retry delays after a refusal for now (SPEC.md 10.3).
  static constexpr uint64_t kFirstRetryMs = 1000;
  static constexpr uint64_t kMaximumRetryMs = 60'000;

  struct Entry {
    protocol::SendMessage message;
    // 0: sent, waiting for its answer. Otherwise refused for now and held
    // unsent until this time (the caller's clock, ms).
    uint64_t retry_at_ms = 0;
    uint32_t refusals = 0;  // answers that refused it for now
  };

  // The delay before sending again after the `refusals`-th refusal (1, 2,
  // ...): kFirstRetryMs doubling up to kMaximumRetryMs, shortened by up to a
  // quarter by `random` (0: not at all). Pure.
  static uint64_t RetryDelayMs(uint32_t refusals, uint32_t random);

  // REQUIRES: no message with the same id is held.
  void Add(protocol::SendMessage message);
  // Removes and returns the message with this id; nullopt when not held.
  std::optional<protocol::SendMessage> Take(const protocol::ItemId& id);
  bool Contains(const protocol::ItemId& id) const;
  // The held message with this id; null when none. Valid until the next
  // change.
  const Entry* Find(const protocol::ItemId& id) const;
  // The server refused the message with this id for now: hold it unsent
  // until `now_ms` + RetryDelayMs. Returns that delay; nullopt when the id
  // is not held or not waiting for an answer (an answer to a resend that
  // crossed a deferral changes nothing).
  std::optional<uint64_t> Defer(const protocol::ItemId& id, uint64_t now_ms,
                                uint32_t random);
  // The deferred messages whose time has come, oldest first; each is marked
  // as sent (waiting for its answer) again.
  std::vector<protocol::SendMessage> TakeDue(uint64_t now_ms);
  // Marks every message as sent, as a resend of all of them does.
  void MarkAllSent();
  // The earliest retry time of a deferred message.
  std::optional<uint64_t> next_retry_ms() const;

  // Oldest first.
  const std::deque<Entry>& entries() const { return entries_; }
  size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }

 private:
  Entry* FindMutable(const protocol::ItemId& id);

  std::deque<Entry> entries_;
};

}  // namespace hail::client

#endif  // HAIL_CLIENT_OUTBOX_H_
