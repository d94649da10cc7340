// Reassembles ENet SEND_FRAGMENT / SEND_UNRELIABLE_FRAGMENT commands into the
// packet they carry, per (connection, direction, channel, reliability,
// start sequence number), with ENet's own validity rules. Memory is bounded:
// at most kMaxPendingSets incomplete sets and kMaxPendingBytes buffered; the
// oldest incomplete set is dropped (and counted) to make room.
#ifndef HAIL_TOOLS_DISSECT_FRAGMENT_REASSEMBLER_H_
#define HAIL_TOOLS_DISSECT_FRAGMENT_REASSEMBLER_H_

#include <cstddef>
#include <cstdint>
#include <list>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "protocol/byte_io.h"

namespace hail::dissect {

class FragmentReassembler {
 public:
  static constexpr size_t kMaxPendingSets = 256;
  static constexpr size_t kMaxPendingBytes = 16 * 1024 * 1024;
  // Hail's server accepts packets up to 65536 bytes (SPEC.md 4.6); ENet's
  // default limit is 32 MiB. Larger totals are reported as malformed.
  static constexpr uint32_t kMaxTotalLength = 1024 * 1024;

  struct SetKey {
    uint64_t connection = 0;  // the caller's connection id
    bool to_server = false;
    uint8_t channel = 0;
    bool unreliable = false;
    uint16_t start_sequence_number = 0;
    auto operator<=>(const SetKey&) const = default;
  };

  struct Fragment {
    uint32_t fragment_count = 0;
    uint32_t fragment_number = 0;
    uint32_t total_length = 0;
    uint32_t fragment_offset = 0;
    protocol::ByteSpan data;
  };

  enum class Outcome : uint8_t {
    kIncomplete,  // stored; more fragments are needed
    kComplete,    // `packet` holds the reassembled packet
    kDuplicate,   // this fragment number was already stored; ignored
    kInvalid,     // breaks ENet's rules (`error` says which); ignored
  };
  struct Result {
    Outcome outcome = Outcome::kInvalid;
    protocol::Bytes packet;
    std::string error;
    uint32_t received = 0;  // fragments of the set stored so far
  };

  Result Add(const SetKey& key, const Fragment& fragment);
  // Forgets every set of a connection (it reconnected or ended).
  void DropConnection(uint64_t connection);

  size_t pending_sets() const { return sets_.size(); }
  size_t pending_bytes() const { return pending_bytes_; }
  // Incomplete sets dropped to respect the bounds.
  uint64_t dropped_sets() const { return dropped_sets_; }

 private:
  struct Set {
    uint32_t fragment_count = 0;
    uint32_t total_length = 0;
    uint32_t received = 0;
    std::vector<bool> have;
    protocol::Bytes buffer;
    std::list<SetKey>::iterator age;  // position in order_
  };

  void Erase(std::map<SetKey, Set>::iterator it);
  // Drops the oldest sets until one more of `bytes` fits.
  void MakeRoom(size_t bytes);

  std::map<SetKey, Set> sets_;
  std::list<SetKey> order_;  // oldest first
  size_t pending_bytes_ = 0;
  uint64_t dropped_sets_ = 0;
};

}  // namespace hail::dissect

#endif  // HAIL_TOOLS_DISSECT_FRAGMENT_REASSEMBLER_H_
