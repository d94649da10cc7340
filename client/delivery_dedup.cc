#include "client/delivery_dedup.h"

#include <cassert>

namespace hail::client {

DeliveryDedup::DeliveryDedup(size_t capacity) : capacity_(capacity) {
  assert(capacity_ > 0);
}

DeliveryDedup::Seen DeliveryDedup::Record(uint64_t sender_id,
                                          const protocol::ItemId& item_id) {
  Key key{sender_id, item_id};
  auto it = acknowledged_.find(key);
  if (it != acknowledged_.end()) {
    return it->second ? Seen::kAcknowledged : Seen::kReported;
  }
  Insert(key, false);
  return Seen::kNew;
}

void DeliveryDedup::MarkAcknowledged(uint64_t sender_id,
                                     const protocol::ItemId& item_id) {
  Key key{sender_id, item_id};
  auto it = acknowledged_.find(key);
  if (it != acknowledged_.end()) {
    it->second = true;
  } else {
    Insert(key, true);
  }
}

void DeliveryDedup::Insert(const Key& key, bool acknowledged) {
  if (order_.size() >= capacity_) {
    acknowledged_.erase(order_.front());
    order_.pop_front();
  }
  acknowledged_.emplace(key, acknowledged);
  order_.push_back(key);
  assert(order_.size() == acknowledged_.size());
}

}  // namespace hail::client
