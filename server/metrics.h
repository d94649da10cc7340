// One list of everything haild counts, with what each figure means. The
// admin socket's "stats" line (flat JSON, `haild --stats`) and the
// Prometheus text endpoint (`--metrics-listen`) are both rendered from it,
// so they never disagree.
#ifndef HAIL_SERVER_METRICS_H_
#define HAIL_SERVER_METRICS_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "server/counters.h"

namespace hail::server {

struct Metric {
  enum class Kind : uint8_t { kCounter, kGauge };
  std::string_view name;  // snake_case, the JSON key
  Kind kind = Kind::kCounter;
  std::string_view help;
  int64_t value = 0;
};

// Every field of Counters, read now.
std::vector<Metric> CounterMetrics(const Counters& counters);

// {"name":value,...}
std::string RenderStatsJson(const std::vector<Metric>& metrics);
// Prometheus text format 0.0.4: `hail_NAME` (counters `hail_NAME_total`)
// with HELP and TYPE lines.
std::string RenderPrometheus(const std::vector<Metric>& metrics);

}  // namespace hail::server

#endif  // HAIL_SERVER_METRICS_H_
