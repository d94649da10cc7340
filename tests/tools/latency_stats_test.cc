#include "tools/latency_stats.h"

#include <gtest/gtest.h>

namespace hail::tools {
namespace {

TEST(LatencyStatsTest, NearestRankPercentilesOfOneToHundred) {
  std::vector<double> samples;
  for (int i = 100; i >= 1; --i) samples.push_back(i);
  LatencySummary s = Summarize(samples);
  EXPECT_EQ(s.count, 100u);
  EXPECT_EQ(s.min, 1);
  EXPECT_EQ(s.p50, 50);
  EXPECT_EQ(s.p90, 90);
  EXPECT_EQ(s.p99, 99);
  EXPECT_EQ(s.max, 100);
  EXPECT_DOUBLE_EQ(s.mean, 50.5);
}

TEST(LatencyStatsTest, EmptyInputGivesZeroSummary) {
  LatencySummary s = Summarize({});
  EXPECT_EQ(s.count, 0u);
  EXPECT_EQ(s.max, 0);
}

TEST(LatencyStatsTest, SingleSampleIsEveryPercentile) {
  LatencySummary s = Summarize({3.5});
  EXPECT_EQ(s.p50, 3.5);
  EXPECT_EQ(s.p99, 3.5);
  EXPECT_NE(FormatSummary(s, "ms").find("p99=3.500 max=3.500"),
            std::string::npos);
}

TEST(LatencyStatsTest, NinetyNinePointNinthPercentileOfAThousand) {
  std::vector<double> samples;
  for (int i = 1; i <= 1000; ++i) samples.push_back(i);
  EXPECT_EQ(Summarize(samples).p999, 999);
}

}  // namespace
}  // namespace hail::tools
