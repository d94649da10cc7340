// CommandRunner: the contact, presence and message commands (add, accept,
// deny, remove, block, unblock, status, send, who, inbox, listen, chat).
// The account commands and the shared steps are in command_runner.cc.
#include <fmt/format.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>

#include "client/chat_session.h"
#include "client/command_runner.h"
#include "client/event_json.h"
#include "client/event_text.h"
#include "client/json_line.h"
#include "client/roster.h"
#include "client/stop_signals.h"
#include "protocol/account_rules.h"
#include "protocol/byte_io.h"

namespace hail::client {
namespace {

using protocol::ErrorCode;

// How often `hail listen` looks at stdin and the network.
constexpr int kListenPollMs = 50;

template <class E>
bool Is(const Event& event) {
  return std::holds_alternative<E>(event);
}

bool IsReceivedItem(const Event& event) {
  return AcknowledgementFor(event).has_value();
}

}  // namespace

// --- Steps ---

std::optional<ExitCode> CommandRunner::ResolveLoginUser() {
  std::string user = options_.login_user;
  if (user.empty() && environment_.user) user = *environment_.user;
  if (user.empty()) {
    Result<std::vector<std::string>> users = client_->UsersWithStoredTokens();
    if (!users.ok()) {
      return Fail(ExitCode::kUsage,
                  fmt::format("cannot read the stored tokens: {}",
                              users.status().message()));
    }
    if (users->empty()) {
      return Fail(ExitCode::kUsage,
                  fmt::format("no user to log in as: give --user NAME or set "
                              "HAIL_USER (no token is stored for {})",
                              client_->server()));
    }
    if (users->size() > 1) {
      return Fail(ExitCode::kUsage,
                  fmt::format("tokens for several users are stored for {} "
                              "({}): give --user NAME or set HAIL_USER",
                              client_->server(), fmt::join(*users, ", ")));
    }
    user = users->front();
  }
  if (!protocol::NormalizeUsername(user)) {
    return Fail(ExitCode::kUsage,
                fmt::format("'{}' is not a valid username to log in as", user));
  }
  options_.username = user;
  return std::nullopt;
}

std::optional<ExitCode> CommandRunner::LogInAsLoginUser(LoginResult* login) {
  if (std::optional<ExitCode> failed = ResolveLoginUser()) return failed;
  // Without a stored token the password is needed: ask before connecting.
  std::optional<std::string> password;
  if (!client_->HasStoredToken(options_.username)) {
    password.emplace();
    if (std::optional<ExitCode> failed =
            ObtainPassword(PasswordPrompt(), environment_.password,
                           /*confirm=*/false, &*password)) {
      return failed;
    }
  }
  if (std::optional<ExitCode> failed = ConnectAndWait()) return failed;
  return LogIn(password, login);
}

std::optional<ExitCode> CommandRunner::AwaitRequestDone(
    const Result<uint32_t>& request, std::string_view what) {
  if (!request.ok()) {
    std::optional<ExitCode> failed = ReportRequestError(request.status());
    LogOutAndClose();
    return failed;
  }
  ExitCode failure = ExitCode::kOk;
  std::optional<Event> event = Await(
      fmt::format("the answer to {}", what),
      [id = *request](const Event& e) {
        return Is<RequestDone>(e) && std::get<RequestDone>(e).request_id == id;
      },
      &failure);
  if (!event) return failure;
  const auto& done = std::get<RequestDone>(*event);
  if (done.error != ErrorCode::kOk) {
    LogOutAndClose();
    return ServerError(what, done.error, 0);
  }
  return std::nullopt;
}

void CommandRunner::PrintAndAcknowledge(const Event& event) {
  if (options_.json) {
    out_ << EventJson(event) << std::flush;
  } else if (std::optional<std::string> text = EventText(event)) {
    out_ << *text << "\n" << std::flush;
  }
  if (std::optional<ItemReference> item = AcknowledgementFor(event)) {
    if (Status status =
            client_->AcknowledgeItem(item->item_id, item->sender_id);
        !status.ok()) {
      Warn(fmt::format("cannot acknowledge an item (the server keeps it): {}",
                       status.message()));
    }
  }
}

std::optional<ExitCode> CommandRunner::FinalEventExit(const Event& event) {
  if (const auto* gone = std::get_if<Disconnected>(&event)) {
    std::string message = "the server closed the connection";
    if (gone->reason != ErrorCode::kOk) {
      message += fmt::format(" ({})", WireErrorName(gone->reason));
    }
    return Fail(ExitCode::kNetwork, message);
  }
  if (const auto* failed = std::get_if<ReconnectFailed>(&event)) {
    return Fail(failed->error ? ExitCode::kServerError : ExitCode::kNetwork,
                failed->reason, failed->error);
  }
  if (const auto* mismatch = std::get_if<IdentityMismatch>(&event)) {
    return ReportIdentityMismatch(*mismatch);
  }
  return std::nullopt;
}

// --- Commands ---

ExitCode CommandRunner::RunContactRequest() {
  const std::string& name = options_.arguments.at(0);
  LoginResult login;
  if (std::optional<ExitCode> failed = LogInAsLoginUser(&login)) {
    return *failed;
  }
  Result<uint32_t> request = Status::InvalidArgument("no request");
  std::string_view label;
  switch (options_.command) {
    case Command::kAdd:
      request = client_->AddContact(
          name, options_.arguments.size() > 1 ? options_.arguments[1] : "");
      label = "contact request sent to";
      break;
    case Command::kAccept:
      request = client_->AnswerContact(name, true);
      label = "accepted";
      break;
    case Command::kDeny:
      request = client_->AnswerContact(name, false);
      label = "declined";
      break;
    case Command::kRemove:
      request = client_->RemoveContact(name);
      label = "removed";
      break;
    case Command::kBlock:
      request = client_->BlockContact(name, true);
      label = "blocked";
      break;
    case Command::kUnblock:
      request = client_->BlockContact(name, false);
      label = "unblocked";
      break;
    default:
      break;
  }
  if (std::optional<ExitCode> failed = AwaitRequestDone(
          request, fmt::format("{} {}", CommandName(options_.command), name))) {
    return *failed;
  }
  EmitResult({{label, "username", *protocol::NormalizeUsername(name)}});
  LogOutAndClose();
  return ExitCode::kOk;
}

ExitCode CommandRunner::RunStatus() {
  std::string text =
      options_.arguments.size() > 1 ? options_.arguments[1] : std::string();
  LoginResult login;
  if (std::optional<ExitCode> failed = LogInAsLoginUser(&login)) {
    return *failed;
  }
  // Contacts are shown a login once its login sequence is done (SPEC.md
  // 9.2); a session that set its presence before then and logged out at
  // once would have shown it to nobody.
  ExitCode failure = ExitCode::kOk;
  if (!Await("the login sequence", Is<MailboxEnd>, &failure)) return failure;
  if (std::optional<ExitCode> failed = AwaitRequestDone(
          client_->SetPresence(options_.presence, text), "status")) {
    return *failed;
  }
  EmitResult({{"presence", "presence", PresenceName(options_.presence)},
              {"status", "status", text}});
  LogOutAndClose();
  return ExitCode::kOk;
}

ExitCode CommandRunner::RunSend() {
  const std::string& recipient = options_.arguments.at(0);
  const std::string& text = options_.arguments.at(1);
  LoginResult login;
  if (std::optional<ExitCode> failed = LogInAsLoginUser(&login)) {
    return *failed;
  }
  Result<protocol::ItemId> sent = client_->SendMessage(recipient, text);
  if (!sent.ok()) {
    std::optional<ExitCode> failed = ReportRequestError(sent.status());
    LogOutAndClose();
    return *failed;
  }
  ExitCode failure = ExitCode::kOk;
  std::optional<Event> event = Await(
      "the acceptance of the message",
      [id = *sent](const Event& e) {
        return Is<MessageAccepted>(e) &&
               std::get<MessageAccepted>(e).message_id == id;
      },
      &failure);
  if (!event) {
    // The server may have stored it all the same; the next login resends
    // it with this id, and the server does not store it twice (SPEC 10.5).
    if (client_->counters().outbox_write_failures == 0) {
      Warn(fmt::format(
          "the message to {} is kept in {} and will be resent with the same "
          "message id by the next `hail send`, `listen` or `chat`, without "
          "being stored twice",
          recipient, environment_.home.string()));
    } else {
      Warn("the message could not be kept for a later resend");
    }
    return failure;
  }
  const auto& accepted = std::get<MessageAccepted>(*event);
  AwaitRestoredAnswers();
  if (accepted.error != ErrorCode::kOk) {
    if (accepted.kept_for_retry) {
      Warn(fmt::format(
          "the message to {} is kept and will be resent with the same "
          "message id at the next login",
          recipient));
    }
    LogOutAndClose();
    return ServerError("sending", accepted.error, 0);
  }
  bool live = accepted.route == protocol::Route::kLive;
  std::string route = options_.json ? RouteName(accepted.route)
                      : live        ? "delivered live"
                                    : "stored offline";
  EmitResult({
      {"sent to", "recipient", accepted.recipient},
      {"route", "route", route},
      {"seq", "seq", std::to_string(accepted.seq), true},
      {"message id", "message_id",
       protocol::ToHex(protocol::ByteSpan(accepted.message_id.data(),
                                          accepted.message_id.size()))},
  });
  LogOutAndClose();
  return ExitCode::kOk;
}

void CommandRunner::AwaitRestoredAnswers() {
  // Await reports each answer as it passes; what is left when the time is
  // up stays in the outbox file for the next run.
  while (client_->restored_unanswered() > 0 &&
         client_->state() == Client::State::kSecured) {
    auto remaining = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline_ - Clock::now());
    if (remaining.count() <= 0) {
      Warn(fmt::format(
          "{} {} queued earlier got no answer in time; kept for the next run",
          client_->restored_unanswered(),
          client_->restored_unanswered() == 1 ? "message" : "messages"));
      return;
    }
    std::optional<Event> event = client_->Poll(
        static_cast<int>(std::min<int64_t>(remaining.count(), 1000)));
    if (!event) continue;
    if (const auto* accepted = std::get_if<MessageAccepted>(&*event);
        accepted != nullptr && accepted->restored) {
      ReportRestoredAnswer(*accepted);
    }
  }
}

