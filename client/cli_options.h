// The `hail` command line: global options and one command with its
// arguments. Parsing is a pure function of argv, so tests can drive it;
// environment variables are read elsewhere (see command_runner.h).
#ifndef HAIL_CLIENT_CLI_OPTIONS_H_
#define HAIL_CLIENT_CLI_OPTIONS_H_

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "client/server_address.h"
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
};

// "register", "delete-account", ...
std::string_view CommandName(Command command);

inline constexpr int kDefaultTimeoutSeconds = 10;

struct CliOptions {
  Command command = Command::kPing;
  std::string username;  // as typed; set for commands that take NAME
  ServerAddress server;
  std::optional<protocol::PublicKey> trusted_identity;  // --trust
  bool json = false;
  int timeout_seconds = kDefaultTimeoutSeconds;
};

struct CliParse {
  enum class Outcome : uint8_t { kRun, kHelp, kVersion, kUsageError };
  Outcome outcome = Outcome::kUsageError;
  CliOptions options;  // meaningful for kRun
  std::string text;    // the usage error for kUsageError
};

// Parses argv (args[0] is the program name). Options may come before or
// after the command.
CliParse ParseCommandLine(std::span<const char* const> args);

// The --help text, exit codes and environment included.
std::string HelpText();
std::string VersionText();

}  // namespace hail::client

#endif  // HAIL_CLIENT_CLI_OPTIONS_H_
