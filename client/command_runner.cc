#include "client/command_runner.h"

#include <fmt/format.h>
#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <ctime>
#include <utility>

#include "client/event_json.h"
#include "client/event_text.h"
#include "client/json_line.h"
#include "protocol/account_rules.h"
#include "protocol/registry.h"

namespace hail::client {
namespace {

using protocol::ErrorCode;

std::optional<std::string> EnvironmentValue(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr) return std::nullopt;
  return std::string(value);
}

std::string YesNo(bool value) { return value ? "yes" : "no"; }
std::string TrueFalse(bool value) { return value ? "true" : "false"; }

std::string FormatUnixTime(uint64_t unix_seconds) {
  std::time_t time = static_cast<std::time_t>(unix_seconds);
  std::tm utc{};
  if (gmtime_r(&time, &utc) == nullptr) return std::to_string(unix_seconds);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S UTC", &utc);
  return text;
}

template <class E>
bool Is(const Event& event) {
  return std::holds_alternative<E>(event);
}

}  // namespace

CliEnvironment CliEnvironment::FromProcess() {
  CliEnvironment environment;
  std::optional<std::string> hail_home = EnvironmentValue("HAIL_HOME");
  if (hail_home && !hail_home->empty()) {
    environment.home = *hail_home;
  } else {
    std::optional<std::string> home = EnvironmentValue("HOME");
    if (!home || home->empty()) {
      if (const passwd* entry = getpwuid(getuid()); entry != nullptr) {
        home = entry->pw_dir;
      }
    }
    if (home && !home->empty()) {
      environment.home = std::filesystem::path(*home) / ".hail";
    }
  }
  environment.password = EnvironmentValue("HAIL_PASSWORD");
  environment.new_password = EnvironmentValue("HAIL_NEW_PASSWORD");
  environment.user = EnvironmentValue("HAIL_USER");
  environment.key_log_path = EnvironmentValue("HAIL_KEYLOGFILE").value_or("");
  return environment;
}

CommandRunner::CommandRunner(CliOptions options, CliEnvironment environment,
                             std::ostream& out, std::ostream& err,
                             PasswordReader read_password)
    : options_(std::move(options)),
      environment_(std::move(environment)),
      out_(out),
      err_(err),
      read_password_(std::move(read_password)) {}

CommandRunner::~CommandRunner() = default;

ExitCode CommandRunner::Run() {
  if (environment_.home.empty()) {
    return Fail(ExitCode::kUsage, "no state directory: set HAIL_HOME or HOME");
  }
  ClientOptions client_options;
  client_options.server_host = options_.server.host;
  client_options.server_port = options_.server.port;
  client_options.home = environment_.home;
  client_options.trusted_identity = options_.trusted_identity;
  client_options.transport = options_.transport;
  client_options.tcp_port = options_.tcp_port;
  client_options.key_log_path = environment_.key_log_path;
  // Items are acknowledged once printed (see the class comment).
  client_options.auto_ack = false;
  client_options.auto_reconnect = options_.command == Command::kListen ||
                                  options_.command == Command::kChat;
  // A one-shot command is gone before a direct link could help it.
  client_options.p2p = options_.p2p.value_or(
      client_options.auto_reconnect ? P2pPolicy::kAuto : P2pPolicy::kRelayOnly);
  client_ = std::make_unique<Client>(std::move(client_options));
  switch (options_.command) {
    case Command::kRegister:
      return RunRegister();
    case Command::kLogin:
    case Command::kWhoami:
      return RunLoginLike();
    case Command::kPasswd:
      return RunPasswd();
    case Command::kDeleteAccount:
      return RunDeleteAccount();
    case Command::kPing:
      return RunPing();
    case Command::kFingerprint:
      return RunFingerprint();
    case Command::kDoctor:
      return RunDoctor();
    case Command::kAdd:
    case Command::kAccept:
    case Command::kDeny:
    case Command::kRemove:
    case Command::kBlock:
    case Command::kUnblock:
      return RunContactRequest();
    case Command::kStatus:
      return RunStatus();
    case Command::kSend:
      return RunSend();
    case Command::kWho:
      return RunWho();
    case Command::kInbox:
      return RunInbox();
    case Command::kListen:
      return RunListen();
    case Command::kChat:
      return RunChat();
    case Command::kForward:
      return RunForward();
  }
  return Fail(ExitCode::kUsage, "unknown command");
}

