#include "server/forward/kannel_gateway.h"

#include <curl/curl.h>

#include <algorithm>
#include <memory>
#include <stdexcept>
#include <string>

#include "server/forward/curl_handle.h"
#include "server/forward/kannel_delivery_report.h"
#include "server/forward/sms_text.h"
#include "server/forward/url_coding.h"

namespace hail::server::forward {
namespace {

// Longest smsbox answer body kept for GatewayAnswer::detail.
constexpr size_t kMaxAnswerBytes = 512;

size_t CollectBody(char* data, size_t size, size_t count, void* user) {
  auto* body = static_cast<std::string*>(user);
  const size_t bytes = size * count;
  if (body->size() < kMaxAnswerBytes) {
    body->append(data, std::min(bytes, kMaxAnswerBytes - body->size()));
  }
  return bytes;
}

std::string Trimmed(std::string text) {
  while (!text.empty() &&
         (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) {
    text.pop_back();
  }
  return text;
}

bool EndsWith(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() &&
         text.substr(text.size() - suffix.size()) == suffix;
}

}  // namespace

std::string KannelConfigProblem(const KannelConfig& config) {
  if (config.sendsms_url.empty()) return "sendsms URL is empty";
  if (config.username.empty()) return "username is empty";
  if (config.sender_id.empty()) return "sender id (from) is empty";
  if (!EndsWith(config.dlr_url, kDeliveryReportPath)) {
    return "DLR URL must end in " + std::string(kDeliveryReportPath);
  }
  if (config.max_messages < 1 || config.max_messages > 255) {
    return "max_messages must be 1 to 255";
  }
  if (config.timeout.count() <= 0) return "timeout must be positive";
  return "";
}

bool IsValidSmsNumber(std::string_view address) {
  if (!address.empty() && address.front() == '+') address.remove_prefix(1);
  if (address.size() < 3 || address.size() > 20) return false;
  for (char c : address) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

KannelGateway::KannelGateway(KannelConfig config) : config_(std::move(config)) {
  const std::string problem = KannelConfigProblem(config_);
  if (!problem.empty()) throw std::invalid_argument("kannel: " + problem);
  InitCurlOnce();
}

std::string KannelGateway::SendsmsQuery(const ForwardJob& job,
                                        std::string_view text) const {
  std::string query;
  auto add = [&query](std::string_view key, std::string_view value) {
    if (!query.empty()) query += '&';
    query += key;
    query += '=';
    query += PercentEncode(value);
  };
  add("username", config_.username);
  add("password", config_.password);
  add("from", config_.sender_id);
  add("to", job.address);
  add("text", text);
  add("coding", "2");
  add("charset", "UTF-8");
  add("dlr-mask", std::to_string(kDeliveryReportMask));
  add("dlr-url", DeliveryReportUrl(config_.dlr_url, job.job_key));
  // Kannel has no idempotency key; `account` carries the job key into
  // bearerbox's access log ("[ACT:<job_key>]") so an operator can match a
  // resend after a crash between Kannel's answer and our bookkeeping.
  add("account", job.job_key);
  return query;
}

GatewayAnswer KannelGateway::Send(const ForwardJob& job) {
  GatewayAnswer answer;
  if (!IsValidJobKey(job.job_key)) {
    answer.kind = GatewayAnswer::Kind::kRejected;
    answer.detail = "invalid job key";
    return answer;
  }
  if (!IsValidSmsNumber(job.address)) {
    answer.kind = GatewayAnswer::Kind::kRejected;
    answer.detail = "not a phone number: " + job.address;
    return answer;
  }
  const SmsText sms =
      ComposeSmsText(job.sender, job.text, config_.max_messages);
  answer.cut = sms.cut;
  const std::string url =
      config_.sendsms_url + "?" + SendsmsQuery(job, sms.utf8);

  CurlEasy curl(curl_easy_init());
  if (!curl) {
    answer.kind = GatewayAnswer::Kind::kRetry;
    answer.detail = "curl_easy_init failed";
    return answer;
  }
  std::string body;
  char error[CURL_ERROR_SIZE] = {};
  CURL* handle = curl.get();
  curl_easy_setopt(handle, CURLOPT_URL, url.c_str());
  curl_easy_setopt(handle, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(handle, CURLOPT_TIMEOUT_MS,
                   static_cast<long>(config_.timeout.count()));
  curl_easy_setopt(handle, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(handle, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(handle, CURLOPT_WRITEFUNCTION, CollectBody);
  curl_easy_setopt(handle, CURLOPT_WRITEDATA, &body);
  curl_easy_setopt(handle, CURLOPT_ERRORBUFFER, error);
  const CURLcode code = curl_easy_perform(handle);
  if (code != CURLE_OK) {
    answer.kind = GatewayAnswer::Kind::kRetry;
    answer.detail = std::string("kannel unreachable: ") +
                    (error[0] != '\0' ? error : curl_easy_strerror(code));
    return answer;
  }
  long status = 0;
  curl_easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &status);
  const std::string said = Trimmed(std::move(body));
  if (status >= 200 && status < 300) {
    answer.kind = GatewayAnswer::Kind::kAccepted;
    answer.detail = said;
  } else if (status >= 400 && status < 500) {
    answer.kind = GatewayAnswer::Kind::kRejected;
    answer.detail = "kannel " + std::to_string(status) + ": " + said;
  } else {
    answer.kind = GatewayAnswer::Kind::kRetry;
    answer.detail = "kannel " + std::to_string(status) + ": " + said;
  }
  return answer;
}

}  // namespace hail::server::forward
