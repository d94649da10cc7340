// hail-bench: a load generator for Hail, and micro benchmarks.
//
//   hail-bench idle N          log in N clients, stay connected
//   hail-bench chat N RATE     paced total RATE msg/s between random pairs
//   hail-bench max N INFLIGHT  closed loop with INFLIGHT messages in flight
//   hail-bench offline N       STORED writes to offline users, then drain
//   hail-bench reconnect N     restart haild; all N back through RESUME
//   hail-bench micro           codec, AEAD and Argon2id micro benchmarks
//   hail-bench relay           the bare ENet relay (--baseline runs it)
//
// Every figure is real work measured in this run; nothing is estimated.
// Exits 1 when a run saw any correctness violation (lost, duplicated or
// misdelivered message, client not back), 2 on bad usage.
#include <enet/enet.h>
#include <sodium.h>
#include <unistd.h>

#include <boost/program_options.hpp>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "tools/bench/bench_state.h"
#include "tools/bench/micro_bench.h"
#include "tools/bench/relay_server.h"
#include "tools/bench/report.h"
#include "tools/bench/scenario_runner.h"

namespace {

namespace po = boost::program_options;

std::string SelfExe() {
  char path[4096];
  ssize_t n = readlink("/proc/self/exe", path, sizeof path - 1);
  if (n <= 0) return {};
  return std::string(path, static_cast<size_t>(n));
}

}  // namespace

