// Every Hail message kind: one struct each, fields listed once in wire order
// (see protocol/field_visitor.h). SPEC.md section "Message registry" is the
// normative description; the registry in protocol/registry.h lists them all.
#ifndef HAIL_PROTOCOL_MESSAGES_H_
#define HAIL_PROTOCOL_MESSAGES_H_

#include <array>
#include <cstdint>
#include <string>
#include <variant>

#include "protocol/account_rules.h"
#include "protocol/endpoint.h"
#include "protocol/error_code.h"
#include "protocol/field_visitor.h"
#include "protocol/kind.h"

namespace hail::protocol {

// --- Handshake (PLAIN frames, channel 0) ---

struct ClientHello {
  static constexpr Kind kKind = Kind::kClientHello;
  uint16_t version = kProtocolVersion;
  PublicKey client_ephemeral_key{};
  template <class V>
  void Fields(V& v) {
    v.U16("version", version);
    v.Fixed("client_ephemeral_key", client_ephemeral_key);
  }
};

struct ServerHello {
  static constexpr Kind kKind = Kind::kServerHello;
  uint16_t version = kProtocolVersion;
  PublicKey server_ephemeral_key{};
  PublicKey server_identity_key{};
  Signature signature{};
  template <class V>
  void Fields(V& v) {
    v.U16("version", version);
    v.Fixed("server_ephemeral_key", server_ephemeral_key);
    v.Fixed("server_identity_key", server_identity_key);
    v.Fixed("signature", signature);
  }
};

struct HandshakeReject {
  static constexpr Kind kKind = Kind::kHandshakeReject;
  ErrorCode error = ErrorCode::kUnsupportedVersion;
  uint16_t highest_version = kProtocolVersion;
  template <class V>
  void Fields(V& v) {
    v.Error("error", error);
    v.U16("highest_version", highest_version);
  }
};

// --- Session control (SEALED frames) ---

struct ErrorMessage {
  static constexpr Kind kKind = Kind::kError;
  uint32_t request_id = 0;
  uint16_t offending_kind = 0;
  ErrorCode error = ErrorCode::kMalformed;
  template <class V>
  void Fields(V& v) {
    v.U32("request_id", request_id);
    v.U16("offending_kind", offending_kind);
    v.Error("error", error);
  }
};

struct Ping {
  static constexpr Kind kKind = Kind::kPing;
  uint64_t nonce = 0;
  template <class V>
  void Fields(V& v) {
    v.U64("nonce", nonce);
  }
};

struct Pong {
  static constexpr Kind kKind = Kind::kPong;
  uint64_t nonce = 0;
  template <class V>
  void Fields(V& v) {
    v.U64("nonce", nonce);
  }
};

struct SessionEnded {
  static constexpr Kind kKind = Kind::kSessionEnded;
  ErrorCode reason = ErrorCode::kShuttingDown;
  template <class V>
  void Fields(V& v) {
    v.Error("reason", reason);
  }
};

// The answer to requests that carry nothing back but success or an error
// (contacts, presence).
struct RequestResult {
  static constexpr Kind kKind = Kind::kRequestResult;
  uint32_t request_id = 0;
  ErrorCode error = ErrorCode::kOk;
  template <class V>
  void Fields(V& v) {
    v.U32("request_id", request_id);
    v.Error("error", error);
  }
};

// --- Accounts (SEALED frames, channel 0) ---

struct RegisterRequest {
  static constexpr Kind kKind = Kind::kRegisterRequest;
  uint32_t request_id = 0;
  std::string username;
  std::string password;
  template <class V>
  void Fields(V& v) {
    v.U32("request_id", request_id);
    v.Str8("username", username, kUsernameMaxLength);
    v.Str8("password", password, kPasswordMaxLength, Sensitivity::kSecret);
  }
};

struct RegisterResult {
  static constexpr Kind kKind = Kind::kRegisterResult;
  uint32_t request_id = 0;
  ErrorCode error = ErrorCode::kOk;
  uint32_t retry_after_ms = 0;
  uint64_t user_id = 0;
  std::string username;
  template <class V>
  void Fields(V& v) {
    v.U32("request_id", request_id);
    v.Error("error", error);
    v.U32("retry_after_ms", retry_after_ms);
    v.U64("user_id", user_id);
    v.Str8("username", username, kUsernameMaxLength);
  }
};

struct LoginRequest {
  static constexpr Kind kKind = Kind::kLoginRequest;
  uint32_t request_id = 0;
  std::string username;
  std::string password;
  std::string client_version;
  Endpoint lan_endpoint;
  template <class V>
  void Fields(V& v) {
    v.U32("request_id", request_id);
    v.Str8("username", username, kUsernameMaxLength);
    v.Str8("password", password, kPasswordMaxLength, Sensitivity::kSecret);
    v.Str8("client_version", client_version, kClientVersionMaxLength);
    v.Addr("lan_endpoint", lan_endpoint);
  }
};

struct ResumeRequest {
  static constexpr Kind kKind = Kind::kResumeRequest;
  uint32_t request_id = 0;
  std::string username;
  Token token{};
  std::string client_version;
  Endpoint lan_endpoint;
  template <class V>
  void Fields(V& v) {
    v.U32("request_id", request_id);
    v.Str8("username", username, kUsernameMaxLength);
    v.Fixed("token", token, Sensitivity::kSecret);
    v.Str8("client_version", client_version, kClientVersionMaxLength);
    v.Addr("lan_endpoint", lan_endpoint);
  }
};

struct LoginResult {
  static constexpr Kind kKind = Kind::kLoginResult;
  uint32_t request_id = 0;
  ErrorCode error = ErrorCode::kOk;
  uint32_t retry_after_ms = 0;
  uint64_t user_id = 0;
  std::string username;
  Token token{};
  uint64_t token_expires_unix = 0;
  Endpoint observed_endpoint;
  template <class V>
  void Fields(V& v) {
    v.U32("request_id", request_id);
    v.Error("error", error);
    v.U32("retry_after_ms", retry_after_ms);
    v.U64("user_id", user_id);
    v.Str8("username", username, kUsernameMaxLength);
    v.Fixed("token", token, Sensitivity::kSecret);
    v.U64("token_expires_unix", token_expires_unix);
    v.Addr("observed_endpoint", observed_endpoint);
  }
};

struct LogoutRequest {
  static constexpr Kind kKind = Kind::kLogoutRequest;
  uint32_t request_id = 0;
  template <class V>
  void Fields(V& v) {
    v.U32("request_id", request_id);
  }
};

struct LogoutResult {
  static constexpr Kind kKind = Kind::kLogoutResult;
  uint32_t request_id = 0;
  ErrorCode error = ErrorCode::kOk;
  template <class V>
  void Fields(V& v) {
    v.U32("request_id", request_id);
    v.Error("error", error);
  }
};

struct ChangePasswordRequest {
  static constexpr Kind kKind = Kind::kChangePasswordRequest;
  uint32_t request_id = 0;
  std::string old_password;
  std::string new_password;
  template <class V>
  void Fields(V& v) {
    v.U32("request_id", request_id);
    v.Str8("old_password", old_password, kPasswordMaxLength,
           Sensitivity::kSecret);
    v.Str8("new_password", new_password, kPasswordMaxLength,
           Sensitivity::kSecret);
  }
};

struct ChangePasswordResult {
  static constexpr Kind kKind = Kind::kChangePasswordResult;
  uint32_t request_id = 0;
  ErrorCode error = ErrorCode::kOk;
  uint32_t retry_after_ms = 0;
  Token token{};
  uint64_t token_expires_unix = 0;
  template <class V>
  void Fields(V& v) {
    v.U32("request_id", request_id);
    v.Error("error", error);
    v.U32("retry_after_ms", retry_after_ms);
    v.Fixed("token", token, Sensitivity::kSecret);
    v.U64("token_expires_unix", token_expires_unix);
  }
};

struct DeleteAccountRequest {
  static constexpr Kind kKind = Kind::kDeleteAccountRequest;
  uint32_t request_id = 0;
  std::string password;
  template <class V>
  void Fields(V& v) {
    v.U32("request_id", request_id);
    v.Str8("password", password, kPasswordMaxLength, Sensitivity::kSecret);
  }
};

struct DeleteAccountResult {
  static constexpr Kind kKind = Kind::kDeleteAccountResult;
  uint32_t request_id = 0;
  ErrorCode error = ErrorCode::kOk;
  uint32_t retry_after_ms = 0;
  template <class V>
  void Fields(V& v) {
    v.U32("request_id", request_id);
    v.Error("error", error);
    v.U32("retry_after_ms", retry_after_ms);
  }
};

struct SessionInfoRequest {
  static constexpr Kind kKind = Kind::kSessionInfoRequest;
  uint32_t request_id = 0;
  template <class V>
  void Fields(V& v) {
    v.U32("request_id", request_id);
  }
};

struct SessionInfo {
  static constexpr Kind kKind = Kind::kSessionInfo;
  uint32_t request_id = 0;
  uint64_t user_id = 0;
  std::string username;
  Endpoint observed_endpoint;
  Endpoint lan_endpoint;
  std::string client_version;
  uint64_t login_unix = 0;
  template <class V>
  void Fields(V& v) {
    v.U32("request_id", request_id);
    v.U64("user_id", user_id);
    v.Str8("username", username, kUsernameMaxLength);
    v.Addr("observed_endpoint", observed_endpoint);
    v.Addr("lan_endpoint", lan_endpoint);
    v.Str8("client_version", client_version, kClientVersionMaxLength);
    v.U64("login_unix", login_unix);
  }
};

}  // namespace hail::protocol

