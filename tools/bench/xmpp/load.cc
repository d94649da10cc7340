// The coordinator: starts the workers, moves them through login, the
// measurement window and the drain, samples the server's /proc entries at the
// window's edges, and checks every message afterwards.
#include "tools/bench/xmpp/load.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include "tools/bench/xmpp/worker.h"

namespace hail::tools::xmpp {

namespace {

struct ProcSample {
  bool ok = false;
  double cpu_s = 0;  // utime + stime of the process.
  long rss_kb = -1;  // VmRSS.
  int64_t at_ns = 0;
};

ProcSample SampleProc(int pid) {
  ProcSample s;
  s.at_ns = NowNs();
  if (pid <= 0) return s;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return s;
  // Fields after "(comm)": state is field 3; utime and stime are 14 and 15.
  size_t paren = line.rfind(')');
  if (paren == std::string::npos) return s;
  std::istringstream rest(line.substr(paren + 2));
  std::string field;
  unsigned long long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i) {
    if (i == 14) utime = std::stoull(field);
    if (i == 15) stime = std::stoull(field);
  }
  s.cpu_s = static_cast<double>(utime + stime) /
            static_cast<double>(sysconf(_SC_CLK_TCK));
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) s.rss_kb = std::stol(line.substr(6));
  }
  s.ok = true;
  return s;
}

// The machine's 1-minute load average, to flag runs on a busy machine.
double LoadAverage() {
  std::ifstream in("/proc/loadavg");
  double load = -1;
  in >> load;
  return load;
}

double SelfCpuS() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

double CpuPct(const ProcSample& a, const ProcSample& b) {
  if (!a.ok || !b.ok || b.at_ns <= a.at_ns) return -1;
  return 100.0 * (b.cpu_s - a.cpu_s) /
         (static_cast<double>(b.at_ns - a.at_ns) / 1e9);
}

// Nearest-rank percentile of sorted values.
double Percentile(const std::vector<int64_t>& sorted, double p) {
  if (sorted.empty()) return 0;
  size_t rank = static_cast<size_t>(
      p / 100.0 * static_cast<double>(sorted.size()) + 0.999999);
  rank = std::clamp<size_t>(rank, 1, sorted.size());
  return static_cast<double>(sorted[rank - 1]) / 1e6;
}

