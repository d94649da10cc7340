// Chooses who messages whom in hail-bench: users are cut into groups of
// `group_size` consecutive indices whose members are all contacts of each
// other (a full mesh of 50,000 users is impossible: 500 contacts at most);
// a pair is a random online sender and a random online member of its group.
// Pure; one PairPicker belongs to one thread.
#ifndef HAIL_TOOLS_BENCH_PAIR_PICKER_H_
#define HAIL_TOOLS_BENCH_PAIR_PICKER_H_

#include <cstdint>
#include <optional>
#include <random>
#include <vector>

namespace hail::bench {

struct Pair {
  uint32_t sender;
  uint32_t recipient;
};

class PairPicker {
 public:
  // Indices 0..clients-1; everybody starts offline.
  PairPicker(uint32_t clients, uint32_t group_size, uint64_t seed);

  void SetOnline(uint32_t index, bool online);
  bool online(uint32_t index) const { return position_[index] != kAbsent; }
  size_t online_count() const { return online_.size(); }

  // A random online sender with at least one online group mate, and one of
  // those mates at random. nullopt when no such pair exists.
  std::optional<Pair> Pick();

  // The first index of `index`'s group and the group's size (the last group
  // may be smaller).
  uint32_t GroupBegin(uint32_t index) const;
  uint32_t GroupEnd(uint32_t index) const;

 private:
  static constexpr uint32_t kAbsent = UINT32_MAX;
  uint32_t clients_;
  uint32_t group_size_;
  std::mt19937_64 random_;
  std::vector<uint32_t> online_;    // online indices, unordered
  std::vector<uint32_t> position_;  // index -> position in online_
};

}  // namespace hail::bench

#endif  // HAIL_TOOLS_BENCH_PAIR_PICKER_H_
