#include "client/display_names.h"

#include <fmt/format.h>

#include <array>
#include <cctype>

namespace hail::client {
namespace {

constexpr std::array<std::string_view, protocol::kPresenceEnd> kPresenceNames =
    {"offline", "online", "away", "busy", "invisible"};
constexpr std::array<std::string_view, protocol::kRelationEnd> kRelationNames =
    {"none", "accepted", "requested", "pending", "blocked"};

template <size_t N>
std::string NameOrUnknown(const std::array<std::string_view, N>& names,
                          uint8_t value) {
  if (value < names.size()) return std::string(names[value]);
  return fmt::format("unknown({})", value);
}

}  // namespace

std::string WireErrorName(protocol::ErrorCode code) {
  if (static_cast<uint16_t>(code) >= protocol::kErrorCodeEnd) {
    return fmt::format("unknown({})", static_cast<uint16_t>(code));
  }
  return std::string(protocol::ErrorCodeName(code));
}

std::string PresenceName(protocol::Presence presence) {
  return NameOrUnknown(kPresenceNames, static_cast<uint8_t>(presence));
}

std::string RelationName(protocol::Relation relation) {
  return NameOrUnknown(kRelationNames, static_cast<uint8_t>(relation));
}

std::string RouteName(protocol::Route route) {
  switch (route) {
    case protocol::Route::kLive:
      return "live";
    case protocol::Route::kStored:
      return "stored";
  }
  return fmt::format("unknown({})", static_cast<uint8_t>(route));
}

std::optional<protocol::Presence> ParsePresence(std::string_view name) {
  std::string lower;
  for (char c : name) {
    lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  for (size_t i = 1; i < kPresenceNames.size(); ++i) {
    if (kPresenceNames[i] == lower) return static_cast<protocol::Presence>(i);
  }
  return std::nullopt;
}

}  // namespace hail::client
