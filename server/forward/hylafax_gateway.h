// The fax gateway of extended delivery (SPEC.md section 17): renders a
// forwarded message into a TIFF G3 document (FaxRenderer) and queues it on
// a HylaFAX server with the HylaFAX client tools (sendfax, faxstat), which
// talk hfaxd's client protocol.
//
// Idempotency: the job carries job_key as its HylaFAX job tag (sendfax -i).
// Before submitting, Send lists the server's send and done queues (faxstat
// -s -d, JobFmt "%j|%J") and, if a job already carries this tag, answers
// kAccepted with that job's id instead of queueing the fax again. A job
// that faxqclean has already purged from doneq is no longer recognised.
//
// Answers: queued -> kAccepted (detail: the HylaFAX job id); hfaxd
// unreachable, a tool or renderer timing out -> kRetry; a number that is
// not E.164, a bad job_key, a render failure or any refusal by hfaxd ->
// kRejected with the reason.
//
// Thread-safe: Send keeps no state between calls; each call works in its
// own temporary directory. Two concurrent Sends of the same job may both
// queue it: the caller runs one job on one worker at a time.
#ifndef HAIL_SERVER_FORWARD_HYLAFAX_GATEWAY_H_
#define HAIL_SERVER_FORWARD_HYLAFAX_GATEWAY_H_

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "server/forward/fax_render.h"
#include "server/forward/gateway.h"

namespace hail::server::forward {

struct HylaFaxConfig {
  std::string host = "127.0.0.1";  // hfaxd
  uint16_t port = 4559;            // hfaxd's client protocol port
  // The hfaxd login (FAXUSER). hfaxd's etc/hosts.hfaxd must admit it from
  // haild's address without a password; it owns the jobs it queues.
  std::string user = "hail";
  // Per sendfax or faxstat run; past it the answer is kRetry.
  std::chrono::milliseconds timeout{30000};
  // Page format, page limit, fonts, the temporary directory.
  FaxRenderOptions render;
  std::string sendfax_program = "sendfax";
  std::string faxstat_program = "faxstat";
};

class HylaFaxGateway : public Gateway {
 public:
  explicit HylaFaxGateway(HylaFaxConfig config);

  HylaFaxGateway(const HylaFaxGateway&) = delete;
  HylaFaxGateway& operator=(const HylaFaxGateway&) = delete;

  Channel channel() const override { return Channel::kFax; }
  GatewayAnswer Send(const ForwardJob& job) override;

  // True for "+" and 1 to 15 digits.
  static bool IsE164(const std::string& number);
  // True for 1 to 64 characters of [A-Za-z0-9.-].
  static bool IsValidJobKey(const std::string& job_key);

 private:
  struct Lookup {
    bool reachable = false;
    std::string error;                  // !reachable: why
    std::optional<std::string> job_id;  // the job tagged job_key, if any
  };
  // Looks for a queued or done job tagged `job_key`; `home` is the
  // directory whose .hylarc sets the listing's format.
  Lookup FindJob(const std::string& job_key, const std::string& home) const;
  std::string ServerArgument() const;

  HylaFaxConfig config_;
  FaxRenderer renderer_;
};

}  // namespace hail::server::forward

#endif  // HAIL_SERVER_FORWARD_HYLAFAX_GATEWAY_H_
