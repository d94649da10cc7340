// hail-conform against the reference haild (every rule passes) and against
// haild-faulty, which breaks one rule of one SPEC.md section per fault (the
// section's rules must then fail, naming what they saw).
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <string>

#include "tests/conform/count.h"
#include "tests/integration/haild_process.h"
#include "tests/support/temp_dir.h"

namespace hail::testing {
namespace {

struct ConformRun {
  int exit_code = -1;
  std::string output;
};

ConformRun RunConform(const std::string& args) {
  ConformRun run;
  std::string command = std::string(HAIL_CONFORM_PATH) + " " + args + " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return run;
  char buffer[4096];
  size_t got;
  while ((got = fread(buffer, 1, sizeof buffer, pipe)) > 0) {
    run.output.append(buffer, got);
  }
  int status = pclose(pipe);
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return run;
}

// The reference haild passes every rule, section group by section group
// (each group against its own haild, so the groups run side by side and
// each stays well inside the test timeout under the sanitizers).
class ReferenceHaildTest
    : public ::testing::TestWithParam<std::pair<const char*, int>> {};

TEST_P(ReferenceHaildTest, PassesEveryRuleOfTheSections) {
  const auto& [sections, minimum] = GetParam();
  TempDir dir;
  HaildProcess haild(dir.path() / "data", FreeUdpPort());
  ASSERT_TRUE(haild.Start()) << haild.log();
  ConformRun run = RunConform(haild.address() + " --json " + sections);
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_EQ(Count(run.output, "\"verdict\":\"fail\""), 0) << run.output;
  EXPECT_EQ(Count(run.output, "\"verdict\":\"skip\""), 0) << run.output;
  EXPECT_GE(Count(run.output, "\"verdict\":\"pass\""), minimum) << run.output;
}

INSTANTIATE_TEST_SUITE_P(
    SectionGroups, ReferenceHaildTest,
    ::testing::Values(
        std::make_pair("--section 2 --section 3 --section 4 --section 5", 16),
        std::make_pair("--section 6", 12), std::make_pair("--section 7", 14),
        std::make_pair("--section 8 --section 9", 21),
        std::make_pair("--section 10", 16),
        std::make_pair("--section 11 --section 12 --section 15 --section 17",
                       9)),
    [](const auto& info) { return "Group" + std::to_string(info.index); });

TEST(ConformTest, TextOutputHasOneLinePerRuleAndASummary) {
  ConformRun list = RunConform("--list --section 3.7");
  ASSERT_EQ(list.exit_code, 0) << list.output;
  EXPECT_NE(list.output.find("hello-gets-one-cookie-smaller-than-it"),
            std::string::npos)
      << list.output;
  TempDir dir;
  HaildProcess haild(dir.path() / "data", FreeUdpPort());
  ASSERT_TRUE(haild.Start()) << haild.log();
  ConformRun run = RunConform(haild.address() + " --section 3.7");
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(
      run.output.find("pass 3.7     hello-gets-one-cookie-smaller-than-it"),
      std::string::npos)
      << run.output;
  EXPECT_NE(run.output.find("rules: 3 passed, 0 failed, 0 skipped"),
            std::string::npos)
      << run.output;
}

struct Fault {
  const char* name;     // haild-faulty --fault
  const char* section;  // hail-conform --section
  const char* rule;     // a rule that must fail
};

class FaultyHaildTest : public ::testing::TestWithParam<Fault> {};

TEST_P(FaultyHaildTest, ConformFailsTheBrokenSectionAndSaysWhy) {
  const Fault& fault = GetParam();
  TempDir dir;
  HaildProcess haild(dir.path() / "data", FreeUdpPort());
  haild.set_binary(HAILD_FAULTY_PATH);
  ASSERT_TRUE(haild.Start({"--fault", fault.name})) << haild.log();
  ConformRun run =
      RunConform(haild.address() + " --json --section " + fault.section);
  EXPECT_EQ(run.exit_code, 1) << run.output;
  const std::string failed =
      std::string("\"id\":\"") + fault.rule + "\",\"rule\":";
  size_t at = run.output.find(failed);
  ASSERT_NE(at, std::string::npos) << run.output;
  size_t line_end = run.output.find('\n', at);
  std::string line = run.output.substr(at, line_end - at);
  EXPECT_NE(line.find("\"verdict\":\"fail\""), std::string::npos) << line;
  EXPECT_EQ(line.find("\"detail\":\"\""), std::string::npos)
      << "a failure must say what it saw: " << line;
}

INSTANTIATE_TEST_SUITE_P(
    EverySection, FaultyHaildTest,
    ::testing::Values(
        Fault{"kind-zero-malformed", "2",
              "plaintext-without-a-kind-is-kind-zero"},
        Fault{"padded-cookie", "3", "hello-gets-one-cookie-smaller-than-it"},
        Fault{"any-cookie", "4", "connect-with-a-wrong-cookie-gets-nothing"},
        Fault{"pong-wrong-nonce", "5", "replayed-frame-is-dropped"},
        Fault{"bad-signature", "6",
              "handshake-completes-with-a-verified-signature"},
        Fault{"login-names-unknown-users", "7",
              "wrong-password-and-unknown-user-look-the-same"},
        Fault{"answer-notice-inverted", "8",
              "accepting-makes-both-accepted-and-tells-the-asker"},
        Fault{"presence-without-status", "9",
              "set-presence-reaches-contacts-with-its-status"},
        Fault{"mailbox-flag-cleared", "10",
              "stored-message-comes-at-login-before-mailbox-end"},
        Fault{"malformed-answered-ok", "11",
              "rendezvous-with-an-unknown-mapping-is-malformed"},
        Fault{"p2p-keys-differ", "15",
              "accepted-rendezvous-gives-both-the-same-key"},
        Fault{"forward-count-off", "17",
              "forwarding-list-has-one-entry-per-channel"}),
    [](const ::testing::TestParamInfo<Fault>& info) {
      std::string name = info.param.name;
      for (char& c : name) {
        if (c == '-') c = '_';
      }
      return name;
    });

}  // namespace
}  // namespace hail::testing
