#include "nat/mapping_discovery.h"

#include <cassert>
#include <cstdint>

#include "nat/address_class.h"

namespace hail::nat {

using protocol::Endpoint;

std::string_view MappingBehaviourName(MappingBehaviour mapping) {
  switch (mapping) {
    case MappingBehaviour::kUnknown:
      return "unknown";
    case MappingBehaviour::kEndpointIndependent:
      return "endpoint-independent";
    case MappingBehaviour::kEndpointDependent:
      return "endpoint-dependent";
  }
  return "unknown";
}

MappingDiscovery::MappingDiscovery(const Endpoint& primary,
                                   const Endpoint& alternate, RandomFill random,
                                   Schedule schedule)
    : primary_(primary),
      alternate_(alternate),
      random_(std::move(random)),
      schedule_(schedule) {
  assert(!primary_.empty());
  assert(schedule_.max_sends >= 1 && schedule_.first_interval_ms > 0);
}

std::vector<MappingDiscovery::Datagram> MappingDiscovery::Start(
    uint64_t now_ms) {
  if (state_ != State::kIdle) return {};
  state_ = State::kProbingPrimary;
  return {BeginProbe(primary_, now_ms)};
}

MappingDiscovery::Datagram MappingDiscovery::BeginProbe(const Endpoint& to,
                                                        uint64_t now_ms) {
  target_ = to;
  transaction_ = protocol::stun::TransactionId();
  random_(transaction_.id);
  protocol::stun::BindingRequest request;
  request.transaction = transaction_;
  request.software_size = protocol::stun::kHailSoftwareSize;
  request_ = protocol::stun::EncodeBindingRequest(request);
  sends_ = 1;
  interval_ms_ = schedule_.first_interval_ms;
  next_send_ms_ = now_ms + interval_ms_;
  return {to, request_};
}

uint64_t MappingDiscovery::next_timer_ms() const {
  if (state_ != State::kProbingPrimary && state_ != State::kProbingAlternate) {
    return UINT64_MAX;
  }
  return next_send_ms_;
}

std::vector<MappingDiscovery::Datagram> MappingDiscovery::OnTimer(
    uint64_t now_ms) {
  std::vector<Datagram> out;
  if (now_ms < next_timer_ms()) return out;
  interval_ms_ *= 2;
  next_send_ms_ = now_ms + interval_ms_;
  if (sends_ < schedule_.max_sends) {
    ++sends_;
    out.push_back({target_, request_});
    return out;
  }
  if (state_ == State::kProbingPrimary) {
    report_.udp_works = false;
    Finish(MappingBehaviour::kUnknown,
           "no STUN answer from " + primary_.ToString() +
               ": UDP to the server is blocked or the server is unreachable");
  } else {
    Finish(MappingBehaviour::kUnknown,
           "the alternate STUN port " + alternate_.ToString() +
               " did not answer, so the mapping could not be compared");
  }
  return out;
}

bool MappingDiscovery::OnDatagram(const Endpoint& from,
                                  protocol::ByteSpan datagram, uint64_t now_ms,
                                  std::vector<Datagram>* out) {
  if (state_ != State::kProbingPrimary && state_ != State::kProbingAlternate) {
    return false;
  }
  if (from != target_) return false;
  std::optional<protocol::stun::BindingResponse> response =
      protocol::stun::DecodeBindingResponse(datagram);
  if (!response || response->transaction != transaction_) return false;

  if (state_ == State::kProbingPrimary) {
    report_.udp_works = true;
    if (!response->success) {
      Finish(MappingBehaviour::kUnknown,
             "the server answered STUN with error " +
                 std::to_string(response->error_code));
      return true;
    }
    report_.public_endpoint = response->mapped;
    if (alternate_.empty()) {
      alternate_ = response->other;
      // A server listening on a wildcard address advertises 0.0.0.0 with
      // the alternate port: the same address as the primary (SPEC.md
      // 3.4.3).
      if (ClassifyAddress(alternate_) == AddressClass::kUnspecified) {
        alternate_.family = primary_.family;
        alternate_.address = primary_.address;
      }
    }
    if (alternate_.empty() || alternate_ == primary_) {
      Finish(MappingBehaviour::kUnknown,
             "the server advertises no alternate STUN port, so the mapping "
             "could not be compared");
      return true;
    }
    state_ = State::kProbingAlternate;
    out->push_back(BeginProbe(alternate_, now_ms));
    return true;
  }
  if (!response->success) {
    Finish(MappingBehaviour::kUnknown,
           "the alternate STUN port answered with error " +
               std::to_string(response->error_code));
    return true;
  }
  if (response->mapped == report_.public_endpoint) {
    Finish(MappingBehaviour::kEndpointIndependent,
           "both server ports saw " + response->mapped.ToString() +
               ": the NAT keeps one public endpoint for all destinations");
  } else {
    Finish(MappingBehaviour::kEndpointDependent,
           "the server ports saw " + report_.public_endpoint.ToString() +
               " and " + response->mapped.ToString() +
               ": the NAT maps each destination to a new public endpoint");
  }
  return true;
}

void MappingDiscovery::Finish(MappingBehaviour mapping, std::string reason) {
  report_.mapping = mapping;
  report_.reason = std::move(reason);
  state_ = State::kDone;
}

}  // namespace hail::nat
