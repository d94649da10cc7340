// hail-bench-xmpp: the XMPP counterpart of hail-bench's load scenarios, run
// against ejabberd or Prosody on loopback (see README.md beside this file;
// run.sh starts the servers). Exits 0 only if every client logged in and
// every message reached exactly the addressed user exactly once.
#include <fmt/format.h>

#include <boost/program_options.hpp>
#include <cmath>
#include <iostream>
#include <string>
#include <vector>

#include "tools/bench/xmpp/load.h"

namespace po = boost::program_options;
using hail::tools::xmpp::LoadOptions;
using hail::tools::xmpp::LoadResult;
using hail::tools::xmpp::Scenario;

namespace {

constexpr const char* kTransportNote =
    "plain TCP, SASL PLAIN without TLS (Hail encrypts every connection)";

std::string Num(double v) {
  if (v < 0 || !std::isfinite(v)) return "null";
  return fmt::format("{:.3f}", v);
}

std::string Json(const std::string& server, const std::string& scenario,
                 const LoadOptions& o, const LoadResult& r) {
  std::string notes = "[";
  for (size_t i = 0; i < r.error_notes.size(); ++i) {
    std::string escaped;
    for (char ch : r.error_notes[i]) {
      if (ch == '"' || ch == '\\') escaped += '\\';
      if (static_cast<unsigned char>(ch) >= 0x20) escaped += ch;
    }
    notes += (i ? ",\"" : "\"") + escaped + "\"";
  }
  notes += "]";
  return fmt::format(
      "{{\"server\":\"{}\",\"scenario\":\"{}\",\"clients\":{},\"rate\":{},"
      "\"inflight\":{},\"sent\":{},\"delivered\":{},\"duration_s\":{},"
      "\"msgs_per_s\":{},\"p50_ms\":{},\"p99_ms\":{},\"p999_ms\":{},"
      "\"server_cpu_pct\":{},\"server_rss_kb\":{},\"rss_per_client_kb\":{},"
      "\"login_s\":{},\"errors\":{},\"max_ms\":{},\"login_cpu_pct\":{},"
      "\"bench_cpu_pct\":{},\"load1\":{},\"threads\":{},\"transport\":\"{}\","
      "\"error_notes\":{}}}",
      server, scenario, o.clients, Num(o.rate), o.inflight, r.sent, r.delivered,
      Num(r.duration_s), Num(r.msgs_per_s), Num(r.p50_ms), Num(r.p99_ms),
      Num(r.p999_ms), Num(r.server_cpu_pct),
      r.server_rss_kb < 0 ? "null" : std::to_string(r.server_rss_kb),
      (r.server_rss_before_kb < 0 ? std::string("null")
                                  : fmt::format("{:.3f}", r.rss_per_client_kb)),
      Num(r.login_s), r.errors, Num(r.max_ms), Num(r.login_cpu_pct),
      Num(r.bench_cpu_pct), Num(r.load1), o.threads,
      "tcp-plain-sasl-plain-no-tls", notes);
}

void PrintText(const std::string& server, const std::string& scenario,
               const LoadOptions& o, const LoadResult& r) {
  std::string what = fmt::format("{} {} {}", server, scenario, o.clients);
  if (o.scenario == Scenario::kChat) what += fmt::format(" {:g}", o.rate);
  if (o.scenario == Scenario::kMax) what += fmt::format(" {}", o.inflight);
  fmt::print("{}  [{}]\n", what, kTransportNote);
  fmt::print("  login: {}/{} clients in {:.2f} s (server CPU {}%)\n",
             r.logged_in, r.clients, r.login_s, Num(r.login_cpu_pct));
  if (o.scenario == Scenario::kChat || o.scenario == Scenario::kMax) {
    fmt::print(
        "  messages: sent {} delivered {}; {:.0f} msg/s delivered in a "
        "{:.2f} s window\n",
        r.sent, r.delivered, r.msgs_per_s, r.duration_s);
    fmt::print(
        "  latency send->recipient: p50 {:.3f} ms  p99 {:.3f} ms  p99.9 "
        "{:.3f} ms  max {:.3f} ms\n",
        r.p50_ms, r.p99_ms, r.p999_ms, r.max_ms);
  }
  if (o.scenario != Scenario::kRegister) {
    fmt::print(
        "  server: CPU {}% over the window, RSS {} kB ({} kB/client over "
        "{} kB before login); bench CPU {}%; load average {}\n",
        Num(r.server_cpu_pct), r.server_rss_kb,
        (r.server_rss_before_kb < 0
             ? std::string("null")
             : fmt::format("{:.3f}", r.rss_per_client_kb)),
        r.server_rss_before_kb, Num(r.bench_cpu_pct), Num(r.load1));
  }
  fmt::print("  errors: {}\n", r.errors);
  for (const std::string& note : r.error_notes) fmt::print("    {}\n", note);
}

}  // namespace

