// Summaries of measured durations for hail-bench: count, min, percentiles,
// max, mean. Collect samples, then Summarize.
#ifndef HAIL_TOOLS_LATENCY_STATS_H_
#define HAIL_TOOLS_LATENCY_STATS_H_

#include <string>
#include <vector>

namespace hail::tools {

struct LatencySummary {
  size_t count = 0;
  double min = 0;
  double p50 = 0;
  double p90 = 0;
  double p99 = 0;
  double p999 = 0;  // 99.9th percentile
  double max = 0;
  double mean = 0;
};

// Nearest-rank percentiles over `samples` (any unit). Empty input gives an
// all-zero summary.
LatencySummary Summarize(std::vector<double> samples);

// "n=100 min=0.10 p50=0.20 p90=0.40 p99=0.90 max=1.00 mean=0.25 UNIT".
std::string FormatSummary(const LatencySummary& summary,
                          const std::string& unit);

}  // namespace hail::tools

#endif  // HAIL_TOOLS_LATENCY_STATS_H_