// --- Commands ---

ExitCode CommandRunner::RunRegister() {
  if (std::optional<ExitCode> failed = CheckUsername()) return *failed;
  std::string password;
  if (std::optional<ExitCode> failed = ObtainPassword(
          fmt::format("Password for the new account {}: ", options_.username),
          environment_.password, /*confirm=*/true, &password)) {
    return *failed;
  }
  if (std::optional<ExitCode> failed = ConnectAndWait()) return *failed;
  Result<uint32_t> request = client_->Register(options_.username, password);
  if (!request.ok()) return *ReportRequestError(request.status());
  ExitCode failure = ExitCode::kOk;
  std::optional<Event> event = Await(
      "the registration result",
      [id = *request](const Event& e) {
        return Is<Registered>(e) && std::get<Registered>(e).request_id == id;
      },
      &failure);
  if (!event) return failure;
  const auto& registered = std::get<Registered>(*event);
  if (registered.error != ErrorCode::kOk) {
    CloseAndDrain();
    return ServerError("registration", registered.error,
                       registered.retry_after_ms);
  }
  // Leave a usable login, as `hail login` does: the token is stored, so
  // the next command needs neither --user nor the password (issue 12).
  LoginResult login;
  if (std::optional<ExitCode> failed = LogIn(password, &login)) {
    return *failed;
  }
  EmitResult({{"user id", "user_id", std::to_string(registered.user_id), true},
              {"username", "username", registered.username}});
  LogOutAndClose();
  return ExitCode::kOk;
}

ExitCode CommandRunner::RunLoginLike() {
  if (std::optional<ExitCode> failed = CheckUsername()) return *failed;
  // Without a stored token the password is needed: ask before connecting.
  std::optional<std::string> password;
  if (!client_->HasStoredToken(options_.username)) {
    password.emplace();
    if (std::optional<ExitCode> failed =
            ObtainPassword(PasswordPrompt(), environment_.password,
                           /*confirm=*/false, &*password)) {
      return *failed;
    }
  }
  if (std::optional<ExitCode> failed = ConnectAndWait()) return *failed;
  LoginResult login;
  if (std::optional<ExitCode> failed = LogIn(password, &login)) {
    return *failed;
  }
  if (options_.command == Command::kLogin) {
    EmitResult(LoginFields(login));
    LogOutAndClose();
    return ExitCode::kOk;
  }
  Result<uint32_t> request = client_->RequestSessionInfo();
  if (!request.ok()) return *ReportRequestError(request.status());
  ExitCode failure = ExitCode::kOk;
  std::optional<Event> event = Await(
      "the session information",
      [id = *request](const Event& e) {
        return Is<SessionInfo>(e) && std::get<SessionInfo>(e).request_id == id;
      },
      &failure);
  if (!event) return failure;
  const auto& info = std::get<SessionInfo>(*event);
  EmitResult({
      {"user id", "user_id", std::to_string(info.user_id), true},
      {"username", "username", info.username},
      {"public endpoint", "observed_endpoint",
       info.observed_endpoint.ToString()},
      {"LAN endpoint", "lan_endpoint", info.lan_endpoint.ToString()},
      {"transport", "transport",
       std::string(TransportKindName(
           client_->transport_kind().value_or(TransportKind::kUdp)))},
      {"client version", "client_version", info.client_version},
      {"logged in at", "login_unix",
       options_.json ? std::to_string(info.login_unix)
                     : FormatUnixTime(info.login_unix),
       true},
      {"resumed", "resumed",
       options_.json ? TrueFalse(login.resumed) : YesNo(login.resumed), true},
  });
  LogOutAndClose();
  return ExitCode::kOk;
}