int main(int argc, char** argv) {
  hail::bench::BenchOptions o;
  int iterations = 200000;
  int hashes = 10;
  int relay_port = 0;
  uint32_t relay_ports = 1;
  uint32_t relay_peers = hail::bench::kRelayPeersPerPort + 64;
  std::string command;
  std::vector<std::string> positional;
  bool json = false;
  std::string state_dir = "hail-bench-state";
  po::options_description options("hail-bench options");
  // clang-format off
  options.add_options()
      ("help,h", "show this help")
      ("haild", po::value(&o.haild),
       "start this haild on 127.0.0.1 (data in STATE/haild-data) and stop it "
       "afterwards")
      ("haild-arg", po::value(&o.haild_args)->composing(),
       "extra haild flag, repeatable (e.g. --haild-arg=--loop-threads=2)")
      ("server", po::value(&o.server),
       "attach to a running haild at 127.x.y.z:PORT instead")
      ("server-pid", po::value(&o.server_pid),
       "its pid, for CPU and RSS from /proc")
      ("state", po::value(&state_dir)->default_value(state_dir),
       "directory keeping bench accounts and tokens across runs")
      ("duration", po::value(&o.duration_s)->default_value(o.duration_s),
       "measurement window, seconds")
      ("size", po::value(&o.message_size)->default_value(o.message_size),
       "message text bytes")
      ("group", po::value(&o.group_size)->default_value(o.group_size),
       "users per contact group (2..64)")
      ("messages", po::value(&o.offline_messages)->default_value(o.offline_messages),
       "offline: messages each sender sends")
      ("inflight", po::value(&o.inflight)->default_value(o.inflight),
       "offline: STORED answers awaited at once")
      ("threads", po::value(&o.threads)->default_value(o.threads),
       "generator threads (1 or 2)")
      ("per-address", po::value(&o.clients_per_address)
           ->default_value(o.clients_per_address),
       "clients per 127.x.y.z source address")
      ("login-concurrency", po::value(&o.login_concurrency)
           ->default_value(o.login_concurrency),
       "clients connecting or logging in at once")
      ("timeout", po::value(&o.timeout_s),
       "seconds a waiting phase may take (default 30 + 0.01 per client)")
      ("baseline", po::bool_switch(&o.baseline),
       "also run chat/max against a bare ENet relay and report the ratio")
      ("json", po::bool_switch(&json), "one JSON object per scenario")
      ("quiet", po::bool_switch(&o.quiet), "no progress lines")
      ("iterations", po::value(&iterations)->default_value(iterations),
       "micro: codec and AEAD iterations")
      ("hashes", po::value(&hashes)->default_value(hashes),
       "micro: Argon2id hashes to time")
      ("port", po::value(&relay_port), "relay: first port (default: any)")
      ("ports", po::value(&relay_ports)->default_value(relay_ports),
       "relay: ENet hosts on consecutive ports")
      ("peers", po::value(&relay_peers)->default_value(relay_peers),
       "relay: peer slots per host (at most 4095)");
  po::options_description hidden;
  hidden.add_options()
      ("command", po::value(&command))
      ("args", po::value(&positional)->composing());
  // clang-format on
  po::options_description all;
  all.add(options).add(hidden);
  po::positional_options_description pos;
  pos.add("command", 1).add("args", -1);
  po::variables_map vm;
  auto usage = [&](std::ostream& out) {
    out << "usage: hail-bench idle N | chat N RATE | max N INFLIGHT | "
           "offline N | reconnect N | micro | relay  [options]\n\n"
        << options;
  };
  try {
    po::store(
        po::command_line_parser(argc, argv).options(all).positional(pos).run(),
        vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "hail-bench: " << e.what() << "\n";
    usage(std::cerr);
    return 2;
  }
  if (vm.count("help") || command.empty()) {
    usage(vm.count("help") ? std::cout : std::cerr);
    return vm.count("help") ? 0 : 2;
  }
  if (sodium_init() < 0) return 1;
  if (command == "micro") {
    hail::bench::RunMicroBenchmarks(iterations, hashes);
    return 0;
  }
  if (command == "relay") {
    return hail::bench::RunRelay(static_cast<uint16_t>(relay_port), relay_ports,
                                 relay_peers);
  }
  size_t want_args = (command == "chat" || command == "max") ? 2 : 1;
  if (positional.size() != want_args) {
    std::cerr << "hail-bench: " << command << " wants " << want_args
              << " number(s)\n";
    usage(std::cerr);
    return 2;
  }
  try {
    o.clients = static_cast<uint32_t>(std::stoul(positional[0]));
    if (command == "chat") o.rate = std::stod(positional[1]);
    if (command == "max") {
      o.inflight = static_cast<uint32_t>(std::stoul(positional[1]));
    }
  } catch (const std::exception&) {
    std::cerr << "hail-bench: bad number\n";
    return 2;
  }
  if (o.clients < 2 || o.clients > 50000 || o.group_size < 2 ||
      o.group_size > 64 || o.threads < 1 || o.threads > 2 ||
      o.clients_per_address < 1 || o.clients_per_address > 4000 ||
      o.duration_s <= 0 || o.message_size > 4096 ||
      (command == "chat" && o.rate <= 0) || o.inflight < 1) {
    std::cerr << "hail-bench: out of range (clients 2..50000, group 2..64, "
                 "threads 1..2, per-address 1..4000, size <= 4096)\n";
    return 2;
  }
  if (o.haild.empty() == o.server.empty()) {
    std::cerr << "hail-bench: give exactly one of --haild PATH and --server "
                 "127.0.0.1:PORT\n";
    return 2;
  }
  o.scenario = command;
  o.state_dir = state_dir;
  o.self_exe = SelfExe();
  if (enet_initialize() != 0) return 1;
  hail::Result<hail::bench::BenchState> state =
      hail::bench::BenchState::Load(o.state_dir);
  if (!state.ok()) {
    std::cerr << "hail-bench: " << state.status().message() << "\n";
    return 2;
  }
  hail::bench::ScenarioRunner runner(o, &*state);
  hail::Result<hail::bench::Report> report = runner.Run();
  if (!report.ok()) {
    std::cerr << "hail-bench: " << report.status().message() << "\n";
    return report.status().code() == hail::Status::Code::kInvalidArgument ? 2
                                                                          : 1;
  }
  std::cout << (json ? hail::bench::ReportJson(*report) + "\n"
                     : hail::bench::ReportText(*report));
  std::cout.flush();
  if (report->errors > 0) {
    std::cerr << "hail-bench: " << report->errors
              << " correctness violation(s); see errors above\n";
    return 1;
  }
  return 0;
}
