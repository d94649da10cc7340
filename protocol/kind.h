// Message kind ids (SPEC.md "Message registry") and the protocol version.
#ifndef HAIL_PROTOCOL_KIND_H_
#define HAIL_PROTOCOL_KIND_H_

#include <array>
#include <cstdint>

namespace hail::protocol {

inline constexpr uint16_t kProtocolVersion = 1;

enum class Kind : uint16_t {
  kClientHello = 0x0001,
  kServerHello = 0x0002,
  kHandshakeReject = 0x0003,
  kError = 0x0010,
  kPing = 0x0011,
  kPong = 0x0012,
  kSessionEnded = 0x0013,
  kRegisterRequest = 0x0020,
  kRegisterResult = 0x0021,
  kLoginRequest = 0x0022,
  kResumeRequest = 0x0023,
  kLoginResult = 0x0024,
  kLogoutRequest = 0x0025,
  kLogoutResult = 0x0026,
  kChangePasswordRequest = 0x0027,
  kChangePasswordResult = 0x0028,
  kDeleteAccountRequest = 0x0029,
  kDeleteAccountResult = 0x002a,
  kSessionInfoRequest = 0x002b,
  kSessionInfo = 0x002c,
  kRequestResult = 0x0014,
  kContactAdd = 0x0030,
  kContactAnswer = 0x0031,
  kContactRemove = 0x0032,
  kContactBlock = 0x0033,
  kContactListRequest = 0x0034,
  kContactUpdate = 0x0035,
  kContactRequestNotice = 0x0036,
  kContactAnswerNotice = 0x0037,
  kContactListEnd = 0x0038,
  kSetPresence = 0x0040,
  kPresenceUpdate = 0x0041,
  kSendMessage = 0x0050,
  kMessageAccepted = 0x0051,
  kMessageDeliver = 0x0052,
  kItemAck = 0x0053,
  kDeliveryReceipt = 0x0054,
  kMailboxEnd = 0x0055,
  kP2pRequest = 0x0060,
  kP2pOffer = 0x0061,
  kP2pAnswer = 0x0062,
  kP2pReady = 0x0063,
  kP2pClosed = 0x0064,
  kLinkHello = 0x0068,
  kDirectMessage = 0x0069,
  kDirectAck = 0x006a,
  kForwardAddressAdd = 0x0070,
  kForwardAddressVerify = 0x0071,
  kForwardAddressRemove = 0x0072,
  kForwardRulesSet = 0x0073,
  kForwardListRequest = 0x0074,
  kForwardEntry = 0x0075,
  kForwardListEnd = 0x0076,
  kForwardNotice = 0x0077,
};

using PublicKey = std::array<uint8_t, 32>;
using Signature = std::array<uint8_t, 64>;
using Token = std::array<uint8_t, 32>;
// A 128-bit id: client-chosen for messages, server-chosen for notices.
using ItemId = std::array<uint8_t, 16>;

}  // namespace hail::protocol

#endif  // HAIL_PROTOCOL_KIND_H_
