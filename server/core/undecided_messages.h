// The messages delivered live whose answer is not decided yet (SPEC.md
// 10.5): from the moment a live delivery is routed until the recipient's
// ITEM_ACK decides LIVE or the mailbox decides STORED. A resend of such a
// message is not answered by itself: the decision is the one answer, sent to
// the sender's session of that moment.
//
// Threading: thread-safe; shared by every loop's core. Only the core whose
// Open returned true calls Decide for that message.
#ifndef HAIL_SERVER_CORE_UNDECIDED_MESSAGES_H_
#define HAIL_SERVER_CORE_UNDECIDED_MESSAGES_H_

#include <cstdint>
#include <set>
#include <utility>

#include "protocol/chat_messages.h"
#include "server/base/mutex.h"

namespace hail::server::core {

class UndecidedMessages {
 public:
  UndecidedMessages() = default;
  UndecidedMessages(const UndecidedMessages&) = delete;
  UndecidedMessages& operator=(const UndecidedMessages&) = delete;

  // The message (sender, id) is on its way live; false (and nothing
  // changes) when it was undecided already.
  bool Open(uint64_t sender, const protocol::ItemId& id) {
    MutexLock lock(&mutex_);
    return open_.insert({sender, id}).second;
  }
  // Its answer is decided (or it was never accepted).
  void Decide(uint64_t sender, const protocol::ItemId& id) {
    MutexLock lock(&mutex_);
    open_.erase({sender, id});
  }
  bool IsOpen(uint64_t sender, const protocol::ItemId& id) const {
    MutexLock lock(&mutex_);
    return open_.count({sender, id}) != 0;
  }

 private:
  mutable Mutex mutex_;
  // Bounded by the live deliveries in flight (each waits at most 3 s).
  std::set<std::pair<uint64_t, protocol::ItemId>> open_ GUARDED_BY(mutex_);
};

}  // namespace hail::server::core

#endif  // HAIL_SERVER_CORE_UNDECIDED_MESSAGES_H_
