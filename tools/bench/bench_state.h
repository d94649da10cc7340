// hail-bench's memory across runs, kept in STATE_DIR/accounts: the bench
// accounts (created once, reused by every run), their newest resumption
// tokens (so logins cost no Argon2id, and `reconnect` can resume), and the
// server identity pinned on first use. Written atomically (temp + rename).
// Owned by the main thread; pools copy what they need before a run and hand
// tokens back after it.
#ifndef HAIL_TOOLS_BENCH_BENCH_STATE_H_
#define HAIL_TOOLS_BENCH_BENCH_STATE_H_

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "protocol/kind.h"
#include "protocol/status.h"

namespace hail::bench {

struct Account {
  bool registered = false;  // the server said OK or USERNAME_TAKEN once
  std::optional<protocol::Token> token;
};

class BenchState {
 public:
  // Reads STATE_DIR/accounts, or starts a fresh state (new random account
  // prefix and password) when there is none.
  static Result<BenchState> Load(const std::filesystem::path& dir);
  Status Save() const;

  // "hb" + 8 hex digits + "u" + index: 3..32 bytes, starts with a letter.
  std::string Username(uint32_t index) const;
  // The index a bench username names, or nullopt for another user.
  std::optional<uint32_t> IndexOf(std::string_view username) const;
  const std::string& password() const { return password_; }

  // Grows the account list to at least `count` (new ones unregistered).
  void EnsureAccounts(uint32_t count);
  std::vector<Account>& accounts() { return accounts_; }
  const std::vector<Account>& accounts() const { return accounts_; }

  std::optional<protocol::PublicKey>& identity() { return identity_; }
  const std::filesystem::path& dir() const { return dir_; }

 private:
  std::filesystem::path dir_;
  std::string prefix_;    // "hb1a2b3c4d"
  std::string password_;  // 32 hex digits, shared by all bench accounts
  std::optional<protocol::PublicKey> identity_;
  std::vector<Account> accounts_;
};

}  // namespace hail::bench

#endif  // HAIL_TOOLS_BENCH_BENCH_STATE_H_