ExitCode CommandRunner::RunPasswd() {
  if (std::optional<ExitCode> failed = CheckUsername()) return *failed;
  std::string old_password;
  std::string new_password;
  if (std::optional<ExitCode> failed = ObtainPassword(
          fmt::format("Current password for {}: ", options_.username),
          environment_.password, /*confirm=*/false, &old_password)) {
    return *failed;
  }
  if (std::optional<ExitCode> failed =
          ObtainPassword("New password: ", environment_.new_password,
                         /*confirm=*/true, &new_password)) {
    return *failed;
  }
  if (!protocol::IsAcceptablePassword(new_password)) {
    return Fail(ExitCode::kUsage,
                "the new password must be 8..128 bytes of UTF-8 without NUL");
  }
  if (std::optional<ExitCode> failed = ConnectAndWait()) return *failed;
  LoginResult login;
  if (std::optional<ExitCode> failed = LogIn(old_password, &login)) {
    return *failed;
  }
  Result<uint32_t> request =
      client_->ChangePassword(old_password, new_password);
  if (!request.ok()) return *ReportRequestError(request.status());
  ExitCode failure = ExitCode::kOk;
  std::optional<Event> event = Await(
      "the password change result",
      [id = *request](const Event& e) {
        return Is<PasswordChanged>(e) &&
               std::get<PasswordChanged>(e).request_id == id;
      },
      &failure);
  if (!event) return failure;
  const auto& changed = std::get<PasswordChanged>(*event);
  if (changed.error != ErrorCode::kOk) {
    LogOutAndClose();
    return ServerError("password change", changed.error,
                       changed.retry_after_ms);
  }
  if (!changed.token_storage_error.empty()) {
    Warn(fmt::format("the new resumption token could not be saved: {}",
                     changed.token_storage_error));
  }
  EmitResult({{"password changed for", "username", login.username}});
  LogOutAndClose();
  return ExitCode::kOk;
}

ExitCode CommandRunner::RunDeleteAccount() {
  if (std::optional<ExitCode> failed = CheckUsername()) return *failed;
  std::string password;
  if (std::optional<ExitCode> failed = ObtainPassword(
          fmt::format("Password for {} (the account will be deleted): ",
                      options_.username),
          environment_.password, /*confirm=*/false, &password)) {
    return *failed;
  }
  if (std::optional<ExitCode> failed = ConnectAndWait()) return *failed;
  LoginResult login;
  if (std::optional<ExitCode> failed = LogIn(password, &login)) {
    return *failed;
  }
  Result<uint32_t> request = client_->DeleteAccount(password);
  if (!request.ok()) return *ReportRequestError(request.status());
  ExitCode failure = ExitCode::kOk;
  std::optional<Event> event = Await(
      "the account deletion result",
      [id = *request](const Event& e) {
        return Is<AccountDeleted>(e) &&
               std::get<AccountDeleted>(e).request_id == id;
      },
      &failure);
  if (!event) return failure;
  const auto& deleted = std::get<AccountDeleted>(*event);
  if (deleted.error != ErrorCode::kOk) {
    LogOutAndClose();
    return ServerError("account deletion", deleted.error,
                       deleted.retry_after_ms);
  }
  EmitResult({{"deleted account", "username", login.username},
              {"user id", "user_id", std::to_string(login.user_id), true}});
  CloseAndDrain();  // the server ends the session (ACCOUNT_DELETED) itself
  return ExitCode::kOk;
}

