// XMPP load generator for hail-bench-xmpp: N c2s clients over plain TCP
// (no TLS, SASL PLAIN), driven from one or two epoll threads.
//
// Scenarios (the same shapes as hail-bench's Hail scenarios):
//   register N        create accounts <prefix>0..N-1 by in-band registration
//                     (XEP-0077); an account that already exists counts as
//                     done.
//   idle N            log in all N, stay connected for --duration.
//   chat N RATE       log in all N, then send RATE messages/s in total to
//                     random 1:1 pairs for --duration.
//   max N INFLIGHT    log in all N, then keep INFLIGHT messages in flight
//                     (closed loop) for --duration.
// Every message carries its id and send time (steady clock of this process)
// in its body; every run checks that each message reached exactly the
// addressed user exactly once.
#ifndef HAIL_TOOLS_BENCH_XMPP_LOAD_H_
#define HAIL_TOOLS_BENCH_XMPP_LOAD_H_

#include <cstdint>
#include <string>
#include <vector>

namespace hail::tools::xmpp {

enum class Scenario { kRegister, kIdle, kChat, kMax };

struct LoadOptions {
  Scenario scenario = Scenario::kIdle;
  std::string host = "127.0.0.1";  // Server c2s address (must be loopback).
  uint16_t port = 5222;
  std::string domain = "localhost";  // XMPP domain of the accounts.
  std::string user_prefix = "bench";
  std::string password = "bench-pass";
  int clients = 10;
  double rate = 0;   // chat: messages per second in total.
  int inflight = 0;  // max: messages kept in flight.
  double duration_s = 10;
  int threads = 1;    // 1 or 2 event-loop threads.
  int src_addrs = 8;  // Spread clients over 127.0.1.1..src_addrs (0: none).
  int login_concurrency = 100;  // Logins (or registrations) in progress.
  double login_timeout_s = 180;
  double drain_timeout_s = 30;  // After the window, wait for stragglers.
  int server_pid = 0;           // For /proc CPU and RSS; 0 = not measured.
  uint64_t seed = 1;
};

struct LoadResult {
  int clients = 0;
  int logged_in = 0;  // Registered, for the register scenario.
  double login_s = 0;
  uint64_t sent = 0;       // Messages sent during the window.
  uint64_t delivered = 0;  // Of those, received by the addressed user.
  uint64_t in_window = 0;  // Received before the window closed.
  double duration_s = 0;   // Measured window length.
  double msgs_per_s = 0;   // in_window / duration_s.
  double p50_ms = 0, p99_ms = 0, p999_ms = 0, max_ms = 0;
  double server_cpu_pct = -1;      // utime+stime over the window; -1 unknown.
  double login_cpu_pct = -1;       // Server CPU while logging in.
  long server_rss_kb = -1;         // VmRSS at the end of the window.
  long server_rss_before_kb = -1;  // VmRSS before the first connection.
  double rss_per_client_kb = 0;    // (rss - rss_before) / clients; can be < 0.
  double bench_cpu_pct = 0;        // This process over the window.
  double load1 = -1;  // 1-minute load average as the window opened.
  uint64_t errors = 0;
  std::vector<std::string> error_notes;  // First few errors, for humans.
};

// Runs one scenario to completion (bounded by login_timeout_s + duration_s +
// drain_timeout_s) and returns its figures. Never throws for server
// misbehaviour: that is counted in errors.
LoadResult RunLoad(const LoadOptions& options);

}  // namespace hail::tools::xmpp

#endif  // HAIL_TOOLS_BENCH_XMPP_LOAD_H_