ExitCode CommandRunner::RunWho() {
  LoginResult login;
  if (std::optional<ExitCode> failed = LogInAsLoginUser(&login)) {
    return *failed;
  }
  // The server sends the whole list right after LOGIN_RESULT.
  Roster roster;
  ExitCode failure = ExitCode::kOk;
  std::optional<Event> end = Await(
      "the contact list",
      [&roster](const Event& e) {
        if (const auto* update = std::get_if<ContactUpdated>(&e)) {
          roster.Apply(*update);
        } else if (const auto* change = std::get_if<PresenceChanged>(&e)) {
          roster.Apply(*change);
        }
        return Is<ContactListEnd>(e) &&
               std::get<ContactListEnd>(e).request_id == 0;
      },
      &failure);
  if (!end) return failure;
  std::vector<Roster::Entry> entries = roster.Sorted();
  if (options_.json) {
    for (const Roster::Entry& entry : entries) {
      JsonLine line;
      line.AddString("command", "who");
      line.AddUnsigned("user_id", entry.user_id);
      line.AddString("username", entry.username);
      line.AddString("relation", RelationName(entry.relation));
      line.AddString("presence", PresenceName(entry.presence));
      line.AddString("status", entry.status);
      out_ << line.str();
    }
    JsonLine summary;
    summary.AddString("command", "who");
    summary.AddBool("ok", true);
    summary.AddUnsigned("count", entries.size());
    summary.AddUnsigned("online", roster.online_count());
    out_ << summary.str() << std::flush;
  } else if (entries.empty()) {
    out_ << "no contacts yet (add one with: hail add NAME)\n" << std::flush;
  } else {
    size_t width = 0;
    for (const Roster::Entry& entry : entries) {
      width = std::max(width, entry.username.size());
    }
    for (const Roster::Entry& entry : entries) {
      out_ << fmt::format("{:<{}}  {}\n", entry.username, width,
                          DescribeEntry(entry));
    }
    out_ << std::flush;
  }
  LogOutAndClose();
  return ExitCode::kOk;
}

