#include "nat/hole_punch.h"

#include <algorithm>

namespace hail::nat {

HolePunch::HolePunch(PunchPlan plan, uint64_t now_ms)
    : plan_(std::move(plan)), started_ms_(now_ms), next_ms_(now_ms) {
  if (!plan_.peer_public.empty()) candidates_.push_back(plan_.peer_public);
  if (!plan_.peer_lan.empty() && plan_.peer_lan != plan_.peer_public) {
    candidates_.push_back(plan_.peer_lan);
  }
}

HolePunch::Output HolePunch::Start(uint64_t now_ms) {
  Output out;
  if (candidates_.empty()) {
    Fail("the server gave no endpoint of the peer");
    return out;
  }
  AddProbes(&out);
  next_ms_ = now_ms + kFastIntervalMs;
  return out;
}

HolePunch::Output HolePunch::OnTimer(uint64_t now_ms) {
  Output out;
  if (state_ == State::kDone || state_ == State::kFailed) return out;
  if (now_ms - started_ms_ >= kGiveUpMs) {
    if (heard_.empty()) {
      Fail(
          "no PROBE from the peer arrived within 5 s: a NAT or firewall on "
          "the way drops them (a symmetric NAT, or UDP filtered)");
    } else {
      Fail(
          "PROBEs arrived but no direct ENet connection was established "
          "within 5 s");
    }
    return out;
  }
  AddProbes(&out);
  uint64_t interval =
      now_ms - started_ms_ < kFastPhaseMs ? kFastIntervalMs : kSlowIntervalMs;
  next_ms_ = now_ms + interval;
  return out;
}

HolePunch::Output HolePunch::OnProbe(const protocol::Endpoint& from,
                                     protocol::ByteSpan datagram,
                                     uint64_t now_ms) {
  Output out;
  (void)now_ms;
  std::optional<protocol::ProbeDatagram> probe =
      protocol::DecodeProbe(datagram, plan_.probe_key);
  if (!probe || probe->session_id != plan_.session_id ||
      probe->sender_role == plan_.role) {
    ++probes_invalid_;
    return out;
  }
  if (std::find(heard_.begin(), heard_.end(), from) == heard_.end()) {
    heard_.push_back(from);
  }
  if (plan_.role == protocol::LinkRole::kConnector &&
      state_ == State::kProbing && next_connect_ < heard_.size()) {
    state_ = State::kConnecting;
    out.connect_to = heard_[next_connect_++];
  }
  return out;
}

HolePunch::Output HolePunch::OnConnectFailed(uint64_t now_ms) {
  Output out;
  (void)now_ms;
  if (state_ != State::kConnecting) return out;
  state_ = State::kProbing;
  if (next_connect_ < heard_.size()) {
    state_ = State::kConnecting;
    out.connect_to = heard_[next_connect_++];
  }
  return out;
}

bool HolePunch::AdmitsConnect(const protocol::Endpoint& from) const {
  if (state_ == State::kDone || state_ == State::kFailed) return false;
  return IsCandidate(from) ||
         std::find(heard_.begin(), heard_.end(), from) != heard_.end();
}

void HolePunch::AddProbes(Output* out) {
  protocol::ProbeDatagram probe;
  probe.session_id = plan_.session_id;
  probe.sender_role = plan_.role;
  probe.seq = seq_++;
  protocol::Bytes bytes = protocol::EncodeProbe(probe, plan_.probe_key);
  for (const protocol::Endpoint& to : candidates_) {
    out->datagrams.emplace_back(to, bytes);
    ++probes_sent_;
  }
}

bool HolePunch::IsCandidate(const protocol::Endpoint& e) const {
  return std::find(candidates_.begin(), candidates_.end(), e) !=
         candidates_.end();
}

void HolePunch::Fail(std::string reason) {
  state_ = State::kFailed;
  failure_ = std::move(reason);
}

}  // namespace hail::nat
