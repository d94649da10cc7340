#include "tools/dissect/fragment_reassembler.h"

#include <algorithm>

#include "protocol/enet_wire.h"

namespace hail::dissect {

FragmentReassembler::Result FragmentReassembler::Add(const SetKey& key,
                                                     const Fragment& fragment) {
  Result result;
  // The checks of ENet's enet_protocol_handle_send_fragment.
  if (fragment.fragment_count == 0 ||
      fragment.fragment_count > protocol::enet_wire::kMaxFragmentCount ||
      fragment.fragment_number >= fragment.fragment_count) {
    result.error = "fragment number " +
                   std::to_string(fragment.fragment_number) + " of count " +
                   std::to_string(fragment.fragment_count);
    return result;
  }
  if (fragment.total_length > kMaxTotalLength ||
      fragment.total_length < fragment.fragment_count) {
    result.error = "fragment total length " +
                   std::to_string(fragment.total_length) + " for count " +
                   std::to_string(fragment.fragment_count);
    return result;
  }
  if (fragment.fragment_offset >= fragment.total_length ||
      fragment.data.size() > fragment.total_length - fragment.fragment_offset) {
    result.error =
        "fragment offset " + std::to_string(fragment.fragment_offset) +
        " + length " + std::to_string(fragment.data.size()) +
        " past total length " + std::to_string(fragment.total_length);
    return result;
  }
  auto it = sets_.find(key);
  if (it != sets_.end() &&
      (it->second.fragment_count != fragment.fragment_count ||
       it->second.total_length != fragment.total_length)) {
    result.error = "fragment count or total length differs from the set's";
    return result;
  }
  if (it == sets_.end()) {
    MakeRoom(fragment.total_length);
    order_.push_back(key);
    Set set;
    set.fragment_count = fragment.fragment_count;
    set.total_length = fragment.total_length;
    set.have.assign(fragment.fragment_count, false);
    set.buffer.assign(fragment.total_length, 0);
    set.age = std::prev(order_.end());
    pending_bytes_ += fragment.total_length;
    it = sets_.emplace(key, std::move(set)).first;
  }
  Set& set = it->second;
  if (set.have[fragment.fragment_number]) {
    result.outcome = Outcome::kDuplicate;
    result.received = set.received;
    return result;
  }
  set.have[fragment.fragment_number] = true;
  ++set.received;
  std::copy(fragment.data.begin(), fragment.data.end(),
            set.buffer.begin() + fragment.fragment_offset);
  result.received = set.received;
  if (set.received < set.fragment_count) {
    result.outcome = Outcome::kIncomplete;
    return result;
  }
  result.outcome = Outcome::kComplete;
  result.packet = std::move(set.buffer);
  Erase(it);
  return result;
}

void FragmentReassembler::DropConnection(uint64_t connection) {
  for (auto it = sets_.begin(); it != sets_.end();) {
    auto next = std::next(it);
    if (it->first.connection == connection) Erase(it);
    it = next;
  }
}

void FragmentReassembler::Erase(std::map<SetKey, Set>::iterator it) {
  pending_bytes_ -= it->second.total_length;
  order_.erase(it->second.age);
  sets_.erase(it);
}

void FragmentReassembler::MakeRoom(size_t bytes) {
  while (!order_.empty() && (sets_.size() >= kMaxPendingSets ||
                             pending_bytes_ + bytes > kMaxPendingBytes)) {
    Erase(sets_.find(order_.front()));
    ++dropped_sets_;
  }
}

}  // namespace hail::dissect