ExitCode CommandRunner::RunInbox() {
  LoginResult login;
  if (std::optional<ExitCode> failed = LogInAsLoginUser(&login)) {
    return *failed;
  }
  // Mailbox items follow the contact list; MAILBOX_END closes them. Live
  // items that arrive meanwhile are printed too.
  size_t printed = 0;
  ExitCode failure = ExitCode::kOk;
  std::optional<Event> end = Await(
      "the mailbox",
      [this, &printed](const Event& e) {
        if (IsReceivedItem(e)) {
          PrintAndAcknowledge(e);
          ++printed;
        }
        return Is<MailboxEnd>(e);
      },
      &failure);
  if (!end) return failure;
  if (options_.json) {
    JsonLine summary;
    summary.AddString("command", "inbox");
    summary.AddBool("ok", true);
    summary.AddUnsigned("count", printed);
    out_ << summary.str() << std::flush;
  } else if (printed == 0) {
    out_ << "nothing waited for you\n" << std::flush;
  }
  LogOutAndClose();
  return ExitCode::kOk;
}

ExitCode CommandRunner::RunListen() {
  LoginResult login;
  if (std::optional<ExitCode> failed = LogInAsLoginUser(&login)) {
    return *failed;
  }
  StopSignals signals;
  // The first line says the session is up (scripts may wait for it).
  if (options_.json) {
    out_ << EventJson(login) << std::flush;
  } else {
    out_ << *EventText(login) << "\n" << std::flush;
  }
  // A service runs until a signal; a script that wants it to stop with
  // its stdin says --until-eof (issue 12: `listen > events &` with stdin
  // at /dev/null used to end at once).
  bool watch_stdin = options_.until_eof;
  while (!signals.stop_requested()) {
    pollfd input{STDIN_FILENO, POLLIN, 0};
    int ready = ::poll(watch_stdin ? &input : nullptr, watch_stdin ? 1 : 0,
                       kListenPollMs);
    if (ready > 0) {
      if (input.revents & POLLNVAL) {
        watch_stdin = false;  // no stdin at all: only signals stop us
      } else if (input.revents & (POLLIN | POLLHUP | POLLERR)) {
        char discard[512];
        ssize_t n = ::read(STDIN_FILENO, discard, sizeof discard);
        if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) break;
      }
    }
    while (std::optional<Event> event = client_->Poll(0)) {
      PrintAndAcknowledge(*event);
      if (std::optional<ExitCode> final_exit = FinalEventExit(*event)) {
        return *final_exit;
      }
    }
  }
  LogOutAndClose();
  return ExitCode::kOk;
}

ExitCode CommandRunner::RunChat() {
  if (!::isatty(STDIN_FILENO) || !::isatty(STDOUT_FILENO)) {
    return Fail(ExitCode::kUsage,
                "chat needs a terminal; scripts can use listen, send and the "
                "other commands");
  }
  if (options_.json) {
    return Fail(ExitCode::kUsage,
                "chat has no --json output; use listen --json");
  }
  LoginResult login;
  if (std::optional<ExitCode> failed = LogInAsLoginUser(&login)) {
    return *failed;
  }
  std::optional<Event> end;
  {
    ChatSession chat(*client_, login.username);
    end = chat.Run();
  }
  if (end) {
    if (std::optional<ExitCode> final_exit = FinalEventExit(*end)) {
      return *final_exit;
    }
  }
  LogOutAndClose();
  return ExitCode::kOk;
}

}  // namespace hail::client
