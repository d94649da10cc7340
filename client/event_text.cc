#include "client/event_text.h"

#include <fmt/format.h>

#include <ctime>
#include <type_traits>

#include "client/display_names.h"
#include "protocol/forward_rules.h"
#include "protocol/registry.h"

namespace hail::client {
namespace {

uint64_t UnixNow() { return static_cast<uint64_t>(std::time(nullptr)); }

std::string Safe(std::string_view text) { return TerminalSafe(text); }

std::string PresenceText(protocol::Presence presence, std::string_view status) {
  std::string text = PresenceName(presence);
  if (!status.empty()) text += ": " + Safe(status);
  return text;
}

std::optional<std::string> Describe(const Connected& e) {
  return fmt::format("* connected over {} to a server with identity {}",
                     TransportKindName(e.transport), e.fingerprint);
}

std::optional<std::string> Describe(const ConnectFailed& e) {
  return fmt::format("* cannot connect: {}", e.reason);
}

std::optional<std::string> Describe(const IdentityMismatch& e) {
  return fmt::format(
      "* the identity of {} has changed (offered {}, expected {})", e.server,
      e.offered_fingerprint, e.expected_fingerprint);
}

std::optional<std::string> Describe(const Registered& e) {
  return fmt::format("* registration of {}: {}", e.username,
                     WireErrorName(e.error));
}

std::optional<std::string> Describe(const LoginResult& e) {
  if (e.error != protocol::ErrorCode::kOk) {
    return fmt::format("* login failed: {}", WireErrorName(e.error));
  }
  return fmt::format("* logged in as {}", e.username);
}

std::optional<std::string> Describe(const LoggedOut&) { return "* logged out"; }

std::optional<std::string> Describe(const PasswordChanged& e) {
  return fmt::format("* password change: {}", WireErrorName(e.error));
}

std::optional<std::string> Describe(const AccountDeleted& e) {
  return fmt::format("* account deletion: {}", WireErrorName(e.error));
}

std::optional<std::string> Describe(const SessionInfo& e) {
  return fmt::format("* session of {} from {}", e.username,
                     e.observed_endpoint.ToString());
}

std::optional<std::string> Describe(const Pong& e) {
  return fmt::format("* pong after {} ms", e.rtt_ms);
}

std::optional<std::string> Describe(const NatReport& e) {
  return fmt::format(
      "* NAT: udp {}, public endpoint {}, mapping {}: {} ({})",
      e.udp_works ? "works" : "blocked", e.public_endpoint.ToString(),
      nat::MappingBehaviourName(e.mapping), NatMeaning(e), e.reason);
}

std::optional<std::string> Describe(const ErrorReply& e) {
  return fmt::format("* the server answered {} with {}",
                     protocol::KindName(e.offending_kind),
                     WireErrorName(e.code));
}

std::optional<std::string> Describe(const SessionEnded& e) {
  return fmt::format("* the server ended the session: {}",
                     WireErrorName(e.reason));
}

std::optional<std::string> Describe(const Disconnected& e) {
  if (e.closed_by_us) return "* disconnected";
  if (e.reason == protocol::ErrorCode::kOk) return "* the connection was lost";
  return fmt::format("* the server closed the connection: {}",
                     WireErrorName(e.reason));
}

std::optional<std::string> Describe(const RequestDone& e) {
  return fmt::format("* {}: {}",
                     protocol::KindName(static_cast<uint16_t>(e.kind)),
                     WireErrorName(e.error));
}

std::optional<std::string> Describe(const ContactUpdated& e) {
  std::string name = Safe(e.username);
  switch (e.relation) {
    case protocol::Relation::kNone:
      return fmt::format("* {} is not a contact", name);
    case protocol::Relation::kAccepted:
      return fmt::format("* {} is a contact ({})", name,
                         PresenceText(e.presence, e.status));
    case protocol::Relation::kRequested:
      return fmt::format("* waiting for {} to answer your contact request",
                         name);
    case protocol::Relation::kPending:
      return fmt::format("* {} asks to add you as a contact", name);
    case protocol::Relation::kBlocked:
      return fmt::format("* {} is blocked", name);
  }
  return fmt::format("* {}: relation {}", name, RelationName(e.relation));
}

std::optional<std::string> Describe(const ContactListEnd& e) {
  return fmt::format("* {} {} in the contact list", e.count,
                     e.count == 1 ? "entry" : "entries");
}

std::optional<std::string> Describe(const ContactRequest& e) {
  std::string text =
      e.answered
          ? fmt::format("* {} asked to add you as a contact", Safe(e.from))
          : fmt::format("* {} asks to add you as a contact", Safe(e.from));
  if (!e.text.empty()) text += fmt::format(": \"{}\"", Safe(e.text));
  if (e.answered) text += " (answered already)";
  return text;
}

std::optional<std::string> Describe(const ContactAnswered& e) {
  return fmt::format("* {} {} your contact request", Safe(e.user),
                     e.accepted ? "accepted" : "declined");
}

std::optional<std::string> Describe(const PresenceChanged& e) {
  return fmt::format("* {} is {}", Safe(e.username),
                     PresenceText(e.presence, e.status));
}

std::optional<std::string> Describe(const MessageAccepted& e) {
  // A message an earlier run left unanswered, resent after this login.
  std::string earlier = e.restored ? " (queued earlier, resent)" : "";
  if (e.error != protocol::ErrorCode::kOk) {
    std::string kept;
    if (e.kept_for_retry) {
      kept = e.retry_in_ms > 0 ? fmt::format("; kept, trying again in {} s",
                                             (e.retry_in_ms + 999) / 1000)
                               : "; kept, resent at the next login";
    }
    return fmt::format("-> {}: not sent: {}{}{}", Safe(e.recipient),
                       WireErrorName(e.error), earlier, kept);
  }
  if (e.path == Path::kDirect) {
    return fmt::format("-> {}: delivered directly{}", Safe(e.recipient),
                       earlier);
  }
  return fmt::format(
      "-> {}: {} (#{}){}", Safe(e.recipient),
      e.route == protocol::Route::kLive ? "delivered live" : "stored offline",
      e.seq, earlier);
}

std::optional<std::string> Describe(const MessageReceived& e) {
  return fmt::format("[{}] {}{}: {}", FormatWhen(e.accepted_unix, UnixNow()),
                     Safe(e.sender), e.from_mailbox ? " (stored)" : "",
                     MessageTextSafe(e.text));
}

std::optional<std::string> Describe(const DeliveryReceipt& e) {
  return fmt::format("* {} got your message ({})", Safe(e.recipient),
                     FormatWhen(e.delivered_unix, UnixNow()));
}

std::optional<std::string> Describe(const MailboxEnd& e) {
  if (e.count == 0) return std::nullopt;
  return fmt::format("* {} {} waited for you", e.count,
                     e.count == 1 ? "item" : "items");
}

std::optional<std::string> Describe(const Reconnecting& e) {
  return fmt::format("* {}; reconnecting in {:.1f} s (attempt {})", e.reason,
                     static_cast<double>(e.delay_ms) / 1000.0, e.attempt);
}

std::optional<std::string> Describe(const ConnectProgress& e) {
  return "* " + ConnectProgressText(e);
}

std::optional<std::string> Describe(const Reconnected& e) {
  std::string text = fmt::format("* reconnected as {} over {}", e.username,
                                 TransportKindName(e.transport));
  if (e.resent_messages > 0) {
    text += fmt::format("; {} unconfirmed {} sent again", e.resent_messages,
                        e.resent_messages == 1 ? "message" : "messages");
  }
  return text;
}

std::optional<std::string> Describe(const ReconnectFailed& e) {
  return fmt::format("* cannot reconnect: {}", e.reason);
}

std::optional<std::string> Describe(const PathChanged& e) {
  if (e.path == Path::kDirect) {
    return fmt::format("* direct link to {} is up ({} ms)", Safe(e.username),
                       e.setup_ms);
  }
  return fmt::format("* messages to {} go {}: {}", Safe(e.username),
                     e.path == Path::kTcpRelay ? "through the server over TCP"
                                               : "through the server",
                     Safe(e.reason));
}

std::optional<std::string> Describe(const ForwardSetting& e) {
  std::string channel = protocol::ForwardChannelLabel(e.channel);
  std::string address =
      e.address.empty()
          ? "no address"
          : fmt::format("{} ({})", Safe(e.address),
                        e.verified ? "verified" : "not verified yet");
  if (e.rule.enabled == 0) {
    return fmt::format("* {}: {}; forwarding off", channel, address);
  }
  std::string quiet =
      e.rule.quiet_start == e.rule.quiet_end
          ? "no quiet hours"
          : fmt::format("quiet {}-{}", MinuteOfDayText(e.rule.quiet_start),
                        MinuteOfDayText(e.rule.quiet_end));
  std::string contacts =
      e.rule.contacts_mode == 0 ? "all contacts" : Safe(e.rule.contacts);
  return fmt::format(
      "* {}: {}; forwarding after {} min offline, {} ({}), at most {} a "
      "day, for {}",
      channel, address, e.rule.after_minutes, quiet,
      UtcOffsetText(e.rule.utc_offset_minutes), e.rule.daily_cap, contacts);
}

std::optional<std::string> Describe(const ForwardListEnd&) {
  return std::nullopt;
}

std::optional<std::string> Describe(const MessageForwarded& e) {
  std::string channel = protocol::ForwardChannelLabel(e.channel);
  switch (static_cast<protocol::ForwardState>(e.state)) {
    case protocol::ForwardState::kHandedOver:
      return fmt::format("-> {}: forwarded by {} (left Hail's encryption)",
                         Safe(e.recipient), channel);
    case protocol::ForwardState::kDelivered:
      return fmt::format(
          "-> {}: forwarded by {}, delivered (left Hail's "
          "encryption)",
          Safe(e.recipient), channel);
    case protocol::ForwardState::kFailed:
      return fmt::format("-> {}: forwarding by {} failed: {}",
                         Safe(e.recipient), channel,
                         e.reason.empty() ? "no reason given" : Safe(e.reason));
  }
  return fmt::format("-> {}: forwarding by {}: state {}", Safe(e.recipient),
                     channel, e.state);
}

std::optional<std::string> Describe(const DirectLinkOffered& e) {
  return fmt::format("* {} asks for a direct link (it reveals your IP address)",
                     Safe(e.username));
}

}  // namespace

std::optional<std::string> EventText(const Event& event) {
  return std::visit([](const auto& e) { return Describe(e); }, event);
}

std::string ConnectProgressText(const ConnectProgress& e) {
  std::string text = e.reason.empty() ? "" : e.reason + "; ";
  switch (e.step) {
    case ConnectProgress::Step::kCookie:
      return text + fmt::format("waiting for the server's COOKIE (attempt {})",
                                e.attempt);
    case ConnectProgress::Step::kEnet:
      return text + fmt::format("waiting for the ENet connection (attempt {})",
                                e.attempt);
    case ConnectProgress::Step::kTcp:
      return text + "connecting over TCP instead";
  }
  return text;
}

std::string TerminalSafe(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    auto byte = static_cast<unsigned char>(text[i]);
    if (byte < 0x20 || byte == 0x7f) {
      out += '?';
    } else if (byte == 0xc2 && i + 1 < text.size() &&
               static_cast<unsigned char>(text[i + 1]) >= 0x80 &&
               static_cast<unsigned char>(text[i + 1]) <= 0x9f) {
      out += '?';  // a C1 control character, U+0080..U+009F
      ++i;
    } else {
      out += static_cast<char>(byte);
    }
  }
  return out;
}

