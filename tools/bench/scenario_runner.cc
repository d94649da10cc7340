#include "tools/bench/scenario_runner.h"

#include <fmt/format.h>
#include <sodium.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <thread>

#include "tools/bench/pacer.h"
#include "tools/bench/proc_stats.h"
#include "tools/latency_stats.h"

namespace hail::bench {
namespace {

using Clock = std::chrono::steady_clock;

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

uint64_t RandomU64() {
  uint64_t value;
  randombytes_buf(&value, sizeof value);
  return value;
}

const ClientPool::Selector kEveryone = [](uint32_t) { return true; };

}  // namespace

ScenarioRunner::ScenarioRunner(BenchOptions options, BenchState* state)
    : options_(std::move(options)), state_(state) {}

ScenarioRunner::~ScenarioRunner() {
  pools_.clear();
  if (haild_.pid() > 0) haild_.Stop();
}

Clock::time_point ScenarioRunner::Deadline(double extra_s) const {
  double seconds = options_.timeout_s > 0
                       ? options_.timeout_s
                       : 30.0 + 0.01 * static_cast<double>(options_.clients);
  seconds += extra_s;
  return Clock::now() +
         std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000));
}

Status ScenarioRunner::StartServer() {
  if (options_.haild.empty()) {
    size_t colon = options_.server.rfind(':');
    if (colon == std::string::npos ||
        options_.server.substr(0, colon).rfind("127.", 0) != 0) {
      return Status::InvalidArgument(
          "--server wants 127.x.y.z:PORT (the bench stays on loopback)");
    }
    port_ = static_cast<uint16_t>(std::stoi(options_.server.substr(colon + 1)));
    server_pid_ = options_.server_pid;
    return WaitForHello(port_, nullptr, 5000);
  }
  if (port_ == 0) port_ = PickFreeUdpPort();
  std::vector<std::string> argv = {
      options_.haild, "--data-dir",
      (options_.state_dir / "haild-data").string(), "--listen",
      fmt::format("127.0.0.1:{}", port_), "--tcp-port", "0", "--stun-alt-port",
      "0",
      // A test rig: many clients per source address and many logins, room
      // for every client, and accounts made with the cheapest Argon2id
      // (made once, reused by later runs).
      "--max-peers-per-ip", "4095", "--max-half-open-per-ip", "4095",
      "--auth-burst-per-ip", "1000000", "--auth-rate-per-ip", "1000000",
      "--max-clients",
      std::to_string(std::max<uint32_t>(options_.clients + 64, 1024)),
      "--argon2-test-rig", "--argon2-opslimit", "1", "--argon2-memlimit",
      "8192"};
  argv.insert(argv.end(), options_.haild_args.begin(),
              options_.haild_args.end());
  if (Status s = haild_.Start(argv, options_.state_dir / "haild.log"); !s.ok())
    return s;
  server_pid_ = haild_.pid();
  Status ready = WaitForHello(port_, &haild_, 30000);
  if (!ready.ok()) {
    return Status::IoError(
        fmt::format("{} (see {})", ready.message(),
                    (options_.state_dir / "haild.log").string()));
  }
  return Status::Ok();
}

Status ScenarioRunner::RestartServer(double* seconds) {
  Clock::time_point start = Clock::now();
  if (haild_.Stop() != 0) {
    errors_++;
    error_lines_.push_back("haild did not exit cleanly on SIGTERM");
  }
  Status s = StartServer();
  *seconds = SecondsSince(start);
  return s;
}

Status ScenarioRunner::MakePools(PoolMode mode, uint16_t port, uint64_t run) {
  pools_.clear();
  uint32_t n = options_.clients;
  uint32_t g = options_.group_size;
  uint32_t groups = (n + g - 1) / g;
  uint32_t threads = std::min<uint32_t>(options_.threads, groups);
  state_->EnsureAccounts(n);
  for (uint32_t t = 0; t < threads; ++t) {
    PoolOptions o;
    o.mode = mode;
    o.begin = groups * t / threads * g;
    o.end = std::min(n, groups * (t + 1) / threads * g);
    o.clients = n;
    o.group_size = g;
    o.clients_per_address = options_.clients_per_address;
    o.server_host = 0x7f000001;
    o.server_port = port;
    o.message_size = options_.message_size;
    o.run = run;
    o.seed = RandomU64();
    o.login_concurrency =
        std::max<uint32_t>(1, options_.login_concurrency / threads);
    auto pool = std::make_unique<ClientPool>(o, state_, state_->accounts(),
                                             state_->identity());
    if (Status s = pool->Open(); !s.ok()) return s;
    pools_.push_back(std::move(pool));
  }
  return Status::Ok();
}

