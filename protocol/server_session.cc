#include "protocol/server_session.h"

#include <type_traits>
#include <utility>

namespace hail::protocol {
namespace {

OutgoingFrame PlainFrame(const Message& message) {
  OutgoingFrame frame;
  frame.bytes.push_back(kFramePlain);
  Bytes body = EncodeMessage(message);
  frame.bytes.insert(frame.bytes.end(), body.begin(), body.end());
  return frame;
}

}  // namespace

DropReason DropReasonFor(OpenStatus status) {
  switch (status) {
    case OpenStatus::kOk:
      return DropReason::kNone;
    case OpenStatus::kMalformed:
      return DropReason::kBadFrame;
    case OpenStatus::kBadTag:
      return DropReason::kBadTag;
    case OpenStatus::kReplayed:
      return DropReason::kReplayed;
  }
  return DropReason::kBadFrame;
}

std::string_view ServerSessionStateName(ServerSession::State state) {
  switch (state) {
    case ServerSession::State::kAwaitingHello:
      return "AWAITING_HELLO";
    case ServerSession::State::kSecured:
      return "SECURED";
    case ServerSession::State::kAuthenticating:
      return "AUTHENTICATING";
    case ServerSession::State::kLoggedIn:
      return "LOGGED_IN";
    case ServerSession::State::kClosed:
      return "CLOSED";
  }
  return "UNKNOWN";
}

ServerSession::ServerSession(const IdentityKey* identity, uint64_t now_ms)
    : identity_(identity), state_since_ms_(now_ms) {}

ServerSession::Output ServerSession::OnPacket(uint8_t channel, ByteSpan packet,
                                              uint64_t now_ms) {
  Output out;
  if (state_ == State::kClosed) return out;
  if (packet.empty()) {
    out.drop = DropReason::kBadFrame;
    return out;
  }
  if (state_ == State::kAwaitingHello) {
    if (packet[0] != kFramePlain || channel != kChannelControl) {
      out.drop = DropReason::kBadFrame;
      out.close = ErrorCode::kBadState;
      state_ = State::kClosed;
      return out;
    }
    Output result = OnClientHello(packet.subspan(1));
    if (state_ == State::kSecured) state_since_ms_ = now_ms;
    return result;
  }
  if (packet[0] == kFramePlain) {
    out.drop = DropReason::kUnexpectedPlain;
    return out;
  }
  if (packet[0] != kFrameSealed) {
    out.drop = DropReason::kBadFrame;
    return out;
  }
  return OnSealed(channel, packet);
}

ServerSession::Output ServerSession::OnClientHello(ByteSpan frame) {
  Output out;
  Decoded decoded = DecodeMessage(frame);
  if (decoded.status != DecodeStatus::kOk ||
      decoded.kind != static_cast<uint16_t>(Kind::kClientHello)) {
    out.drop = DropReason::kBadFrame;
    out.close = ErrorCode::kMalformed;
    state_ = State::kClosed;
    return out;
  }
  const auto& hello = std::get<ClientHello>(decoded.message);
  if (hello.version != kProtocolVersion) {
    out.frames.push_back(PlainFrame(HandshakeReject{}));
    out.close = ErrorCode::kUnsupportedVersion;
    state_ = State::kClosed;
    return out;
  }
  std::optional<ServerHandshakeResult> result =
      RespondToClientHello(hello, *identity_);
  if (!result) {
    out.close = ErrorCode::kMalformed;
    state_ = State::kClosed;
    return out;
  }
  out.frames.push_back(PlainFrame(result->hello));
  out.key_log_line = FormatKeyLogLine(hello.client_ephemeral_key, result->keys);
  channel_ = std::make_unique<SecureChannel>(result->keys,
                                             SecureChannel::Role::kServer);
  state_ = State::kSecured;
  return out;
}

ServerSession::Output ServerSession::AnswerError(uint32_t request_id,
                                                 uint16_t kind,
                                                 ErrorCode error) {
  Output out;
  ErrorMessage message;
  message.request_id = request_id;
  message.offending_kind = kind;
  message.error = error;
  out.frames.push_back(Seal(message));
  out.answered_error = error;
  return out;
}

ServerSession::Output ServerSession::OnSealed(uint8_t channel, ByteSpan frame) {
  Output out;
  Bytes plaintext;
  OpenStatus opened = channel_->Open(channel, frame, &plaintext);
  if (opened != OpenStatus::kOk) {
    out.drop = DropReasonFor(opened);
    return out;
  }
  Decoded decoded = DecodeMessage(plaintext);
  const KindInfo* info = FindKind(decoded.kind);
  if (decoded.status == DecodeStatus::kUnknownKind || info == nullptr ||
      info->direction == Direction::kServerToClient ||
      info->direction == Direction::kPeerToPeer ||
      info->framing != Framing::kSealed) {
    return AnswerError(0, decoded.kind, ErrorCode::kUnknownKind);
  }
  // SPEC.md 7.4: the ERROR echoes the request_id whenever its 4 bytes came.
  if (decoded.status != DecodeStatus::kOk || info->channel != channel) {
    return AnswerError(decoded.request_id, decoded.kind, ErrorCode::kMalformed);
  }
  uint32_t request_id = RequestIdOf(decoded.message);
  // request_id 0 means "none" (the contact list sent at login, ERRORs about
  // messages without an id): a request that uses it is malformed.
  if (info->has_request_id && request_id == 0) {
    return AnswerError(0, decoded.kind, ErrorCode::kMalformed);
  }
  Kind kind = static_cast<Kind>(decoded.kind);
  switch (kind) {
    case Kind::kPing:
      out.frames.push_back(Seal(Pong{std::get<Ping>(decoded.message).nonce}));
      return out;
    case Kind::kPong:
    case Kind::kError:
      return out;  // Nothing to answer; the server sends no PINGs of its own.
    case Kind::kRegisterRequest:
    case Kind::kLoginRequest:
    case Kind::kResumeRequest:
      if (state_ != State::kSecured) {
        return AnswerError(request_id, decoded.kind, ErrorCode::kBadState);
      }
      state_ = State::kAuthenticating;
      out.request = std::move(decoded.message);
      return out;
    case Kind::kLogoutRequest:
      // A password change or deletion still running belongs to this login.
      if (state_ != State::kLoggedIn || account_operation_in_flight_) {
        return AnswerError(request_id, decoded.kind, ErrorCode::kBadState);
      }
      out.request = std::move(decoded.message);
      return out;
    case Kind::kSessionInfoRequest:
    case Kind::kContactAdd:
    case Kind::kContactAnswer:
    case Kind::kContactRemove:
    case Kind::kContactBlock:
    case Kind::kContactListRequest:
    case Kind::kSetPresence:
    case Kind::kSendMessage:
    case Kind::kItemAck:
    case Kind::kP2pRequest:
    case Kind::kP2pAnswer:
    case Kind::kForwardAddressAdd:
    case Kind::kForwardAddressVerify:
    case Kind::kForwardAddressRemove:
    case Kind::kForwardRulesSet:
    case Kind::kForwardListRequest:
      if (state_ != State::kLoggedIn) {
        return AnswerError(request_id, decoded.kind, ErrorCode::kBadState);
      }
      out.request = std::move(decoded.message);
      return out;
    case Kind::kChangePasswordRequest:
    case Kind::kDeleteAccountRequest:
      if (state_ != State::kLoggedIn || account_operation_in_flight_) {
        return AnswerError(request_id, decoded.kind, ErrorCode::kBadState);
      }
      account_operation_in_flight_ = true;
      out.request = std::move(decoded.message);
      return out;
    default:
      return AnswerError(request_id, decoded.kind, ErrorCode::kUnknownKind);
  }
}

ServerSession::Output ServerSession::OnTimer(uint64_t now_ms) {
  Output out;
  uint64_t limit = 0;
  if (state_ == State::kAwaitingHello) limit = kHandshakeDeadlineMs;
  if (state_ == State::kSecured) limit = kLoginDeadlineMs;
  if (limit != 0 && now_ms >= state_since_ms_ &&
      now_ms - state_since_ms_ >= limit) {
    if (state_ == State::kSecured)
      out.frames.push_back(Seal(SessionEnded{ErrorCode::kTimeout}));
    out.close = ErrorCode::kTimeout;
    state_ = State::kClosed;
  }
  return out;
}

OutgoingFrame SealMessage(SecureChannel& channel, const Message& message) {
  OutgoingFrame frame;
  const KindInfo* info = FindKind(static_cast<uint16_t>(KindOf(message)));
  frame.channel = info ? info->channel : kChannelControl;
  Bytes plaintext = EncodeMessage(message);
  if (!plaintext.empty()) frame.bytes = channel.Seal(frame.channel, plaintext);
  return frame;
}

OutgoingFrame ServerSession::SealBytes(uint8_t channel, ByteSpan plaintext) {
  return OutgoingFrame{channel, channel_->Seal(channel, plaintext)};
}

OutgoingFrame ServerSession::Seal(const Message& message) {
  if (send_fault_ != nullptr) {
    Message changed = message;
    send_fault_->Change(changed);
    return SealMessage(*channel_, changed);
  }
  return SealMessage(*channel_, message);
}

void ServerSession::AuthenticationFinished(bool logged_in, uint64_t user_id,
                                           std::string username) {
  if (state_ != State::kAuthenticating) return;
  if (logged_in) {
    state_ = State::kLoggedIn;
    user_id_ = user_id;
    username_ = std::move(username);
  } else {
    state_ = State::kSecured;
  }
}

void ServerSession::AccountOperationFinished() {
  account_operation_in_flight_ = false;
}

void ServerSession::LoggedOut(uint64_t now_ms) {
  if (state_ == State::kLoggedIn) {
    state_ = State::kSecured;
    state_since_ms_ = now_ms;
  }
  user_id_ = 0;
  username_.clear();
}

}  // namespace hail::protocol
