// hail-conform's rules: each checks one rule of SPEC.md against the server
// under test and names the section it comes from. A rule makes its own
// accounts and connections (Context) and ends in one Outcome: pass, fail
// with what it saw, or skip with the reason.
//
// Rules register themselves at static-initialisation time (HAIL_RULE), in
// the order of their source files; the runner sorts them by section.
#ifndef HAIL_TOOLS_CONFORM_RULE_H_
#define HAIL_TOOLS_CONFORM_RULE_H_

#include <fmt/format.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tools/conform/wire_client.h"

namespace hail::conform {

struct Outcome {
  enum class Verdict : uint8_t { kPass, kFail, kSkip };
  Verdict verdict = Verdict::kPass;
  std::string detail;  // fail: what was seen; skip: why
};

inline Outcome Pass() { return {}; }
template <typename... Args>
Outcome Fail(fmt::format_string<Args...> format, Args&&... args) {
  return {Outcome::Verdict::kFail,
          fmt::format(format, std::forward<Args>(args)...)};
}
template <typename... Args>
Outcome Skip(fmt::format_string<Args...> format, Args&&... args) {
  return {Outcome::Verdict::kSkip,
          fmt::format(format, std::forward<Args>(args)...)};
}

// An account the run created, with the token of its last LOGIN.
struct Account {
  std::string name;
  std::string password;
  uint64_t user_id = 0;
  std::string local_host;  // the address it always connects from
  protocol::Token token{};
};

class Context;
using RuleFunction = std::function<Outcome(Context&)>;

struct Rule {
  std::string section;  // "6.7", "10.5", ...
  std::string id;       // stable, e.g. "ping-answered-before-login"
  std::string text;     // the rule, as one sentence
  RuleFunction check;
};

std::vector<Rule>& Rules();
struct RuleRegistrar {
  RuleRegistrar(std::string section, std::string id, std::string text,
                RuleFunction check);
};

#define HAIL_RULE_CONCAT2(a, b) a##b
#define HAIL_RULE_CONCAT(a, b) HAIL_RULE_CONCAT2(a, b)
// HAIL_RULE("6.7", "id", "text") { ... return Pass(); }
#define HAIL_RULE(section, id, text)                                    \
  static ::hail::conform::Outcome HAIL_RULE_CONCAT(                     \
      RuleBody, __LINE__)(::hail::conform::Context&);                   \
  static const ::hail::conform::RuleRegistrar HAIL_RULE_CONCAT(         \
      rule_registrar_, __LINE__)(section, id, text,                     \
                                 HAIL_RULE_CONCAT(RuleBody, __LINE__)); \
  static ::hail::conform::Outcome HAIL_RULE_CONCAT(                     \
      RuleBody, __LINE__)([[maybe_unused]] ::hail::conform::Context & ctx)

// What a rule gets: the target, fresh accounts, connections.
class Context {
 public:
  // `source_hosts`: local addresses to spread accounts over (each account
  // keeps one), so the per-IP password budget of SPEC.md 7.12 is not spent
  // by the suite itself; empty: the default route's address.
  Context(Target target, std::vector<std::string> source_hosts,
          std::string run_tag);

  const Target& target() const { return target_; }
  int timeout_ms() const { return target_.timeout_ms; }

  // A new username no other run uses: "cf<tag><n><suffix>".
  std::string FreshName(const std::string& suffix = "");
  // A source address for something that must not share one with the
  // accounts (throttling rules).
  std::string SpareSource();

  // A connected, secured client (UDP unless said), from `local_host`.
  Result<std::unique_ptr<WireClient>> Connect(
      const std::string& local_host = {},
      client::TransportKind kind = client::TransportKind::kUdp);
  // Registers a fresh account (waiting out THROTTLED as the answer says).
  Result<Account> NewAccount(const std::string& suffix = "");
  // Connects and logs `account` in (LOGIN with the password the first
  // time, RESUME with its token after), up to LOGIN_RESULT{OK}: the login
  // sequence is still to come.
  Result<std::unique_ptr<WireClient>> StartLogin(
      Account& account,
      client::TransportKind kind = client::TransportKind::kUdp);
  // StartLogin, then reads the login sequence up to MAILBOX_END; the
  // contact list and mailbox items stay kept in the client.
  Result<std::unique_ptr<WireClient>> LogIn(Account& account);
  // Two fresh accounts that are each other's contacts (ACCEPTED), with
  // their logged-in clients.
  struct Pair {
    Account a, b;
    std::unique_ptr<WireClient> ca, cb;
  };
  Result<Pair> Contacts();
  // Acknowledges every mailbox item kept in `client` (ITEM_ACK).
  static void AckAll(WireClient& client);

  uint32_t NextRequestId() { return ++request_id_; }

 private:
  Target target_;
  std::vector<std::string> sources_;
  size_t next_source_ = 0;
  std::string tag_;
  uint32_t names_ = 0;
  uint32_t request_id_ = 1000;
  uint32_t spare_ = 0;
};

// A message id no other run uses.
protocol::ItemId FreshMessageId();

}  // namespace hail::conform

#endif  // HAIL_TOOLS_CONFORM_RULE_H_
