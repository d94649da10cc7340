// The one list of haild's figures (server/metrics.h) and its two renderings.
#include "server/metrics.h"

#include <gtest/gtest.h>

#include <regex>
#include <set>
#include <sstream>

#include "server/admin_socket.h"

namespace hail::server {
namespace {

TEST(MetricsTest, EveryCounterFieldIsListedOnceWithHelp) {
  Counters counters;
  std::vector<Metric> metrics = CounterMetrics(counters);
  // Every field of Counters is an 8-byte atomic: a field added there and
  // not here changes the size.
  EXPECT_EQ(metrics.size() * 8, sizeof(Counters));
  std::set<std::string_view> names;
  for (const Metric& m : metrics) {
    EXPECT_TRUE(names.insert(m.name).second) << m.name << " twice";
    EXPECT_FALSE(m.help.empty()) << m.name;
  }
}

TEST(MetricsTest, JsonAndPrometheusCarryTheSameValues) {
  Counters counters;
  counters.messages_live = 7;
  counters.peers_current = 3;
  std::vector<Metric> metrics = CounterMetrics(counters);
  std::map<std::string, int64_t> json =
      ParseStatsLine(RenderStatsJson(metrics));
  EXPECT_EQ(json.size(), metrics.size());
  EXPECT_EQ(json["messages_live"], 7);
  std::string text = RenderPrometheus(metrics);
  EXPECT_NE(text.find("# TYPE hail_messages_live_total counter\n"
                      "hail_messages_live_total 7\n"),
            std::string::npos);
  EXPECT_NE(
      text.find("# TYPE hail_peers_current gauge\nhail_peers_current 3\n"),
      std::string::npos);
}

// Prometheus text format 0.0.4: HELP, TYPE, then one sample, per metric.
TEST(MetricsTest, PrometheusTextIsWellFormed) {
  Counters counters;
  std::istringstream lines(RenderPrometheus(CounterMetrics(counters)));
  const std::regex help(R"(# HELP hail_[a-z0-9_]+ [^\n]+)");
  const std::regex type(R"(# TYPE hail_[a-z0-9_]+ (counter|gauge))");
  const std::regex sample(R"(hail_[a-z0-9_]+ -?[0-9]+)");
  std::string line;
  int n = 0;
  while (std::getline(lines, line)) {
    const std::regex& want = n % 3 == 0 ? help : n % 3 == 1 ? type : sample;
    EXPECT_TRUE(std::regex_match(line, want)) << line;
    ++n;
  }
  EXPECT_EQ(n % 3, 0);
  EXPECT_GT(n, 0);
}

TEST(MetricsTest, HttpReplyServesOnlyGetMetrics) {
  auto body = [] { return std::string("hail_x 1\n"); };
  std::string ok = MetricsHttpReply("GET /metrics HTTP/1.1", body);
  EXPECT_EQ(ok.rfind("HTTP/1.1 200 OK\r\n", 0), 0u);
  EXPECT_NE(ok.find("Content-Length: 9\r\n"), std::string::npos);
  EXPECT_NE(ok.find("\r\n\r\nhail_x 1\n"), std::string::npos);
  EXPECT_EQ(MetricsHttpReply("GET / HTTP/1.1", body).rfind("HTTP/1.1 404", 0),
            0u);
  EXPECT_EQ(
      MetricsHttpReply("POST /metrics HTTP/1.1", body).rfind("HTTP/1.1 405", 0),
      0u);
  EXPECT_EQ(MetricsHttpReply("", body).rfind("HTTP/1.1 405", 0), 0u);
}

}  // namespace
}  // namespace hail::server