bool ScenarioRunner::Parallel(const std::string& label,
                              const std::function<bool(ClientPool&)>& phase,
                              const std::function<void()>& on_main) {
  std::atomic<size_t> finished{0};
  std::vector<char> results(pools_.size(), 0);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < pools_.size(); ++i) {
    threads.emplace_back([&, i] {
      results[i] = phase(*pools_[i]) ? 1 : 0;
      finished.fetch_add(1);
    });
  }
  Clock::time_point start = Clock::now();
  if (on_main) on_main();
  double next_report = 2.0;
  while (finished.load() < pools_.size()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    double elapsed = SecondsSince(start);
    if (elapsed < next_report || options_.quiet) continue;
    next_report += 1.0;
    uint64_t ready = 0, sent = 0, delivered = 0, stored = 0;
    for (auto& pool : pools_) {
      PoolProgress& p = pool->progress();
      ready += p.ready.load(std::memory_order_relaxed);
      sent += p.sent.load(std::memory_order_relaxed);
      delivered += p.delivered.load(std::memory_order_relaxed);
      stored += p.accepted_stored.load(std::memory_order_relaxed);
    }
    std::fprintf(stderr,
                 "hail-bench: [%s] %.0f s: %llu/%u online, sent %llu, "
                 "delivered %llu, stored %llu\n",
                 label.c_str(), elapsed, static_cast<unsigned long long>(ready),
                 options_.clients, static_cast<unsigned long long>(sent),
                 static_cast<unsigned long long>(delivered),
                 static_cast<unsigned long long>(stored));
  }
  for (std::thread& t : threads) t.join();
  bool ok = true;
  for (char r : results) ok = ok && r;
  if (!ok) {
    ++errors_;
    error_lines_.push_back("phase '" + label + "' did not finish in time");
  }
  return ok;
}

bool ScenarioRunner::Login(const ClientPool::Selector& which,
                           const std::string& label) {
  // Argon2id runs (~0.1 s each on a busy machine, on few hash threads) on
  // top of the usual deadline: two to create an account, one for a password
  // login when there is no resumption token.
  uint64_t hashes = 0;
  for (uint32_t i = 0; i < options_.clients; ++i) {
    const Account& a = state_->accounts()[i];
    if (which(i)) hashes += !a.registered ? 2 : (a.token ? 0 : 1);
  }
  Clock::time_point deadline = Deadline(0.2 * static_cast<double>(hashes));
  return Parallel(label, [&](ClientPool& pool) {
    pool.SetWanted(which, true);
    uint32_t want = pool.Count(which);
    return pool.RunUntil([&] { return pool.ReadyCount(which) == want; },
                         deadline);
  });
}

bool ScenarioRunner::SetUpContacts() {
  Clock::time_point deadline = Deadline();
  return Parallel("contacts", [&](ClientPool& pool) {
    pool.AskContacts();
    uint32_t want = pool.Count(kEveryone);
    return pool.RunUntil(
        [&] { return pool.ContactsCompleteCount(kEveryone) == want; },
        deadline);
  });
}

bool ScenarioRunner::Drain(const std::string& label) {
  Clock::time_point deadline = Deadline();
  return Parallel(label, [&](ClientPool& pool) {
    bool relay = pool.options().mode == PoolMode::kRelay;
    return pool.RunUntil(
        [&] {
          PoolProgress& p = pool.progress();
          uint64_t answered =
              p.accepted_live + p.accepted_stored + p.accept_errors;
          return pool.ledger().outstanding() == 0 &&
                 (relay || answered >= pool.ledger().sent());
        },
        deadline);
  });
}