int main(int argc, char** argv) {
  LoadOptions o;
  std::string server = "xmpp";
  std::vector<std::string> args;
  po::options_description desc(
      "Usage: hail-bench-xmpp [options] register|idle|chat|max N "
      "[RATE|INFLIGHT]"
      "\nOptions");
  desc.add_options()("help", "this text")(
      "server", po::value(&server)->default_value(server),
      "name reported in the output (ejabberd|prosody)")(
      "host", po::value(&o.host)->default_value(o.host), "c2s address")(
      "port", po::value(&o.port)->default_value(o.port), "c2s port")(
      "domain", po::value(&o.domain)->default_value(o.domain), "XMPP domain")(
      "prefix", po::value(&o.user_prefix)->default_value(o.user_prefix),
      "accounts are <prefix>0 .. <prefix>N-1")(
      "password", po::value(&o.password)->default_value(o.password),
      "password of every account")(
      "duration", po::value(&o.duration_s)->default_value(o.duration_s),
      "measurement window, seconds")(
      "threads", po::value(&o.threads)->default_value(o.threads),
      "event-loop threads, 1 or 2")(
      "src-addrs", po::value(&o.src_addrs)->default_value(o.src_addrs),
      "spread clients over source addresses 127.0.1.1..N (0: kernel's)")(
      "login-concurrency",
      po::value(&o.login_concurrency)->default_value(o.login_concurrency),
      "logins in progress at once")(
      "login-timeout",
      po::value(&o.login_timeout_s)->default_value(o.login_timeout_s),
      "seconds")(
      "drain-timeout",
      po::value(&o.drain_timeout_s)->default_value(o.drain_timeout_s),
      "seconds to wait for in-flight messages after the window")(
      "server-pid", po::value(&o.server_pid)->default_value(0),
      "server process for /proc CPU and RSS (ejabberd: beam.smp)")(
      "seed", po::value(&o.seed)->default_value(o.seed), "random seed")(
      "json", "print one JSON object instead of text")(
      "args", po::value(&args), "scenario and its numbers");
  po::positional_options_description pos;
  pos.add("args", -1);
  po::variables_map vm;
  try {
    po::store(
        po::command_line_parser(argc, argv).options(desc).positional(pos).run(),
        vm);
    po::notify(vm);
  } catch (const std::exception& e) {
    std::cerr << e.what() << "\n" << desc;
    return 2;
  }
  if (vm.count("help") || args.size() < 2) {
    std::cerr << desc;
    return vm.count("help") ? 0 : 2;
  }
  const std::string scenario = args[0];
  try {
    o.clients = std::stoi(args[1]);
    if (scenario == "register" && args.size() == 2) {
      o.scenario = Scenario::kRegister;
    } else if (scenario == "idle" && args.size() == 2) {
      o.scenario = Scenario::kIdle;
    } else if (scenario == "chat" && args.size() == 3) {
      o.scenario = Scenario::kChat;
      o.rate = std::stod(args[2]);
    } else if (scenario == "max" && args.size() == 3) {
      o.scenario = Scenario::kMax;
      o.inflight = std::stoi(args[2]);
    } else {
      std::cerr << desc;
      return 2;
    }
  } catch (const std::exception&) {
    std::cerr << desc;
    return 2;
  }
  if (o.clients < 1 || o.threads < 1 || o.threads > 2 ||
      (o.scenario != Scenario::kRegister && o.scenario != Scenario::kIdle &&
       o.clients < 2)) {
    std::cerr << "need N >= 2 (1 for idle/register) and --threads 1 or 2\n";
    return 2;
  }
  if (o.host.rfind("127.", 0) != 0) {
    std::cerr << "refusing a non-loopback host: this is a local benchmark\n";
    return 2;
  }

  LoadResult r = hail::tools::xmpp::RunLoad(o);
  if (vm.count("json")) {
    fmt::print("{}\n", Json(server, scenario, o, r));
  } else {
    PrintText(server, scenario, o, r);
  }
  return r.errors == 0 ? 0 : 1;
}
