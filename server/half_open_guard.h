// Bounds the ENet peers that a CONNECT allocates before the client has
// completed the connection (SPEC.md 4.3): a cookie proves the client
// receives at its address, not that it will finish, and an address holding
// a cookie could otherwise make ENet allocate a peer slot per connect id.
// One guard per ENet host, used on the host's loop thread only.
//
// A CONNECT that passed the cookie check is admitted only if its IP
// address has fewer than `per_address` half-open peers on the host and the
// host fewer than `per_host`; a retransmission of a CONNECT that already
// has its peer always goes to ENet (which ignores it). A source address and
// port holds at most one half-open peer: a CONNECT from it with another
// connect id replaces it once it is `replace_after_ms` old (the client gave
// that connection up and started a new one, SPEC.md 3.5.4, which it does
// after 2 s), so a retry is not refused and the count never grows; a CONNECT
// while it is younger is dropped (ENet retransmits it), so one socket can
// still open several connections one after another. A half-open peer still
// waiting after `expire_ms` is reset (its slot freed, nothing sent).
#ifndef HAIL_SERVER_HALF_OPEN_GUARD_H_
#define HAIL_SERVER_HALF_OPEN_GUARD_H_

#include <enet/enet.h>

#include <cstddef>
#include <cstdint>
#include <vector>

namespace hail::server {

class HalfOpenGuard {
 public:
  struct Limits {
    size_t per_address = 8;
    size_t per_host = 1024;
    uint64_t expire_ms = 4000;
    uint64_t replace_after_ms = 1000;
  };
  // The host-wide limit for a host of `peer_slots`: a quarter of its slots,
  // at least 16, so that completed connections always find most of them.
  static size_t PerHostLimit(size_t peer_slots);

  enum class Verdict {
    kAdmit,               // a new half-open peer
    kReplace,             // a new one instead of `stale_slot`'s: reset that
    kRetransmit,          // its peer exists: ENet ignores it
    kOneAtATime,          // that address and port has a young one: dropped
    kTooManyFromAddress,  // dropped and counted
    kTooManyOnHost,       // dropped and counted
  };
  struct Judgement {
    Verdict verdict = Verdict::kAdmit;
    size_t stale_slot = 0;  // kReplace: the half-open peer it replaces
  };

  explicit HalfOpenGuard(Limits limits) : limits_(limits) {}

  // Judges a CONNECT with `connect_id` (in host order, as
  // enet_wire::ParsePeerlessConnect reads it) from `from` to `host`. Walks the
  // host's peer slots, for CONNECTs with a valid cookie only. The age of a
  // half-open peer is as Sweep last saw it (call Sweep every ~250 ms).
  // Per-address counts kept up to date instead would save little: ENet's own
  // enet_protocol_handle_connect walks every slot for each CONNECT it takes
  // (duplicates, peers per IP, a free slot), so this at most doubles a
  // walk that is already there, and both are small next to the handshake
  // that follows.
  Judgement Judge(const ENetHost* host, const ENetAddress& from,
                  uint32_t connect_id, uint64_t now_ms) const;
  // Resets half-open peers older than expire_ms and returns how many are
  // half-open now; `expired` gets how many were reset. Call periodically.
  size_t Sweep(ENetHost* host, uint64_t now_ms, size_t* expired);

  static bool IsHalfOpen(const ENetPeer& peer);

 private:
  const Limits limits_;
  // When each slot was first seen half-open, and by which connection
  // (since 0: not half-open).
  struct Seen {
    uint64_t since = 0;
    uint32_t connect_id = 0;
  };
  std::vector<Seen> seen_;
};

}  // namespace hail::server

#endif  // HAIL_SERVER_HALF_OPEN_GUARD_H_