void ScenarioRunner::LeaveAll() {
  Clock::time_point deadline = Clock::now() + std::chrono::seconds(5);
  Parallel("leave", [&](ClientPool& pool) {
    pool.SetWanted(kEveryone, false);
    pool.RunUntil([&] { return pool.ConnectedCount() == 0; }, deadline);
    return true;  // a slow goodbye is not a bench error
  });
  for (auto& pool : pools_) {
    if (pool->options().mode != PoolMode::kHail) continue;
    for (uint32_t i = pool->options().begin; i < pool->options().end; ++i) {
      state_->accounts()[i] = pool->accounts()[i];
    }
    if (pool->identity()) state_->identity() = pool->identity();
  }
  if (Status s = state_->Save(); !s.ok()) {
    ++errors_;
    error_lines_.push_back(std::string(s.message()));
  }
}

void ScenarioRunner::Collect(Report* report, bool hail) {
  std::vector<double> latencies;
  uint64_t sent = 0, delivered = 0;
  for (auto& pool : pools_) {
    DeliveryLedger& ledger = pool->ledger();
    sent += ledger.sent();
    delivered += ledger.delivered();
    latencies.insert(latencies.end(), ledger.latencies_ms().begin(),
                     ledger.latencies_ms().end());
    uint64_t bad = ledger.violations() + ledger.outstanding();
    errors_ += bad + pool->error_count();
    for (const std::string& line : ledger.Describe(true, 10)) {
      error_lines_.push_back(line);
    }
    for (const std::string& line : pool->errors()) error_lines_.push_back(line);
    if (hail) {
      PoolProgress& p = pool->progress();
      report->accepted_live += p.accepted_live;
      report->accepted_stored += p.accepted_stored;
      report->resumed += p.resumes;
      report->password_logins += p.password_logins;
      report->registrations += p.registrations;
      report->connect_retries += p.connect_retries;
      report->service_errors += p.service_errors;
    }
  }
  tools::LatencySummary summary = tools::Summarize(std::move(latencies));
  if (hail) {
    report->sent = sent;
    report->delivered = delivered;
    report->p50_ms = summary.p50;
    report->p99_ms = summary.p99;
    report->p999_ms = summary.p999;
  } else {
    report->baseline_p50_ms = summary.p50;
    report->baseline_p99_ms = summary.p99;
  }
}

Result<Report> ScenarioRunner::Run() {
  Report report;
  report.scenario = options_.scenario;
  report.clients = options_.clients;
  if (Status s = StartServer(); !s.ok()) return s;
  Status status = Status::Ok();
  const std::string& sc = options_.scenario;
  if (sc == "idle") {
    status = Idle(&report);
  } else if (sc == "chat" || sc == "max") {
    status = Chat(&report, sc == "max");
  } else if (sc == "offline") {
    status = Offline(&report);
  } else if (sc == "reconnect") {
    status = Reconnect(&report);
  } else {
    return Status::InvalidArgument("unknown scenario " + sc);
  }
  if (!status.ok()) return status;
  LeaveAll();
  Collect(&report, true);
  pools_.clear();
  if (haild_.pid() > 0 && haild_.Stop() != 0) {
    ++errors_;
    error_lines_.push_back("haild did not exit cleanly on SIGTERM");
  }
  if (options_.baseline && (sc == "chat" || sc == "max")) {
    if (Status s = Baseline(&report, sc == "max"); !s.ok()) return s;
  }
  report.errors = errors_;
  if (error_lines_.size() > 20) error_lines_.resize(20);
  report.error_lines = error_lines_;
  return report;
}

Status ScenarioRunner::Idle(Report* report) {
  if (Status s = MakePools(PoolMode::kHail, port_, RandomU64()); !s.ok())
    return s;
  std::optional<ProcSample> before = SampleProcess(server_pid_);
  Clock::time_point start = Clock::now();
  if (!Login(kEveryone, "login")) return Status::Ok();
  report->login_s = SecondsSince(start);
  std::optional<ProcSample> from = SampleProcess(server_pid_);
  Clock::time_point end =
      Clock::now() + std::chrono::milliseconds(
                         static_cast<int64_t>(options_.duration_s * 1000));
  Parallel("idle", [&](ClientPool& pool) {
    pool.RunUntil([] { return false; }, end);
    return true;
  });
  std::optional<ProcSample> to = SampleProcess(server_pid_);
  report->duration_s = options_.duration_s;
  uint32_t online = 0;
  for (auto& pool : pools_) online += pool->ReadyCount(kEveryone);
  if (online != options_.clients) {
    ++errors_;
    error_lines_.push_back(fmt::format("{} of {} clients stayed online", online,
                                       options_.clients));
  }
  if (from && to) {
    report->server_cpu_pct = CpuPercent(*from, *to);
    report->server_rss_kb = to->rss_kb;
    if (before) {
      report->rss_per_client_kb =
          static_cast<double>(to->rss_kb - before->rss_kb) / options_.clients;
    }
  }
  return Status::Ok();
}

