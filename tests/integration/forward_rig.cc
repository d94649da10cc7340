#include "tests/integration/forward_rig.h"

#include <unistd.h>

#include <regex>
#include <thread>

namespace hail::testing {

using protocol::ErrorCode;

std::optional<std::string> FindCode(std::string_view text,
                                    std::string_view user) {
  // Words may be wrapped onto the next line (a mail body, a fax page).
  std::string server =
      std::regex_replace(std::string(kServerName), std::regex("\\."), "\\.");
  const std::regex pattern("Hail\\s+code\\s+([0-9]{6})\\s+for\\s+" +
                           std::string(user) + "\\s+on\\s+" + server +
                           "\\.\\s+Unexpected\\?\\s+Ignore\\s+it\\.");
  std::match_results<std::string_view::const_iterator> match;
  if (!std::regex_search(text.begin(), text.end(), match, pattern)) {
    return std::nullopt;
  }
  return match[1].str();
}

std::string MissingProgram(const std::string& program) {
  if (::access(program.c_str(), X_OK) == 0) return "";
  return program + " is not installed";
}

std::string MissingAiosmtpd() {
  CommandResult run =
      RunCommand({"/usr/bin/python3", "-c", "import aiosmtpd"}, {}, 10000);
  if (run.exit_code == 0) return "";
  return "python3-aiosmtpd is not installed (/usr/bin/python3 -c 'import "
         "aiosmtpd' failed: " +
         run.err + ")";
}

// --- ForwardRig ---

ForwardRig::ForwardRig()
    : haild_(std::make_unique<HaildProcess>(dir_.path() / "data",
                                            FreeUdpPort())) {}

ForwardRig::~ForwardRig() { haild_->Kill(); }

void ForwardRig::StartHaild(const std::vector<std::string>& flags) {
  std::vector<std::string> args = {
      "--auth-burst-per-ip",     "200",
      "--auth-rate-per-ip",      "50",
      "--forward-retry-seconds", "1",
      "--forward-server-name",   std::string(kServerName)};
  args.insert(args.end(), flags.begin(), flags.end());
  ASSERT_TRUE(haild_->Start(args)) << haild_->log();
}

std::unique_ptr<TestClient> ForwardRig::LogIn(const std::string& name) {
  auto c = std::make_unique<TestClient>(dir_.path() / name, haild_->port());
  EXPECT_TRUE(c->Connect()) << haild_->log();
  if (registered_.insert(name).second) {
    std::optional<client::Registered> registered =
        c->Register(name, name + "-password");
    EXPECT_TRUE(registered && registered->error == ErrorCode::kOk) << name;
  }
  std::optional<client::LoginResult> result =
      (*c)->HasStoredToken(name) ? c->Resume(name)
                                 : c->Login(name, name + "-password");
  EXPECT_TRUE(result && result->error == ErrorCode::kOk) << name;
  EXPECT_TRUE(c->WaitFor<client::MailboxEnd>()) << name;
  return c;
}

void ForwardRig::LogOut(std::unique_ptr<TestClient>& client) {
  ASSERT_TRUE((*client)->Logout().ok());
  std::optional<client::LoggedOut> out = client->WaitFor<client::LoggedOut>();
  ASSERT_TRUE(out);
  ASSERT_EQ(out->error, ErrorCode::kOk);
  client.reset();
}

void ForwardRig::Befriend(TestClient& a, const std::string& a_name,
                          TestClient& b, const std::string& b_name) {
  ASSERT_EQ(Answer(a, a->AddContact(b_name, "")), ErrorCode::kOk);
  ASSERT_TRUE(b.WaitUntil<client::ContactRequest>(
      [&](const client::ContactRequest& r) { return r.from == a_name; }));
  ASSERT_EQ(Answer(b, b->AnswerContact(a_name, true)), ErrorCode::kOk);
  std::optional<client::ContactAnswered> answered =
      a.WaitUntil<client::ContactAnswered>(
          [&](const client::ContactAnswered& r) { return r.user == b_name; });
  ASSERT_TRUE(answered);
  ASSERT_TRUE(answered->accepted);
}

ErrorCode ForwardRig::Answer(TestClient& client, Result<uint32_t> request) {
  if (!request.ok()) {
    ADD_FAILURE() << "not sent: " << request.status().message();
    return ErrorCode::kInternal;
  }
  const uint32_t id = *request;
  // REQUEST_RESULT, or an ERROR (UNKNOWN_KIND from a haild without
  // forwarding, BAD_STATE) for the same request.
  const auto deadline = std::chrono::steady_clock::now() + kForwardTimeout;
  while (std::chrono::steady_clock::now() < deadline) {
    for (const client::RequestDone& done : client.Take<client::RequestDone>()) {
      if (done.request_id == id) return done.error;
      client.Keep(done);
    }
    for (const client::ErrorReply& error : client.Take<client::ErrorReply>()) {
      if (error.request_id == id) {
        ADD_FAILURE() << "answered ERROR " << ErrorCodeName(error.code);
        return error.code;
      }
      client.Keep(error);
    }
    client.Drain(20);
  }
  ADD_FAILURE() << "no answer to request " << id;
  return ErrorCode::kInternal;
}

std::vector<client::ForwardSetting> ForwardRig::ForwardList(
    TestClient& client) {
  Result<uint32_t> request = client->RequestForwardList();
  if (!request.ok()) return {};
  const uint32_t id = *request;
  std::optional<client::ForwardListEnd> end =
      client.WaitUntil<client::ForwardListEnd>(
          [id](const client::ForwardListEnd& e) { return e.request_id == id; });
  if (!end) return {};
  std::vector<client::ForwardSetting> settings;
  for (const client::ForwardSetting& s :
       client.Take<client::ForwardSetting>()) {
    if (s.request_id == id) settings.push_back(s);
  }
  EXPECT_EQ(settings.size(), end->count);
  return settings;
}

protocol::ForwardRuleFields ForwardRig::EnabledRule(uint16_t after_minutes) {
  protocol::ForwardRuleFields rule;
  rule.enabled = 1;
  rule.after_minutes = after_minutes;
  rule.quiet_start = 0;
  rule.quiet_end = 0;
  rule.utc_offset_minutes = 0;
  rule.daily_cap = protocol::kForwardDefaultDailyCap;
  rule.contacts_mode =
      static_cast<uint8_t>(protocol::ForwardContactsMode::kAll);
  return rule;
}

void ForwardRig::Send(TestClient& sender, const std::string& recipient,
                      const std::string& text, protocol::ItemId* id) {
  Result<protocol::ItemId> sent = sender->SendMessage(recipient, text);
  ASSERT_TRUE(sent.ok()) << sent.status().message();
  *id = *sent;
  std::optional<client::MessageAccepted> accepted =
      sender.WaitUntil<client::MessageAccepted>(
          [&](const client::MessageAccepted& a) {
            return a.message_id == *sent;
          });
  ASSERT_TRUE(accepted);
  ASSERT_EQ(accepted->error, ErrorCode::kOk);
  ASSERT_EQ(accepted->route, protocol::Route::kStored);
}

std::optional<client::MessageForwarded> ForwardRig::WaitForNotice(
    TestClient& sender, const protocol::ItemId& id,
    protocol::ForwardState state) {
  return sender.WaitUntil<client::MessageForwarded>(
      [&](const client::MessageForwarded& n) {
        return n.message_id == id && n.state == static_cast<uint8_t>(state);
      },
      static_cast<int>(kForwardTimeout.count()));
}

int64_t ForwardRig::WaitForStat(const std::string& name,
                                int64_t minimum) const {
  return haild_->WaitForStat(name, minimum,
                             static_cast<int>(kForwardTimeout.count()));
}

bool ForwardRig::StatStays(const std::string& name, int64_t value,
                           int ms) const {
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  while (std::chrono::steady_clock::now() < deadline) {
    if (Stat(name) != value) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return Stat(name) == value;
}

// --- ForwardEmailRig ---

ForwardEmailRig::ForwardEmailRig() : sink_(dir_.path() / "smtp") {}

void ForwardEmailRig::SetUp() {
  const std::string missing = MissingAiosmtpd();
  if (!missing.empty()) GTEST_SKIP() << missing;
  const Status started = sink_.Start({});
  ASSERT_TRUE(started.ok()) << started.message();
}

std::vector<std::string> ForwardEmailRig::EmailFlags(int skew_seconds) const {
  std::vector<std::string> flags = {"--forward-smtp-url", sink_.url(),
                                    "--forward-smtp-from", "hail@hail.test"};
  if (skew_seconds != 0) {
    flags.insert(flags.end(), {"--forward-clock-skew-seconds",
                               std::to_string(skew_seconds)});
  }
  return flags;
}

std::vector<SmtpSink::Message> ForwardEmailRig::WaitForMails(
    size_t count) const {
  const auto deadline = std::chrono::steady_clock::now() + kForwardTimeout;
  std::vector<SmtpSink::Message> mails = sink_.Messages();
  while (mails.size() < count && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    mails = sink_.Messages();
  }
  return mails;
}

std::vector<SmtpSink::Message> ForwardEmailRig::MailsWith(
    std::string_view text) const {
  std::vector<SmtpSink::Message> found;
  for (SmtpSink::Message& mail : sink_.Messages()) {
    if (mail["body"].find(text) != std::string::npos) {
      found.push_back(std::move(mail));
    }
  }
  return found;
}

void ForwardEmailRig::AddEmail(TestClient& user, const std::string& name,
                               const std::string& address, std::string* code) {
  std::set<std::string> seen;  // Message-IDs of the mails already there
  for (SmtpSink::Message& mail : sink_.Messages()) {
    seen.insert(mail["message-id"]);
  }
  ASSERT_EQ(Answer(user, user->AddForwardAddress(
                             protocol::ForwardChannel::kEmail, address)),
            ErrorCode::kOk);
  std::vector<SmtpSink::Message> mails = WaitForMails(seen.size() + 1);
  ASSERT_EQ(mails.size(), seen.size() + 1) << haild_->log();
  for (SmtpSink::Message& mail : mails) {
    if (seen.contains(mail["message-id"])) continue;
    EXPECT_NE(mail["to"].find(address), std::string::npos) << mail["to"];
    std::optional<std::string> in_mail = FindCode(mail["body"], name);
    ASSERT_TRUE(in_mail) << "no code for " << name << " in " << mail["body"];
    *code = *in_mail;
    return;
  }
  FAIL() << "the new mail repeats a Message-ID";
}

void ForwardEmailRig::VerifyEmail(TestClient& user, const std::string& name,
                                  const std::string& address) {
  std::string code;
  ASSERT_NO_FATAL_FAILURE(AddEmail(user, name, address, &code));
  ASSERT_EQ(Answer(user, user->VerifyForwardAddress(
                             protocol::ForwardChannel::kEmail, code)),
            ErrorCode::kOk);
}

void ForwardEmailRig::SetUpRecipient(TestClient& alice, const std::string& name,
                                     const std::string& address,
                                     const protocol::ForwardRuleFields& rule) {
  std::unique_ptr<TestClient> recipient = LogIn(name);
  ASSERT_NO_FATAL_FAILURE(Befriend(alice, "alice", *recipient, name));
  ASSERT_NO_FATAL_FAILURE(VerifyEmail(*recipient, name, address));
  ASSERT_EQ(Answer(*recipient, (*recipient)
                                   ->SetForwardRules(
                                       protocol::ForwardChannel::kEmail, rule)),
            ErrorCode::kOk);
  ASSERT_NO_FATAL_FAILURE(LogOut(recipient));
}

}  // namespace hail::testing
