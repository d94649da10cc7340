// libcurl handles for the gateways that use it (SMTP, Kannel's HTTP):
// owned easy handles and string lists, and the one process-wide
// curl_global_init, which is not thread-safe and so runs exactly once
// whichever gateway starts first on whichever thread.
#ifndef HAIL_SERVER_FORWARD_CURL_HANDLE_H_
#define HAIL_SERVER_FORWARD_CURL_HANDLE_H_

#include <curl/curl.h>

#include <memory>

namespace hail::server::forward {

struct CurlEasyDeleter {
  void operator()(CURL* handle) const { curl_easy_cleanup(handle); }
};
using CurlEasy = std::unique_ptr<CURL, CurlEasyDeleter>;

struct CurlListDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
using CurlList = std::unique_ptr<curl_slist, CurlListDeleter>;

// Calls curl_global_init once per process; every gateway constructor that
// uses libcurl calls it.
void InitCurlOnce();

}  // namespace hail::server::forward

#endif  // HAIL_SERVER_FORWARD_CURL_HANDLE_H_
