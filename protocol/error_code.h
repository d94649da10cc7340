// Wire error codes: the closed list of SPEC.md section "Error codes". These
// travel in result messages, in ERROR messages and as ENet disconnect data.
// Local failures inside a process use hail::Status instead.
#ifndef HAIL_PROTOCOL_ERROR_CODE_H_
#define HAIL_PROTOCOL_ERROR_CODE_H_

#include <cstdint>
#include <string_view>

namespace hail::protocol {

enum class ErrorCode : uint16_t {
  kOk = 0,
  kMalformed = 1,
  kUnknownKind = 2,
  kBadState = 3,
  kUnsupportedVersion = 4,
  kInvalidCredentials = 5,
  kUsernameTaken = 6,
  kInvalidUsername = 7,
  kInvalidPassword = 8,
  kThrottled = 9,
  kServerBusy = 10,
  kTokenInvalid = 11,
  kInternal = 12,
  kSessionReplaced = 13,
  kTimeout = 14,
  kShuttingDown = 15,
  kAccountDeleted = 16,
  kLoggedOut = 17,
  kUserNotFound = 18,
  kContactLimit = 19,
  kNotAContact = 20,
  kNoSuchRequest = 21,
  kInvalidText = 22,
  kMailboxFull = 23,
  kIdReused = 24,
  kNotAllowed = 25,
  kP2pDeclined = 26,
  kNatUnsuitable = 27,
  kUnavailable = 28,
  kInvalidAddress = 29,
  kWrongCode = 30,
  kCodeExpired = 31,
  kNoAddress = 32,
  kInvalidRules = 33,
};

// One past the highest defined code; codes at or above it are unknown (a
// receiver treats them as a generic failure).
inline constexpr uint16_t kErrorCodeEnd = 34;

// The SPEC.md name, e.g. "INVALID_CREDENTIALS"; "UNKNOWN" for codes outside
// the list.
std::string_view ErrorCodeName(ErrorCode code);

}  // namespace hail::protocol

#endif  // HAIL_PROTOCOL_ERROR_CODE_H_