// Runs the measured window of chat (paced) or max (closed loop) on the
// current pools and fills rate, CPU and RSS; returns delivered per second.
static double MessageWindow(
    const BenchOptions& options,
    std::vector<std::unique_ptr<ClientPool>>& pools, pid_t server,
    bool closed_loop,
    const std::function<bool(
        const std::string&, const std::function<bool(ClientPool&)>&)>& parallel,
    double* cpu, long* rss) {
  auto delivered = [&] {
    uint64_t n = 0;
    for (auto& p : pools) n += p->progress().delivered;
    return n;
  };
  std::optional<ProcSample> from = SampleProcess(server);
  uint64_t delivered_before = delivered();
  Clock::time_point start = Clock::now();
  Clock::time_point end =
      start + std::chrono::milliseconds(
                  static_cast<int64_t>(options.duration_s * 1000));
  parallel(closed_loop ? "max" : "chat", [&](ClientPool& pool) {
    double share =
        static_cast<double>(pool.options().end - pool.options().begin) /
        options.clients;
    if (closed_loop) {
      uint64_t inflight = std::max<uint64_t>(
          1, static_cast<uint64_t>(options.inflight * share + 0.5));
      pool.RunUntil([&] { return Clock::now() >= end; }, end,
                    [&](int64_t now_ns) {
                      while (pool.ledger().outstanding() < inflight) {
                        if (!pool.SendRandom(now_ns)) break;
                      }
                    });
      return true;
    }
    // Starts now, not at the pool's last clock reading (no catch-up burst).
    Pacer pacer(std::max(options.rate * share, 0.001),
                std::chrono::duration_cast<std::chrono::nanoseconds>(
                    Clock::now().time_since_epoch())
                    .count());
    pool.RunUntil([&] { return Clock::now() >= end; }, end,
                  [&](int64_t now_ns) {
                    uint64_t due = pacer.Take(now_ns, 10000);
                    for (uint64_t i = 0; i < due; ++i) {
                      if (!pool.SendRandom(now_ns)) break;
                    }
                  },
                  [&] { return pacer.next_due_ns(); });
    return true;
  });
  double window = SecondsSince(start);
  std::optional<ProcSample> to = SampleProcess(server);
  if (from && to) {
    *cpu = CpuPercent(*from, *to);
    *rss = to->rss_kb;
  }
  return static_cast<double>(delivered() - delivered_before) / window;
}

Status ScenarioRunner::Chat(Report* report, bool closed_loop) {
  if (Status s = MakePools(PoolMode::kHail, port_, RandomU64()); !s.ok())
    return s;
  Clock::time_point start = Clock::now();
  if (!Login(kEveryone, "login")) return Status::Ok();
  report->login_s = SecondsSince(start);
  if (!SetUpContacts()) return Status::Ok();
  if (closed_loop) {
    report->inflight = options_.inflight;
  } else {
    report->rate = options_.rate;
  }
  report->duration_s = options_.duration_s;
  double cpu = 0;
  long rss = 0;
  report->msgs_per_s = MessageWindow(
      options_, pools_, server_pid_, closed_loop,
      [this](const std::string& l, const std::function<bool(ClientPool&)>& f) {
        return Parallel(l, f);
      },
      &cpu, &rss);
  report->server_cpu_pct = cpu;
  report->server_rss_kb = rss;
  Drain("drain");
  return Status::Ok();
}

