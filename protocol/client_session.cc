#include "protocol/client_session.h"

#include <utility>

namespace hail::protocol {

ClientSession::ClientSession(std::optional<PublicKey> expected_identity)
    : expected_identity_(expected_identity) {}

OutgoingFrame ClientSession::Start() const {
  OutgoingFrame frame;
  frame.bytes.push_back(kFramePlain);
  Bytes body = EncodeMessage(handshake_.Hello());
  frame.bytes.insert(frame.bytes.end(), body.begin(), body.end());
  return frame;
}

ClientSession::Output ClientSession::OnHandshake(ByteSpan packet) {
  Output out;
  if (packet.empty() || packet[0] != kFramePlain) {
    out.drop = DropReason::kBadFrame;
    return out;
  }
  Decoded decoded = DecodeMessage(packet.subspan(1));
  if (decoded.status == DecodeStatus::kOk &&
      std::holds_alternative<HandshakeReject>(decoded.message)) {
    state_ = State::kFailed;
    failure_ = Failure::kRejected;
    return out;
  }
  if (decoded.status != DecodeStatus::kOk ||
      !std::holds_alternative<ServerHello>(decoded.message)) {
    state_ = State::kFailed;
    failure_ = Failure::kMalformed;
    return out;
  }
  const auto& hello = std::get<ServerHello>(decoded.message);
  SessionKeys keys;
  switch (handshake_.Finish(hello, &keys)) {
    case ClientHandshake::Outcome::kOk:
      break;
    case ClientHandshake::Outcome::kUnsupportedVersion:
      state_ = State::kFailed;
      failure_ = Failure::kRejected;
      return out;
    case ClientHandshake::Outcome::kBadSignature:
    case ClientHandshake::Outcome::kBadKey:
      state_ = State::kFailed;
      failure_ = Failure::kBadSignature;
      return out;
  }
  server_identity_ = hello.server_identity_key;
  if (expected_identity_ && *expected_identity_ != server_identity_) {
    state_ = State::kFailed;
    failure_ = Failure::kIdentityMismatch;
    return out;
  }
  key_log_line_ =
      FormatKeyLogLine(handshake_.Hello().client_ephemeral_key, keys);
  channel_ =
      std::make_unique<SecureChannel>(keys, SecureChannel::Role::kClient);
  state_ = State::kSecured;
  out.secured = true;
  return out;
}

ClientSession::Output ClientSession::OnPacket(uint8_t channel,
                                              ByteSpan packet) {
  if (state_ == State::kHandshaking) {
    if (channel != kChannelControl) {
      Output out;
      out.drop = DropReason::kBadFrame;
      return out;
    }
    return OnHandshake(packet);
  }
  Output out;
  if (state_ != State::kSecured) return out;
  Bytes plaintext;
  OpenStatus opened = channel_->Open(channel, packet, &plaintext);
  if (opened != OpenStatus::kOk) {
    out.drop = DropReasonFor(opened);
    return out;
  }
  Decoded decoded = DecodeMessage(plaintext);
  if (decoded.status != DecodeStatus::kOk) {
    out.drop = DropReason::kBadFrame;
    return out;
  }
  out.message = std::move(decoded.message);
  return out;
}

OutgoingFrame ClientSession::Seal(const Message& message) {
  return SealMessage(*channel_, message);
}

OutgoingFrame ClientSession::SealBytes(uint8_t channel, ByteSpan plaintext) {
  return OutgoingFrame{channel, channel_->Seal(channel, plaintext)};
}

}  // namespace hail::protocol
