#include "server/metrics.h"

#include <fmt/format.h>

namespace hail::server {
namespace {

struct CounterField {
  std::string_view name;
  Metric::Kind kind;
  std::string_view help;
  int64_t (*read)(const Counters&);
};

// Every field of Counters (server/counters.h), in its order.
constexpr CounterField kCounterFields[] = {
    {"password_hashes", Metric::Kind::kCounter,
     "Argon2id computations (new hashes and verifications, the dummy one for "
     "unknown users included)",
     [](const Counters& c) {
       return static_cast<int64_t>(c.password_hashes.load());
     }},
    {"registrations", Metric::Kind::kCounter, "accounts created",
     [](const Counters& c) {
       return static_cast<int64_t>(c.registrations.load());
     }},
    {"logins_password", Metric::Kind::kCounter, "logins with a password",
     [](const Counters& c) {
       return static_cast<int64_t>(c.logins_password.load());
     }},
    {"logins_resumed", Metric::Kind::kCounter, "logins by resumption token",
     [](const Counters& c) {
       return static_cast<int64_t>(c.logins_resumed.load());
     }},
    {"login_failures", Metric::Kind::kCounter,
     "logins refused (wrong password, unknown user, bad token)",
     [](const Counters& c) {
       return static_cast<int64_t>(c.login_failures.load());
     }},
    {"logins_not_recorded", Metric::Kind::kCounter,
     "logins not recorded because the data directory took no writes",
     [](const Counters& c) {
       return static_cast<int64_t>(c.logins_not_recorded.load());
     }},
    {"tokens_not_issued", Metric::Kind::kCounter,
     "password logins answered without a resumption token because the data "
     "directory took no writes",
     [](const Counters& c) {
       return static_cast<int64_t>(c.tokens_not_issued.load());
     }},
    {"throttled", Metric::Kind::kCounter,
     "account requests refused by the per-address rate limit",
     [](const Counters& c) {
       return static_cast<int64_t>(c.throttled.load());
     }},
    {"server_busy", Metric::Kind::kCounter,
     "requests answered SERVER_BUSY (work queue full)",
     [](const Counters& c) {
       return static_cast<int64_t>(c.server_busy.load());
     }},
    {"hello_received", Metric::Kind::kCounter,
     "pre-session HELLO datagrams received",
     [](const Counters& c) {
       return static_cast<int64_t>(c.hello_received.load());
     }},
    {"cookies_sent", Metric::Kind::kCounter, "COOKIE datagrams sent",
     [](const Counters& c) {
       return static_cast<int64_t>(c.cookies_sent.load());
     }},
    {"presession_rejects_sent", Metric::Kind::kCounter,
     "pre-session REJECTs sent (unsupported version)",
     [](const Counters& c) {
       return static_cast<int64_t>(c.presession_rejects_sent.load());
     }},
    {"presession_malformed", Metric::Kind::kCounter,
     "pre-session datagrams dropped as malformed",
     [](const Counters& c) {
       return static_cast<int64_t>(c.presession_malformed.load());
     }},
    {"hellos_dropped_draining", Metric::Kind::kCounter,
     "HELLOs not answered while shutting down",
     [](const Counters& c) {
       return static_cast<int64_t>(c.hellos_dropped_draining.load());
     }},
    {"stun_answered", Metric::Kind::kCounter,
     "STUN Binding success responses sent",
     [](const Counters& c) {
       return static_cast<int64_t>(c.stun_answered.load());
     }},
    {"stun_errors_answered", Metric::Kind::kCounter,
     "STUN error responses (420) sent",
     [](const Counters& c) {
       return static_cast<int64_t>(c.stun_errors_answered.load());
     }},
    {"stun_dropped", Metric::Kind::kCounter,
     "well-formed STUN requests not answered",
     [](const Counters& c) {
       return static_cast<int64_t>(c.stun_dropped.load());
     }},
    {"stun_malformed", Metric::Kind::kCounter,
     "malformed STUN datagrams dropped",
     [](const Counters& c) {
       return static_cast<int64_t>(c.stun_malformed.load());
     }},
    {"stun_rate_limited", Metric::Kind::kCounter,
     "STUN requests over the per-address reply limit",
     [](const Counters& c) {
       return static_cast<int64_t>(c.stun_rate_limited.load());
     }},
    {"stun_too_large", Metric::Kind::kCounter,
     "STUN answers dropped for exceeding the 1.6x size budget",
     [](const Counters& c) {
       return static_cast<int64_t>(c.stun_too_large.load());
     }},
    {"connects_accepted", Metric::Kind::kCounter,
     "ENet CONNECTs with a valid cookie given to ENet",
     [](const Counters& c) {
       return static_cast<int64_t>(c.connects_accepted.load());
     }},
    {"connects_rejected", Metric::Kind::kCounter,
     "ENet CONNECTs dropped for a missing or invalid cookie",
     [](const Counters& c) {
       return static_cast<int64_t>(c.connects_rejected.load());
     }},
    {"connects_refused_half_open", Metric::Kind::kCounter,
     "CONNECTs with a valid cookie dropped by the half-open limits",
     [](const Counters& c) {
       return static_cast<int64_t>(c.connects_refused_half_open.load());
     }},
    {"peer_datagrams_no_peer", Metric::Kind::kCounter,
     "datagrams for a free or unknown ENet peer slot, dropped",
     [](const Counters& c) {
       return static_cast<int64_t>(c.peer_datagrams_no_peer.load());
     }},
    {"peer_datagrams_wrong_source", Metric::Kind::kCounter,
     "datagrams for an ENet peer from another address, port or session, "
     "dropped",
     [](const Counters& c) {
       return static_cast<int64_t>(c.peer_datagrams_wrong_source.load());
     }},
    {"peer_datagrams_bad_checksum", Metric::Kind::kCounter,
     "datagrams for an ENet peer with a bad checksum (or compressed), dropped",
     [](const Counters& c) {
       return static_cast<int64_t>(c.peer_datagrams_bad_checksum.load());
     }},
    {"peer_datagrams_packet_too_large", Metric::Kind::kCounter,
     "datagrams for an ENet peer carrying a fragment of a packet over the "
     "largest accepted (65536 bytes), refused by ENet",
     [](const Counters& c) {
       return static_cast<int64_t>(c.peer_datagrams_packet_too_large.load());
     }},
    {"sessions_packet_too_large", Metric::Kind::kCounter,
     "sessions ended with MALFORMED for sending a packet over the largest "
     "accepted",
     [](const Counters& c) {
       return static_cast<int64_t>(c.sessions_packet_too_large.load());
     }},
    {"half_open_expired", Metric::Kind::kCounter,
     "half-open ENet connections dropped after 4 s",
     [](const Counters& c) {
       return static_cast<int64_t>(c.half_open_expired.load());
     }},
    {"half_open_replaced", Metric::Kind::kCounter,
     "half-open ENet connections replaced by a new CONNECT from the same "
     "address and port",
     [](const Counters& c) {
       return static_cast<int64_t>(c.half_open_replaced.load());
     }},
    {"peers_half_open", Metric::Kind::kGauge,
     "ENet connections admitted and not yet completed",
     [](const Counters& c) {
       return static_cast<int64_t>(c.peers_half_open.load());
     }},
    {"peerless_malformed", Metric::Kind::kCounter,
     "ENet datagrams without a peer that are not a complete CONNECT, dropped",
     [](const Counters& c) {
       return static_cast<int64_t>(c.peerless_malformed.load());
     }},
    {"enet_service_errors", Metric::Kind::kCounter,
     "ENet service errors (a datagram over 4096 bytes, socket errors)",
     [](const Counters& c) {
       return static_cast<int64_t>(c.enet_service_errors.load());
     }},
    {"peers_allocated", Metric::Kind::kCounter, "ENet connections completed",
     [](const Counters& c) {
       return static_cast<int64_t>(c.peers_allocated.load());
     }},
    {"peers_current", Metric::Kind::kGauge, "ENet connections open",
     [](const Counters& c) {
       return static_cast<int64_t>(c.peers_current.load());
     }},
    {"sessions_timed_out", Metric::Kind::kCounter,
     "sessions ended by a deadline",
     [](const Counters& c) {
       return static_cast<int64_t>(c.sessions_timed_out.load());
     }},
    {"sessions_replaced", Metric::Kind::kCounter,
     "sessions ended by a newer login of the same user",
     [](const Counters& c) {
       return static_cast<int64_t>(c.sessions_replaced.load());
     }},
    {"tcp_accepted", Metric::Kind::kCounter,
     "TCP fallback connections accepted",
     [](const Counters& c) {
       return static_cast<int64_t>(c.tcp_accepted.load());
     }},
    {"tcp_current", Metric::Kind::kGauge, "TCP fallback connections open",
     [](const Counters& c) {
       return static_cast<int64_t>(c.tcp_current.load());
     }},
    {"tcp_accept_errors", Metric::Kind::kCounter, "TCP accept errors",
     [](const Counters& c) {
       return static_cast<int64_t>(c.tcp_accept_errors.load());
     }},
    {"tcp_refused_per_ip", Metric::Kind::kCounter,
     "TCP connections refused by the per-address limit",
     [](const Counters& c) {
       return static_cast<int64_t>(c.tcp_refused_per_ip.load());
     }},
    {"tcp_refused_draining", Metric::Kind::kCounter,
     "TCP connections refused while shutting down",
     [](const Counters& c) {
       return static_cast<int64_t>(c.tcp_refused_draining.load());
     }},
    {"tcp_closed_by_peer", Metric::Kind::kCounter,
     "TCP connections closed by the client",
     [](const Counters& c) {
       return static_cast<int64_t>(c.tcp_closed_by_peer.load());
     }},
    {"tcp_closed_by_server", Metric::Kind::kCounter,
     "TCP connections closed by the server after a session end",
     [](const Counters& c) {
       return static_cast<int64_t>(c.tcp_closed_by_server.load());
     }},
    {"tcp_closed_malformed", Metric::Kind::kCounter,
     "TCP connections closed for a malformed record",
     [](const Counters& c) {
       return static_cast<int64_t>(c.tcp_closed_malformed.load());
     }},
    {"tcp_closed_oversized", Metric::Kind::kCounter,
     "TCP connections closed for an oversized record",
     [](const Counters& c) {
       return static_cast<int64_t>(c.tcp_closed_oversized.load());
     }},
    {"tcp_closed_mid_record", Metric::Kind::kCounter,
     "TCP connections that ended in the middle of a record",
     [](const Counters& c) {
       return static_cast<int64_t>(c.tcp_closed_mid_record.load());
     }},
    {"tcp_closed_slow_reader", Metric::Kind::kCounter,
     "TCP connections closed because the client did not read",
     [](const Counters& c) {
       return static_cast<int64_t>(c.tcp_closed_slow_reader.load());
     }},
    {"tcp_closed_handshake_timeout", Metric::Kind::kCounter,
     "TCP connections closed for not finishing the handshake in 5 s",
     [](const Counters& c) {
       return static_cast<int64_t>(c.tcp_closed_handshake_timeout.load());
     }},
    {"tcp_closed_errors", Metric::Kind::kCounter,
     "TCP connections closed by socket errors",
     [](const Counters& c) {
       return static_cast<int64_t>(c.tcp_closed_errors.load());
     }},
    {"tcp_close_linger_expired", Metric::Kind::kCounter,
     "TCP closes whose final data could not be flushed in time",
     [](const Counters& c) {
       return static_cast<int64_t>(c.tcp_close_linger_expired.load());
     }},
    {"frames_bad", Metric::Kind::kCounter,
     "session frames that could not be decoded",
     [](const Counters& c) {
       return static_cast<int64_t>(c.frames_bad.load());
     }},
    {"frames_bad_tag", Metric::Kind::kCounter,
     "session frames failing authentication",
     [](const Counters& c) {
       return static_cast<int64_t>(c.frames_bad_tag.load());
     }},
    {"frames_replayed", Metric::Kind::kCounter,
     "session frames replayed or out of window",
     [](const Counters& c) {
       return static_cast<int64_t>(c.frames_replayed.load());
     }},
    {"errors_answered", Metric::Kind::kCounter, "ERROR answers sent",
     [](const Counters& c) {
       return static_cast<int64_t>(c.errors_answered.load());
     }},
    {"contact_operations", Metric::Kind::kCounter,
     "contact requests, answers, removals and blocks",
     [](const Counters& c) {
       return static_cast<int64_t>(c.contact_operations.load());
     }},
    {"presence_updates_sent", Metric::Kind::kCounter, "PRESENCE_UPDATEs sent",
     [](const Counters& c) {
       return static_cast<int64_t>(c.presence_updates_sent.load());
     }},
    {"messages_live", Metric::Kind::kCounter,
     "messages delivered live (acknowledged by the online recipient)",
     [](const Counters& c) {
       return static_cast<int64_t>(c.messages_live.load());
     }},
    {"messages_stored", Metric::Kind::kCounter,
     "messages stored in a mailbox and answered STORED",
     [](const Counters& c) {
       return static_cast<int64_t>(c.messages_stored.load());
     }},
    {"messages_deduplicated", Metric::Kind::kCounter,
     "resent messages answered from their first answer",
     [](const Counters& c) {
       return static_cast<int64_t>(c.messages_deduplicated.load());
     }},
    {"messages_refused", Metric::Kind::kCounter,
     "messages refused with an error",
     [](const Counters& c) {
       return static_cast<int64_t>(c.messages_refused.load());
     }},
    {"messages_dropped_blocked", Metric::Kind::kCounter,
     "messages accepted and dropped because the recipient blocked the sender",
     [](const Counters& c) {
       return static_cast<int64_t>(c.messages_dropped_blocked.load());
     }},
    {"live_fallbacks_stored", Metric::Kind::kCounter,
     "live deliveries stored after no ITEM_ACK (3 s or session end)",
     [](const Counters& c) {
       return static_cast<int64_t>(c.live_fallbacks_stored.load());
     }},
    {"mailbox_items_sent", Metric::Kind::kCounter,
     "mailbox items sent at login",
     [](const Counters& c) {
       return static_cast<int64_t>(c.mailbox_items_sent.load());
     }},
    {"items_acknowledged", Metric::Kind::kCounter, "ITEM_ACKs received",
     [](const Counters& c) {
       return static_cast<int64_t>(c.items_acknowledged.load());
     }},
    {"receipts_sent", Metric::Kind::kCounter, "delivery receipts sent",
     [](const Counters& c) {
       return static_cast<int64_t>(c.receipts_sent.load());
     }},
    {"password_checks_throttled", Metric::Kind::kCounter,
     "password checks refused by the account budgets (SPEC 7.12)",
     [](const Counters& c) {
       return static_cast<int64_t>(c.password_checks_throttled.load());
     }},
    {"receipt_fallbacks_stored", Metric::Kind::kCounter,
     "live receipts stored after no ITEM_ACK",
     [](const Counters& c) {
       return static_cast<int64_t>(c.receipt_fallbacks_stored.load());
     }},
    {"notices_dropped", Metric::Kind::kCounter,
     "notices or receipts that could not be stored",
     [](const Counters& c) {
       return static_cast<int64_t>(c.notices_dropped.load());
     }},
    {"forward_notices_dropped", Metric::Kind::kCounter,
     "FORWARD_NOTICEs that could not be stored (the sender's mailbox full)",
     [](const Counters& c) {
       return static_cast<int64_t>(c.forward_notices_dropped.load());
     }},
    {"mailbox_expired", Metric::Kind::kCounter,
     "mailbox items expired (30 days)",
     [](const Counters& c) {
       return static_cast<int64_t>(c.mailbox_expired.load());
     }},
    {"p2p_requests", Metric::Kind::kCounter, "direct-link requests",
     [](const Counters& c) {
       return static_cast<int64_t>(c.p2p_requests.load());
     }},
    {"p2p_refused", Metric::Kind::kCounter, "direct-link requests refused",
     [](const Counters& c) {
       return static_cast<int64_t>(c.p2p_refused.load());
     }},
    {"p2p_offers", Metric::Kind::kCounter, "direct-link offers sent",
     [](const Counters& c) {
       return static_cast<int64_t>(c.p2p_offers.load());
     }},
    {"p2p_declined", Metric::Kind::kCounter, "direct-link offers declined",
     [](const Counters& c) {
       return static_cast<int64_t>(c.p2p_declined.load());
     }},
    {"p2p_ready", Metric::Kind::kCounter, "direct-link rendezvous completed",
     [](const Counters& c) {
       return static_cast<int64_t>(c.p2p_ready.load());
     }},
    {"p2p_closed", Metric::Kind::kCounter, "direct-link rendezvous closed",
     [](const Counters& c) {
       return static_cast<int64_t>(c.p2p_closed.load());
     }},
};

}  // namespace

std::vector<Metric> CounterMetrics(const Counters& counters) {
  std::vector<Metric> metrics;
  metrics.reserve(std::size(kCounterFields));
  for (const CounterField& f : kCounterFields) {
    metrics.push_back(Metric{f.name, f.kind, f.help, f.read(counters)});
  }
  return metrics;
}

std::string RenderStatsJson(const std::vector<Metric>& metrics) {
  std::string json = "{";
  for (const Metric& m : metrics) {
    if (json.size() > 1) json += ',';
    json += fmt::format("\"{}\":{}", m.name, m.value);
  }
  return json + "}";
}

std::string RenderPrometheus(const std::vector<Metric>& metrics) {
  std::string text;
  for (const Metric& m : metrics) {
    bool counter = m.kind == Metric::Kind::kCounter;
    std::string name =
        fmt::format("hail_{}{}", m.name, counter ? "_total" : "");
    text += fmt::format("# HELP {} {}\n# TYPE {} {}\n{} {}\n", name, m.help,
                        name, counter ? "counter" : "gauge", name, m.value);
  }
  return text;
}

}  // namespace hail::server