#include "protocol/chat_messages.h"
#include "protocol/contact_messages.h"
#include "protocol/forward_messages.h"
#include "protocol/p2p_messages.h"

namespace hail::protocol {

using Message = std::variant<
    ClientHello, ServerHello, HandshakeReject, ErrorMessage, Ping, Pong,
    SessionEnded, RegisterRequest, RegisterResult, LoginRequest, ResumeRequest,
    LoginResult, LogoutRequest, LogoutResult, ChangePasswordRequest,
    ChangePasswordResult, DeleteAccountRequest, DeleteAccountResult,
    SessionInfoRequest, SessionInfo, RequestResult, ContactAdd, ContactAnswer,
    ContactRemove, ContactBlock, ContactListRequest, ContactUpdate,
    ContactRequestNotice, ContactAnswerNotice, ContactListEnd, SetPresence,
    PresenceUpdate, SendMessage, MessageAccepted, MessageDeliver, ItemAck,
    DeliveryReceipt, MailboxEnd, P2pRequest, P2pOffer, P2pAnswer, P2pReady,
    P2pClosed, LinkHello, DirectMessage, DirectAck, ForwardAddressAdd,
    ForwardAddressVerify, ForwardAddressRemove, ForwardRulesSet,
    ForwardListRequest, ForwardEntry, ForwardListEnd, ForwardNotice>;

// The request_id of a request (or the answer that echoes it); 0 for a
// message without one.
inline uint32_t RequestIdOf(const Message& message) {
  return std::visit(
      [](const auto& m) -> uint32_t {
        if constexpr (requires { m.request_id; }) {
          return m.request_id;
        } else {
          return 0;
        }
      },
      message);
}

}  // namespace hail::protocol

#endif  // HAIL_PROTOCOL_MESSAGES_H_
