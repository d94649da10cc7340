// Where a logged-in session lives: the one address a hop between loops may
// use (SPEC.md leaves this to the server; see server/core/loop_core.h).
#ifndef HAIL_SERVER_CORE_SESSION_ADDRESS_H_
#define HAIL_SERVER_CORE_SESSION_ADDRESS_H_

#include <cstdint>

namespace hail::server::core {

// A session id alone is not an address: ids are only unique inside one
// loop, and a session that logs out and in again may be another user. An
// envelope is delivered only to the session that still matches all three.
struct SessionAddress {
  uint32_t loop = 0;
  uint64_t session = 0;     // unique within `loop` for the process's life
  uint64_t generation = 0;  // which login of that session; 0: none
  bool operator==(const SessionAddress&) const = default;
};

}  // namespace hail::server::core

#endif  // HAIL_SERVER_CORE_SESSION_ADDRESS_H_
