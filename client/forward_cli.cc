#include "client/forward_cli.h"

#include <fmt/format.h>

#include <charconv>
#include <ctime>

namespace hail::client {
namespace {

using Action = ForwardCommand::Action;

std::optional<unsigned> ParseNumber(std::string_view text) {
  unsigned value = 0;
  auto [end, error] =
      std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc() ||
      end != text.data() + text.size()) {
    return std::nullopt;
  }
  return value;
}

Result<protocol::ForwardChannel> ParseChannel(std::string_view word) {
  std::optional<protocol::ForwardChannel> channel =
      protocol::ForwardChannelFromName(word);
  if (!channel) {
    return Status::InvalidArgument(fmt::format(
        "'{}' is not a forwarding channel: use email, sms or fax", word));
  }
  return *channel;
}

Status ApplyRuleOptions(const ForwardRuleOptions& options,
                        ForwardCommand* command) {
  protocol::ForwardRuleFields& rule = command->rule;
  rule.enabled = options.off ? 0 : 1;
  if (options.after) {
    std::optional<unsigned> after = ParseNumber(*options.after);
    if (!after || *after < protocol::kForwardMinAfterMinutes ||
        *after > protocol::kForwardMaxAfterMinutes) {
      return Status::InvalidArgument(fmt::format(
          "--after '{}': expected minutes from 1 to 1440", *options.after));
    }
    rule.after_minutes = static_cast<uint16_t>(*after);
  }
  if (options.quiet && *options.quiet != "none") {
    size_t dash = options.quiet->find('-');
    std::optional<uint16_t> start, end;
    if (dash != std::string::npos) {
      start =
          ParseMinuteOfDay(std::string_view(*options.quiet).substr(0, dash));
      end = ParseMinuteOfDay(std::string_view(*options.quiet).substr(dash + 1));
    }
    if (!start || !end) {
      return Status::InvalidArgument(fmt::format(
          "--quiet '{}': expected HH:MM-HH:MM (e.g. 22:00-07:00) or none",
          *options.quiet));
    }
    rule.quiet_start = *start;
    rule.quiet_end = *end;
  }
  if (options.utc_offset) {
    std::optional<int16_t> offset = ParseUtcOffset(*options.utc_offset);
    if (!offset) {
      return Status::InvalidArgument(fmt::format(
          "--utc-offset '{}': expected +HH:MM or -HH:MM, at most 14:00",
          *options.utc_offset));
    }
    rule.utc_offset_minutes = *offset;
    command->utc_offset_given = true;
  }
  if (options.cap) {
    std::optional<unsigned> cap = ParseNumber(*options.cap);
    if (!cap || *cap < protocol::kForwardMinDailyCap ||
        *cap > protocol::kForwardMaxDailyCap) {
      return Status::InvalidArgument(fmt::format(
          "--cap '{}': expected messages per day from 1 to 100", *options.cap));
    }
    rule.daily_cap = static_cast<uint16_t>(*cap);
  }
  if (options.contacts && *options.contacts != "all") {
    auto names = protocol::ParseForwardContacts(*options.contacts);
    if (!names || names->empty()) {
      return Status::InvalidArgument(fmt::format(
          "--contacts '{}': expected all, or 1 to 64 usernames separated by "
          "commas",
          *options.contacts));
    }
    rule.contacts_mode =
        static_cast<uint8_t>(protocol::ForwardContactsMode::kList);
    rule.contacts = protocol::JoinForwardContacts(*names);
  }
  return Status::Ok();
}

Status UsageOf(std::string_view action) {
  if (action == "add") {
    return Status::InvalidArgument(
        "usage: hail forward add email|sms|fax ADDRESS");
  }
  if (action == "verify") {
    return Status::InvalidArgument("usage: hail forward verify CHANNEL CODE");
  }
  if (action == "remove") {
    return Status::InvalidArgument("usage: hail forward remove CHANNEL");
  }
  if (action == "rules") {
    return Status::InvalidArgument(
        "usage: hail forward rules CHANNEL [--after MIN] [--quiet "
        "HH:MM-HH:MM|none] [--utc-offset +HH:MM] [--cap N] [--contacts "
        "all|NAME,NAME] [--off]");
  }
  return Status::InvalidArgument("usage: hail forward list");
}

}  // namespace

std::optional<uint16_t> ParseMinuteOfDay(std::string_view text) {
  if (text.size() != 5 || text[2] != ':') return std::nullopt;
  std::optional<unsigned> hours = ParseNumber(text.substr(0, 2));
  std::optional<unsigned> minutes = ParseNumber(text.substr(3, 2));
  if (!hours || !minutes || *hours > 23 || *minutes > 59) return std::nullopt;
  return static_cast<uint16_t>(*hours * 60 + *minutes);
}

