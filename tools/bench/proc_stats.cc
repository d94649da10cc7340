#include "tools/bench/proc_stats.h"

#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

namespace hail::bench {

std::optional<ProcSample> SampleProcess(pid_t pid) {
  ProcSample sample;
  sample.at = std::chrono::steady_clock::now();
  std::string base = "/proc/" + std::to_string(pid);
  std::ifstream stat(base + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return std::nullopt;
  // The command name (field 2) may hold spaces; fields resume after ')'.
  size_t close = line.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream fields(line.substr(close + 2));
  std::string field;
  // Fields 3..13 precede utime (14) and stime (15).
  for (int i = 3; i <= 13; ++i) fields >> field;
  unsigned long long utime = 0, stime = 0;
  fields >> utime >> stime;
  if (!fields) return std::nullopt;
  sample.cpu_s = static_cast<double>(utime + stime) /
                 static_cast<double>(sysconf(_SC_CLK_TCK));
  std::ifstream status(base + "/status");
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) {
      sample.rss_kb = std::stol(line.substr(6));
      break;
    }
  }
  return sample;
}

double CpuPercent(const ProcSample& from, const ProcSample& to) {
  double wall = std::chrono::duration<double>(to.at - from.at).count();
  if (wall <= 0) return 0;
  return (to.cpu_s - from.cpu_s) / wall * 100.0;
}

}  // namespace hail::bench
