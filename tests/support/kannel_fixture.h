// Test harness: a real Kannel on loopback. Writes a temporary kannel.conf
// (bearerbox with a fake SMSC, smsbox with one sendsms-user), starts
// bearerbox, smsbox and Kannel's test SMSC client fakesmsc, each only after
// the one before answers, and records what fakesmsc received. Every
// listener is bound to 127.0.0.1 on ports that were free at Start; every
// process is stopped by its PID (SIGTERM, then SIGKILL); the temporary
// directory goes with the fixture.
//
// Not thread-safe: one test thread drives it.
#ifndef HAIL_TESTS_SUPPORT_KANNEL_FIXTURE_H_
#define HAIL_TESTS_SUPPORT_KANNEL_FIXTURE_H_

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tests/support/temp_dir.h"
#include "tools/bench/child_process.h"

namespace hail::testing {

// One SMS as the fake SMSC handed it to fakesmsc, which logs it as
// "Got message N: <sender receiver ucs-2 DATA>" for a single UCS-2 SMS or
// "Got message N: <sender receiver udh UDH data DATA>" for a part of a
// concatenated one (UDH and DATA URL-encoded, '+' a space; DATA of a
// coding=2 message is UCS-2 big-endian).
struct FakeSmscMessage {
  std::string sender;
  std::string receiver;
  std::string type;  // "ucs-2", "udh", "text" or "data"
  std::string udh;   // raw user data header bytes; empty unless "udh"
  std::string data;  // raw message bytes
};

// Parses one line of fakesmsc's log; nullopt if it reports no message.
std::optional<FakeSmscMessage> ParseFakeSmscLine(std::string_view line);

// UTF-16 big-endian (Kannel's UCS-2 on the wire) to UTF-8; nullopt for an
// odd length or an unpaired surrogate.
std::optional<std::string> Utf16BeToUtf8(std::string_view bytes);

// The UCS-2 text of one SMS from its parts: sorted by the concatenation
// header's sequence number (8-bit reference, IEI 0), their data joined,
// then decoded. nullopt if parts disagree or do not decode.
std::optional<std::string> ReassembledUcs2Text(
    std::vector<FakeSmscMessage> parts);

class KannelFixture {
 public:
  struct Options {
    std::string username = "hail";
    std::string password = "secret";
    int max_messages = 3;  // the sendsms-user's max-messages
  };

  explicit KannelFixture(Options options);
  KannelFixture() : KannelFixture(Options{}) {}
  ~KannelFixture();  // Stop()
  KannelFixture(const KannelFixture&) = delete;
  KannelFixture& operator=(const KannelFixture&) = delete;

  // Starts bearerbox, smsbox and fakesmsc and waits (polling bearerbox's
  // status page, up to 20 s per step) until smsbox is connected and the
  // fake SMSC is online. false, with the reason and logs in failure(), if
  // any step does not come up.
  bool Start();
  // Stops fakesmsc, smsbox and bearerbox (SIGTERM, SIGKILL after 5 s).
  void Stop();

  const Options& options() const { return options_; }
  // "http://127.0.0.1:PORT/cgi-bin/sendsms"
  std::string sendsms_url() const;
  // bearerbox's status page as text; empty when it does not answer.
  std::string Status() const;

  // Every message fakesmsc has logged so far, in order.
  std::vector<FakeSmscMessage> Received() const;
  // Polls Received() until it holds at least `count` messages or
  // `timeout` passes; returns what it holds then.
  std::vector<FakeSmscMessage> WaitForReceived(
      size_t count, std::chrono::milliseconds timeout) const;

  // bearerbox's access log (one line per SMS sent or received).
  std::string AccessLog() const;

  std::string failure() const { return failure_; }

 private:
  struct Child {
    explicit Child(const char* child_name) : name(child_name) {}
    const char* name;
    bench::ChildProcess process;
  };

  void WriteConfig() const;
  bool Spawn(Child& child, const std::vector<std::string>& argv, int stdin_fd);
  bool WaitUntil(Child& child, const std::string& what,
                 bool (KannelFixture::*ready)() const);
  bool StatusAnswers() const;
  bool SmsboxConnected() const;
  bool FakeSmscOnline() const;
  std::string LogTail() const;

  Options options_;
  TempDir dir_;
  uint16_t admin_port_ = 0;
  uint16_t smsbox_port_ = 0;
  uint16_t smsc_port_ = 0;
  uint16_t sendsms_port_ = 0;
  Child bearerbox_{"bearerbox"};
  Child smsbox_{"smsbox"};
  Child fakesmsc_{"fakesmsc"};
  int fakesmsc_stdin_ = -1;  // write end held open: fakesmsc reads stdin
  std::string failure_;
};

}  // namespace hail::testing

#endif  // HAIL_TESTS_SUPPORT_KANNEL_FIXTURE_H_
