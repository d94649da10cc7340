// The SMS gateway (SPEC.md 17): hands a forwarded message to Kannel's
// smsbox over its HTTP sendsms interface with libcurl. The text is
// "<sender>: <text>" in UCS-2, cut by ComposeSmsText to max_messages parts
// (see sms_text.h); delivery reports come back to haild's listener at
// dlr_url (see kannel_delivery_report.h).
//
// Thread safety: Send may be called from several gateway worker threads at
// once (each call uses its own curl handle); never from a network loop.
#ifndef HAIL_SERVER_FORWARD_KANNEL_GATEWAY_H_
#define HAIL_SERVER_FORWARD_KANNEL_GATEWAY_H_

#include <chrono>
#include <string>
#include <string_view>

#include "server/forward/gateway.h"

namespace hail::server::forward {

struct KannelConfig {
  // smsbox's sendsms URL, e.g. "http://127.0.0.1:13013/cgi-bin/sendsms".
  std::string sendsms_url;
  // A sendsms-user of smsbox.
  std::string username;
  std::string password;
  // The sender id shown on the phone (sendsms' `from`); smsbox refuses a
  // message without one unless it has a global sender.
  std::string sender_id;
  // haild's DLR listener, ending in kDeliveryReportPath, e.g.
  // "http://127.0.0.1:8080/kannel/dlr".
  std::string dlr_url;
  // Parts per SMS at most: must equal the sendsms-user's max-messages.
  int max_messages = 3;
  // The whole sendsms request, connecting included.
  std::chrono::milliseconds timeout{10000};
};

// Why a KannelConfig cannot work, or empty if it can.
std::string KannelConfigProblem(const KannelConfig& config);

// True for an address Kannel takes as one number: an optional '+' then
// 3 to 20 digits (a space would make sendsms send to several numbers).
bool IsValidSmsNumber(std::string_view address);

class KannelGateway : public Gateway {
 public:
  // REQUIRES: KannelConfigProblem(config) is empty (throws
  // std::invalid_argument otherwise).
  explicit KannelGateway(KannelConfig config);
  KannelGateway(const KannelGateway&) = delete;
  KannelGateway& operator=(const KannelGateway&) = delete;

  Channel channel() const override { return Channel::kSms; }

  // One sendsms request. 2xx: kAccepted (detail: smsbox's answer, e.g.
  // "0: Accepted for delivery"). No connection, timeout, any other
  // transport error, 5xx (503: queue full) or another status: kRetry.
  // 4xx (bad login 403, number refused 400): kRejected. An address that is
  // not IsValidSmsNumber or a bad job key: kRejected without a request.
  GatewayAnswer Send(const ForwardJob& job) override;

  // The query string Send requests for `job` (no leading '?'), with the
  // composed text; exposed for tests.
  std::string SendsmsQuery(const ForwardJob& job, std::string_view text) const;

 private:
  KannelConfig config_;
};

}  // namespace hail::server::forward

#endif  // HAIL_SERVER_FORWARD_KANNEL_GATEWAY_H_
