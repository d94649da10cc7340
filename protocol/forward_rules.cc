#include "protocol/forward_rules.h"

#include <algorithm>

#include "protocol/account_rules.h"
#include "protocol/forward_messages.h"

namespace hail::protocol {
namespace {

bool IsAsciiDigit(char c) { return c >= '0' && c <= '9'; }

bool IsAsciiLetterOrDigit(char c) {
  return IsAsciiDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

// RFC 5322 atext: letters, digits and !#$%&'*+-/=?^_`{|}~.
bool IsAtext(char c) {
  static constexpr std::string_view kSpecials = "!#$%&'*+-/=?^_`{|}~";
  return IsAsciiLetterOrDigit(c) || kSpecials.find(c) != std::string_view::npos;
}

// Atoms of atext joined by single dots.
bool IsDotAtom(std::string_view text) {
  if (text.empty() || text.front() == '.' || text.back() == '.') return false;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '.') {
      if (text[i - 1] == '.') return false;
    } else if (!IsAtext(text[i])) {
      return false;
    }
  }
  return true;
}

// Two or more labels of 1..63 letters, digits and hyphens, no label
// starting or ending with a hyphen.
bool IsDomain(std::string_view domain) {
  size_t labels = 0;
  size_t start = 0;
  while (true) {
    size_t dot = domain.find('.', start);
    std::string_view label = domain.substr(start, dot == std::string_view::npos
                                                      ? std::string_view::npos
                                                      : dot - start);
    if (label.empty() || label.size() > 63) return false;
    if (label.front() == '-' || label.back() == '-') return false;
    for (char c : label) {
      if (!IsAsciiLetterOrDigit(c) && c != '-') return false;
    }
    ++labels;
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return labels >= 2;
}

}  // namespace

std::optional<ForwardChannel> ForwardChannelFromName(std::string_view name) {
  if (name == "email") return ForwardChannel::kEmail;
  if (name == "sms") return ForwardChannel::kSms;
  if (name == "fax") return ForwardChannel::kFax;
  return std::nullopt;
}

std::string ForwardChannelName(uint8_t channel) {
  switch (static_cast<ForwardChannel>(channel)) {
    case ForwardChannel::kEmail:
      return "email";
    case ForwardChannel::kSms:
      return "sms";
    case ForwardChannel::kFax:
      return "fax";
  }
  return "channel " + std::to_string(channel);
}

std::string ForwardChannelLabel(uint8_t channel) {
  switch (static_cast<ForwardChannel>(channel)) {
    case ForwardChannel::kEmail:
      return "e-mail";
    case ForwardChannel::kSms:
      return "SMS";
    case ForwardChannel::kFax:
      return "fax";
  }
  return "channel " + std::to_string(channel);
}

bool IsValidEmailAddress(std::string_view address) {
  if (address.size() > kForwardAddressMaxLength) return false;
  size_t at = address.find('@');
  if (at == std::string_view::npos || at != address.rfind('@')) return false;
  std::string_view local = address.substr(0, at);
  std::string_view domain = address.substr(at + 1);
  return local.size() <= kEmailLocalPartMaxLength && IsDotAtom(local) &&
         IsDomain(domain);
}

bool IsValidE164Number(std::string_view number) {
  if (number.size() < 1 + kE164MinDigits ||
      number.size() > 1 + kE164MaxDigits || number.front() != '+') {
    return false;
  }
  std::string_view digits = number.substr(1);
  return digits.front() != '0' &&
         std::all_of(digits.begin(), digits.end(), IsAsciiDigit);
}

bool IsValidForwardAddress(uint8_t channel, std::string_view address) {
  switch (static_cast<ForwardChannel>(channel)) {
    case ForwardChannel::kEmail:
      return IsValidEmailAddress(address);
    case ForwardChannel::kSms:
    case ForwardChannel::kFax:
      return IsValidE164Number(address);
  }
  return false;
}

bool IsValidForwardCode(std::string_view code) {
  return code.size() == kForwardCodeLength &&
         std::all_of(code.begin(), code.end(), IsAsciiDigit);
}

std::optional<std::vector<std::string>> ParseForwardContacts(
    std::string_view contacts) {
  std::vector<std::string> names;
  if (contacts.empty()) return names;
  size_t start = 0;
  while (true) {
    size_t comma = contacts.find(',', start);
    std::string_view name = contacts.substr(
        start, comma == std::string_view::npos ? std::string_view::npos
                                               : comma - start);
    std::optional<std::string> canonical = NormalizeUsername(name);
    if (!canonical) return std::nullopt;
    if (std::find(names.begin(), names.end(), *canonical) == names.end()) {
      names.push_back(*std::move(canonical));
    }
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  if (names.size() > kForwardMaxContacts) return std::nullopt;
  return names;
}

std::string JoinForwardContacts(const std::vector<std::string>& names) {
  std::string joined;
  for (const std::string& name : names) {
    if (!joined.empty()) joined += ',';
    joined += name;
  }
  return joined;
}

bool AreValidForwardRules(const ForwardRuleFields& rule) {
  if (rule.after_minutes < kForwardMinAfterMinutes ||
      rule.after_minutes > kForwardMaxAfterMinutes) {
    return false;
  }
  if (rule.quiet_start >= kMinutesPerDay || rule.quiet_end >= kMinutesPerDay) {
    return false;
  }
  if (rule.utc_offset_minutes < kForwardMinUtcOffset ||
      rule.utc_offset_minutes > kForwardMaxUtcOffset) {
    return false;
  }
  if (rule.daily_cap < kForwardMinDailyCap ||
      rule.daily_cap > kForwardMaxDailyCap) {
    return false;
  }
  switch (static_cast<ForwardContactsMode>(rule.contacts_mode)) {
    case ForwardContactsMode::kAll:
      return rule.contacts.empty();
    case ForwardContactsMode::kList: {
      auto names = ParseForwardContacts(rule.contacts);
      return names && !names->empty();
    }
  }
  return false;
}

}  // namespace hail::protocol