ExitCode CommandRunner::RunPing() {
  if (std::optional<ExitCode> failed = ConnectAndWait()) return *failed;
  Result<uint64_t> nonce = client_->Ping();
  if (!nonce.ok()) return *ReportRequestError(nonce.status());
  ExitCode failure = ExitCode::kOk;
  std::optional<Event> event = Await(
      "PONG",
      [nonce = *nonce](const Event& e) {
        return Is<Pong>(e) && std::get<Pong>(e).nonce == nonce;
      },
      &failure);
  if (!event) return failure;
  EmitResult({{"server", "server", client_->server()},
              {"rtt ms", "rtt_ms",
               std::to_string(std::get<Pong>(*event).rtt_ms), true}});
  CloseAndDrain();
  return ExitCode::kOk;
}

ExitCode CommandRunner::RunFingerprint() {
  Connected connected;
  if (std::optional<ExitCode> failed = ConnectAndWait(&connected)) {
    return *failed;
  }
  EmitResult({
      {"server", "server", client_->server()},
      {"fingerprint", "fingerprint", connected.fingerprint},
      {"pinned", "pinned",
       options_.json ? "true" : PinnedText(connected.newly_pinned),
       options_.json},
      {"newly pinned", "newly_pinned",
       options_.json ? TrueFalse(connected.newly_pinned)
                     : YesNo(connected.newly_pinned),
       options_.json},
      {"known servers file", "known_servers",
       client_->known_servers_file().string()},
  });
  CloseAndDrain();
  return ExitCode::kOk;
}

ExitCode CommandRunner::RunDoctor() {
  Status started = client_->Connect();
  if (!started.ok()) {
    return Fail(ExitCode::kNetwork,
                fmt::format("cannot connect: {}", started.message()));
  }
  deadline_ = Clock::now() + std::chrono::seconds(options_.timeout_seconds);
  // Discovery runs from the session's socket while the handshake goes on.
  if (Status status = client_->DiscoverNat(); !status.ok()) {
    return Fail(
        ExitCode::kNetwork,
        fmt::format("cannot start NAT discovery: {}", status.message()));
  }
  std::optional<NatReport> report;
  std::optional<std::string> session;  // "secured", or why not
  ExitCode session_failure = ExitCode::kOk;
  while ((!report || !session) && Clock::now() < deadline_) {
    auto remaining = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline_ - Clock::now());
    std::optional<Event> event = client_->Poll(
        static_cast<int>(std::clamp<int64_t>(remaining.count(), 0, 1000)));
    if (!event) {
      if (client_->state() == Client::State::kClosed) break;
      continue;
    }
    if (const auto* nat = std::get_if<NatReport>(&*event)) {
      report = *nat;
    } else if (Is<Connected>(*event)) {
      session = "secured";
    } else if (const auto* failed = std::get_if<ConnectFailed>(&*event)) {
      session = "failed: " + failed->reason;
      session_failure =
          failed->error ? ExitCode::kServerError : ExitCode::kNetwork;
    } else if (Is<IdentityMismatch>(*event)) {
      session = "failed: the server's identity differs from the pinned one";
      session_failure = ExitCode::kIdentityMismatch;
    }
  }
  if (!report) {
    CloseAndDrain();
    return Fail(ExitCode::kNetwork,
                fmt::format("timed out waiting for NAT discovery against {}",
                            client_->server()));
  }
  if (!session) {
    session = "timed out";
    session_failure = ExitCode::kNetwork;
  }
  EmitResult({
      {"server", "server", client_->server()},
      {"udp", "udp_works",
       options_.json ? TrueFalse(report->udp_works)
                     : (report->udp_works ? "works" : "blocked"),
       options_.json},
      {"public endpoint", "public_endpoint",
       report->public_endpoint.ToString()},
      {"nat mapping", "mapping",
       std::string(nat::MappingBehaviourName(report->mapping))},
      {"meaning", "meaning", std::string(NatMeaning(*report))},
      {"detail", "reason", report->reason},
      {"hail session", "session", *session},
  });
  CloseAndDrain();
  if (!report->udp_works) return ExitCode::kNetwork;
  return session_failure;
}

