#include "server/forward/smtp_gateway.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

#include "server/forward/curl_handle.h"

namespace hail::server::forward {
namespace {

struct Upload {
  std::string data;
  size_t offset = 0;
};

size_t ReadUpload(char* buffer, size_t size, size_t count, void* user) {
  auto* upload = static_cast<Upload*>(user);
  size_t n = std::min(size * count, upload->data.size() - upload->offset);
  std::memcpy(buffer, upload->data.data() + upload->offset, n);
  upload->offset += n;
  return n;
}

}  // namespace

SmtpGateway::SmtpGateway(SmtpConfig config) : config_(std::move(config)) {
  InitCurlOnce();
}

GatewayAnswer SmtpGateway::Send(const ForwardJob& job) {
  GatewayAnswer answer;
  if (!IsForwardableMailAddress(job.address)) {
    answer.kind = GatewayAnswer::Kind::kRejected;
    answer.detail = "not an address forwarding accepts";
    return answer;
  }
  CurlEasy curl(curl_easy_init());
  if (!curl) {
    answer.detail = "curl_easy_init failed";
    return answer;
  }
  Upload upload{ComposeMail(job, config_.identity), 0};
  CurlList recipients(
      curl_slist_append(nullptr, ("<" + job.address + ">").c_str()));
  CURL* c = curl.get();
  char error[CURL_ERROR_SIZE] = "";
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, error);
  curl_easy_setopt(c, CURLOPT_URL, config_.url.c_str());
  curl_easy_setopt(c, CURLOPT_MAIL_FROM,
                   ("<" + config_.identity.from_address + ">").c_str());
  curl_easy_setopt(c, CURLOPT_MAIL_RCPT, recipients.get());
  curl_easy_setopt(c, CURLOPT_READFUNCTION, ReadUpload);
  curl_easy_setopt(c, CURLOPT_READDATA, &upload);
  curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(c, CURLOPT_USE_SSL,
                   config_.require_tls ? CURLUSESSL_ALL : CURLUSESSL_TRY);
  if (!config_.ca_file.empty()) {
    curl_easy_setopt(c, CURLOPT_CAINFO, config_.ca_file.c_str());
  }
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, config_.verify_peer ? 1L : 0L);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, config_.verify_peer ? 2L : 0L);
  if (!config_.username.empty() && !config_.password.empty()) {
    curl_easy_setopt(c, CURLOPT_USERNAME, config_.username.c_str());
    curl_easy_setopt(c, CURLOPT_PASSWORD, config_.password.c_str());
  }
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, config_.timeout_ms);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
                   std::min(config_.timeout_ms, 10'000L));
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);  // worker threads

  CURLcode result = curl_easy_perform(c);
  long code = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
  if (result == CURLE_OK) {
    answer.kind = GatewayAnswer::Kind::kAccepted;
    answer.detail = fmt::format("SMTP {}", code);
    return answer;
  }
  std::string why = error[0] != '\0' ? error : curl_easy_strerror(result);
  answer.detail = code != 0 ? fmt::format("SMTP {}: {}", code, why) : why;
  answer.kind = code >= 500 && code < 600 ? GatewayAnswer::Kind::kRejected
                                          : GatewayAnswer::Kind::kRetry;
  return answer;
}

}  // namespace hail::server::forward
