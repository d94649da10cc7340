#include "client/events.h"

#include <array>

namespace hail::client {

std::string_view EventName(const Event& event) {
  // In the order of the Event alternatives.
  static constexpr std::array<std::string_view, 33> kNames = {
      "Connected",        "ConnectFailed",
      "IdentityMismatch", "Registered",
      "LoginResult",      "LoggedOut",
      "PasswordChanged",  "AccountDeleted",
      "SessionInfo",      "Pong",
      "ErrorReply",       "SessionEnded",
      "Disconnected",     "RequestDone",
      "ContactUpdated",   "ContactListEnd",
      "ContactRequest",   "ContactAnswered",
      "PresenceChanged",  "MessageAccepted",
      "MessageReceived",  "DeliveryReceipt",
      "MailboxEnd",       "Reconnecting",
      "Reconnected",      "ReconnectFailed",
      "PathChanged",      "DirectLinkOffered",
      "NatReport",        "ConnectProgress",
      "ForwardSetting",   "ForwardListEnd",
      "MessageForwarded",
  };
  static_assert(std::variant_size_v<Event> == kNames.size(),
                "every Event alternative needs a name");
  return kNames[event.index()];
}

std::string_view ConnectStepName(ConnectProgress::Step step) {
  switch (step) {
    case ConnectProgress::Step::kCookie:
      return "cookie";
    case ConnectProgress::Step::kEnet:
      return "enet";
    case ConnectProgress::Step::kTcp:
      return "tcp";
  }
  return "unknown";
}

std::string_view PathName(Path path) {
  switch (path) {
    case Path::kRelay:
      return "relay";
    case Path::kDirect:
      return "direct";
    case Path::kTcpRelay:
      return "tcp-relay";
  }
  return "unknown";
}

std::string_view NatMeaning(const NatReport& report) {
  if (!report.udp_works) {
    return "UDP blocked: no direct links, and no Hail over UDP either";
  }
  switch (report.mapping) {
    case nat::MappingBehaviour::kEndpointIndependent:
      return "direct links possible";
    case nat::MappingBehaviour::kEndpointDependent:
      return "behind a symmetric NAT: direct links impossible, messages go "
             "through the server";
    case nat::MappingBehaviour::kUnknown:
      break;
  }
  return "UDP works; whether direct links are possible is unknown";
}

std::optional<ItemReference> AcknowledgementFor(const Event& event) {
  if (const auto* message = std::get_if<MessageReceived>(&event)) {
    return ItemReference{message->message_id, message->sender_id};
  }
  if (const auto* request = std::get_if<ContactRequest>(&event)) {
    return ItemReference{request->item_id, 0};
  }
  if (const auto* answer = std::get_if<ContactAnswered>(&event)) {
    return ItemReference{answer->item_id, 0};
  }
  if (const auto* receipt = std::get_if<DeliveryReceipt>(&event)) {
    return ItemReference{receipt->item_id, 0};
  }
  if (const auto* forwarded = std::get_if<MessageForwarded>(&event)) {
    return ItemReference{forwarded->item_id, 0};
  }
  return std::nullopt;
}

}  // namespace hail::client
