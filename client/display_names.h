// Names of wire values as `hail` prints them, for people and in --json
// output: error codes, presence, relations, routes.
#ifndef HAIL_CLIENT_DISPLAY_NAMES_H_
#define HAIL_CLIENT_DISPLAY_NAMES_H_

#include <optional>
#include <string>
#include <string_view>

#include "protocol/chat_messages.h"
#include "protocol/contact_messages.h"
#include "protocol/error_code.h"

namespace hail::client {

// The SPEC.md name of a wire error code, or "unknown(N)".
std::string WireErrorName(protocol::ErrorCode code);

// "offline", "online", "away", "busy", "invisible"; "unknown(N)" otherwise.
std::string PresenceName(protocol::Presence presence);
// "none", "accepted", "requested", "pending", "blocked"; "unknown(N)".
std::string RelationName(protocol::Relation relation);
// "live", "stored"; "unknown(N)".
std::string RouteName(protocol::Route route);

// The presence a user may set, by name (online, away, busy, invisible; any
// case); nullopt for anything else, "offline" included.
std::optional<protocol::Presence> ParsePresence(std::string_view name);

}  // namespace hail::client

#endif  // HAIL_CLIENT_DISPLAY_NAMES_H_
