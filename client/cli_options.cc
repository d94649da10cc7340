#include "client/cli_options.h"

#include <fmt/format.h>

#include <array>
#include <boost/program_options.hpp>
#include <sstream>
#include <vector>

#include "protocol/handshake.h"

#ifndef HAIL_VERSION
#define HAIL_VERSION "unknown"
#endif

namespace hail::client {
namespace {

namespace po = boost::program_options;

struct CommandSpec {
  Command command;
  std::string_view name;
  bool takes_username;
  std::string_view summary;
};

constexpr std::array<CommandSpec, 7> kCommands = {{
    {Command::kRegister, "register", true,
     "create an account; prints its user id"},
    {Command::kLogin, "login", true,
     "log in (stored token, else password), print the session, log out"},
    {Command::kWhoami, "whoami", true,
     "log in and print what the server recorded for the session"},
    {Command::kPasswd, "passwd", true, "change the password"},
    {Command::kDeleteAccount, "delete-account", true,
     "delete the account (needs the password)"},
    {Command::kPing, "ping", false,
     "connect and print the round-trip time of one PING"},
    {Command::kFingerprint, "fingerprint", false,
     "connect and print the server's fingerprint and whether it is pinned"},
}};

po::options_description GlobalOptions() {
  po::options_description options("Options");
  options.add_options()  //
      ("server", po::value<std::string>()->value_name("HOST:PORT"),
       "server to use (default 127.0.0.1:4000)")  //
      ("trust", po::value<std::string>()->value_name("ed25519:HEX"),
       "accept only this server identity, and pin it")      //
      ("json", "print one JSON object per line on stdout")  //
      ("timeout", po::value<int>()->value_name("SECONDS"),
       "give up on the server after this long (default 10; time spent at "
       "password prompts is not counted)")  //
      ("help,h", "show this help")          //
      ("version", "show the version");
  return options;
}

CliParse UsageError(std::string message) {
  CliParse parse;
  parse.outcome = CliParse::Outcome::kUsageError;
  parse.text = std::move(message);
  return parse;
}

}  // namespace

std::string_view CommandName(Command command) {
  for (const CommandSpec& spec : kCommands) {
    if (spec.command == command) return spec.name;
  }
  return "unknown";
}

CliParse ParseCommandLine(std::span<const char* const> args) {
  po::options_description visible = GlobalOptions();
  po::options_description all;
  all.add(visible);
  all.add_options()("words", po::value<std::vector<std::string>>());
  po::positional_options_description positional;
  positional.add("words", -1);

  po::variables_map values;
  try {
    po::store(
        po::command_line_parser(static_cast<int>(args.size()), args.data())
            .options(all)
            .positional(positional)
            .run(),
        values);
    po::notify(values);
  } catch (const po::error& error) {
    return UsageError(error.what());
  }

  CliParse parse;
  if (values.count("help")) {
    parse.outcome = CliParse::Outcome::kHelp;
    return parse;
  }
  if (values.count("version")) {
    parse.outcome = CliParse::Outcome::kVersion;
    return parse;
  }

  CliOptions& options = parse.options;
  if (values.count("server")) {
    Result<ServerAddress> server =
        ParseServerAddress(values["server"].as<std::string>());
    if (!server.ok()) return UsageError(server.status().message());
    options.server = *server;
  }
  if (values.count("trust")) {
    const std::string& text = values["trust"].as<std::string>();
    options.trusted_identity = protocol::ParseFingerprint(text);
    if (!options.trusted_identity) {
      return UsageError(fmt::format(
          "--trust '{}': expected ed25519: followed by 64 hex digits", text));
    }
  }
  options.json = values.count("json") > 0;
  if (values.count("timeout")) {
    options.timeout_seconds = values["timeout"].as<int>();
    if (options.timeout_seconds <= 0 || options.timeout_seconds > 86400) {
      return UsageError("--timeout must be from 1 to 86400 seconds");
    }
  }

  std::vector<std::string> words;
  if (values.count("words")) {
    words = values["words"].as<std::vector<std::string>>();
  }
  if (words.empty()) return UsageError("no command given (see --help)");
  const CommandSpec* spec = nullptr;
  for (const CommandSpec& candidate : kCommands) {
    if (candidate.name == words[0]) spec = &candidate;
  }
  if (spec == nullptr) {
    return UsageError(
        fmt::format("unknown command '{}' (see --help)", words[0]));
  }
  options.command = spec->command;
  size_t expected_words = spec->takes_username ? 2 : 1;
  if (words.size() != expected_words) {
    return UsageError(spec->takes_username
                          ? fmt::format("usage: hail {} NAME", spec->name)
                          : fmt::format("usage: hail {}", spec->name));
  }
  if (spec->takes_username) options.username = words[1];
  parse.outcome = CliParse::Outcome::kRun;
  return parse;
}

std::string HelpText() {
  std::ostringstream text;
  text << "Usage: hail [OPTIONS] COMMAND [NAME]\n\n"
       << "The Hail instant-messaging client.\n\nCommands:\n";
  for (const CommandSpec& spec : kCommands) {
    std::string usage =
        fmt::format("{}{}", spec.name, spec.takes_username ? " NAME" : "");
    text << fmt::format("  {:<22}{}\n", usage, spec.summary);
  }
  text << "\n" << GlobalOptions() << "\n";
  text << "Environment:\n"
          "  HAIL_HOME            state directory (default ~/.hail): "
          "known_servers, tokens\n"
          "  HAIL_PASSWORD        the password; when unset it is asked for "
          "on the terminal\n"
          "  HAIL_NEW_PASSWORD    the new password for passwd; when unset it "
          "is asked for\n"
          "  HAIL_KEYLOGFILE      append session keys here, for decrypting "
          "captures\n\n"
          "Exit codes:\n"
          "  0  success\n"
          "  1  the server answered with an error (its name is printed, e.g. "
          "INVALID_CREDENTIALS;\n"
          "     THROTTLED comes with the time to wait)\n"
          "  2  usage error\n"
          "  3  network failure or timeout\n"
          "  4  the server's identity differs from the pinned one (or from "
          "--trust)\n";
  return text.str();
}

std::string VersionText() {
  return fmt::format("hail {} (Hail protocol version {})\n", HAIL_VERSION,
                     protocol::kProtocolVersion);
}

}  // namespace hail::client
