// The wire answer to a failed store write (SPEC.md 12 and 14.3).
#ifndef HAIL_SERVER_WRITE_ERROR_H_
#define HAIL_SERVER_WRITE_ERROR_H_

#include "protocol/error_code.h"
#include "protocol/status.h"

namespace hail::server {

// SERVER_BUSY when the store takes no writes for now (a full disk: retry
// later), INTERNAL for any other failure. REQUIRES: !status.ok().
inline protocol::ErrorCode ErrorForWrite(const Status& status) {
  return status.IsUnavailable() ? protocol::ErrorCode::kServerBusy
                                : protocol::ErrorCode::kInternal;
}

}  // namespace hail::server

#endif  // HAIL_SERVER_WRITE_ERROR_H_