std::string CommandRunner::PinnedText(bool newly_pinned) const {
  if (!newly_pinned) return "yes, matches the pinned identity";
  return options_.trusted_identity ? "yes, just now (from --trust)"
                                   : "yes, just now (first use)";
}

std::string CommandRunner::PasswordPrompt() const {
  return fmt::format("Password for {}@{}: ", options_.username,
                     client_->server());
}

// --- Steps ---

std::optional<ExitCode> CommandRunner::CheckUsername() {
  if (!protocol::NormalizeUsername(options_.username)) {
    return Fail(ExitCode::kUsage,
                fmt::format("'{}' is not a valid username: 3..32 characters "
                            "of A-Z a-z 0-9 . _ -, starting with a letter",
                            options_.username));
  }
  return std::nullopt;
}

std::optional<ExitCode> CommandRunner::ObtainPassword(
    std::string_view prompt, const std::optional<std::string>& from_env,
    bool confirm, std::string* password) {
  if (from_env) {
    *password = *from_env;
    return std::nullopt;
  }
  Clock::time_point started = Clock::now();
  Result<std::string> first = read_password_(prompt);
  if (first.ok() && confirm) {
    Result<std::string> second = read_password_("Repeat it: ");
    if (second.ok() && *second != *first) {
      return Fail(ExitCode::kUsage, "the passwords do not match");
    }
    if (!second.ok()) first = second.status();
  }
  // Time at the prompt does not count against --timeout.
  deadline_ += Clock::now() - started;
  if (!first.ok()) {
    if (first.status().IsNotFound()) {
      return Fail(ExitCode::kUsage,
                  "no terminal to ask for the password on; set "
                  "HAIL_PASSWORD (and HAIL_NEW_PASSWORD for passwd)");
    }
    return Fail(ExitCode::kUsage, first.status().message());
  }
  *password = std::move(*first);
  return std::nullopt;
}

std::optional<ExitCode> CommandRunner::ConnectAndWait(
    Connected* connected_out) {
  Status started = client_->Connect();
  if (!started.ok()) {
    return Fail(ExitCode::kNetwork,
                fmt::format("cannot connect: {}", started.message()));
  }
  deadline_ = Clock::now() + std::chrono::seconds(options_.timeout_seconds);
  ExitCode failure = ExitCode::kOk;
  std::optional<Event> event =
      Await("the secure handshake", Is<Connected>, &failure);
  if (!event) return failure;
  const auto& connected = std::get<Connected>(*event);
  if (connected.newly_pinned && options_.command != Command::kFingerprint) {
    Warn(fmt::format("pinned the identity of {} ({}): {}", client_->server(),
                     options_.trusted_identity ? "from --trust" : "first use",
                     connected.fingerprint));
  }
  if (!connected.key_log_error.empty()) {
    Warn(fmt::format("cannot write HAIL_KEYLOGFILE: {}",
                     connected.key_log_error));
  }
  if (connected_out != nullptr) *connected_out = connected;
  return std::nullopt;
}

