// CPU time and resident memory of another process, from /proc (Linux).
#ifndef HAIL_TOOLS_BENCH_PROC_STATS_H_
#define HAIL_TOOLS_BENCH_PROC_STATS_H_

#include <sys/types.h>

#include <chrono>
#include <optional>

namespace hail::bench {

struct ProcSample {
  std::chrono::steady_clock::time_point at;
  double cpu_s = 0;  // utime + stime of all threads, seconds
  long rss_kb = 0;   // VmRSS
};

// nullopt when the process is gone or /proc is unreadable.
std::optional<ProcSample> SampleProcess(pid_t pid);

// CPU use between two samples of one process, in percent of one core.
double CpuPercent(const ProcSample& from, const ProcSample& to);

}  // namespace hail::bench

#endif  // HAIL_TOOLS_BENCH_PROC_STATS_H_
