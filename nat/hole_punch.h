// One hole-punching attempt between two clients (SPEC.md "Direct links",
// "Punching"). Sans-I/O: the owner sends the datagrams it returns from the
// socket that carries its server session, feeds it the PROBEs it receives
// and the clock, and opens the ENet connection it asks for.
//
//   PROBING --first valid PROBE heard (connector)--> CONNECTING
//   PROBING/CONNECTING --OnLinkUp--> DONE
//   any --give-up time passed--> FAILED (reason says what was seen)
//
// Both sides probe every candidate endpoint of the peer (public, and LAN
// when different): every kFastIntervalMs for kFastPhaseMs, then every
// kSlowIntervalMs, until the link is up or kGiveUpMs have passed. Only the
// connector connects, to the source of the first valid PROBE it heard; a
// failed connection moves on to the next source heard. The listener admits
// an ENet CONNECT only from a source it heard a valid PROBE from or one it
// is probing.
#ifndef HAIL_NAT_HOLE_PUNCH_H_
#define HAIL_NAT_HOLE_PUNCH_H_

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "protocol/endpoint.h"
#include "protocol/p2p_link.h"

namespace hail::nat {

struct PunchPlan {
  uint64_t session_id = 0;
  protocol::LinkRole role = protocol::LinkRole::kListener;
  protocol::Endpoint peer_public;
  protocol::Endpoint peer_lan;  // may be empty
  protocol::Key probe_key{};
};

class HolePunch {
 public:
  static constexpr uint64_t kFastIntervalMs = 20;
  static constexpr uint64_t kFastPhaseMs = 1000;
  static constexpr uint64_t kSlowIntervalMs = 250;
  static constexpr uint64_t kGiveUpMs = 5000;

  enum class State : uint8_t { kProbing, kConnecting, kDone, kFailed };

  struct Output {
    std::vector<std::pair<protocol::Endpoint, protocol::Bytes>> datagrams;
    std::optional<protocol::Endpoint> connect_to;  // connector only
  };

  HolePunch(PunchPlan plan, uint64_t now_ms);

  // The first round of PROBEs.
  Output Start(uint64_t now_ms);
  // Call when now_ms >= next_deadline_ms().
  Output OnTimer(uint64_t now_ms);
  // A PROBE-shaped datagram from `from`; invalid ones are counted.
  Output OnProbe(const protocol::Endpoint& from, protocol::ByteSpan datagram,
                 uint64_t now_ms);
  // The connector's ENet connection ended before the link was up.
  Output OnConnectFailed(uint64_t now_ms);
  // The link is authenticated: stop probing.
  void OnLinkUp() { state_ = State::kDone; }

  // Listener: whether an ENet CONNECT from `from` belongs to this attempt.
  bool AdmitsConnect(const protocol::Endpoint& from) const;

  State state() const { return state_; }
  uint64_t next_deadline_ms() const { return next_ms_; }
  const std::vector<protocol::Endpoint>& heard_from() const { return heard_; }
  uint64_t probes_sent() const { return probes_sent_; }
  uint64_t probes_invalid() const { return probes_invalid_; }
  // Why the attempt failed, for people (empty unless kFailed).
  const std::string& failure() const { return failure_; }

 private:
  void AddProbes(Output* out);
  bool IsCandidate(const protocol::Endpoint& e) const;
  void Fail(std::string reason);

  PunchPlan plan_;
  uint64_t started_ms_;
  uint64_t next_ms_;
  State state_ = State::kProbing;
  std::vector<protocol::Endpoint> candidates_;
  std::vector<protocol::Endpoint> heard_;
  size_t next_connect_ = 0;  // index into heard_ of the next source to try
  uint32_t seq_ = 0;
  uint64_t probes_sent_ = 0;
  uint64_t probes_invalid_ = 0;
  std::string failure_;
};

}  // namespace hail::nat

#endif  // HAIL_NAT_HOLE_PUNCH_H_