std::optional<ExitCode> CommandRunner::LogIn(
    std::optional<std::string> password, LoginResult* result) {
  ExitCode failure = ExitCode::kOk;
  auto answers = [](uint32_t id) {
    return [id](const Event& e) {
      return Is<LoginResult>(e) && std::get<LoginResult>(e).request_id == id;
    };
  };
  if (client_->HasStoredToken(options_.username)) {
    Result<uint32_t> request = client_->Resume(options_.username);
    if (!request.ok()) return ReportRequestError(request.status());
    std::optional<Event> event =
        Await("the resumption result", answers(*request), &failure);
    if (!event) return failure;
    *result = std::get<LoginResult>(*event);
    if (result->error == ErrorCode::kOk) {
      if (!result->token_storage_error.empty()) {
        Warn(fmt::format("the new resumption token could not be saved: {}",
                         result->token_storage_error));
      }
      ReportResentMessages(*result);
      return std::nullopt;
    }
    if (result->error != ErrorCode::kTokenInvalid) {
      LogOutAndClose();
      return ServerError("resumption", result->error, result->retry_after_ms);
    }
    Warn(
        "the stored token was not accepted (TOKEN_INVALID); logging in "
        "with the password");
  }
  if (!password) {
    std::string typed;
    if (std::optional<ExitCode> failed =
            ObtainPassword(PasswordPrompt(), environment_.password,
                           /*confirm=*/false, &typed)) {
      CloseAndDrain();
      return failed;
    }
    password = std::move(typed);
  }
  Result<uint32_t> request = client_->Login(options_.username, *password);
  if (!request.ok()) {
    std::optional<ExitCode> failed = ReportRequestError(request.status());
    CloseAndDrain();
    return failed;
  }
  std::optional<Event> event =
      Await("the login result", answers(*request), &failure);
  if (!event) return failure;
  *result = std::get<LoginResult>(*event);
  if (result->error != ErrorCode::kOk) {
    CloseAndDrain();
    return ServerError("login", result->error, result->retry_after_ms);
  }
  if (!result->token_storage_error.empty()) {
    Warn(fmt::format("the resumption token could not be saved: {}",
                     result->token_storage_error));
  }
  ReportResentMessages(*result);
  return std::nullopt;
}

void CommandRunner::ReportResentMessages(const LoginResult& login) {
  if (!login.outbox_problem.empty()) Warn(login.outbox_problem);
  if (login.resent_messages == 0) return;
  Warn(fmt::format("resending {} {} queued earlier with the same id",
                   login.resent_messages,
                   login.resent_messages == 1 ? "message" : "messages"));
}

void CommandRunner::ReportRestoredAnswer(const MessageAccepted& accepted) {
  if (options_.json) {
    out_ << EventJson(Event(accepted));
    return;
  }
  std::string outcome;
  if (accepted.error != ErrorCode::kOk) {
    outcome = fmt::format(
        "not sent: {}{}", WireErrorName(accepted.error),
        accepted.kept_for_retry ? " (kept; resent at the next login)" : "");
  } else if (accepted.route == protocol::Route::kLive) {
    outcome = "delivered live";
  } else {
    outcome = "stored offline";
  }
  out_ << fmt::format("resent 1 message queued earlier to {}: {}\n",
                      accepted.recipient, outcome);
}