std::optional<int16_t> ParseUtcOffset(std::string_view text) {
  if (text == "Z" || text == "0") return 0;
  if (text.size() != 6 || (text[0] != '+' && text[0] != '-') ||
      text[3] != ':') {
    return std::nullopt;
  }
  std::optional<unsigned> hours = ParseNumber(text.substr(1, 2));
  std::optional<unsigned> minutes = ParseNumber(text.substr(4, 2));
  if (!hours || !minutes || *minutes > 59) return std::nullopt;
  unsigned total = *hours * 60 + *minutes;
  if (total > static_cast<unsigned>(protocol::kForwardMaxUtcOffset)) {
    return std::nullopt;
  }
  int value = static_cast<int>(total);
  return static_cast<int16_t>(text[0] == '-' ? -value : value);
}

Result<ForwardCommand> ParseForwardCommand(
    const std::vector<std::string>& words, const ForwardRuleOptions& options) {
  if (words.empty()) {
    return Status::InvalidArgument(
        "usage: hail forward add|verify|remove|rules|list ... (see --help)");
  }
  const std::string& action = words[0];
  ForwardCommand command;
  size_t arguments = 0;  // after the channel
  if (action == "add") {
    command.action = Action::kAdd;
    arguments = 1;
  } else if (action == "verify") {
    command.action = Action::kVerify;
    arguments = 1;
  } else if (action == "remove") {
    command.action = Action::kRemove;
  } else if (action == "rules") {
    command.action = Action::kRules;
  } else if (action == "list") {
    command.action = Action::kList;
  } else {
    return Status::InvalidArgument(fmt::format(
        "unknown forward action '{}': use add, verify, remove, rules or list",
        action));
  }
  if (options.any() && command.action != Action::kRules) {
    return Status::InvalidArgument(
        "--after, --quiet, --utc-offset, --cap, --contacts and --off go with "
        "hail forward rules only");
  }
  if (command.action == Action::kList) {
    if (words.size() != 1) return UsageOf(action);
    return command;
  }
  if (words.size() != 2 + arguments) return UsageOf(action);
  Result<protocol::ForwardChannel> channel = ParseChannel(words[1]);
  if (!channel.ok()) return channel.status();
  command.channel = *channel;
  if (arguments > 0) command.argument = words[2];
  switch (command.action) {
    case Action::kAdd:
      if (!protocol::IsValidForwardAddress(
              static_cast<uint8_t>(command.channel), command.argument)) {
        return Status::InvalidArgument(
            command.channel == protocol::ForwardChannel::kEmail
                ? fmt::format("'{}' is not an e-mail address Hail accepts "
                              "(local@domain.tld, ASCII, at most 254 bytes)",
                              command.argument)
                : fmt::format("'{}' is not a number in E.164 form: + and "
                              "8..15 digits, e.g. +4915112345678",
                              command.argument));
      }
      break;
    case Action::kVerify:
      if (!protocol::IsValidForwardCode(command.argument)) {
        return Status::InvalidArgument(fmt::format(
            "'{}' is not a verification code: 6 digits", command.argument));
      }
      break;
    case Action::kRules:
      if (Status status = ApplyRuleOptions(options, &command); !status.ok()) {
        return status;
      }
      break;
    case Action::kRemove:
    case Action::kList:
      break;
  }
  return command;
}

Result<ForwardCommand> ParseForwardLine(std::string_view line) {
  std::vector<std::string> words;
  ForwardRuleOptions options;
  std::vector<std::string> tokens;
  size_t at = 0;
  while (at < line.size()) {
    size_t end = line.find_first_of(" \t", at);
    if (end == std::string_view::npos) end = line.size();
    if (end > at) tokens.emplace_back(line.substr(at, end - at));
    at = end + 1;
  }
  for (size_t i = 0; i < tokens.size(); ++i) {
    const std::string& token = tokens[i];
    if (token == "--off") {
      options.off = true;
      continue;
    }
    std::optional<std::string>* value =
        token == "--after"        ? &options.after
        : token == "--quiet"      ? &options.quiet
        : token == "--utc-offset" ? &options.utc_offset
        : token == "--cap"        ? &options.cap
        : token == "--contacts"   ? &options.contacts
                                  : nullptr;
    if (value == nullptr) {
      if (token.starts_with("--")) {
        return Status::InvalidArgument(
            fmt::format("unknown option {} for forward", token));
      }
      words.push_back(token);
      continue;
    }
    if (i + 1 == tokens.size()) {
      return Status::InvalidArgument(fmt::format("{} needs a value", token));
    }
    *value = tokens[++i];
  }
  return ParseForwardCommand(words, options);
}

int16_t LocalUtcOffsetMinutes() {
  std::time_t now = std::time(nullptr);
  std::tm local{};
  if (localtime_r(&now, &local) == nullptr) return 0;
  long minutes = local.tm_gmtoff / 60;
  if (minutes < protocol::kForwardMinUtcOffset ||
      minutes > protocol::kForwardMaxUtcOffset) {
    return 0;
  }
  return static_cast<int16_t>(minutes);
}

}  // namespace hail::client
