// One scenario's measured results and how hail-bench prints them: human
// text (stdout) or one JSON object per line (--json). Plain data; the
// producer fills it on the main thread.
#ifndef HAIL_TOOLS_BENCH_REPORT_H_
#define HAIL_TOOLS_BENCH_REPORT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace hail::bench {

struct Report {
  std::string scenario;
  uint32_t clients = 0;
  double rate = 0;        // chat: the paced total rate asked for
  uint32_t inflight = 0;  // max: messages kept in flight
  uint64_t sent = 0;
  uint64_t delivered = 0;
  uint64_t accepted_live = 0;
  uint64_t accepted_stored = 0;
  double duration_s = 0;  // the measurement window
  double msgs_per_s = 0;  // delivered per second in the window
  double p50_ms = 0, p99_ms = 0, p999_ms = 0;  // send -> MESSAGE_DELIVER
  double server_cpu_pct = 0;                   // of one core, in the window
  long server_rss_kb = 0;
  std::optional<double> rss_per_client_kb;  // idle
  std::optional<double> login_s;            // time to log in all
  std::optional<double> stored_per_s;       // offline: acked STORED writes/s
  std::optional<double> drain_s;            // offline: login + mailbox drain
  std::optional<double> restart_s;          // reconnect: haild stop + start
  std::optional<double> reconnect_s;        // reconnect: ready -> all back
  uint64_t resumed = 0;
  uint64_t password_logins = 0;
  uint64_t registrations = 0;
  uint64_t connect_retries = 0;  // CONNECTs unanswered for 2 s, retried
  uint64_t service_errors = 0;   // enet_host_service < 0 (oversized datagram)
  std::optional<double> baseline_msgs_per_s;
  std::optional<double> baseline_p50_ms, baseline_p99_ms;
  std::optional<double> baseline_cpu_pct;
  std::optional<double> ratio_to_baseline;  // msgs_per_s / baseline's
  uint64_t errors = 0;
  std::vector<std::string> error_lines;  // the first few
};

std::string ReportText(const Report& report);
std::string ReportJson(const Report& report);

}  // namespace hail::bench

#endif  // HAIL_TOOLS_BENCH_REPORT_H_
