// hail-bench at small scale against the real haild it starts: every
// scenario once, in one state directory (accounts are created by the first
// run and reused by the others). Asserts correctness only (exactly-once
// delivery to the addressed user, everyone back after a restart), never a
// speed.
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "tests/integration/haild_process.h"

namespace hail::testing {
namespace {

// The number after "key": in a flat JSON object; -1 when absent.
double JsonNumber(const std::string& json, const std::string& key) {
  size_t at = json.find("\"" + key + "\":");
  if (at == std::string::npos) return -1;
  return std::strtod(json.c_str() + at + key.size() + 3, nullptr);
}

class BenchSmokeTest : public ::testing::Test {
 protected:
  // Runs hail-bench with `args` and returns its JSON report.
  std::string Bench(std::vector<std::string> args) {
    std::vector<std::string> argv = {HAIL_BENCH_PATH};
    argv.insert(argv.end(), args.begin(), args.end());
    for (const char* a : {"--json", "--quiet", "--haild", HAILD_PATH,
                          "--timeout", "30", "--haild-arg=--hash-threads=2"}) {
      argv.push_back(a);
    }
    argv.push_back("--state");
    argv.push_back(state_.path().string());
    CommandResult result = RunCommand(argv, {}, 90000);
    EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
    EXPECT_EQ(JsonNumber(result.out, "errors"), 0) << result.out;
    return result.out;
  }

  TempDir state_;
};

TEST_F(BenchSmokeTest, EveryScenarioDeliversExactlyOnceAndEveryoneComesBack) {
  std::string idle = Bench({"idle", "40", "--duration", "1"});
  EXPECT_EQ(JsonNumber(idle, "clients"), 40);
  EXPECT_GT(JsonNumber(idle, "login_s"), 0);

  std::string chat = Bench({"chat", "40", "400", "--duration", "2"});
  EXPECT_GT(JsonNumber(chat, "sent"), 0);
  EXPECT_EQ(JsonNumber(chat, "delivered"), JsonNumber(chat, "sent"));
  EXPECT_EQ(JsonNumber(chat, "password_logins"), 0) << "tokens were reused";

  std::string max = Bench({"max", "40", "64", "--duration", "2"});
  EXPECT_GT(JsonNumber(max, "sent"), 0);
  EXPECT_EQ(JsonNumber(max, "delivered"), JsonNumber(max, "sent"));

  std::string offline = Bench({"offline", "20", "--messages", "5"});
  EXPECT_EQ(JsonNumber(offline, "sent"), 10 * 5);
  EXPECT_EQ(JsonNumber(offline, "accepted_stored"), 10 * 5);
  EXPECT_EQ(JsonNumber(offline, "delivered"), 10 * 5);

  std::string reconnect = Bench({"reconnect", "40"});
  EXPECT_EQ(JsonNumber(reconnect, "resumed"), 2 * 40);
  EXPECT_GT(JsonNumber(reconnect, "reconnect_s"), 0);

  std::string baseline =
      Bench({"max", "40", "64", "--duration", "1", "--baseline"});
  EXPECT_EQ(JsonNumber(baseline, "delivered"), JsonNumber(baseline, "sent"));
  EXPECT_GT(JsonNumber(baseline, "baseline_msgs_per_s"), 0);
  EXPECT_GT(JsonNumber(baseline, "ratio_to_baseline"), 0);
}

}  // namespace
}  // namespace hail::testing
