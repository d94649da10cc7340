// The `hail` command line: global options and one command with its
// arguments. Parsing is a pure function of argv, so tests can drive it;
// environment variables are read elsewhere (see command_runner.h).
#ifndef HAIL_CLIENT_CLI_OPTIONS_H_
#define HAIL_CLIENT_CLI_OPTIONS_H_

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "client/client.h"
#include "client/forward_cli.h"
#include "client/server_address.h"
#include "client/transport.h"
#include "protocol/messages.h"

namespace hail::client {

enum class Command : uint8_t {
  kRegister,
  kLogin,
  kWhoami,
  kPasswd,
  kDeleteAccount,
  kPing,
  kFingerprint,
  kDoctor,
  // Contacts, presence and messages: they log in as the login user (see
  // CliOptions::login_user) and act on `arguments`.
  kAdd,
  kAccept,
  kDeny,
  kRemove,
  kBlock,
  kUnblock,
  kSend,
  kWho,
  kStatus,
  kInbox,
  kListen,
  kChat,
  // Extended delivery settings (SPEC.md 17): CliOptions::forward says what.
  kForward,
};

// "register", "delete-account", ...
std::string_view CommandName(Command command);

inline constexpr int kDefaultTimeoutSeconds = 10;

struct CliOptions {
  Command command = Command::kPing;
  // As typed: the NAME of the account commands (register ... whoami); for
  // the others the CommandRunner fills in the login user it settled on.
  std::string username;
  // --user: whom the contact, presence and message commands log in as.
  std::string login_user;
  // The words after the command for those commands: NAME, then TEXT (the
  // remaining words joined by single spaces), or PRESENCE then TEXT.
  std::vector<std::string> arguments;
  // /status and `hail status`: the presence parsed from PRESENCE.
  protocol::Presence presence = protocol::Presence::kOnline;
  ServerAddress server;
  std::optional<protocol::PublicKey> trusted_identity;  // --trust
  TransportChoice transport = TransportChoice::kAuto;   // --transport
  // --tcp-port: the server's TCP fallback port when it is not the UDP port
  // of --server (SPEC.md 3.8: nothing on the wire tells a client).
  std::optional<uint16_t> tcp_port;
  bool json = false;
  // --until-eof: `listen` also stops at the end of stdin.
  bool until_eof = false;
  int timeout_seconds = kDefaultTimeoutSeconds;
  // --p2p; unset: direct links for listen and chat only (SPEC.md 15).
  std::optional<P2pPolicy> p2p;
  // kForward: the action, its channel and arguments, or the new rule.
  ForwardCommand forward;
};

struct CliParse {
  enum class Outcome : uint8_t { kRun, kHelp, kVersion, kUsageError };
  Outcome outcome = Outcome::kUsageError;
  CliOptions options;  // meaningful for kRun
  std::string text;    // the usage error for kUsageError
};

// Parses argv (args[0] is the program name). Options may come before or
// after the command. Without a command, `chat` is run when
// `chat_without_command` (stdin is a terminal), else it is a usage error.
CliParse ParseCommandLine(std::span<const char* const> args,
                          bool chat_without_command = false);

// The --help text, exit codes and environment included.
std::string HelpText();
std::string VersionText();

}  // namespace hail::client

#endif  // HAIL_CLIENT_CLI_OPTIONS_H_
