// Process-wide server counters. Any thread may increment or read them; the
// admin socket reports them (`haild --stats`). Every dropped or refused
// input lands in one of these: nothing is discarded silently.
#ifndef HAIL_SERVER_COUNTERS_H_
#define HAIL_SERVER_COUNTERS_H_

#include <atomic>
#include <cstdint>

namespace hail::server {

struct Counters {
  // Argon2id computations of any kind: new hashes and verifications,
  // including the dummy verification done for unknown users.
  std::atomic<uint64_t> password_hashes{0};
  std::atomic<uint64_t> registrations{0};
  std::atomic<uint64_t> logins_password{0};
  std::atomic<uint64_t> logins_resumed{0};
  std::atomic<uint64_t> login_failures{0};
  // Logins while the store takes no writes (SPEC.md 14.3): not recorded,
  // and (password logins) answered without a token.
  std::atomic<uint64_t> logins_not_recorded{0};
  std::atomic<uint64_t> tokens_not_issued{0};
  std::atomic<uint64_t> throttled{0};
  std::atomic<uint64_t> server_busy{0};

  // Pre-session datagrams.
  std::atomic<uint64_t> hello_received{0};
  std::atomic<uint64_t> cookies_sent{0};
  std::atomic<uint64_t> presession_rejects_sent{0};
  std::atomic<uint64_t> presession_malformed{0};
  // HELLOs not answered because the server is shutting down (SPEC.md 3.7).
  std::atomic<uint64_t> hellos_dropped_draining{0};
  // STUN (SPEC.md 3.4): success and 420 answers sent; well-formed but not
  // answered (not a Binding request, an unsupported CHANGE-REQUEST);
  // malformed; over the per-IP reply limit; over the 1.6x size budget.
  std::atomic<uint64_t> stun_answered{0};
  std::atomic<uint64_t> stun_errors_answered{0};
  std::atomic<uint64_t> stun_dropped{0};
  std::atomic<uint64_t> stun_malformed{0};
  std::atomic<uint64_t> stun_rate_limited{0};
  std::atomic<uint64_t> stun_too_large{0};
  // ENet CONNECTs judged by the intercept before ENet sees them.
  std::atomic<uint64_t> connects_accepted{0};
  std::atomic<uint64_t> connects_rejected{0};
  // Valid cookie, but its address or host had too many half-open peers
  // (SPEC.md 4.3); half-open peers reset after 4 s; half-open now.
  std::atomic<uint64_t> connects_refused_half_open{0};
  // Datagrams for an ENet peer that ENet would drop unseen (SPEC.md 4.3):
  // no such peer; another source address, port or session; a bad checksum
  // (or compressed).
  std::atomic<uint64_t> peer_datagrams_no_peer{0};
  std::atomic<uint64_t> peer_datagrams_wrong_source{0};
  std::atomic<uint64_t> peer_datagrams_bad_checksum{0};
  // Datagrams of a peer carrying a fragment of a packet over the largest
  // packet ENet accepts (SPEC.md 4.6): ENet refuses it unseen, so the
  // server ends the session (once per session: sessions_packet_too_large).
  std::atomic<uint64_t> peer_datagrams_packet_too_large{0};
  std::atomic<uint64_t> sessions_packet_too_large{0};
  std::atomic<uint64_t> half_open_expired{0};
  std::atomic<uint64_t> half_open_replaced{0};
  std::atomic<int64_t> peers_half_open{0};
  std::atomic<uint64_t> peerless_malformed{0};
  std::atomic<uint64_t> enet_service_errors{0};
  // ENet peers.
  std::atomic<uint64_t> peers_allocated{0};
  std::atomic<int64_t> peers_current{0};
  std::atomic<uint64_t> sessions_timed_out{0};
  std::atomic<uint64_t> sessions_replaced{0};
  // TCP fallback connections (SPEC.md 3.8), each closed one counted once
  // by why it ended.
  std::atomic<uint64_t> tcp_accepted{0};
  std::atomic<int64_t> tcp_current{0};
  std::atomic<uint64_t> tcp_accept_errors{0};
  std::atomic<uint64_t> tcp_refused_per_ip{0};
  std::atomic<uint64_t> tcp_refused_draining{0};
  std::atomic<uint64_t> tcp_closed_by_peer{0};
  std::atomic<uint64_t> tcp_closed_by_server{0};
  std::atomic<uint64_t> tcp_closed_malformed{0};
  std::atomic<uint64_t> tcp_closed_oversized{0};
  std::atomic<uint64_t> tcp_closed_mid_record{0};
  std::atomic<uint64_t> tcp_closed_slow_reader{0};
  std::atomic<uint64_t> tcp_closed_handshake_timeout{0};
  std::atomic<uint64_t> tcp_closed_errors{0};
  std::atomic<uint64_t> tcp_close_linger_expired{0};
  // Frames inside sessions.
  std::atomic<uint64_t> frames_bad{0};
  std::atomic<uint64_t> frames_bad_tag{0};
  std::atomic<uint64_t> frames_replayed{0};
  std::atomic<uint64_t> errors_answered{0};
  // Contacts, presence, messages.
  std::atomic<uint64_t> contact_operations{0};
  std::atomic<uint64_t> presence_updates_sent{0};
  std::atomic<uint64_t> messages_live{0};
  std::atomic<uint64_t> messages_stored{0};
  std::atomic<uint64_t> messages_deduplicated{0};
  std::atomic<uint64_t> messages_refused{0};
  std::atomic<uint64_t> messages_dropped_blocked{0};
  std::atomic<uint64_t> live_fallbacks_stored{0};
  std::atomic<uint64_t> mailbox_items_sent{0};
  std::atomic<uint64_t> items_acknowledged{0};
  std::atomic<uint64_t> receipts_sent{0};
  // Password checks refused by the account's budgets (SPEC.md 7.12).
  std::atomic<uint64_t> password_checks_throttled{0};
  // Receipts sent live and stored because their ITEM_ACK did not come.
  std::atomic<uint64_t> receipt_fallbacks_stored{0};
  std::atomic<uint64_t> notices_dropped{0};
  // Of those, FORWARD_NOTICEs (SPEC.md 17.7): a full mailbox of the sender.
  std::atomic<uint64_t> forward_notices_dropped{0};
  std::atomic<uint64_t> mailbox_expired{0};
  // Direct-link rendezvous (shard_p2p.cc).
  std::atomic<uint64_t> p2p_requests{0};
  std::atomic<uint64_t> p2p_refused{0};
  std::atomic<uint64_t> p2p_offers{0};
  std::atomic<uint64_t> p2p_declined{0};
  std::atomic<uint64_t> p2p_ready{0};
  std::atomic<uint64_t> p2p_closed{0};
};

}  // namespace hail::server

#endif  // HAIL_SERVER_COUNTERS_H_
