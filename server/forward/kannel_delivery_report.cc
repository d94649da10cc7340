#include "server/forward/kannel_delivery_report.h"

#include <string>

#include "server/forward/url_coding.h"

namespace hail::server::forward {
namespace {

constexpr size_t kMaxTargetBytes = 4096;

std::optional<DeliveryStatus> StatusFromText(std::string_view text) {
  if (text == "1") return DeliveryStatus::kDelivered;
  if (text == "2") return DeliveryStatus::kFailed;
  if (text == "4") return DeliveryStatus::kBuffered;
  if (text == "8") return DeliveryStatus::kSubmitted;
  if (text == "16") return DeliveryStatus::kSmscRejected;
  return std::nullopt;
}

// Valid UTF-8 without C0 controls or DEL (the answer ends up in logs).
bool IsPrintableUtf8(std::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    const auto lead = static_cast<unsigned char>(text[i]);
    if (lead < 0x20 || lead == 0x7F) return false;
    size_t length = 1;
    unsigned minimum_second = 0x80, maximum_second = 0xBF;
    if (lead < 0x80) {
      length = 1;
    } else if (lead >= 0xC2 && lead <= 0xDF) {
      length = 2;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
      length = 3;
      if (lead == 0xE0) minimum_second = 0xA0;  // no overlong forms
      if (lead == 0xED) maximum_second = 0x9F;  // no surrogates
    } else if (lead >= 0xF0 && lead <= 0xF4) {
      length = 4;
      if (lead == 0xF0) minimum_second = 0x90;
      if (lead == 0xF4) maximum_second = 0x8F;  // nothing above U+10FFFF
    } else {
      return false;
    }
    if (i + length > text.size()) return false;
    for (size_t k = 1; k < length; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      const unsigned low = k == 1 ? minimum_second : 0x80;
      const unsigned high = k == 1 ? maximum_second : 0xBF;
      if (next < low || next > high) return false;
    }
    i += length;
  }
  return true;
}

}  // namespace

const char* DeliveryStatusName(DeliveryStatus status) {
  switch (status) {
    case DeliveryStatus::kDelivered:
      return "delivered";
    case DeliveryStatus::kFailed:
      return "failed";
    case DeliveryStatus::kBuffered:
      return "buffered";
    case DeliveryStatus::kSubmitted:
      return "submitted";
    case DeliveryStatus::kSmscRejected:
      return "smsc-rejected";
  }
  return "unknown";
}

bool IsFinal(DeliveryStatus status) {
  return status == DeliveryStatus::kDelivered ||
         status == DeliveryStatus::kFailed ||
         status == DeliveryStatus::kSmscRejected;
}

bool IsValidJobKey(std::string_view job_key) {
  if (job_key.empty() || job_key.size() > 64) return false;
  for (char c : job_key) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                    (c >= '0' && c <= '9') || c == '.' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::string DeliveryReportUrl(std::string_view base_url,
                              std::string_view job_key) {
  std::string url(base_url);
  url += base_url.find('?') == std::string_view::npos ? '?' : '&';
  url += "job=";
  url += PercentEncode(job_key);
  url += "&status=%d&answer=%A";
  return url;
}

std::optional<DeliveryReport> ParseDeliveryReport(
    std::string_view request_target) {
  if (request_target.size() > kMaxTargetBytes) return std::nullopt;
  const size_t question = request_target.find('?');
  if (question == std::string_view::npos ||
      request_target.substr(0, question) != kDeliveryReportPath) {
    return std::nullopt;
  }
  std::optional<std::string> job, status, answer;
  std::string_view query = request_target.substr(question + 1);
  while (true) {
    const size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    const size_t equals = pair.find('=');
    if (equals == std::string_view::npos) return std::nullopt;
    const std::string_view key = pair.substr(0, equals);
    std::optional<std::string> value = PercentDecode(pair.substr(equals + 1));
    if (!value) return std::nullopt;
    std::optional<std::string>* slot = key == "job"      ? &job
                                       : key == "status" ? &status
                                       : key == "answer" ? &answer
                                                         : nullptr;
    if (slot == nullptr || slot->has_value()) return std::nullopt;
    *slot = std::move(*value);
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  if (!job || !status || !answer) return std::nullopt;
  if (!IsValidJobKey(*job) || !IsPrintableUtf8(*answer)) return std::nullopt;
  const std::optional<DeliveryStatus> parsed = StatusFromText(*status);
  if (!parsed) return std::nullopt;
  return DeliveryReport{std::move(*job), *parsed, std::move(*answer)};
}

}  // namespace hail::server::forward