std::optional<Event> CommandRunner::Await(std::string_view what,
                                          const EventFilter& wanted,
                                          ExitCode* failure) {
  while (true) {
    auto remaining = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline_ - Clock::now());
    if (remaining.count() <= 0) {
      *failure = Fail(ExitCode::kNetwork,
                      fmt::format("timed out waiting for {} from {}", what,
                                  client_->server()));
      CloseAndDrain();
      return std::nullopt;
    }
    std::optional<Event> event;
    if (client_->state() == Client::State::kClosed ||
        client_->state() == Client::State::kIdle) {
      event = client_->Poll(0);  // only what is already queued
      if (!event) {
        *failure = Fail(
            ExitCode::kNetwork,
            fmt::format("the connection closed while waiting for {}", what));
        return std::nullopt;
      }
    } else {
      event = client_->Poll(
          static_cast<int>(std::min<int64_t>(remaining.count(), 1000)));
      if (!event) continue;
    }
    if (wanted(*event)) return event;
    if (const auto* progress = std::get_if<ConnectProgress>(&*event)) {
      Warn(ConnectProgressText(*progress));
      continue;
    }
    if (const auto* accepted = std::get_if<MessageAccepted>(&*event);
        accepted != nullptr && accepted->restored) {
      ReportRestoredAnswer(*accepted);
      continue;
    }
    if (const auto* failed = std::get_if<ConnectFailed>(&*event)) {
      std::string message = failed->reason;
      if (failed->error) {
        message += fmt::format(" ({})", WireErrorName(*failed->error));
      }
      *failure =
          Fail(failed->error ? ExitCode::kServerError : ExitCode::kNetwork,
               message, failed->error);
      return std::nullopt;
    }
    if (const auto* mismatch = std::get_if<IdentityMismatch>(&*event)) {
      *failure = ReportIdentityMismatch(*mismatch);
      return std::nullopt;
    }
    if (const auto* reply = std::get_if<ErrorReply>(&*event)) {
      *failure = Fail(ExitCode::kServerError,
                      fmt::format("the server answered {} with {}",
                                  protocol::KindName(reply->offending_kind),
                                  WireErrorName(reply->code)),
                      reply->code);
      CloseAndDrain();
      return std::nullopt;
    }
    if (const auto* ended = std::get_if<SessionEnded>(&*event)) {
      *failure = Fail(ExitCode::kServerError,
                      fmt::format("the server ended the session: {}",
                                  WireErrorName(ended->reason)),
                      ended->reason);
      CloseAndDrain();
      return std::nullopt;
    }
    if (const auto* gone = std::get_if<Disconnected>(&*event)) {
      std::string message = "the server closed the connection";
      if (gone->reason != ErrorCode::kOk) {
        message += fmt::format(" ({})", WireErrorName(gone->reason));
      }
      *failure = Fail(ExitCode::kNetwork, message);
      return std::nullopt;
    }
    // Anything else (a late PONG, say) does not concern this wait.
  }
}

std::optional<ExitCode> CommandRunner::ReportRequestError(
    const Status& status) {
  return Fail(status.code() == Status::Code::kInvalidArgument
                  ? ExitCode::kUsage
                  : ExitCode::kNetwork,
              status.message());
}

void CommandRunner::LogOutAndClose() {
  if (client_->state() == Client::State::kSecured &&
      !client_->logged_in_username().empty()) {
    Result<uint32_t> request = client_->Logout();
    if (request.ok()) {
      Clock::time_point give_up = std::min(
          deadline_,
          Clock::now() + std::chrono::milliseconds(Client::kCloseTimeoutMs));
      while (Clock::now() < give_up &&
             client_->state() == Client::State::kSecured) {
        std::optional<Event> event = client_->Poll(100);
        if (event && (Is<LoggedOut>(*event) || Is<ErrorReply>(*event))) {
          if (const auto* out = std::get_if<LoggedOut>(&*event);
              out == nullptr || out->error != ErrorCode::kOk) {
            Warn("the server did not confirm the logout");
          }
          break;
        }
      }
    }
  }
  CloseAndDrain();
}

void CommandRunner::CloseAndDrain() {
  client_->Close();
  // Close guarantees Closed within Client::kCloseTimeoutMs.
  while (client_->state() != Client::State::kClosed &&
         client_->state() != Client::State::kIdle) {
    client_->Poll(100);
  }
  while (client_->Poll(0)) {
  }
}

// --- Output ---

void CommandRunner::EmitResult(const std::vector<ResultField>& fields) {
  if (options_.json) {
    JsonLine line;
    line.AddString("command", CommandName(options_.command));
    line.AddBool("ok", true);
    for (const ResultField& field : fields) {
      if (field.raw) {
        // Numbers and booleans are already JSON literals.
        if (field.text == "true" || field.text == "false") {
          line.AddBool(field.key, field.text == "true");
        } else {
          line.AddUnsigned(field.key, std::stoull(field.text));
        }
      } else {
        line.AddString(field.key, field.text);
      }
    }
    out_ << line.str() << std::flush;
    return;
  }
  size_t width = 0;
  for (const ResultField& field : fields) {
    width = std::max(width, field.label.size());
  }
  for (const ResultField& field : fields) {
    out_ << fmt::format("{:<{}}  {}\n", std::string(field.label) + ":",
                        width + 1, field.text);
  }
  out_ << std::flush;
}

