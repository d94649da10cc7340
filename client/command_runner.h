// Runs one `hail` command against a server: connect, authenticate when the
// command needs it, do the work, log out, close, and turn the outcome into
// output and an exit code. Human-readable output goes to `out`, diagnostics
// to `err`; with --json, `out` gets exactly one JSON object per line.
//
// Received items (messages, contact notices, receipts) are acknowledged
// only after they were printed (ClientOptions::auto_ack is off), and only
// by the commands that print them (inbox, listen, chat): the others leave
// them on the server for those.
#ifndef HAIL_CLIENT_COMMAND_RUNNER_H_
#define HAIL_CLIENT_COMMAND_RUNNER_H_

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "client/cli_options.h"
#include "client/client.h"
#include "client/display_names.h"
#include "protocol/error_code.h"
#include "protocol/status.h"

namespace hail::client {

// The exit codes of `hail`, as documented in --help.
enum class ExitCode : int {
  kOk = 0,
  kServerError = 1,       // the server answered with an error
  kUsage = 2,             // bad command line, name or password
  kNetwork = 3,           // network failure or timeout
  kIdentityMismatch = 4,  // the server is not the pinned one
};

// What `hail` takes from its environment.
struct CliEnvironment {
  std::filesystem::path home;               // HAIL_HOME, else ~/.hail
  std::optional<std::string> password;      // HAIL_PASSWORD
  std::optional<std::string> new_password;  // HAIL_NEW_PASSWORD
  std::optional<std::string> user;          // HAIL_USER
  std::string key_log_path;                 // HAIL_KEYLOGFILE

  static CliEnvironment FromProcess();
};

// Asks the user for a password; NotFound when there is nobody to ask.
using PasswordReader =
    std::function<Result<std::string>(std::string_view prompt)>;

// One command, run once. Not thread-safe.
class CommandRunner {
 public:
  CommandRunner(CliOptions options, CliEnvironment environment,
                std::ostream& out, std::ostream& err,
                PasswordReader read_password);
  ~CommandRunner();
  CommandRunner(const CommandRunner&) = delete;
  CommandRunner& operator=(const CommandRunner&) = delete;

  ExitCode Run();

 private:
  using Clock = std::chrono::steady_clock;
  using EventFilter = std::function<bool(const Event&)>;

  ExitCode RunRegister();
  ExitCode RunLoginLike();  // login, whoami
  ExitCode RunPasswd();
  ExitCode RunDeleteAccount();
  ExitCode RunPing();
  ExitCode RunFingerprint();
  ExitCode RunDoctor();
  // Contacts, presence and messages (command_runner_chat.cc).
  ExitCode RunContactRequest();  // add, accept, deny, remove, block, unblock
  ExitCode RunStatus();
  ExitCode RunSend();
  ExitCode RunWho();
  ExitCode RunInbox();
  ExitCode RunListen();
  ExitCode RunChat();
  // Extended delivery settings (command_runner_forward.cc).
  ExitCode RunForward();
  ExitCode RunForwardList();

  // Settles the login user (--user, $HAIL_USER, the only stored token)
  // into options_.username, asks for the password when no token is
  // stored, connects and logs in.
  std::optional<ExitCode> LogInAsLoginUser(LoginResult* login);
  std::optional<ExitCode> ResolveLoginUser();
  // Waits for the RequestDone of `request`; reports a failure.
  std::optional<ExitCode> AwaitRequestDone(const Result<uint32_t>& request,
                                           std::string_view what);
  // Prints a received item (text or JSON) and then acknowledges it.
  void PrintAndAcknowledge(const Event& event);
  // The exit code for an event that ends a listen or chat session for
  // good (reported), or nullopt for any other event.
  std::optional<ExitCode> FinalEventExit(const Event& event);

  // Each returns nullopt on success, else the exit code (already reported).
  // Fills `connected` (when given) with the Connected event.
  std::optional<ExitCode> ConnectAndWait(Connected* connected = nullptr);
  std::optional<ExitCode> LogIn(std::optional<std::string> password,
                                LoginResult* result);
  std::optional<ExitCode> ObtainPassword(
      std::string_view prompt, const std::optional<std::string>& from_env,
      bool confirm, std::string* password);
  std::optional<ExitCode> CheckUsername();
  // Polls until `wanted` accepts an event; any other event that ends the
  // session (or the deadline) is reported and ends the wait.
  std::optional<Event> Await(std::string_view what, const EventFilter& wanted,
                             ExitCode* failure);
  std::optional<ExitCode> ReportRequestError(const Status& status);
  // What a login did with the messages an earlier run left unanswered, and
  // the answer to one of them (SPEC.md 10.3).
  void ReportResentMessages(const LoginResult& login);
  void ReportRestoredAnswer(const MessageAccepted& accepted);
  // Waits (until the command's deadline) for the answers to the messages
  // resent after the login, reporting each.
  void AwaitRestoredAnswers();
  void LogOutAndClose();
  void CloseAndDrain();

  ExitCode Fail(ExitCode code, std::string_view message,
                std::optional<protocol::ErrorCode> error = std::nullopt,
                uint32_t retry_after_ms = 0);
  ExitCode ServerError(std::string_view what, protocol::ErrorCode error,
                       uint32_t retry_after_ms);
  ExitCode ReportIdentityMismatch(const IdentityMismatch& mismatch);
  // One line of a successful result: "label: text" for people, or a JSON
  // member "key": text (quoted unless `raw`, for numbers and booleans).
  struct ResultField {
    std::string_view label;
    std::string_view key;
    std::string text;
    bool raw = false;
  };
  void EmitResult(const std::vector<ResultField>& fields);
  std::vector<ResultField> LoginFields(const LoginResult& login);
  void Warn(std::string_view message);
  std::string PasswordPrompt() const;  // "Password for NAME@HOST:PORT: "
  // How `hail fingerprint` describes the pin, for people.
  std::string PinnedText(bool newly_pinned) const;

  CliOptions options_;
  CliEnvironment environment_;
  std::ostream& out_;
  std::ostream& err_;
  PasswordReader read_password_;
  std::unique_ptr<Client> client_;
  Clock::time_point deadline_;
};

}  // namespace hail::client

#endif  // HAIL_CLIENT_COMMAND_RUNNER_H_
