// The pre-session of SPEC.md 3.5 run to completion on a raw ENet socket, for
// tools and tests that drive their own ENet hosts (hail-attack, the address
// validation tests): HELLO, resent as PresessionExchange says, until the
// COOKIE for it arrives. Blocks the calling thread.
#ifndef HAIL_CLIENT_COOKIE_FETCH_H_
#define HAIL_CLIENT_COOKIE_FETCH_H_

#include <enet/enet.h>

#include <cstdint>
#include <optional>

namespace hail::client {

// The cookie `server` gives `socket`'s address, or nullopt after a REJECT,
// or when none came within `timeout_ms` (at most
// PresessionExchange::kGiveUpAfterMs). Datagrams that are not the answer
// are read and ignored.
std::optional<uint32_t> FetchCookie(ENetSocket socket,
                                    const ENetAddress& server,
                                    uint64_t client_nonce, int timeout_ms);

}  // namespace hail::client

#endif  // HAIL_CLIENT_COOKIE_FETCH_H_
