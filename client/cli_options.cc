#include "client/cli_options.h"

#include <fmt/format.h>

#include <array>
#include <boost/program_options.hpp>
#include <cstdint>
#include <exception>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "client/display_names.h"
#include "protocol/account_rules.h"
#include "protocol/handshake.h"

#ifndef HAIL_VERSION
#define HAIL_VERSION "unknown"
#endif

namespace hail::client {
namespace {

namespace po = boost::program_options;

// What follows a command's name.
enum class Arguments : uint8_t {
  kNone,
  kAccountName,      // NAME: the account itself (register, login, ...)
  kContact,          // NAME: another user
  kContactText,      // NAME TEXT
  kContactOptText,   // NAME [TEXT]
  kPresenceOptText,  // PRESENCE [TEXT]
  kForward,          // ACTION ...: see client/forward_cli.h
};

struct CommandSpec {
  Command command;
  std::string_view name;
  Arguments arguments;
  std::string_view usage;  // the arguments as --help shows them
  std::string_view summary;
};

constexpr std::array<CommandSpec, 21> kCommands = {{
    {Command::kRegister, "register", Arguments::kAccountName, "NAME",
     "create an account; prints its user id"},
    {Command::kLogin, "login", Arguments::kAccountName, "NAME",
     "log in (stored token, else password), print the session, log out"},
    {Command::kWhoami, "whoami", Arguments::kAccountName, "NAME",
     "log in and print what the server recorded for the session"},
    {Command::kPasswd, "passwd", Arguments::kAccountName, "NAME",
     "change the password"},
    {Command::kDeleteAccount, "delete-account", Arguments::kAccountName, "NAME",
     "delete the account (needs the password)"},
    {Command::kPing, "ping", Arguments::kNone, "",
     "connect and print the round-trip time of one PING"},
    {Command::kFingerprint, "fingerprint", Arguments::kNone, "",
     "connect and print the server's fingerprint and whether it is pinned"},
    {Command::kDoctor, "doctor", Arguments::kNone, "",
     "check UDP to the server, the public endpoint and the NAT type"},
    {Command::kAdd, "add", Arguments::kContactOptText, "NAME [TEXT]",
     "ask NAME to become a contact, with an optional note"},
    {Command::kAccept, "accept", Arguments::kContact, "NAME",
     "accept NAME's contact request"},
    {Command::kDeny, "deny", Arguments::kContact, "NAME",
     "decline NAME's contact request"},
    {Command::kRemove, "remove", Arguments::kContact, "NAME",
     "remove NAME from the contacts (both ways)"},
    {Command::kBlock, "block", Arguments::kContact, "NAME",
     "block NAME: no presence, requests or messages from them"},
    {Command::kUnblock, "unblock", Arguments::kContact, "NAME", "unblock NAME"},
    {Command::kSend, "send", Arguments::kContactText, "NAME TEXT",
     "send a message; prints whether it was delivered live or stored"},
    {Command::kWho, "who", Arguments::kNone, "",
     "list the contacts with their presence and status"},
    {Command::kStatus, "status", Arguments::kPresenceOptText, "PRESENCE [TEXT]",
     "set online, away, busy or invisible (for this session only)"},
    {Command::kInbox, "inbox", Arguments::kNone, "",
     "print and acknowledge what waited in the mailbox"},
    {Command::kListen, "listen", Arguments::kNone, "",
     "stay logged in and print every event until SIGINT or SIGTERM"},
    {Command::kChat, "chat", Arguments::kNone, "",
     "interactive chat (the default when stdin is a terminal)"},
    {Command::kForward, "forward", Arguments::kForward, "ACTION ...",
     "e-mail, SMS and fax forwarding of offline messages (below)"},
}};

// Joins words[from..] with single spaces.
std::string JoinFrom(const std::vector<std::string>& words, size_t from) {
  std::string text;
  for (size_t i = from; i < words.size(); ++i) {
    if (i > from) text += ' ';
    text += words[i];
  }
  return text;
}

// The options of `hail forward rules` (client/forward_cli.h).
po::options_description ForwardRuleOptionsDescription() {
  po::options_description options("Options of hail forward rules");
  options.add_options()  //
      ("after", po::value<std::string>()->value_name("MIN"),
       "forward a message unread this many minutes while you are offline "
       "(1..1440, default 10)")  //
      ("quiet", po::value<std::string>()->value_name("HH:MM-HH:MM"),
       "forward nothing in these hours of your day (none: no quiet "
       "hours, the default)")  //
      ("utc-offset", po::value<std::string>()->value_name("+HH:MM"),
       "your offset from UTC for quiet hours and caps (default: this "
       "machine's)")  //
      ("cap", po::value<std::string>()->value_name("N"),
       "at most N forwarded messages a day on this channel (1..100, "
       "default 10)")  //
      ("contacts", po::value<std::string>()->value_name("all|NAME,NAME"),
       "whose messages are forwarded (default all contacts)")  //
      ("off", "keep the rule but forward nothing on this channel");
  return options;
}

po::options_description GlobalOptions() {
  po::options_description options("Options");
  options.add_options()  //
      ("server", po::value<std::string>()->value_name("HOST:PORT"),
       "server to use (default 127.0.0.1:4000)")  //
      ("trust", po::value<std::string>()->value_name("ed25519:HEX"),
       "accept only this server identity, and pin it")  //
      ("transport", po::value<std::string>()->value_name("auto|udp|tcp"),
       "how to reach the server: UDP, falling back to TCP on the same port "
       "when UDP gets no answer within 2 s (auto, the default), or only "
       "one of them")  //
      ("tcp-port", po::value<std::string>()->value_name("PORT"),
       "the server's TCP port for --transport auto or tcp, when it is not "
       "the UDP port of --server (haild --tcp-port)")  //
      ("user", po::value<std::string>()->value_name("NAME"),
       "log in as NAME for the contact, presence and message commands "
       "(default $HAIL_USER, else the only user with a stored token)")  //
      ("json", "print one JSON object per line on stdout")              //
      ("until-eof",
       "listen: also stop when stdin reaches its end (for a script that "
       "holds it open; without it listen runs until SIGINT or SIGTERM)")  //
      ("p2p", po::value<std::string>()->value_name("auto|relay-only"),
       "direct links with contacts: auto (listen and chat default) or "
       "relay-only (never reveal your IP address; default for one-shot "
       "commands)")  //
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

CliParse ParseCommandLine(std::span<const char* const> args,
                          bool chat_without_command) {
  po::options_description visible = GlobalOptions();
  po::options_description all;
  all.add(visible);
  all.add(ForwardRuleOptionsDescription());
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
  if (values.count("transport")) {
    const std::string& text = values["transport"].as<std::string>();
    if (text == "auto") {
      options.transport = TransportChoice::kAuto;
    } else if (text == "udp") {
      options.transport = TransportChoice::kUdp;
    } else if (text == "tcp") {
      options.transport = TransportChoice::kTcp;
    } else {
      return UsageError(
          fmt::format("--transport '{}': expected auto, udp or tcp", text));
    }
  }
  if (values.count("tcp-port")) {
    const std::string& text = values["tcp-port"].as<std::string>();
    unsigned long port = 0;
    size_t used = 0;
    try {
      port = std::stoul(text, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || used != text.size() || port == 0 || port > 65535) {
      return UsageError(fmt::format(
          "--tcp-port '{}': expected a port from 1 to 65535", text));
    }
    options.tcp_port = static_cast<uint16_t>(port);
  }
  if (values.count("user")) {
    options.login_user = values["user"].as<std::string>();
    if (!protocol::NormalizeUsername(options.login_user)) {
      return UsageError(
          fmt::format("--user '{}': not a valid username", options.login_user));
    }
  }
  options.json = values.count("json") > 0;
  options.until_eof = values.count("until-eof") > 0;
  if (values.count("p2p")) {
    const std::string& p2p = values["p2p"].as<std::string>();
    if (p2p == "auto") {
      options.p2p = P2pPolicy::kAuto;
    } else if (p2p == "relay-only") {
      options.p2p = P2pPolicy::kRelayOnly;
    } else {
      return UsageError(
          fmt::format("--p2p '{}': expected auto or relay-only", p2p));
    }
  }
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
  if (words.empty()) {
    if (!chat_without_command) {
      return UsageError("no command given (see --help)");
    }
    words.push_back("chat");
  }
  const CommandSpec* spec = nullptr;
  for (const CommandSpec& candidate : kCommands) {
    if (candidate.name == words[0]) spec = &candidate;
  }
  if (spec == nullptr) {
    return UsageError(
        fmt::format("unknown command '{}' (see --help)", words[0]));
  }
  options.command = spec->command;
  if (options.until_eof && options.command != Command::kListen) {
    return UsageError("--until-eof is for hail listen only");
  }
  ForwardRuleOptions rule_options;
  for (auto [name, field] : {std::pair{"after", &rule_options.after},
                             std::pair{"quiet", &rule_options.quiet},
                             std::pair{"utc-offset", &rule_options.utc_offset},
                             std::pair{"cap", &rule_options.cap},
                             std::pair{"contacts", &rule_options.contacts}}) {
    if (values.count(name)) *field = values[name].as<std::string>();
  }
  rule_options.off = values.count("off") > 0;
  if (spec->arguments == Arguments::kForward) {
    Result<ForwardCommand> forward = ParseForwardCommand(
        std::vector<std::string>(words.begin() + 1, words.end()), rule_options);
    if (!forward.ok()) return UsageError(forward.status().message());
    options.forward = *std::move(forward);
    parse.outcome = CliParse::Outcome::kRun;
    return parse;
  }
  if (rule_options.any()) {
    return UsageError(
        "--after, --quiet, --utc-offset, --cap, --contacts and --off go with "
        "hail forward rules only");
  }
  size_t given = words.size() - 1;
  size_t minimum = 0;
  size_t maximum = 0;  // SIZE_MAX: the last argument is TEXT, any words
  switch (spec->arguments) {
    case Arguments::kNone:
    case Arguments::kForward:  // parsed above
      break;
    case Arguments::kAccountName:
    case Arguments::kContact:
      minimum = maximum = 1;
      break;
    case Arguments::kContactText:
      minimum = 2;
      maximum = SIZE_MAX;
      break;
    case Arguments::kContactOptText:
    case Arguments::kPresenceOptText:
      minimum = 1;
      maximum = SIZE_MAX;
      break;
  }
  if (given < minimum || given > maximum) {
    return UsageError(
        spec->usage.empty()
            ? fmt::format("usage: hail {}", spec->name)
            : fmt::format("usage: hail {} {}", spec->name, spec->usage));
  }
  if (spec->arguments == Arguments::kAccountName) {
    options.username = words[1];
  } else if (given > 0) {
    options.arguments.push_back(words[1]);
    if (given > 1) options.arguments.push_back(JoinFrom(words, 2));
  }
  if (spec->arguments == Arguments::kPresenceOptText) {
    std::optional<protocol::Presence> presence = ParsePresence(words[1]);
    if (!presence) {
      return UsageError(fmt::format(
          "'{}' is not a presence: use online, away, busy or invisible",
          words[1]));
    }
    options.presence = *presence;
  } else if (spec->arguments != Arguments::kAccountName && given > 0 &&
             !protocol::NormalizeUsername(words[1])) {
    return UsageError(fmt::format(
        "'{}' is not a valid username: 3..32 characters of A-Z a-z 0-9 . _ "
        "-, starting with a letter",
        words[1]));
  }
  parse.outcome = CliParse::Outcome::kRun;
  return parse;
}

std::string HelpText() {
  std::ostringstream text;
  text << "Usage: hail [OPTIONS] [COMMAND [ARGUMENTS]]\n\n"
       << "The Hail instant-messaging client. Without a command, and with "
          "stdin a terminal,\nit starts the interactive chat.\n\n"
          "Commands:\n";
  for (const CommandSpec& spec : kCommands) {
    std::string usage = spec.usage.empty()
                            ? std::string(spec.name)
                            : fmt::format("{} {}", spec.name, spec.usage);
    text << fmt::format("  {:<24}{}\n", usage, spec.summary);
  }
  text << "\nForwarding (CHANNEL is email, sms or fax; see SPEC.md 17: a "
          "forwarded message\nleaves Hail's encryption):\n"
       << kForwardUsage;
  text << "\nTEXT may be several words. The commands from add on log in as "
          "--user, $HAIL_USER or\nthe only user with a stored token for the "
          "server.\n";
  text << "\n" << GlobalOptions() << "\n";
  text << ForwardRuleOptionsDescription() << "\n";
  text << "Environment:\n"
          "  HAIL_HOME            state directory (default ~/.hail): "
          "known_servers, tokens\n"
          "  HAIL_USER            the user to log in as (see --user)\n"
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
