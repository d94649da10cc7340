#include "protocol/error_code.h"

namespace hail::protocol {

std::string_view ErrorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::kOk:
      return "OK";
    case ErrorCode::kMalformed:
      return "MALFORMED";
    case ErrorCode::kUnknownKind:
      return "UNKNOWN_KIND";
    case ErrorCode::kBadState:
      return "BAD_STATE";
    case ErrorCode::kUnsupportedVersion:
      return "UNSUPPORTED_VERSION";
    case ErrorCode::kInvalidCredentials:
      return "INVALID_CREDENTIALS";
    case ErrorCode::kUsernameTaken:
      return "USERNAME_TAKEN";
    case ErrorCode::kInvalidUsername:
      return "INVALID_USERNAME";
    case ErrorCode::kInvalidPassword:
      return "INVALID_PASSWORD";
    case ErrorCode::kThrottled:
      return "THROTTLED";
    case ErrorCode::kServerBusy:
      return "SERVER_BUSY";
    case ErrorCode::kTokenInvalid:
      return "TOKEN_INVALID";
    case ErrorCode::kInternal:
      return "INTERNAL";
    case ErrorCode::kSessionReplaced:
      return "SESSION_REPLACED";
    case ErrorCode::kTimeout:
      return "TIMEOUT";
    case ErrorCode::kShuttingDown:
      return "SHUTTING_DOWN";
    case ErrorCode::kAccountDeleted:
      return "ACCOUNT_DELETED";
    case ErrorCode::kLoggedOut:
      return "LOGGED_OUT";
    case ErrorCode::kUserNotFound:
      return "USER_NOT_FOUND";
    case ErrorCode::kContactLimit:
      return "CONTACT_LIMIT";
    case ErrorCode::kNotAContact:
      return "NOT_A_CONTACT";
    case ErrorCode::kNoSuchRequest:
      return "NO_SUCH_REQUEST";
    case ErrorCode::kInvalidText:
      return "INVALID_TEXT";
    case ErrorCode::kMailboxFull:
      return "MAILBOX_FULL";
    case ErrorCode::kIdReused:
      return "ID_REUSED";
    case ErrorCode::kNotAllowed:
      return "NOT_ALLOWED";
    case ErrorCode::kP2pDeclined:
      return "P2P_DECLINED";
    case ErrorCode::kNatUnsuitable:
      return "NAT_UNSUITABLE";
    case ErrorCode::kUnavailable:
      return "UNAVAILABLE";
    case ErrorCode::kInvalidAddress:
      return "INVALID_ADDRESS";
    case ErrorCode::kWrongCode:
      return "WRONG_CODE";
    case ErrorCode::kCodeExpired:
      return "CODE_EXPIRED";
    case ErrorCode::kNoAddress:
      return "NO_ADDRESS";
    case ErrorCode::kInvalidRules:
      return "INVALID_RULES";
  }
  return "UNKNOWN";
}

}  // namespace hail::protocol
