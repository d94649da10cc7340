#include "client/events.h"

#include <array>

namespace hail::client {

std::string_view EventName(const Event& event) {
  // In the order of the Event alternatives.
  static constexpr std::array<std::string_view, 13> kNames = {
      "Connected",    "ConnectFailed", "IdentityMismatch", "Registered",
      "LoginResult",  "LoggedOut",     "PasswordChanged",  "AccountDeleted",
      "SessionInfo",  "Pong",          "ErrorReply",       "SessionEnded",
      "Disconnected",
  };
  static_assert(std::variant_size_v<Event> == kNames.size(),
                "every Event alternative needs a name");
  return kNames[event.index()];
}

}  // namespace hail::client
