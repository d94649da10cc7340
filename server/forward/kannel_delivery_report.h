// Kannel's delivery report (DLR) callback to haild's local HTTP listener
// (SPEC.md 17). The SMS gateway asks smsbox for dlr-mask=31 with
//   dlr-url = <base>?job=<job_key>&status=%d&answer=%A
// and smsbox then requests <base path>?job=...&status=N&answer=... once per
// event, N being one of Kannel's DLR bits. Pure functions, no I/O.
#ifndef HAIL_SERVER_FORWARD_KANNEL_DELIVERY_REPORT_H_
#define HAIL_SERVER_FORWARD_KANNEL_DELIVERY_REPORT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace hail::server::forward {

// The path haild's listener serves DLR callbacks on.
inline constexpr std::string_view kDeliveryReportPath = "/kannel/dlr";
// The dlr-mask the gateway asks for: every event below.
inline constexpr int kDeliveryReportMask = 31;

// Kannel's DLR status bits (one per callback).
enum class DeliveryStatus : uint8_t {
  kDelivered = 1,      // the phone has the message (final)
  kFailed = 2,         // the network gave up (final)
  kBuffered = 4,       // the SMSC holds it, phone not reached yet
  kSubmitted = 8,      // the SMSC accepted it from Kannel
  kSmscRejected = 16,  // the SMSC refused it (final)
};

const char* DeliveryStatusName(DeliveryStatus status);
// Delivered, failed and rejected end the job's story; the others do not.
bool IsFinal(DeliveryStatus status);

struct DeliveryReport {
  std::string job_key;  // ForwardJob::job_key of the SMS
  DeliveryStatus status = DeliveryStatus::kBuffered;
  std::string answer;  // the SMSC's words (%A), may be empty
};

// The query template appended to the DLR base URL for `job_key`; %d and
// %A are left for Kannel to fill in.
std::string DeliveryReportUrl(std::string_view base_url,
                              std::string_view job_key);

// Parses the request target of a DLR callback,
// "/kannel/dlr?job=K&status=N&answer=A" (values percent-encoded, '+' is a
// space, any order). Returns nullopt for anything else: another path, a
// missing, repeated or unknown key, bad percent-encoding, a job key that is
// not [A-Za-z0-9.-]{1,64}, a status that is not exactly one of the five
// bits, an answer that is not UTF-8 or holds control characters, or a
// target longer than 4096 bytes.
std::optional<DeliveryReport> ParseDeliveryReport(
    std::string_view request_target);

// True for a ForwardJob::job_key: [A-Za-z0-9.-]{1,64}.
bool IsValidJobKey(std::string_view job_key);

}  // namespace hail::server::forward

#endif  // HAIL_SERVER_FORWARD_KANNEL_DELIVERY_REPORT_H_
