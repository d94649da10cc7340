// Helpers shared by the files that implement Client (client.cc,
// client_chat.cc). Not part of the library's interface.
#ifndef HAIL_CLIENT_CLIENT_INTERNAL_H_
#define HAIL_CLIENT_CLIENT_INTERNAL_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "protocol/status.h"

namespace hail::client::internal {

uint64_t SteadyNowMs();
uint64_t UnixNow();
uint64_t RandomU64();

// The canonical form of `username`; InvalidArgument (naming the rules) when
// it breaks them.
Result<std::string> CanonicalUsername(std::string_view username);

}  // namespace hail::client::internal

#endif  // HAIL_CLIENT_CLIENT_INTERNAL_H_