Status ScenarioRunner::Baseline(Report* report, bool closed_loop) {
  ChildProcess relay;
  uint32_t ports =
      (options_.clients + kRelayPeersPerPort - 1) / kRelayPeersPerPort;
  // Slots as haild's hosts have them (clients + 64 over all hosts): ENet
  // walks every slot on each service, so a relay of 4,000-slot hosts for
  // 1,000 clients would pay four times the walk haild does.
  // (Clients fill the ports kRelayPeersPerPort at a time.)
  uint32_t peers = std::min(options_.clients, kRelayPeersPerPort) + 64;
  Result<uint16_t> port = relay.StartAndReadPort(
      {options_.self_exe, "relay", "--ports", std::to_string(ports), "--peers",
       std::to_string(peers)},
      10000);
  if (!port.ok()) return port.status();
  if (Status s = MakePools(PoolMode::kRelay, *port, RandomU64()); !s.ok())
    return s;
  if (!Login(kEveryone, "baseline login")) return Status::Ok();
  double cpu = 0;
  long rss = 0;
  double rate = MessageWindow(
      options_, pools_, relay.pid(), closed_loop,
      [this](const std::string& l, const std::function<bool(ClientPool&)>& f) {
        return Parallel("baseline " + l, f);
      },
      &cpu, &rss);
  Drain("baseline drain");
  report->baseline_msgs_per_s = rate;
  report->baseline_cpu_pct = cpu;
  if (rate > 0) report->ratio_to_baseline = report->msgs_per_s / rate;
  Clock::time_point deadline = Clock::now() + std::chrono::seconds(5);
  Parallel("baseline leave", [&](ClientPool& pool) {
    pool.SetWanted(kEveryone, false);
    pool.RunUntil([&] { return pool.ConnectedCount() == 0; }, deadline);
    return true;
  });
  Collect(report, false);
  pools_.clear();
  relay.Stop(5000);
  return Status::Ok();
}

Status ScenarioRunner::Offline(Report* report) {
  if (Status s = MakePools(PoolMode::kHail, port_, RandomU64()); !s.ok())
    return s;
  uint32_t g = options_.group_size;
  uint32_t n = options_.clients;
  // In each group the first half sends, the second half is offline.
  auto is_recipient = [g, n](uint32_t i) {
    uint32_t begin = i / g * g;
    uint32_t size = std::min(begin + g, n) - begin;
    return i - begin >= size / 2;
  };
  auto is_sender = [&](uint32_t i) { return !is_recipient(i); };
  Clock::time_point start = Clock::now();
  if (!Login(kEveryone, "login")) return Status::Ok();
  report->login_s = SecondsSince(start);
  if (!SetUpContacts()) return Status::Ok();
  Clock::time_point deadline = Deadline();
  if (!Parallel("recipients leave", [&](ClientPool& pool) {
        pool.SetWanted(is_recipient, false);
        return pool.RunUntil(
            [&] {
              return pool.ReadyCount(is_recipient) == 0 &&
                     pool.SeesOffline(is_sender, is_recipient);
            },
            deadline);
      })) {
    return Status::Ok();
  }
  std::optional<ProcSample> from = SampleProcess(server_pid_);
  Clock::time_point send_start = Clock::now();
  Parallel("offline send", [&](ClientPool& pool) {
    std::vector<Pair> plan;
    for (uint32_t m = 0; m < options_.offline_messages; ++m) {
      for (uint32_t s = pool.options().begin; s < pool.options().end; ++s) {
        if (!is_sender(s)) continue;
        std::vector<uint32_t> mates;
        for (uint32_t r = s / g * g; r < std::min(s / g * g + g, n); ++r) {
          if (is_recipient(r)) mates.push_back(r);
        }
        if (!mates.empty()) plan.push_back({s, mates[(m + s) % mates.size()]});
      }
    }
    double share =
        static_cast<double>(pool.options().end - pool.options().begin) / n;
    uint64_t window = std::max<uint64_t>(
        1, static_cast<uint64_t>(options_.inflight * share + 0.5));
    size_t next = 0;
    PoolProgress& p = pool.progress();
    auto answered = [&] {
      return p.accepted_live + p.accepted_stored + p.accept_errors;
    };
    return pool.RunUntil(
        [&] { return next == plan.size() && answered() >= plan.size(); },
        deadline,
        [&](int64_t now_ns) {
          while (next < plan.size() &&
                 pool.ledger().sent() - answered() < window) {
            pool.SendFrom(plan[next].sender, plan[next].recipient, now_ns);
            ++next;
          }
        });
  });
  double send_s = SecondsSince(send_start);
  std::optional<ProcSample> to = SampleProcess(server_pid_);
  if (from && to) {
    report->server_cpu_pct = CpuPercent(*from, *to);
    report->server_rss_kb = to->rss_kb;
  }
  uint64_t stored = 0, live = 0;
  for (auto& pool : pools_) {
    stored += pool->progress().accepted_stored;
    live += pool->progress().accepted_live;
  }
  report->duration_s = send_s;
  report->stored_per_s = static_cast<double>(stored) / send_s;
  if (live > 0) {
    ++errors_;
    error_lines_.push_back(fmt::format(
        "{} messages to offline recipients were routed LIVE", live));
  }
  Clock::time_point drain_start = Clock::now();
  Login(is_recipient, "recipients login");
  Drain("mailbox drain");
  report->drain_s = SecondsSince(drain_start);
  // The window is the send phase: its rate is the acked STORED writes.
  report->msgs_per_s = *report->stored_per_s;
  return Status::Ok();
}

