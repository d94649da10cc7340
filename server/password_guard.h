// Who may have a password checked, and when (SPEC.md 7.12). Guessing is
// stopped by budgets of *failed* checks, and no stranger can use them to
// lock a user out:
//
// - each (account, source address) pair has its own budget, so guesses from
//   one address stop after a few, whatever else happens;
// - the account has a budget over every address a password never worked
//   from, so guesses spread over many addresses stop too;
// - an address the account's password or resumption token worked from
//   (a *known* source) is charged to its own pair budget only: the user at
//   home, or on a device that resumes, logs in while strangers are refused.
//
// A check takes its tokens before the hash is computed, so checks running in
// parallel cannot exceed a budget; a check that is not a wrong password
// (right password, server busy, ...) gives them back. Sans-I/O: callers pass
// the time. Thread-safe: every loop shares one guard.
#ifndef HAIL_SERVER_PASSWORD_GUARD_H_
#define HAIL_SERVER_PASSWORD_GUARD_H_

#include <cstddef>
#include <cstdint>
#include <list>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "server/base/mutex.h"
#include "server/rate_limiter.h"

namespace hail::server {

class PasswordGuard {
 public:
  struct Limits {
    double per_source_burst = 5;  // failed checks per (account, address)
    double per_source_per_second = 1.0 / 60;
    double per_account_burst = 10;  // failed checks from unknown addresses
    double per_account_per_second = 1.0 / 60;
    size_t known_sources_per_account = 8;
    size_t max_keys = 65536;  // per budget, and accounts with known sources
  };
  // What Reserve decided; hand it back to Finish.
  struct Ticket {
    uint64_t retry_after_ms = 0;  // 0: admitted, check the password
    bool took_account = false;    // charged to the account's budget too
    uint64_t at_ms = 0;           // when it was reserved
    bool admitted() const { return retry_after_ms == 0; }
  };

  explicit PasswordGuard(Limits limits);
  PasswordGuard(const PasswordGuard&) = delete;
  PasswordGuard& operator=(const PasswordGuard&) = delete;

  // Before a password check of `account` for a request from `source` (an
  // address without port): takes the tokens it would cost if wrong, or says
  // how long to wait.
  Ticket Reserve(std::string_view account, std::string_view source,
                 uint64_t now_ms);
  enum class Outcome : uint8_t {
    kRight,       // makes `source` known, gives the tokens back
    kWrong,       // keeps them
    kNotChecked,  // (server busy, no such session any more): gives them back
  };
  // After the check (any thread, e.g. the hashing worker's).
  void Finish(const Ticket& ticket, std::string_view account,
              std::string_view source, Outcome outcome);
  // The account's resumption token worked from `source`.
  void Remember(std::string_view account, std::string_view source);

  bool IsKnown(std::string_view account, std::string_view source) const;

 private:
  static std::string PairKey(std::string_view account, std::string_view source);
  bool IsKnownLocked(std::string_view account, std::string_view source) const
      REQUIRES(mutex_);
  void RememberLocked(std::string_view account, std::string_view source)
      REQUIRES(mutex_);

  struct Known {
    std::vector<std::string> sources;      // newest last
    std::list<std::string>::iterator lru;  // into lru_
  };

  const Limits limits_;
  mutable Mutex mutex_;
  RateLimiter per_source_ GUARDED_BY(mutex_);
  RateLimiter per_account_ GUARDED_BY(mutex_);
  std::map<std::string, Known, std::less<>> known_ GUARDED_BY(mutex_);
  std::list<std::string> lru_ GUARDED_BY(mutex_);  // least recent first
};

}  // namespace hail::server

#endif  // HAIL_SERVER_PASSWORD_GUARD_H_
