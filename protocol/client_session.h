// The client's side of a server session, sans-I/O: after ENet connects, the
// caller sends Start()'s CLIENT_HELLO, feeds every received packet to
// OnPacket and seals outgoing requests with Seal.
//
//   HANDSHAKING --valid SERVER_HELLO--> SECURED   (login is tracked by the
//   HANDSHAKING --reject, bad signature, identity mismatch--> FAILED
#ifndef HAIL_PROTOCOL_CLIENT_SESSION_H_
#define HAIL_PROTOCOL_CLIENT_SESSION_H_

#include <memory>
#include <optional>
#include <string>

#include "protocol/handshake.h"
#include "protocol/messages.h"
#include "protocol/registry.h"
#include "protocol/secure_channel.h"
#include "protocol/server_session.h"

namespace hail::protocol {

class ClientSession {
 public:
  enum class State : uint8_t { kHandshaking, kSecured, kFailed };
  enum class Failure : uint8_t {
    kNone,
    kRejected,          // HANDSHAKE_REJECT (version)
    kBadSignature,      // SERVER_HELLO signature does not verify
    kIdentityMismatch,  // server identity differs from the pinned one
    kMalformed,         // undecodable handshake frame
  };

  struct Output {
    // A decoded message from the server, after the handshake.
    std::optional<Message> message;
    DropReason drop = DropReason::kNone;
    // Set on the packet that completed the handshake.
    bool secured = false;
  };

  // With `expected_identity`, any other server identity fails the handshake;
  // without it, the identity is accepted and reported by server_identity()
  // for the caller to pin.
  explicit ClientSession(std::optional<PublicKey> expected_identity);

  OutgoingFrame Start() const;  // the CLIENT_HELLO frame
  Output OnPacket(uint8_t channel, ByteSpan packet);
  // REQUIRES: state() == kSecured.
  OutgoingFrame Seal(const Message& message);
  // Seals `plaintext` (kind + body, as given, however malformed) on
  // `channel`: for tools that must put exact bytes on the wire, such as
  // hail-conform. REQUIRES: state() == kSecured.
  OutgoingFrame SealBytes(uint8_t channel, ByteSpan plaintext);

  State state() const { return state_; }
  Failure failure() const { return failure_; }
  const PublicKey& server_identity() const { return server_identity_; }
  // Meaningful once secured: the HAIL_KEYLOGFILE line.
  const std::string& key_log_line() const { return key_log_line_; }

 private:
  Output OnHandshake(ByteSpan packet);

  std::optional<PublicKey> expected_identity_;
  ClientHandshake handshake_;
  State state_ = State::kHandshaking;
  Failure failure_ = Failure::kNone;
  PublicKey server_identity_{};
  std::unique_ptr<SecureChannel> channel_;
  std::string key_log_line_;
};

}  // namespace hail::protocol

#endif  // HAIL_PROTOCOL_CLIENT_SESSION_H_
