#include "tools/latency_stats.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numeric>

namespace hail::tools {

LatencySummary Summarize(std::vector<double> samples) {
  LatencySummary s;
  if (samples.empty()) return s;
  std::sort(samples.begin(), samples.end());
  auto rank = [&](double p) {
    size_t index = static_cast<size_t>(
        // The epsilon keeps 99.9% of 1000 at rank 999 despite rounding.
        std::ceil(p * static_cast<double>(samples.size()) / 100.0 - 1e-9));
    return samples[std::clamp<size_t>(index, 1, samples.size()) - 1];
  };
  s.count = samples.size();
  s.min = samples.front();
  s.max = samples.back();
  s.p50 = rank(50);
  s.p90 = rank(90);
  s.p99 = rank(99);
  s.p999 = rank(99.9);
  s.mean = std::accumulate(samples.begin(), samples.end(), 0.0) /
           static_cast<double>(samples.size());
  return s;
}

std::string FormatSummary(const LatencySummary& s, const std::string& unit) {
  return fmt::format(
      "n={} min={:.3f} p50={:.3f} p90={:.3f} p99={:.3f} max={:.3f} "
      "mean={:.3f} {}",
      s.count, s.min, s.p50, s.p90, s.p99, s.max, s.mean, unit);
}

}  // namespace hail::tools
