// The client's pinned server identities, $HAIL_HOME/known_servers (SPEC.md
// "Secure session": trust on first use). One entry per line:
//
//   HOST:PORT ed25519:<64 lowercase hex digits>
//
// Blank lines and lines starting with '#' are comments. Lines this class
// cannot parse are kept verbatim when the file is rewritten; they only
// matter when they name the server being looked up (then Find fails rather
// than silently trusting a new key).
#ifndef HAIL_CLIENT_KNOWN_SERVERS_H_
#define HAIL_CLIENT_KNOWN_SERVERS_H_

#include <filesystem>
#include <optional>
#include <string_view>

#include "protocol/messages.h"
#include "protocol/status.h"

namespace hail::client {

// Reads the file on every call, so that concurrent `hail` processes see each
// other's pins. Not thread-safe; one owner.
class KnownServers {
 public:
  explicit KnownServers(std::filesystem::path file);

  const std::filesystem::path& file() const { return file_; }

  // The identity pinned for `server` ("host:port"), or nullopt when none is.
  // Errors: Corruption when an entry for `server` is malformed or two
  // entries for it disagree; IoError when the file cannot be read.
  Result<std::optional<protocol::PublicKey>> Find(
      std::string_view server) const;

  // Pins `identity` for `server`, replacing every earlier entry for it and
  // keeping all other lines. The file is rewritten atomically (mode 0600)
  // under a lock on its directory, which must exist. Errors: IoError.
  // Never called by the client on a mismatch unless the user passed --trust.
  Status Pin(std::string_view server, const protocol::PublicKey& identity);

 private:
  std::filesystem::path file_;
};

}  // namespace hail::client

#endif  // HAIL_CLIENT_KNOWN_SERVERS_H_
