#include "server/forward/curl_handle.h"

#include <mutex>

namespace hail::server::forward {

void InitCurlOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

}  // namespace hail::server::forward
