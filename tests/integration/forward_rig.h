// Issue 11, extended delivery against the real haild: the test fixture the
// forwarding scenarios share. Each test gets its own haild (HaildProcess,
// fresh data dir), real clients that register and log in through the
// protocol, and the helpers of the story: make contacts, ask for settings,
// log out, wait for counters of `haild --stats`. The gateways (aiosmtpd,
// Kannel, HylaFAX) are the fixtures of tests/support/; the e-mail part of
// the rig is ForwardEmailRig.
//
// One test thread drives the rig; helpers that can fail use gtest
// assertions, so callers wrap them in ASSERT_NO_FATAL_FAILURE.
#ifndef HAIL_TESTS_INTEGRATION_FORWARD_RIG_H_
#define HAIL_TESTS_INTEGRATION_FORWARD_RIG_H_

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/error_code.h"
#include "protocol/forward_messages.h"
#include "tests/integration/haild_process.h"
#include "tests/integration/test_client.h"
#include "tests/support/smtp_sink.h"
#include "tests/support/temp_dir.h"

namespace hail::testing {

// How long a test waits for something that should happen (a mail, an SMS,
// a counter): generous for a loaded 2-core machine, never slept through.
inline constexpr std::chrono::milliseconds kForwardTimeout{30000};
// What every haild of these tests names itself in code texts.
inline constexpr std::string_view kServerName = "hail.test";

// The six digits of a verification code text for `user`, as SPEC.md 17.3
// and the wiring word it: "Hail code NNNNNN for USER on SERVER.
// Unexpected? Ignore it."; nullopt when `text` holds none.
std::optional<std::string> FindCode(std::string_view text,
                                    std::string_view user);

// Empty when `program` is installed and executable, else why the test
// cannot run ("... is not installed").
std::string MissingProgram(const std::string& program);
// Empty when Debian's python3-aiosmtpd can be run by SmtpSink.
std::string MissingAiosmtpd();

class ForwardRig : public ::testing::Test {
 protected:
  ForwardRig();
  ~ForwardRig() override;

  // Starts haild on the rig's data dir with the rig's own flags (auth
  // limits raised, retry after 1 s, the server name) and `flags`. Again
  // after Stop/Kill: the same data dir, so what was stored survives.
  void StartHaild(const std::vector<std::string>& flags);

  // A connected, logged-in client for `name` (state in its own home);
  // registers the account on first use. Waits for the mailbox to end.
  std::unique_ptr<TestClient> LogIn(const std::string& name);
  // Logs out, waits for the answer and drops the client.
  void LogOut(std::unique_ptr<TestClient>& client);
  // Makes them accepted contacts through the real request flow.
  void Befriend(TestClient& a, const std::string& a_name, TestClient& b,
                const std::string& b_name);

  // Waits for the RequestDone that answers `request` and returns its code.
  // An ERROR for it is a test failure (its code is returned); kInternal
  // with a failure when there is no answer or the client refused to send.
  protocol::ErrorCode Answer(TestClient& client, Result<uint32_t> request);
  // The user's settings (FORWARD_LIST): one entry per channel, in order;
  // empty when the list did not end.
  std::vector<client::ForwardSetting> ForwardList(TestClient& client);

  // A rule for every accepted contact, after `after_minutes`, no quiet
  // hours, UTC, the default cap.
  static protocol::ForwardRuleFields EnabledRule(uint16_t after_minutes);

  // Alice sends `text` to `recipient` and waits for MESSAGE_ACCEPTED OK;
  // its id in *id.
  void Send(TestClient& sender, const std::string& recipient,
            const std::string& text, protocol::ItemId* id);
  // Waits for the FORWARD_NOTICE about message `id` in `state`.
  std::optional<client::MessageForwarded> WaitForNotice(
      TestClient& sender, const protocol::ItemId& id,
      protocol::ForwardState state);

  // A counter of `haild --stats`; -1 when haild does not report it.
  int64_t Stat(const std::string& name) const { return haild_->Stat(name); }
  // Polls the counter until it is at least `minimum`, up to kForwardTimeout.
  int64_t WaitForStat(const std::string& name, int64_t minimum) const;
  // True when the counter still reads `value` after watching it for `ms`:
  // the bounded check that something did not happen (more sends, say).
  bool StatStays(const std::string& name, int64_t value, int ms) const;

  TempDir dir_;
  std::unique_ptr<HaildProcess> haild_;
  std::set<std::string> registered_;
};

// The e-mail channel: an aiosmtpd sink writing a Maildir; haild is started
// with --forward-smtp-url pointing at it.
class ForwardEmailRig : public ForwardRig {
 protected:
  ForwardEmailRig();

  void SetUp() override;  // skips without aiosmtpd; starts the sink

  // The e-mail flags, plus --forward-clock-skew-seconds `skew` if not 0.
  std::vector<std::string> EmailFlags(int skew_seconds) const;

  // Polls the Maildir until it holds at least `count` mails (or the
  // timeout passes); returns what it holds then.
  std::vector<SmtpSink::Message> WaitForMails(size_t count) const;
  // Every mail in the Maildir whose decoded body contains `text`.
  std::vector<SmtpSink::Message> MailsWith(std::string_view text) const;

  // `user` (logged in) adds `address` for e-mail: exactly one new mail
  // arrives, to that address, naming the user and the server; *code is
  // its code.
  void AddEmail(TestClient& user, const std::string& name,
                const std::string& address, std::string* code);
  // AddEmail and verify with the code (OK).
  void VerifyEmail(TestClient& user, const std::string& name,
                   const std::string& address);
  // A recipient for the stories: `name` logs in, becomes alice's contact,
  // verifies `address`, sets `rule` for e-mail and logs out again.
  void SetUpRecipient(TestClient& alice, const std::string& name,
                      const std::string& address,
                      const protocol::ForwardRuleFields& rule);

  SmtpSink sink_;
};

}  // namespace hail::testing

#endif  // HAIL_TESTS_INTEGRATION_FORWARD_RIG_H_
