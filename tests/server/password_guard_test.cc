// Issue 10 (1, 2): password checks are budgeted before hashing, per account
// and address and per account over unknown addresses, and known addresses
// are never locked out by strangers (SPEC.md 7.12).
#include "server/password_guard.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace hail::server {
namespace {

using Outcome = PasswordGuard::Outcome;

TEST(PasswordGuardTest, ParallelChecksFromOneAddressStopAtFive) {
  PasswordGuard guard({});
  std::vector<PasswordGuard::Ticket> admitted;
  int refused = 0;
  // All reserved before any finishes: as 20 LOGINs sent at once.
  for (int i = 0; i < 20; ++i) {
    PasswordGuard::Ticket t = guard.Reserve("hank", "203.0.113.5", 0);
    if (t.admitted()) {
      admitted.push_back(t);
    } else {
      ++refused;
      EXPECT_GT(t.retry_after_ms, 0u);
    }
  }
  EXPECT_EQ(admitted.size(), 5u);
  EXPECT_EQ(refused, 15);
}

TEST(PasswordGuardTest, ParallelChecksFromManyAddressesStopAtTen) {
  PasswordGuard guard({});
  int admitted = 0;
  for (int i = 0; i < 80; ++i) {
    std::string source = "198.51.100." + std::to_string(i);
    if (guard.Reserve("hank", source, 0).admitted()) ++admitted;
  }
  EXPECT_EQ(admitted, 10);
}

TEST(PasswordGuardTest, RightPasswordGivesTheTokensBack) {
  PasswordGuard guard({});
  for (int i = 0; i < 50; ++i) {
    PasswordGuard::Ticket t = guard.Reserve("hank", "203.0.113.5", 0);
    ASSERT_TRUE(t.admitted()) << i;
    guard.Finish(t, "hank", "203.0.113.5", Outcome::kRight);
  }
}

TEST(PasswordGuardTest, ChecksThatNeverRanGiveTheTokensBack) {
  PasswordGuard guard({});
  for (int i = 0; i < 50; ++i) {
    std::string source = "198.51.100." + std::to_string(i);
    PasswordGuard::Ticket t = guard.Reserve("hank", source, 0);
    ASSERT_TRUE(t.admitted()) << i;
    guard.Finish(t, "hank", source, Outcome::kNotChecked);
  }
  EXPECT_FALSE(guard.IsKnown("hank", "198.51.100.0"));
}

TEST(PasswordGuardTest, WrongPasswordsKeepTheirTokensAndRefillOnePerMinute) {
  PasswordGuard guard({});
  for (int i = 0; i < 5; ++i) {
    PasswordGuard::Ticket t = guard.Reserve("hank", "203.0.113.5", 0);
    ASSERT_TRUE(t.admitted());
    guard.Finish(t, "hank", "203.0.113.5", Outcome::kWrong);
  }
  PasswordGuard::Ticket refused = guard.Reserve("hank", "203.0.113.5", 0);
  ASSERT_FALSE(refused.admitted());
  EXPECT_EQ(refused.retry_after_ms, 60000u);
  EXPECT_TRUE(guard.Reserve("hank", "203.0.113.5", 60000).admitted());
  EXPECT_FALSE(guard.Reserve("hank", "203.0.113.5", 60000).admitted());
}

TEST(PasswordGuardTest, StrangersCannotLockOutAKnownAddress) {
  PasswordGuard guard({});
  PasswordGuard::Ticket home = guard.Reserve("hank", "192.0.2.10", 0);
  guard.Finish(home, "hank", "192.0.2.10", Outcome::kRight);
  ASSERT_TRUE(guard.IsKnown("hank", "192.0.2.10"));
  // 80 strangers drain the account's budget for unknown addresses.
  for (int i = 0; i < 80; ++i) {
    std::string source = "198.51.100." + std::to_string(i);
    PasswordGuard::Ticket t = guard.Reserve("hank", source, 1000);
    if (t.admitted()) guard.Finish(t, "hank", source, Outcome::kWrong);
  }
  EXPECT_FALSE(guard.Reserve("hank", "198.51.100.200", 1000).admitted());
  // Hank at home still gets his password checked, and so does a device of
  // his that resumed from a new address.
  EXPECT_TRUE(guard.Reserve("hank", "192.0.2.10", 1000).admitted());
  guard.Remember("hank", "203.0.113.77");
  EXPECT_TRUE(guard.Reserve("hank", "203.0.113.77", 1000).admitted());
  // Another account is not touched by any of it.
  EXPECT_TRUE(guard.Reserve("ivy", "198.51.100.200", 1000).admitted());
}

TEST(PasswordGuardTest, AKnownAddressStillHasItsOwnBudget) {
  PasswordGuard guard({});
  guard.Remember("hank", "192.0.2.10");
  for (int i = 0; i < 5; ++i) {
    PasswordGuard::Ticket t = guard.Reserve("hank", "192.0.2.10", 0);
    ASSERT_TRUE(t.admitted());
    guard.Finish(t, "hank", "192.0.2.10", Outcome::kWrong);
  }
  EXPECT_FALSE(guard.Reserve("hank", "192.0.2.10", 0).admitted());
}

TEST(PasswordGuardTest, KeepsTheLastEightKnownAddressesAndBoundsAccounts) {
  PasswordGuard::Limits limits;
  limits.max_keys = 3;
  PasswordGuard guard(limits);
  for (int i = 0; i < 9; ++i) {
    guard.Remember("hank", "192.0.2." + std::to_string(i));
  }
  EXPECT_FALSE(guard.IsKnown("hank", "192.0.2.0"));
  EXPECT_TRUE(guard.IsKnown("hank", "192.0.2.1"));
  EXPECT_TRUE(guard.IsKnown("hank", "192.0.2.8"));
  guard.Remember("ivy", "192.0.2.1");
  guard.Remember("jan", "192.0.2.1");
  guard.Remember("hank", "192.0.2.8");  // hank is the most recent again
  guard.Remember("kim", "192.0.2.1");   // evicts ivy, the least recent
  EXPECT_FALSE(guard.IsKnown("ivy", "192.0.2.1"));
  EXPECT_TRUE(guard.IsKnown("hank", "192.0.2.8"));
  EXPECT_TRUE(guard.IsKnown("kim", "192.0.2.1"));
}

}  // namespace
}  // namespace hail::server
