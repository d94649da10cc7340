#include "server/forward/subprocess.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

namespace hail::server::forward {
namespace {

using Outcome = ProgramResult::Outcome;

TEST(SubprocessTest, PassesStdinAndCapturesStdoutAndExitCode) {
  ProgramRun run;
  run.argv = {"cat"};
  run.stdin_bytes = "你好, Hail\n";
  ProgramResult result = RunProgram(run);
  EXPECT_EQ(result.outcome, Outcome::kExited);
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_EQ(result.out, "你好, Hail\n");
  EXPECT_TRUE(result.Succeeded());
}

TEST(SubprocessTest, CapturesStderrAndANonZeroExit) {
  ProgramRun run;
  run.argv = {"ls", "/no/such/path/for/hail"};
  ProgramResult result = RunProgram(run);
  EXPECT_EQ(result.outcome, Outcome::kExited);
  EXPECT_NE(result.exit_code, 0);
  EXPECT_NE(result.err.find("/no/such/path/for/hail"), std::string::npos);
  EXPECT_NE(result.Describe().find("exit "), std::string::npos);
}

TEST(SubprocessTest, KillsAProgramThatRunsPastItsTimeout) {
  ProgramRun run;
  run.argv = {"sleep", "30"};
  run.timeout = std::chrono::milliseconds(200);
  auto start = std::chrono::steady_clock::now();
  ProgramResult result = RunProgram(run);
  EXPECT_EQ(result.outcome, Outcome::kTimedOut);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST(SubprocessTest, AMissingProgramIsNotStarted) {
  ProgramRun run;
  run.argv = {"hail-no-such-program"};
  ProgramResult result = RunProgram(run);
  EXPECT_EQ(result.outcome, Outcome::kNotStarted);
  EXPECT_FALSE(result.error.empty());
}

TEST(SubprocessTest, AChildThatIgnoresItsStdinDoesNotKillTheCaller) {
  ProgramRun run;
  run.argv = {"true"};
  run.stdin_bytes = std::string(4 * 1024 * 1024, 'x');
  ProgramResult result = RunProgram(run);
  EXPECT_EQ(result.outcome, Outcome::kExited);
  EXPECT_EQ(result.exit_code, 0);
}

TEST(SubprocessTest, AddsEnvironmentEntries) {
  ProgramRun run;
  run.argv = {"sh", "-c", "printf %s \"$HAIL_TEST_VALUE\""};
  run.environment = {"HAIL_TEST_VALUE=fax"};
  EXPECT_EQ(RunProgram(run).out, "fax");
}

}  // namespace
}  // namespace hail::server::forward
