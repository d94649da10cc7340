#include "tools/bench/report.h"

#include <fmt/format.h>

namespace hail::bench {
namespace {

std::string JsonString(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out += fmt::format("\\u{:04x}", static_cast<int>(c));
    } else {
      out += c;
    }
  }
  return out + "\"";
}

void Field(std::string& out, const char* key, double value) {
  out += fmt::format(",\"{}\":{:.3f}", key, value);
}

void Field(std::string& out, const char* key, uint64_t value) {
  out += fmt::format(",\"{}\":{}", key, value);
}

void Field(std::string& out, const char* key,
           const std::optional<double>& value) {
  if (value) Field(out, key, *value);
}

}  // namespace

std::string ReportText(const Report& r) {
  std::string out = fmt::format("{} clients={}", r.scenario, r.clients);
  if (r.rate > 0) out += fmt::format(" rate={:.0f}/s", r.rate);
  if (r.inflight > 0) out += fmt::format(" inflight={}", r.inflight);
  out += "\n";
  if (r.login_s) out += fmt::format("  login all: {:.2f} s\n", *r.login_s);
  if (r.sent > 0 || r.delivered > 0) {
    out += fmt::format(
        "  sent {} delivered {} (accepted live {} stored {}) in {:.2f} s: "
        "{:.0f} msg/s\n",
        r.sent, r.delivered, r.accepted_live, r.accepted_stored, r.duration_s,
        r.msgs_per_s);
    out += fmt::format(
        "  send -> deliver: p50 {:.3f} ms  p99 {:.3f} ms  p99.9 {:.3f} ms\n",
        r.p50_ms, r.p99_ms, r.p999_ms);
  }
  if (r.stored_per_s) {
    out += fmt::format("  acked STORED writes: {:.0f}/s\n", *r.stored_per_s);
  }
  if (r.drain_s) {
    out += fmt::format("  login + mailbox drain: {:.2f} s\n", *r.drain_s);
  }
  if (r.restart_s) {
    out += fmt::format("  haild restart: {:.2f} s\n", *r.restart_s);
  }
  if (r.reconnect_s) {
    out +=
        fmt::format("  all back through resumption: {:.2f} s after restart\n",
                    *r.reconnect_s);
  }
  out += fmt::format("  server CPU {:.1f}% of a core, RSS {} kB",
                     r.server_cpu_pct, r.server_rss_kb);
  if (r.rss_per_client_kb) {
    out += fmt::format(" ({:.1f} kB per client)", *r.rss_per_client_kb);
  }
  out += "\n";
  out += fmt::format(
      "  logins: {} resumed, {} with password, {} registered; {} CONNECTs "
      "retried\n",
      r.resumed, r.password_logins, r.registrations, r.connect_retries);
  if (r.baseline_msgs_per_s) {
    out += fmt::format(
        "  baseline (bare ENet relay): {:.0f} msg/s, p50 {:.3f} ms, p99 "
        "{:.3f} ms, relay CPU {:.1f}%; Hail/baseline = {:.3f}\n",
        *r.baseline_msgs_per_s, r.baseline_p50_ms.value_or(0),
        r.baseline_p99_ms.value_or(0), r.baseline_cpu_pct.value_or(0),
        r.ratio_to_baseline.value_or(0));
  }
  if (r.service_errors > 0) {
    out += fmt::format("  ENet service errors (oversized datagrams): {}\n",
                       r.service_errors);
  }
  out += fmt::format("  errors: {}\n", r.errors);
  for (const std::string& line : r.error_lines) out += "    " + line + "\n";
  return out;
}

std::string ReportJson(const Report& r) {
  std::string out = "{\"scenario\":" + JsonString(r.scenario);
  Field(out, "clients", uint64_t{r.clients});
  Field(out, "rate", r.rate);
  Field(out, "inflight", uint64_t{r.inflight});
  Field(out, "sent", r.sent);
  Field(out, "delivered", r.delivered);
  Field(out, "accepted_live", r.accepted_live);
  Field(out, "accepted_stored", r.accepted_stored);
  Field(out, "duration_s", r.duration_s);
  Field(out, "msgs_per_s", r.msgs_per_s);
  Field(out, "p50_ms", r.p50_ms);
  Field(out, "p99_ms", r.p99_ms);
  Field(out, "p999_ms", r.p999_ms);
  Field(out, "server_cpu_pct", r.server_cpu_pct);
  Field(out, "server_rss_kb", static_cast<uint64_t>(r.server_rss_kb));
  Field(out, "rss_per_client_kb", r.rss_per_client_kb);
  Field(out, "login_s", r.login_s);
  Field(out, "stored_per_s", r.stored_per_s);
  Field(out, "drain_s", r.drain_s);
  Field(out, "restart_s", r.restart_s);
  Field(out, "reconnect_s", r.reconnect_s);
  Field(out, "resumed", r.resumed);
  Field(out, "password_logins", r.password_logins);
  Field(out, "registrations", r.registrations);
  Field(out, "connect_retries", r.connect_retries);
  Field(out, "service_errors", r.service_errors);
  Field(out, "baseline_msgs_per_s", r.baseline_msgs_per_s);
  Field(out, "baseline_p50_ms", r.baseline_p50_ms);
  Field(out, "baseline_p99_ms", r.baseline_p99_ms);
  Field(out, "baseline_cpu_pct", r.baseline_cpu_pct);
  Field(out, "ratio_to_baseline", r.ratio_to_baseline);
  Field(out, "errors", r.errors);
  out += ",\"error_lines\":[";
  for (size_t i = 0; i < r.error_lines.size(); ++i) {
    if (i > 0) out += ",";
    out += JsonString(r.error_lines[i]);
  }
  return out + "]}";
}

}  // namespace hail::bench