std::string MessageTextSafe(std::string_view text) {
  std::string out;
  size_t start = 0;
  for (;;) {
    size_t end = text.find('\n', start);
    out += TerminalSafe(text.substr(start, end - start));
    if (end == std::string_view::npos) return out;
    out += "\n";
    out += kContinuation;
    start = end + 1;
  }
}

std::string MinuteOfDayText(uint16_t minute) {
  return fmt::format("{:02}:{:02}", minute / 60, minute % 60);
}

std::string UtcOffsetText(int16_t minutes) {
  int magnitude = minutes < 0 ? -minutes : minutes;
  return fmt::format("UTC{}{:02}:{:02}", minutes < 0 ? '-' : '+',
                     magnitude / 60, magnitude % 60);
}

std::string FormatWhen(uint64_t unix_seconds, uint64_t now_unix) {
  auto time = static_cast<std::time_t>(unix_seconds);
  auto now = static_cast<std::time_t>(now_unix);
  std::tm when{};
  std::tm today{};
  if (localtime_r(&time, &when) == nullptr ||
      localtime_r(&now, &today) == nullptr) {
    return std::to_string(unix_seconds);
  }
  char text[32];
  bool same_day =
      when.tm_year == today.tm_year && when.tm_yday == today.tm_yday;
  std::strftime(text, sizeof text, same_day ? "%H:%M" : "%Y-%m-%d %H:%M",
                &when);
  return text;
}

}  // namespace hail::client
