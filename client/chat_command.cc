#include "client/chat_command.h"

#include <fmt/format.h>

#include <array>
#include <cctype>
#include <optional>

#include "client/display_names.h"
#include "protocol/account_rules.h"

namespace hail::client {
namespace {

using Type = ChatCommand::Type;

// What a command takes after its name.
enum class Arguments : uint8_t {
  kNone,              // /who
  kName,              // /accept NAME
  kNameOptionalText,  // /add NAME [TEXT]
  kNameText,          // /msg NAME TEXT
  kPresenceText,      // /status PRESENCE [TEXT]
  kForward,           // /forward ACTION ...
};

struct CommandSpec {
  std::string_view name;
  Type type;
  Arguments arguments;
  std::string_view usage;
  std::string_view summary;
};

constexpr std::array<CommandSpec, 12> kCommands = {{
    {"msg", Type::kMsg, Arguments::kNameText, "/msg NAME TEXT",
     "send TEXT to NAME; plain lines then go to NAME too"},
    {"add", Type::kAdd, Arguments::kNameOptionalText, "/add NAME [TEXT]",
     "ask NAME to become a contact, with an optional note"},
    {"accept", Type::kAccept, Arguments::kName, "/accept NAME",
     "accept NAME's contact request"},
    {"deny", Type::kDeny, Arguments::kName, "/deny NAME",
     "decline NAME's contact request"},
    {"remove", Type::kRemove, Arguments::kName, "/remove NAME",
     "remove NAME from your contacts"},
    {"block", Type::kBlock, Arguments::kName, "/block NAME",
     "block NAME (they are not told)"},
    {"unblock", Type::kUnblock, Arguments::kName, "/unblock NAME",
     "unblock NAME"},
    {"status", Type::kStatus, Arguments::kPresenceText,
     "/status PRESENCE [TEXT]",
     "set your presence (online, away, busy, invisible) and status text"},
    {"who", Type::kWho, Arguments::kNone, "/who",
     "list your contacts with their presence"},
    {"forward", Type::kForward, Arguments::kForward, "/forward ACTION ...",
     "e-mail, SMS and fax forwarding of your offline messages: add, "
     "verify, remove, rules, list (as `hail forward`; see hail --help)"},
    {"help", Type::kHelp, Arguments::kNone, "/help", "show this help"},
    {"quit", Type::kQuit, Arguments::kNone, "/quit", "log out and leave"},
}};

bool IsSpace(char c) { return c == ' ' || c == '\t'; }

std::string_view Trim(std::string_view text) {
  while (!text.empty() && (IsSpace(text.front()) || text.front() == '\r' ||
                           text.front() == '\n')) {
    text.remove_prefix(1);
  }
  while (!text.empty() &&
         (IsSpace(text.back()) || text.back() == '\r' || text.back() == '\n')) {
    text.remove_suffix(1);
  }
  return text;
}

// Splits off the first word of `text` (which is trimmed on the left).
std::string_view NextWord(std::string_view* text) {
  size_t start = 0;
  while (start < text->size() && IsSpace((*text)[start])) ++start;
  size_t end = start;
  while (end < text->size() && !IsSpace((*text)[end])) ++end;
  std::string_view word = text->substr(start, end - start);
  text->remove_prefix(end);
  while (!text->empty() && IsSpace(text->front())) text->remove_prefix(1);
  return word;
}

ChatCommand Invalid(std::string error) {
  ChatCommand command;
  command.type = Type::kInvalid;
  command.error = std::move(error);
  return command;
}

const CommandSpec* FindCommand(std::string_view word) {
  std::string lower;
  for (char c : word) {
    lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  if (lower == "exit") lower = "quit";
  for (const CommandSpec& spec : kCommands) {
    if (spec.name == lower) return &spec;
  }
  return nullptr;
}

}  // namespace

ChatCommand ParseChatLine(std::string_view line) {
  line = Trim(line);
  ChatCommand command;
  if (line.empty()) return command;
  if (line.front() != '/' || line.starts_with("//")) {
    command.type = Type::kSay;
    command.text = std::string(line.starts_with("//") ? line.substr(1) : line);
    return command;
  }
  std::string_view rest = line.substr(1);
  std::string_view word = NextWord(&rest);
  const CommandSpec* spec = FindCommand(word);
  if (spec == nullptr) {
    return Invalid(fmt::format("unknown command /{} (try /help)", word));
  }
  command.type = spec->type;
  auto usage = [spec] {
    return Invalid(fmt::format("usage: {}", spec->usage));
  };

  if (spec->arguments == Arguments::kNone) {
    if (!rest.empty()) return usage();
    return command;
  }
  if (spec->arguments == Arguments::kForward) {
    Result<ForwardCommand> forward = ParseForwardLine(rest);
    if (!forward.ok()) return Invalid(forward.status().message());
    command.forward = *std::move(forward);
    return command;
  }
  std::string_view first = NextWord(&rest);
  if (first.empty()) return usage();
  if (spec->arguments == Arguments::kPresenceText) {
    std::optional<protocol::Presence> presence = ParsePresence(first);
    if (!presence) {
      return Invalid(fmt::format(
          "'{}' is not a presence: use online, away, busy or invisible",
          first));
    }
    command.presence = *presence;
    command.text = std::string(rest);
    return command;
  }
  std::optional<std::string> name = protocol::NormalizeUsername(first);
  if (!name) {
    return Invalid(fmt::format("'{}' is not a valid username", first));
  }
  command.name = std::move(*name);
  switch (spec->arguments) {
    case Arguments::kName:
      if (!rest.empty()) return usage();
      break;
    case Arguments::kNameText:
      if (rest.empty()) return usage();
      command.text = std::string(rest);
      break;
    default:
      command.text = std::string(rest);
      break;
  }
  return command;
}

std::string ChatHelpText() {
  std::string text;
  for (const CommandSpec& spec : kCommands) {
    text += fmt::format("  {:<26}{}\n", spec.usage, spec.summary);
  }
  text += "  Lines not starting with / go to the last /msg recipient.\n";
  return text;
}

}  // namespace hail::client
