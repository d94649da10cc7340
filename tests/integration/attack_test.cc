// Issue 10: the short forms of hail-attack's attacks against a real haild,
// each a test (RELIABILITY.md has the long forms' figures). hail-attack
// checks the invariants itself (no reply larger than its request, no peer
// slot for a spoofed or unfinished connection, every datagram counted,
// memory flat, a real client logs in during each attack) and exits 1 when
// one breaks; its report is shown on failure.
#include <gtest/gtest.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "tests/integration/haild_process.h"

namespace hail::testing {
namespace {

class AttackTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (geteuid() != 0) {
      GTEST_SKIP() << "hail-attack spoofs source addresses with a raw "
                      "socket: needs root (CI runs as root)";
    }
    haild_ =
        std::make_unique<HaildProcess>(dir_.path() / "data", FreeUdpPort());
    ASSERT_TRUE(haild_->Start({"--stun-alt-port=0"})) << haild_->log();
  }

  TempDir dir_;
  std::unique_ptr<HaildProcess> haild_;
};

TEST_P(AttackTest, HoldsAndIsCounted) {
  CommandResult run =
      RunCommand({HAIL_ATTACK_PATH, "--server", haild_->address(), "--data-dir",
                  haild_->data_dir().string(), "--work-dir",
                  (dir_.path() / "work").string(), GetParam()},
                 {}, 120000);
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_NE(run.out.find(": held"), std::string::npos) << run.out;
  EXPECT_TRUE(haild_->Alive());
}

INSTANTIATE_TEST_SUITE_P(Attacks, AttackTest,
                         ::testing::Values("amplification", "flood",
                                           "cookie-holders", "malformed", "tcp",
                                           "guessing"),
                         [](const auto& info) {
                           std::string name = info.param;
                           std::erase(name, '-');
                           return name;
                         });

}  // namespace
}  // namespace hail::testing