Status ScenarioRunner::Reconnect(Report* report) {
  if (options_.haild.empty()) {
    return Status::InvalidArgument(
        "reconnect restarts haild: give --haild (not --server)");
  }
  if (Status s = MakePools(PoolMode::kHail, port_, RandomU64()); !s.ok())
    return s;
  Clock::time_point start = Clock::now();
  if (!Login(kEveryone, "login")) return Status::Ok();
  report->login_s = SecondsSince(start);
  // Keep the fresh tokens on disk before the restart, like a real client.
  for (auto& pool : pools_) {
    for (uint32_t i = pool->options().begin; i < pool->options().end; ++i) {
      state_->accounts()[i] = pool->accounts()[i];
    }
    if (pool->identity()) state_->identity() = pool->identity();
  }
  if (Status s = state_->Save(); !s.ok()) return s;
  uint64_t resumed_before = 0, password_before = 0;
  std::vector<uint64_t> reconnects_before;
  for (auto& pool : pools_) {
    reconnects_before.push_back(pool->progress().reconnects);
    pool->set_expect_disconnect(true);
    resumed_before += pool->progress().resumes;
    password_before += pool->progress().password_logins;
  }
  // The pools keep servicing while haild stops and starts (on this thread),
  // as real clients would: they acknowledge its goodbye and retry HELLO
  // until it is back.
  double restart_s = 0;
  Status restarted = Status::Ok();
  std::atomic<bool> server_back{false};
  std::atomic<bool> restart_failed{false};
  Clock::time_point back;
  std::optional<ProcSample> from;
  auto restart = [&] {
    restarted = RestartServer(&restart_s);
    back = Clock::now();
    from = SampleProcess(server_pid_);
    (restarted.ok() ? server_back : restart_failed) = true;
  };
  std::vector<Clock::time_point> done_at(pools_.size());
  Clock::time_point deadline = Deadline();
  bool all_back = Parallel(
      "reconnect",
      [&](ClientPool& pool) {
        uint32_t want = pool.Count(kEveryone);
        size_t me = 0;
        while (pools_[me].get() != &pool) ++me;
        // Everyone notices the restart, then everyone is back.
        bool ok = pool.RunUntil(
            [&] {
              return restart_failed || (server_back &&
                                        pool.progress().reconnects >=
                                            reconnects_before[me] + want &&
                                        pool.ReadyCount(kEveryone) == want);
            },
            deadline);
        done_at[me] = Clock::now();
        return ok && !restart_failed;
      },
      restart);
  if (!restarted.ok()) return restarted;
  report->restart_s = restart_s;
  Clock::time_point all_back_at =
      *std::max_element(done_at.begin(), done_at.end());
  report->reconnect_s =
      std::chrono::duration<double>(all_back_at - back).count();
  report->duration_s = *report->reconnect_s;
  std::optional<ProcSample> to = SampleProcess(server_pid_);
  if (from && to) {
    report->server_cpu_pct = CpuPercent(*from, *to);
    report->server_rss_kb = to->rss_kb;
  }
  uint64_t resumed = 0, password = 0;
  for (auto& pool : pools_) {
    pool->set_expect_disconnect(false);
    resumed += pool->progress().resumes;
    password += pool->progress().password_logins;
  }
  if (all_back && resumed - resumed_before != options_.clients) {
    ++errors_;
    error_lines_.push_back(fmt::format(
        "{} of {} clients came back through resumption ({} with a password)",
        resumed - resumed_before, options_.clients,
        password - password_before));
  }
  return Status::Ok();
}

}  // namespace hail::bench
