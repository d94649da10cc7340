#include "server/half_open_guard.h"

#include <algorithm>

namespace hail::server {

size_t HalfOpenGuard::PerHostLimit(size_t peer_slots) {
  return std::max<size_t>(16, peer_slots / 4);
}

bool HalfOpenGuard::IsHalfOpen(const ENetPeer& peer) {
  // The server's side of an incoming connection: VERIFY_CONNECT sent and
  // not yet acknowledged, or acknowledged and not yet dispatched.
  return peer.state == ENET_PEER_STATE_ACKNOWLEDGING_CONNECT ||
         peer.state == ENET_PEER_STATE_CONNECTION_PENDING ||
         peer.state == ENET_PEER_STATE_CONNECTION_SUCCEEDED;
}

HalfOpenGuard::Judgement HalfOpenGuard::Judge(const ENetHost* host,
                                              const ENetAddress& from,
                                              uint32_t connect_id,
                                              uint64_t now_ms) const {
  size_t from_address = 0;
  size_t on_host = 0;
  for (size_t i = 0; i < host->peerCount; ++i) {
    const ENetPeer& peer = host->peers[i];
    if (peer.state == ENET_PEER_STATE_DISCONNECTED) continue;
    bool same_address = peer.address.host == from.host;
    bool same_endpoint = same_address && peer.address.port == from.port;
    // ENet keeps the connect id as it came on the wire (big-endian).
    if (same_endpoint && ENET_NET_TO_HOST_32(peer.connectID) == connect_id) {
      return {Verdict::kRetransmit};
    }
    if (!IsHalfOpen(peer)) continue;
    // One per address and port: once it is old enough this one takes its
    // place, and the counts stay as they are.
    if (same_endpoint) {
      bool old_enough = i < seen_.size() && seen_[i].since != 0 &&
                        seen_[i].connect_id == peer.connectID &&
                        now_ms - seen_[i].since >= limits_.replace_after_ms;
      if (old_enough) return {Verdict::kReplace, i};
      return {Verdict::kOneAtATime};
    }
    ++on_host;
    if (same_address) ++from_address;
  }
  if (from_address >= limits_.per_address) {
    return {Verdict::kTooManyFromAddress};
  }
  if (on_host >= limits_.per_host) return {Verdict::kTooManyOnHost};
  return {Verdict::kAdmit};
}

size_t HalfOpenGuard::Sweep(ENetHost* host, uint64_t now_ms, size_t* expired) {
  seen_.resize(host->peerCount);
  size_t half_open = 0;
  *expired = 0;
  for (size_t i = 0; i < host->peerCount; ++i) {
    ENetPeer& peer = host->peers[i];
    Seen& seen = seen_[i];
    if (peer.state != ENET_PEER_STATE_ACKNOWLEDGING_CONNECT) {
      // Completed, gone, or dispatched within this turn: not held.
      seen.since = 0;
      if (IsHalfOpen(peer)) ++half_open;
      continue;
    }
    if (seen.since == 0 || seen.connect_id != peer.connectID) {
      seen = Seen{now_ms, peer.connectID};
    }
    if (now_ms - seen.since < limits_.expire_ms) {
      ++half_open;
      continue;
    }
    // No event was ever reported for it: resetting frees the slot and
    // tells nobody (the client's ENet gives up on its own).
    enet_peer_reset(&peer);
    seen.since = 0;
    ++*expired;
  }
  return half_open;
}

}  // namespace hail::server