// Waits (polling shared counters, 10 ms apart) until pred() or the deadline.
template <typename Pred>
bool WaitFor(Pred pred, int64_t deadline_ns) {
  while (!pred()) {
    if (NowNs() >= deadline_ns) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

// Cross-checks every worker's send log against every receive log.
void CheckMessages(const std::vector<std::unique_ptr<Worker>>& workers,
                   Shared& shared, LoadResult& r) {
  std::vector<std::vector<uint8_t>> seen(workers.size());
  for (size_t w = 0; w < workers.size(); ++w) {
    seen[w].assign(workers[w]->sends().size(), 0);
    r.sent += workers[w]->sends().size();
  }
  std::vector<int64_t> latencies;
  uint64_t misrouted = 0, duplicates = 0, unknown = 0;
  for (const auto& worker : workers) {
    for (const RecvRecord& rec : worker->recvs()) {
      size_t w = rec.id >> kSeqBits;
      uint64_t seq = rec.id & ((uint64_t{1} << kSeqBits) - 1);
      if (w >= workers.size() || seq >= seen[w].size()) {
        ++unknown;
        continue;
      }
      if (workers[w]->sends()[seq].to != rec.at) {
        ++misrouted;
        continue;
      }
      if (seen[w][seq]++ != 0) {
        ++duplicates;
        continue;
      }
      ++r.delivered;
      if (rec.in_window) ++r.in_window;
      latencies.push_back(rec.latency_ns);
    }
  }
  uint64_t missing = r.sent - r.delivered;
  auto note = [&](uint64_t n, const char* what) {
    if (n == 0) return;
    shared.Error(std::to_string(n) + " messages " + what);
  };
  note(missing, "never received by the addressed user");
  note(misrouted, "received by the wrong user");
  note(duplicates, "received more than once");
  note(unknown, "with unknown ids");
  std::sort(latencies.begin(), latencies.end());
  r.p50_ms = Percentile(latencies, 50);
  r.p99_ms = Percentile(latencies, 99);
  r.p999_ms = Percentile(latencies, 99.9);
  r.max_ms =
      latencies.empty() ? 0 : static_cast<double>(latencies.back()) / 1e6;
}

}  // namespace

LoadResult RunLoad(const LoadOptions& opt) {
  LoadResult r;
  r.clients = opt.clients;
  Shared shared(opt);
  int nthreads = std::clamp(opt.threads, 1, 2);
  std::vector<std::unique_ptr<Worker>> workers;
  for (int i = 0; i < nthreads; ++i) {
    workers.push_back(std::make_unique<Worker>(shared, i, nthreads));
  }

  ProcSample before = SampleProc(opt.server_pid);
  r.server_rss_before_kb = before.rss_kb;
  std::vector<std::thread> threads;
  for (auto& w : workers) threads.emplace_back([&w] { w->Run(); });

  // Login (or registration) of all clients.
  int64_t login_deadline =
      before.at_ns + static_cast<int64_t>(opt.login_timeout_s * 1e9);
  bool all_in = WaitFor(
      [&] {
        return shared.logins_done.load() + shared.logins_failed.load() >=
               opt.clients;
      },
      login_deadline);
  ProcSample logged_in = SampleProc(opt.server_pid);
  r.login_s = static_cast<double>(logged_in.at_ns - before.at_ns) / 1e9;
  r.login_cpu_pct = CpuPct(before, logged_in);
  r.logged_in = shared.logins_done.load();
  if (!all_in) shared.Error("login timed out");
  r.server_rss_kb = logged_in.rss_kb;

  bool run = opt.scenario != Scenario::kRegister && r.logged_in == opt.clients;
  if (run) {
    // The measurement window.
    int64_t start = NowNs();
    shared.run_start_ns.store(start, std::memory_order_release);
    ProcSample window_start = SampleProc(opt.server_pid);
    double self_start = SelfCpuS();
    r.load1 = LoadAverage();
    shared.phase.store(Phase::kRun, std::memory_order_release);
    std::this_thread::sleep_until(
        std::chrono::steady_clock::time_point(std::chrono::nanoseconds(
            start + static_cast<int64_t>(opt.duration_s * 1e9))));
    int64_t end = NowNs();
    shared.window_end_ns.store(end, std::memory_order_release);
    shared.phase.store(Phase::kDrain, std::memory_order_release);
    ProcSample window_end = SampleProc(opt.server_pid);
    r.bench_cpu_pct = 100.0 * (SelfCpuS() - self_start) /
                      (static_cast<double>(end - start) / 1e9);
    r.duration_s = static_cast<double>(end - start) / 1e9;
    r.server_cpu_pct = CpuPct(window_start, window_end);
    r.server_rss_kb = window_end.rss_kb;

    // Drain: every worker has stopped sending, then wait for stragglers.
    int64_t drain_deadline =
        end + static_cast<int64_t>(opt.drain_timeout_s * 1e9);
    WaitFor([&] { return shared.drain_acks.load() >= nthreads; },
            drain_deadline);
    WaitFor([&] { return shared.received.load() >= shared.sent.load(); },
            drain_deadline);
  }
  shared.phase.store(Phase::kStop, std::memory_order_release);
  for (auto& t : threads) t.join();

  if (before.rss_kb >= 0 && r.server_rss_kb >= 0 && opt.clients > 0) {
    r.rss_per_client_kb =
        static_cast<double>(r.server_rss_kb - before.rss_kb) / opt.clients;
  }
  if (run) {
    CheckMessages(workers, shared, r);
    if (r.duration_s > 0) {
      r.msgs_per_s = static_cast<double>(r.in_window) / r.duration_s;
    }
  }
  r.errors = shared.errors.load();
  r.error_notes = shared.notes;
  return r;
}

}  // namespace hail::tools::xmpp
