// The client's resumption tokens, $HAIL_HOME/tokens (SPEC.md "Accounts":
// single use, 30 days). One entry per line:
//
//   HOST:PORT USERNAME TOKENHEX EXPIRES_UNIX
//
// USERNAME is canonical (lowercase); TOKENHEX is 64 lowercase hex digits.
// The file holds secrets: mode 0600, rewritten atomically. Lines this class
// cannot parse are kept verbatim; expired entries are dropped on rewrite.
#ifndef HAIL_CLIENT_TOKEN_STORE_H_
#define HAIL_CLIENT_TOKEN_STORE_H_

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/messages.h"
#include "protocol/status.h"

namespace hail::client {

struct StoredToken {
  std::string server;    // "host:port"
  std::string username;  // canonical form
  protocol::Token token{};
  uint64_t expires_unix = 0;
};

// Reads the file on every call; mutations hold a lock on its directory so
// that concurrent `hail` processes do not lose each other's updates. Not
// thread-safe; one owner.
class TokenStore {
 public:
  explicit TokenStore(std::filesystem::path file);

  const std::filesystem::path& file() const { return file_; }

  // The token for (server, username) that is still valid at `now_unix`, or
  // nullopt. `username` may be in any case. Errors: InvalidArgument for a
  // username that breaks the rules, IoError.
  Result<std::optional<StoredToken>> Find(std::string_view server,
                                          std::string_view username,
                                          uint64_t now_unix) const;

  // The canonical usernames with a token for `server` still valid at
  // `now_unix`, sorted, each once. Errors: IoError.
  Result<std::vector<std::string>> Usernames(std::string_view server,
                                             uint64_t now_unix) const;

  // Stores `token`, replacing any entry for the same server and username.
  // REQUIRES: token.username is canonical. Errors: IoError.
  Status Put(const StoredToken& token, uint64_t now_unix);

  // Forgets the token for (server, username); no error when there is none.
  // Errors: InvalidArgument (username), IoError.
  Status Remove(std::string_view server, std::string_view username,
                uint64_t now_unix);

 private:
  // Rewrites the file without the entry for (server, username) and without
  // expired entries, then appends `extra` when given.
  Status Rewrite(std::string_view server, std::string_view username,
                 const std::optional<StoredToken>& extra, uint64_t now_unix);

  std::filesystem::path file_;
};

}  // namespace hail::client

#endif  // HAIL_CLIENT_TOKEN_STORE_H_
