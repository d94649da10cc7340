#include "client/event_json.h"

#include <array>
#include <type_traits>

#include "client/display_names.h"
#include "client/json_line.h"
#include "protocol/byte_io.h"
#include "protocol/forward_rules.h"
#include "protocol/handshake.h"
#include "protocol/registry.h"

namespace hail::client {
namespace {

std::string Hex(const protocol::ItemId& id) {
  return protocol::ToHex(protocol::ByteSpan(id.data(), id.size()));
}

// The members after "event", per event type.
void AddMembers(JsonLine& line, const Connected& e) {
  line.AddString("fingerprint", e.fingerprint);
  line.AddBool("newly_pinned", e.newly_pinned);
  line.AddString("transport", TransportKindName(e.transport));
}

void AddMembers(JsonLine& line, const ConnectFailed& e) {
  line.AddString("reason", e.reason);
  if (e.error) line.AddString("error", WireErrorName(*e.error));
}

void AddMembers(JsonLine& line, const IdentityMismatch& e) {
  line.AddString("server", e.server);
  line.AddString("expected_fingerprint", e.expected_fingerprint);
  line.AddString("offered_fingerprint", e.offered_fingerprint);
}

void AddMembers(JsonLine& line, const Registered& e) {
  line.AddUnsigned("request_id", e.request_id);
  line.AddString("error", WireErrorName(e.error));
  line.AddUnsigned("user_id", e.user_id);
  line.AddString("username", e.username);
}

void AddMembers(JsonLine& line, const LoginResult& e) {
  line.AddUnsigned("request_id", e.request_id);
  line.AddString("error", WireErrorName(e.error));
  line.AddUnsigned("user_id", e.user_id);
  line.AddString("username", e.username);
  line.AddString("observed_endpoint", e.observed_endpoint.ToString());
  line.AddBool("resumed", e.resumed);
}

void AddMembers(JsonLine& line, const LoggedOut& e) {
  line.AddUnsigned("request_id", e.request_id);
  line.AddString("error", WireErrorName(e.error));
}

void AddMembers(JsonLine& line, const PasswordChanged& e) {
  line.AddUnsigned("request_id", e.request_id);
  line.AddString("error", WireErrorName(e.error));
}

void AddMembers(JsonLine& line, const AccountDeleted& e) {
  line.AddUnsigned("request_id", e.request_id);
  line.AddString("error", WireErrorName(e.error));
}

void AddMembers(JsonLine& line, const SessionInfo& e) {
  line.AddUnsigned("request_id", e.request_id);
  line.AddUnsigned("user_id", e.user_id);
  line.AddString("username", e.username);
  line.AddString("observed_endpoint", e.observed_endpoint.ToString());
  line.AddString("lan_endpoint", e.lan_endpoint.ToString());
  line.AddString("client_version", e.client_version);
  line.AddUnsigned("login_unix", e.login_unix);
}

void AddMembers(JsonLine& line, const Pong& e) {
  line.AddUnsigned("nonce", e.nonce);
  line.AddUnsigned("rtt_ms", e.rtt_ms);
}

void AddMembers(JsonLine& line, const NatReport& e) {
  line.AddBool("udp_works", e.udp_works);
  line.AddString("public_endpoint", e.public_endpoint.ToString());
  line.AddString("mapping", nat::MappingBehaviourName(e.mapping));
  line.AddString("meaning", NatMeaning(e));
  line.AddString("reason", e.reason);
}

void AddMembers(JsonLine& line, const ErrorReply& e) {
  line.AddUnsigned("request_id", e.request_id);
  line.AddString("offending_kind", protocol::KindName(e.offending_kind));
  line.AddString("error", WireErrorName(e.code));
}

void AddMembers(JsonLine& line, const SessionEnded& e) {
  line.AddString("reason", WireErrorName(e.reason));
}

void AddMembers(JsonLine& line, const Disconnected& e) {
  line.AddString("reason", WireErrorName(e.reason));
  line.AddBool("closed_by_us", e.closed_by_us);
}

void AddMembers(JsonLine& line, const RequestDone& e) {
  line.AddUnsigned("request_id", e.request_id);
  line.AddString("kind", protocol::KindName(static_cast<uint16_t>(e.kind)));
  line.AddString("error", WireErrorName(e.error));
}

void AddMembers(JsonLine& line, const ContactUpdated& e) {
  line.AddUnsigned("user_id", e.user_id);
  line.AddString("username", e.username);
  line.AddString("relation", RelationName(e.relation));
  line.AddString("presence", PresenceName(e.presence));
  line.AddString("status", e.status);
}

void AddMembers(JsonLine& line, const ContactListEnd& e) {
  line.AddUnsigned("request_id", e.request_id);
  line.AddUnsigned("count", e.count);
}

void AddMembers(JsonLine& line, const ContactRequest& e) {
  line.AddString("item_id", Hex(e.item_id));
  line.AddUnsigned("from_user_id", e.from_user_id);
  line.AddString("from", e.from);
  line.AddString("text", e.text);
  line.AddUnsigned("sent_unix", e.sent_unix);
  line.AddBool("answered", e.answered);
}

void AddMembers(JsonLine& line, const ContactAnswered& e) {
  line.AddString("item_id", Hex(e.item_id));
  line.AddUnsigned("user_id", e.user_id);
  line.AddString("user", e.user);
  line.AddBool("accepted", e.accepted);
  line.AddUnsigned("answered_unix", e.answered_unix);
}

void AddMembers(JsonLine& line, const PresenceChanged& e) {
  line.AddUnsigned("user_id", e.user_id);
  line.AddString("username", e.username);
  line.AddString("presence", PresenceName(e.presence));
  line.AddString("status", e.status);
}

void AddMembers(JsonLine& line, const MessageAccepted& e) {
  line.AddString("message_id", Hex(e.message_id));
  line.AddString("recipient", e.recipient);
  line.AddString("error", WireErrorName(e.error));
  line.AddBool("restored", e.restored);
  if (e.error != protocol::ErrorCode::kOk) {
    line.AddBool("kept_for_retry", e.kept_for_retry);
    if (e.kept_for_retry) line.AddUnsigned("retry_in_ms", e.retry_in_ms);
  }
  if (e.error == protocol::ErrorCode::kOk) {
    line.AddString("route", RouteName(e.route));
    line.AddUnsigned("seq", e.seq);
    line.AddUnsigned("accepted_unix", e.accepted_unix);
    line.AddString("path", PathName(e.path));
  }
}

void AddMembers(JsonLine& line, const MessageReceived& e) {
  line.AddString("message_id", Hex(e.message_id));
  line.AddUnsigned("sender_id", e.sender_id);
  line.AddString("sender", e.sender);
  line.AddUnsigned("seq", e.seq);
  line.AddUnsigned("accepted_unix", e.accepted_unix);
  line.AddString("text", e.text);
  line.AddBool("from_mailbox", e.from_mailbox);
  line.AddString("path", PathName(e.path));
}

void AddMembers(JsonLine& line, const DeliveryReceipt& e) {
  line.AddString("item_id", Hex(e.item_id));
  line.AddString("message_id", Hex(e.message_id));
  line.AddUnsigned("recipient_id", e.recipient_id);
  line.AddString("recipient", e.recipient);
  line.AddUnsigned("delivered_unix", e.delivered_unix);
}

void AddMembers(JsonLine& line, const MailboxEnd& e) {
  line.AddUnsigned("count", e.count);
}

void AddMembers(JsonLine& line, const Reconnecting& e) {
  line.AddUnsigned("attempt", e.attempt);
  line.AddUnsigned("delay_ms", e.delay_ms);
  line.AddString("reason", e.reason);
}

void AddMembers(JsonLine& line, const Reconnected& e) {
  line.AddUnsigned("user_id", e.user_id);
  line.AddString("username", e.username);
  line.AddString("observed_endpoint", e.observed_endpoint.ToString());
  line.AddUnsigned("attempts", e.attempts);
  line.AddUnsigned("resent_messages", e.resent_messages);
  line.AddString("transport", TransportKindName(e.transport));
}

void AddMembers(JsonLine& line, const ReconnectFailed& e) {
  line.AddString("reason", e.reason);
  if (e.error) line.AddString("error", WireErrorName(*e.error));
}

void AddMembers(JsonLine& line, const ConnectProgress& e) {
  line.AddString("step", ConnectStepName(e.step));
  line.AddUnsigned("attempt", e.attempt);
  if (!e.reason.empty()) line.AddString("reason", e.reason);
}

void AddMembers(JsonLine& line, const PathChanged& e) {
  line.AddUnsigned("user_id", e.user_id);
  line.AddString("username", e.username);
  line.AddString("path", PathName(e.path));
  if (!e.reason.empty()) line.AddString("reason", e.reason);
  if (e.path == Path::kDirect) line.AddUnsigned("setup_ms", e.setup_ms);
}

void AddMembers(JsonLine& line, const DirectLinkOffered& e) {
  line.AddUnsigned("user_id", e.user_id);
  line.AddString("username", e.username);
  line.AddUnsigned("session_id", e.session_id);
}

void AddMembers(JsonLine& line, const ForwardSetting& e) {
  line.AddUnsigned("request_id", e.request_id);
  line.AddString("channel", protocol::ForwardChannelName(e.channel));
  line.AddString("address", e.address);
  line.AddBool("verified", e.verified);
  line.AddBool("enabled", e.rule.enabled != 0);
  line.AddUnsigned("after_minutes", e.rule.after_minutes);
  line.AddUnsigned("quiet_start", e.rule.quiet_start);
  line.AddUnsigned("quiet_end", e.rule.quiet_end);
  line.AddNumber("utc_offset_minutes", e.rule.utc_offset_minutes);
  line.AddUnsigned("daily_cap", e.rule.daily_cap);
  line.AddString("contacts_mode", e.rule.contacts_mode == 0   ? "all"
                                  : e.rule.contacts_mode == 1 ? "list"
                                                              : "unknown");
  line.AddString("contacts", e.rule.contacts);
}

void AddMembers(JsonLine& line, const ForwardListEnd& e) {
  line.AddUnsigned("request_id", e.request_id);
  line.AddUnsigned("count", e.count);
}

std::string_view ForwardStateName(uint8_t state) {
  switch (static_cast<protocol::ForwardState>(state)) {
    case protocol::ForwardState::kHandedOver:
      return "handed_over";
    case protocol::ForwardState::kDelivered:
      return "delivered";
    case protocol::ForwardState::kFailed:
      return "failed";
  }
  return "unknown";
}

void AddMembers(JsonLine& line, const MessageForwarded& e) {
  line.AddString("item_id", Hex(e.item_id));
  line.AddString("message_id", Hex(e.message_id));
  line.AddUnsigned("recipient_id", e.recipient_id);
  line.AddString("recipient", e.recipient);
  line.AddString("channel", protocol::ForwardChannelName(e.channel));
  line.AddString("state", ForwardStateName(e.state));
  line.AddUnsigned("state_value", e.state);
  if (!e.reason.empty()) line.AddString("reason", e.reason);
  line.AddUnsigned("state_unix", e.state_unix);
}

}  // namespace

std::string_view EventJsonName(const Event& event) {
  // In the order of the Event alternatives.
  static constexpr std::array<std::string_view, 33> kNames = {
      "connected",         "connect_failed",
      "identity_mismatch", "registered",
      "login_result",      "logged_out",
      "password_changed",  "account_deleted",
      "session_info",      "pong",
      "error_reply",       "session_ended",
      "disconnected",      "request_done",
      "contact_updated",   "contact_list_end",
      "contact_request",   "contact_answered",
      "presence_changed",  "message_accepted",
      "message_received",  "delivery_receipt",
      "mailbox_end",       "reconnecting",
      "reconnected",       "reconnect_failed",
      "path_changed",      "direct_link_offered",
      "nat_report",        "connect_progress",
      "forward_setting",   "forward_list_end",
      "message_forwarded",
  };
  static_assert(std::variant_size_v<Event> == kNames.size(),
                "every Event alternative needs a JSON name");
  return kNames[event.index()];
}

std::string EventJson(const Event& event) {
  JsonLine line;
  line.AddString("event", EventJsonName(event));
  std::visit([&line](const auto& e) { AddMembers(line, e); }, event);
  return line.str();
}

}  // namespace hail::client
