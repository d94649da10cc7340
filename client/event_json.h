// One JSON object per Client event, as `hail listen --json` and
// `hail inbox --json` print them: {"event":"message_received",...}. Field
// names follow the event structs; wire values are named as in
// client/display_names.h and ids are lowercase hex.
#ifndef HAIL_CLIENT_EVENT_JSON_H_
#define HAIL_CLIENT_EVENT_JSON_H_

#include <string>
#include <string_view>

#include "client/events.h"

namespace hail::client {

// The snake_case name in the "event" member, e.g. "message_received".
std::string_view EventJsonName(const Event& event);

// The object on one line, with its trailing newline.
std::string EventJson(const Event& event);

}  // namespace hail::client

#endif  // HAIL_CLIENT_EVENT_JSON_H_
