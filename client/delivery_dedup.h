// Which received items this process has already reported, so that a copy
// the server delivers again (the stored copy of a live delivery whose
// ITEM_ACK was late or lost, the mailbox sent again after a reconnect) is
// reported once. A key is (sender id, item id): messages use their
// sender's id and message id, server notices sender id 0 and their item id.
//
// Bounded: beyond `capacity` keys the oldest are forgotten (an item that
// old has long been acknowledged). In memory only: another process may
// report an item again while the server still holds it.
// Not thread-safe; owned by one Client.
#ifndef HAIL_CLIENT_DELIVERY_DEDUP_H_
#define HAIL_CLIENT_DELIVERY_DEDUP_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <utility>

#include "protocol/kind.h"

namespace hail::client {

class DeliveryDedup {
 public:
  static constexpr size_t kDefaultCapacity = 100'000;

  // What was known about a key before Record.
  enum class Seen : uint8_t {
    kNew,           // first delivery: report it
    kReported,      // reported, not yet acknowledged by the application
    kAcknowledged,  // reported and acknowledged: acknowledge the copy again
  };

  explicit DeliveryDedup(size_t capacity = kDefaultCapacity);

  // Records the key (as reported, unacknowledged, when new).
  Seen Record(uint64_t sender_id, const protocol::ItemId& item_id);
  // Marks the key acknowledged, recording it first when unknown.
  void MarkAcknowledged(uint64_t sender_id, const protocol::ItemId& item_id);

  size_t size() const { return acknowledged_.size(); }

 private:
  using Key = std::pair<uint64_t, protocol::ItemId>;
  // Inserts a new key, forgetting the oldest one when full.
  void Insert(const Key& key, bool acknowledged);

  size_t capacity_;
  std::map<Key, bool> acknowledged_;  // every known key
  std::deque<Key> order_;             // the same keys, oldest first
};

}  // namespace hail::client

#endif  // HAIL_CLIENT_DELIVERY_DEDUP_H_
