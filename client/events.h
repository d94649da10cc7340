// What Client::Poll reports. Each event is a plain struct; Event is their
// variant. Wire error codes (protocol::ErrorCode) are passed through as the
// server sent them: codes outside the known list are possible and mean a
// generic failure.
#ifndef HAIL_CLIENT_EVENTS_H_
#define HAIL_CLIENT_EVENTS_H_

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "protocol/endpoint.h"
#include "protocol/error_code.h"

namespace hail::client {

// The session is secured and the server's identity checked.
struct Connected {
  std::string fingerprint;    // "ed25519:<hex>"
  bool newly_pinned = false;  // written to known_servers just now
  // Non-empty when HAIL_KEYLOGFILE was set but could not be written.
  std::string key_log_error;
};

// The connection could not be set up; nothing more will happen.
struct ConnectFailed {
  std::string reason;  // for people
  // Set when the server said why (REJECT, HANDSHAKE_REJECT).
  std::optional<protocol::ErrorCode> error;
};

// The server's identity is not the pinned (or --trust'ed) one. The
// connection has been dropped and nothing was written.
struct IdentityMismatch {
  std::string server;                // "host:port"
  std::string expected_fingerprint;  // pinned, or given with --trust
  std::string offered_fingerprint;   // what the server proved it holds
  bool expected_from_trust_option = false;
  std::filesystem::path known_servers_file;
};

struct Registered {
  uint32_t request_id = 0;
  protocol::ErrorCode error = protocol::ErrorCode::kOk;
  uint64_t user_id = 0;
  std::string username;  // canonical
  uint32_t retry_after_ms = 0;
};

// The answer to Login or Resume.
struct LoginResult {
  uint32_t request_id = 0;
  protocol::ErrorCode error = protocol::ErrorCode::kOk;
  uint64_t user_id = 0;
  std::string username;                  // canonical
  protocol::Endpoint observed_endpoint;  // our address as the server saw it
  bool resumed = false;                  // answered a Resume
  uint32_t retry_after_ms = 0;
  // Non-empty when the new token could not be saved (the login stands).
  std::string token_storage_error;
};

struct LoggedOut {
  uint32_t request_id = 0;
  protocol::ErrorCode error = protocol::ErrorCode::kOk;
};

struct PasswordChanged {
  uint32_t request_id = 0;
  protocol::ErrorCode error = protocol::ErrorCode::kOk;
  uint32_t retry_after_ms = 0;
  std::string token_storage_error;  // as in LoginResult
};

struct AccountDeleted {
  uint32_t request_id = 0;
  protocol::ErrorCode error = protocol::ErrorCode::kOk;
  uint32_t retry_after_ms = 0;
};

// What the server recorded for this session (SESSION_INFO).
struct SessionInfo {
  uint32_t request_id = 0;
  uint64_t user_id = 0;
  std::string username;
  protocol::Endpoint observed_endpoint;
  protocol::Endpoint lan_endpoint;
  std::string client_version;
  uint64_t login_unix = 0;
};

struct Pong {
  uint64_t nonce = 0;
  uint64_t rtt_ms = 0;
};

// The server answered a request with ERROR.
struct ErrorReply {
  uint32_t request_id = 0;  // 0 when the server could not read it
  uint16_t offending_kind = 0;
  protocol::ErrorCode code = protocol::ErrorCode::kMalformed;
};

// The server ended the session (SESSION_ENDED); a disconnect follows.
struct SessionEnded {
  protocol::ErrorCode reason = protocol::ErrorCode::kOk;
};

// The ENet connection is gone. `reason` is the server's disconnect code;
// kOk when none was given, which is also what ENet reports for a timeout.
struct Disconnected {
  protocol::ErrorCode reason = protocol::ErrorCode::kOk;
  bool closed_by_us = false;  // the answer to Client::Close
};

using Event =
    std::variant<Connected, ConnectFailed, IdentityMismatch, Registered,
                 LoginResult, LoggedOut, PasswordChanged, AccountDeleted,
                 SessionInfo, Pong, ErrorReply, SessionEnded, Disconnected>;

// A short name for logs: "Connected", "LoginResult", ...
std::string_view EventName(const Event& event);

}  // namespace hail::client

#endif  // HAIL_CLIENT_EVENTS_H_
