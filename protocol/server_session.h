// The server's per-connection state machine (SPEC.md "Session states"),
// sans-I/O: ENet packets and `now` go in, frames to send, requests for the
// application and a close decision come out. One instance per ENet peer,
// used only on that peer's loop thread.
//
//   AWAITING_HELLO --CLIENT_HELLO--> SECURED --LOGIN/RESUME/REGISTER-->
//   AUTHENTICATING --ok--> LOGGED_IN --LOGOUT--> SECURED
//   any state --deadline, fatal error, Close()--> CLOSED
#ifndef HAIL_PROTOCOL_SERVER_SESSION_H_
#define HAIL_PROTOCOL_SERVER_SESSION_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "protocol/handshake.h"
#include "protocol/messages.h"
#include "protocol/registry.h"
#include "protocol/secure_channel.h"

namespace hail::protocol {

// Time limits of SPEC.md "Session states".
inline constexpr uint64_t kHandshakeDeadlineMs = 10'000;
inline constexpr uint64_t kLoginDeadlineMs = 60'000;

// Why an incoming packet produced nothing; the application counts these.
enum class DropReason : uint8_t {
  kNone,
  kBadFrame,  // unknown frame type or shape
  kBadTag,    // AEAD authentication failed
  kReplayed,  // counter already seen or too old
  kUnexpectedPlain,
};

// The drop reason for a SEALED frame that did not open.
DropReason DropReasonFor(OpenStatus status);

struct OutgoingFrame {
  uint8_t channel = kChannelControl;
  Bytes bytes;  // empty: the message broke a field limit; send nothing
};

// Seals `message` on the channel the registry names for its kind. Returns
// an empty frame, and spends no counter, when EncodeMessage refuses it.
OutgoingFrame SealMessage(SecureChannel& channel, const Message& message);

// A test seam: a deliberately broken server (tests/conform/faulty_haild.cc)
// changes what its sessions send, so that a conformance checker can be shown
// to catch it. The reference server never sets one.
class SendFault {
 public:
  virtual ~SendFault() = default;
  // Called with every message a session is about to seal; may change it.
  virtual void Change(Message& message) const = 0;
};

class ServerSession {
 public:
  enum class State : uint8_t {
    kAwaitingHello,
    kSecured,
    kAuthenticating,
    kLoggedIn,
    kClosed,
  };

  struct Output {
    std::vector<OutgoingFrame> frames;
    // A decoded request the application must answer: the account kinds
    // (REGISTER, LOGIN, RESUME, LOGOUT, CHANGE_PASSWORD, DELETE_ACCOUNT,
    // SESSION_INFO) and, once logged in, contacts, presence and messages.
    std::optional<Message> request;
    // When set, send `frames` and then disconnect with this code.
    std::optional<ErrorCode> close;
    DropReason drop = DropReason::kNone;
    // Set when a message was answered with ERROR (malformed, unknown kind,
    // bad state): the application counts it.
    std::optional<ErrorCode> answered_error;
    // Set once, when the handshake completes: the HAIL_KEYLOGFILE line.
    std::optional<std::string> key_log_line;
  };

  // `identity` must outlive the session.
  ServerSession(const IdentityKey* identity, uint64_t now_ms);

  Output OnPacket(uint8_t channel, ByteSpan packet, uint64_t now_ms);
  // Enforces the handshake and login deadlines.
  Output OnTimer(uint64_t now_ms);

  // Seals `message` for sending. REQUIRES: the handshake is complete.
  OutgoingFrame Seal(const Message& message);
  // Seals `plaintext` (kind + body, however malformed) on `channel`: for
  // tools that must put exact bytes on the wire (hail-conform --client).
  // REQUIRES: the handshake is complete.
  OutgoingFrame SealBytes(uint8_t channel, ByteSpan plaintext);

  // Application transitions after it has answered a request.
  void AuthenticationFinished(bool logged_in, uint64_t user_id,
                              std::string username);
  void AccountOperationFinished();  // change password / delete finished
  void LoggedOut(uint64_t now_ms);
  void Close() { state_ = State::kClosed; }
  // Tests only (SendFault); `fault` must outlive the session.
  void set_send_fault(const SendFault* fault) { send_fault_ = fault; }

  State state() const { return state_; }
  uint64_t user_id() const { return user_id_; }
  const std::string& username() const { return username_; }

 private:
  Output OnClientHello(ByteSpan frame);
  Output OnSealed(uint8_t channel, ByteSpan frame);
  Output AnswerError(uint32_t request_id, uint16_t kind, ErrorCode error);

  const IdentityKey* identity_;
  State state_ = State::kAwaitingHello;
  uint64_t state_since_ms_;
  std::unique_ptr<SecureChannel> channel_;
  bool account_operation_in_flight_ = false;
  uint64_t user_id_ = 0;
  std::string username_;
  const SendFault* send_fault_ = nullptr;
};

std::string_view ServerSessionStateName(ServerSession::State state);

}  // namespace hail::protocol

#endif  // HAIL_PROTOCOL_SERVER_SESSION_H_
