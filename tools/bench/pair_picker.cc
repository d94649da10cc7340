#include "tools/bench/pair_picker.h"

#include <algorithm>

namespace hail::bench {

PairPicker::PairPicker(uint32_t clients, uint32_t group_size, uint64_t seed)
    : clients_(clients),
      group_size_(std::max<uint32_t>(group_size, 2)),
      random_(seed),
      position_(clients, kAbsent) {}

void PairPicker::SetOnline(uint32_t index, bool online) {
  if (index >= clients_ || online == this->online(index)) return;
  if (online) {
    position_[index] = static_cast<uint32_t>(online_.size());
    online_.push_back(index);
    return;
  }
  uint32_t at = position_[index];
  uint32_t last = online_.back();
  online_[at] = last;
  position_[last] = at;
  online_.pop_back();
  position_[index] = kAbsent;
}

uint32_t PairPicker::GroupBegin(uint32_t index) const {
  return index / group_size_ * group_size_;
}

uint32_t PairPicker::GroupEnd(uint32_t index) const {
  return std::min(GroupBegin(index) + group_size_, clients_);
}

std::optional<Pair> PairPicker::Pick() {
  if (online_.size() < 2) return std::nullopt;
  // A few random senders first; most groups are fully online.
  for (int attempt = 0; attempt < 64; ++attempt) {
    uint32_t sender = online_[std::uniform_int_distribution<size_t>(
        0, online_.size() - 1)(random_)];
    uint32_t mates[64];
    uint32_t count = 0;
    for (uint32_t i = GroupBegin(sender); i < GroupEnd(sender) && count < 64;
         ++i) {
      if (i != sender && online(i)) mates[count++] = i;
    }
    if (count == 0) continue;
    uint32_t pick =
        std::uniform_int_distribution<uint32_t>(0, count - 1)(random_);
    return Pair{sender, mates[pick]};
  }
  return std::nullopt;
}

}  // namespace hail::bench
