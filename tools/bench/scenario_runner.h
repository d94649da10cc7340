// Runs one hail-bench scenario end to end on the main thread: starts (or
// attaches to) the server, drives the client pools (one thread each, 1 or
// 2), measures, checks delivery, and, with --baseline, repeats the shape
// against the bare relay. Scenarios: idle, chat, max, offline, reconnect.
#ifndef HAIL_TOOLS_BENCH_SCENARIO_RUNNER_H_
#define HAIL_TOOLS_BENCH_SCENARIO_RUNNER_H_

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "protocol/status.h"
#include "tools/bench/bench_state.h"
#include "tools/bench/child_process.h"
#include "tools/bench/client_pool.h"
#include "tools/bench/report.h"

namespace hail::bench {

struct BenchOptions {
  std::string scenario;
  uint32_t clients = 100;
  double rate = 1000;              // chat
  uint32_t inflight = 64;          // max (and offline's send window)
  double duration_s = 5;           // measurement window
  uint32_t offline_messages = 10;  // offline: messages per sender
  size_t message_size = 128;
  uint32_t group_size = 8;
  uint32_t threads = 1;
  uint32_t clients_per_address = 32;
  uint32_t login_concurrency = 256;
  double timeout_s = 0;  // per waiting phase; 0: 30 s + 10 ms per client
  std::filesystem::path state_dir;
  std::string haild;  // path: start haild ourselves
  std::vector<std::string> haild_args;
  std::string server;  // 127.0.0.1:PORT of a running haild
  pid_t server_pid = 0;
  bool baseline = false;
  std::string self_exe;  // for the relay child
  bool quiet = false;    // no progress lines
};

class ScenarioRunner {
 public:
  ScenarioRunner(BenchOptions options, BenchState* state);
  ~ScenarioRunner();

  // The report carries errors; a Status error means the run could not be
  // carried out at all (bad options, server would not start).
  Result<Report> Run();

 private:
  Status StartServer();
  Status RestartServer(double* seconds);
  Status MakePools(PoolMode mode, uint16_t port, uint64_t run);
  // Runs `phase` on every pool, each on its own thread, printing progress;
  // true when every pool's phase returned true. `on_main`, if any, runs on
  // the calling thread meanwhile (servers must be started from the main
  // thread: they get SIGTERM when the thread that forked them ends).
  bool Parallel(const std::string& label,
                const std::function<bool(ClientPool&)>& phase,
                const std::function<void()>& on_main = {});
  // Brings the selected clients online and waits until all are ready.
  bool Login(const ClientPool::Selector& which, const std::string& label);
  bool SetUpContacts();
  bool Drain(const std::string& label);
  void LeaveAll();
  void Collect(Report* report, bool hail);
  void Measure(Report* report);
  // Now + the waiting-phase timeout + `extra_s`.
  std::chrono::steady_clock::time_point Deadline(double extra_s = 0) const;

  Status Idle(Report* report);
  Status Chat(Report* report, bool closed_loop);
  Status Offline(Report* report);
  Status Reconnect(Report* report);
  Status Baseline(Report* report, bool closed_loop);

  BenchOptions options_;
  BenchState* state_;
  ChildProcess haild_;
  pid_t server_pid_ = 0;
  uint16_t port_ = 0;
  std::vector<std::unique_ptr<ClientPool>> pools_;
  std::vector<std::string> error_lines_;
  uint64_t errors_ = 0;
};

}  // namespace hail::bench

#endif  // HAIL_TOOLS_BENCH_SCENARIO_RUNNER_H_
