// The e-mail gateway (SPEC.md 17.5): hands a forwarded message to an SMTP
// server with libcurl. Chosen over a hand-written SMTP client because
// libcurl (Debian libcurl4-openssl-dev) already does SMTP right: STARTTLS
// with certificate checks, AUTH, pipelining, dot-stuffing, timeouts.
//
// STARTTLS is used whenever the server offers it; with require_tls a server
// that does not offer it gets nothing. The message is composed by
// ComposeMail; its Message-ID carries the job key, so a copy sent again
// after a crash is recognisably the same message.
#ifndef HAIL_SERVER_FORWARD_SMTP_GATEWAY_H_
#define HAIL_SERVER_FORWARD_SMTP_GATEWAY_H_

#include <string>

#include "server/forward/gateway.h"
#include "server/forward/mail_message.h"

namespace hail::server::forward {

struct SmtpConfig {
  // smtp://host:port (STARTTLS when offered) or smtps://host:port.
  std::string url;
  MailIdentity identity;
  // AUTH, when both are set.
  std::string username;
  std::string password;
  // Refuse to send without TLS.
  bool require_tls = false;
  // CA certificates to check the server's certificate against (PEM file);
  // empty: the system's. verify_peer false skips the check (tests only).
  std::string ca_file;
  bool verify_peer = true;
  long timeout_ms = 30'000;
};

class SmtpGateway : public Gateway {
 public:
  explicit SmtpGateway(SmtpConfig config);
  Channel channel() const override { return Channel::kEmail; }
  // kAccepted on the server's 250 after DATA; kRetry when it cannot be
  // reached, times out or answers 4xx; kRejected on 5xx (a bad recipient,
  // refused sender) or an address forwarding does not accept.
  GatewayAnswer Send(const ForwardJob& job) override;

 private:
  const SmtpConfig config_;
};

}  // namespace hail::server::forward

#endif  // HAIL_SERVER_FORWARD_SMTP_GATEWAY_H_
