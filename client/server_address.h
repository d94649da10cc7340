// Where the client connects: "HOST:PORT" as the user wrote it. The text form
// also keys the client's state files (known_servers, tokens), so two
// spellings of one server ("localhost:4000", "127.0.0.1:4000") are pinned
// separately, as ssh does with known_hosts.
#ifndef HAIL_CLIENT_SERVER_ADDRESS_H_
#define HAIL_CLIENT_SERVER_ADDRESS_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "protocol/status.h"

namespace hail::client {

inline constexpr uint16_t kDefaultServerPort = 4000;

struct ServerAddress {
  std::string host = "127.0.0.1";  // a DNS name or dotted IPv4, lowercased
  uint16_t port = kDefaultServerPort;

  // "host:port", the key used in known_servers and tokens.
  std::string ToString() const;
};

// Parses "HOST:PORT" or "HOST" (default port). HOST is a DNS name or dotted
// IPv4 address; ENet 1.3 speaks IPv4 only, so bracketed IPv6 literals are
// refused. Errors: InvalidArgument with a message fit for the user.
Result<ServerAddress> ParseServerAddress(std::string_view text);

}  // namespace hail::client

#endif  // HAIL_CLIENT_SERVER_ADDRESS_H_