std::vector<CommandRunner::ResultField> CommandRunner::LoginFields(
    const LoginResult& login) {
  return {
      {"user id", "user_id", std::to_string(login.user_id), true},
      {"username", "username", login.username},
      {"public endpoint", "observed_endpoint",
       login.observed_endpoint.ToString()},
      {"resumed", "resumed",
       options_.json ? TrueFalse(login.resumed) : YesNo(login.resumed), true},
  };
}

void CommandRunner::Warn(std::string_view message) {
  err_ << "hail: " << message << "\n" << std::flush;
}

ExitCode CommandRunner::Fail(ExitCode code, std::string_view message,
                             std::optional<ErrorCode> error,
                             uint32_t retry_after_ms) {
  err_ << "hail " << CommandName(options_.command) << ": " << message << "\n"
       << std::flush;
  if (options_.json) {
    JsonLine line;
    line.AddString("command", CommandName(options_.command));
    line.AddBool("ok", false);
    line.AddNumber("exit_code", static_cast<int>(code));
    if (error) line.AddString("error", WireErrorName(*error));
    if (retry_after_ms > 0) line.AddUnsigned("retry_after_ms", retry_after_ms);
    line.AddString("message", message);
    out_ << line.str() << std::flush;
  }
  return code;
}

ExitCode CommandRunner::ServerError(std::string_view what, ErrorCode error,
                                    uint32_t retry_after_ms) {
  std::string message =
      fmt::format("{} failed: {}", what, WireErrorName(error));
  if (error == ErrorCode::kThrottled || retry_after_ms > 0) {
    message += fmt::format(" (retry after {:.1f} s)", retry_after_ms / 1000.0);
  }
  return Fail(ExitCode::kServerError, message, error, retry_after_ms);
}

ExitCode CommandRunner::ReportIdentityMismatch(
    const IdentityMismatch& mismatch) {
  const std::string banner(72, '@');
  err_ << banner << "\n"
       << "@  WARNING: THE IDENTITY OF SERVER " << mismatch.server
       << (mismatch.expected_from_trust_option ? " DOES NOT MATCH --trust\n"
                                               : " HAS CHANGED\n")
       << "@  The connection was refused; no credentials were sent.\n"
       << banner << "\n";
  if (mismatch.expected_from_trust_option) {
    err_ << "Expected (--trust): " << mismatch.expected_fingerprint << "\n";
  } else {
    err_ << "Pinned:             " << mismatch.expected_fingerprint << "\n"
         << "  (in " << mismatch.known_servers_file.string() << ")\n";
  }
  err_ << "Offered by server:  " << mismatch.offered_fingerprint << "\n\n"
       << "Someone may be impersonating this server (a man-in-the-middle "
          "attack),\nor its operator replaced its identity key. If the "
          "server is genuine,\nconfirm the offered fingerprint with the "
          "operator (haild --print-fingerprint)\nand run again with\n"
       << "  --trust " << mismatch.offered_fingerprint << "\n"
       << "which replaces the entry in " << mismatch.known_servers_file.string()
       << ".\n"
       << std::flush;
  if (options_.json) {
    JsonLine line;
    line.AddString("command", CommandName(options_.command));
    line.AddBool("ok", false);
    line.AddNumber("exit_code", static_cast<int>(ExitCode::kIdentityMismatch));
    line.AddString("error", "IDENTITY_MISMATCH");
    line.AddString("server", mismatch.server);
    line.AddString("expected_fingerprint", mismatch.expected_fingerprint);
    line.AddString("offered_fingerprint", mismatch.offered_fingerprint);
    line.AddString("known_servers", mismatch.known_servers_file.string());
    out_ << line.str() << std::flush;
  }
  return ExitCode::kIdentityMismatch;
}

}  // namespace hail::client
