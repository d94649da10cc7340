#include "server/stun_responder.h"

#include "nat/address_class.h"
#include "protocol/stun.h"

namespace hail::server {

using Outcome = protocol::stun::ServerReply::Outcome;

StunResponder::StunResponder(Counters* counters, const protocol::Endpoint& main,
                             const protocol::Endpoint& other, size_t max_keys)
    : counters_(counters),
      main_(main),
      other_(other),
      replies_per_ip_(kRepliesBurstPerIp, kRepliesPerSecondPerIp, max_keys) {}

std::optional<protocol::Bytes> StunResponder::Answer(
    protocol::ByteSpan datagram, const protocol::Endpoint& source,
    bool on_alternate, uint64_t now_ms) {
  // On the alternate port, OTHER-ADDRESS points back at the main port.
  // A wildcard listen address (0.0.0.0) is no RESPONSE-ORIGIN; in
  // OTHER-ADDRESS it means "the address you sent to" (SPEC.md 3.4.3).
  protocol::Endpoint local = on_alternate ? other_ : main_;
  if (nat::ClassifyAddress(local) == nat::AddressClass::kUnspecified) {
    local = protocol::Endpoint();
  }
  const protocol::Endpoint& other = on_alternate ? main_ : other_;
  protocol::stun::ServerReply reply = protocol::stun::AnswerBinding(
      datagram, source, local, other_.empty() ? protocol::Endpoint() : other);
  switch (reply.outcome) {
    case Outcome::kMalformed:
      counters_->stun_malformed++;
      return std::nullopt;
    case Outcome::kIgnored:
      counters_->stun_dropped++;
      return std::nullopt;
    case Outcome::kTooLarge:
      counters_->stun_too_large++;
      return std::nullopt;
    case Outcome::kAnswered:
    case Outcome::kErrorAnswered:
      break;
  }
  // Keyed by address only: every port of one IP shares the budget.
  protocol::Endpoint ip = source;
  ip.port = 0;
  if (!replies_per_ip_.TryAcquire(ip.ToString(), now_ms)) {
    counters_->stun_rate_limited++;
    return std::nullopt;
  }
  if (reply.outcome == Outcome::kErrorAnswered) {
    counters_->stun_errors_answered++;
  } else {
    counters_->stun_answered++;
  }
  return std::move(reply.datagram);
}

}  // namespace hail::server
