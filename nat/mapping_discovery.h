// NAT mapping behaviour discovery (SPEC.md 3.4.6), sans-I/O: the owner feeds
// received datagrams and the time, and sends what comes out, from the one
// socket whose mapping is being discovered. Binding requests go first to the
// server's primary STUN endpoint, then to its alternate one (learned from
// OTHER-ADDRESS, or given); the same mapped endpoint from both means the NAT
// maps endpoint-independently, different ones that it is symmetric.
//
// States: kIdle -> kProbingPrimary -> [kProbingAlternate] -> kDone.
// Not thread-safe; one owner drives it.
#ifndef HAIL_NAT_MAPPING_DISCOVERY_H_
#define HAIL_NAT_MAPPING_DISCOVERY_H_

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/byte_io.h"
#include "protocol/endpoint.h"
#include "protocol/messages.h"
#include "protocol/stun.h"

namespace hail::nat {

// The wire enum of SPEC.md section 15 (P2P_REQUEST's `mapping`): kUnknown
// when no second answer came to compare with, kEndpointIndependent for the
// same public endpoint towards both server ports, kEndpointDependent for a
// new one per destination (symmetric).
using MappingBehaviour = protocol::MappingBehaviour;

// "unknown", "endpoint-independent", "endpoint-dependent".
std::string_view MappingBehaviourName(MappingBehaviour mapping);

struct NatReport {
  bool udp_works = false;              // the primary STUN endpoint answered
  protocol::Endpoint public_endpoint;  // as the server saw us; empty if not
  MappingBehaviour mapping = MappingBehaviour::kUnknown;
  std::string reason;  // one sentence for people

  bool operator==(const NatReport&) const = default;
};

class MappingDiscovery {
 public:
  enum class State : uint8_t {
    kIdle,
    kProbingPrimary,
    kProbingAlternate,
    kDone,
  };

  // Retransmission schedule: a request is resent after first_interval_ms,
  // then at doubling intervals, `max_sends` sends in all; the probe fails
  // one more (doubled) interval after the last send. Defaults: sends at 0,
  // 100, 300, 700, 1500 ms; failure at 3100 ms.
  struct Schedule {
    uint64_t first_interval_ms = 100;
    int max_sends = 5;
  };

  struct Datagram {
    protocol::Endpoint to;
    protocol::Bytes bytes;
  };

  // Fills its argument with unpredictable bytes (transaction ids).
  using RandomFill = std::function<void(std::span<uint8_t>)>;

  // `alternate` may be empty: it is then learned from the primary's
  // OTHER-ADDRESS. REQUIRES: primary is not empty.
  MappingDiscovery(const protocol::Endpoint& primary,
                   const protocol::Endpoint& alternate, RandomFill random,
                   Schedule schedule);
  MappingDiscovery(const protocol::Endpoint& primary,
                   const protocol::Endpoint& alternate, RandomFill random)
      : MappingDiscovery(primary, alternate, std::move(random), Schedule()) {}

  // kIdle -> kProbingPrimary; returns the first request.
  std::vector<Datagram> Start(uint64_t now_ms);
  // Returns what is due by now_ms (retransmissions); may finish the run.
  std::vector<Datagram> OnTimer(uint64_t now_ms);
  // Offers a datagram received from `from`. Returns true when it was the
  // answer to the outstanding request (consumed); `out` gets what to send
  // next. Anything else is left alone (false).
  bool OnDatagram(const protocol::Endpoint& from, protocol::ByteSpan datagram,
                  uint64_t now_ms, std::vector<Datagram>* out);

  State state() const { return state_; }
  bool done() const { return state_ == State::kDone; }
  // When OnTimer next has work; UINT64_MAX when done or idle.
  uint64_t next_timer_ms() const;
  // Meaningful once done().
  const NatReport& report() const { return report_; }

 private:
  // Sends a fresh request (new transaction id) to `to`.
  Datagram BeginProbe(const protocol::Endpoint& to, uint64_t now_ms);
  void Finish(MappingBehaviour mapping, std::string reason);

  const protocol::Endpoint primary_;
  protocol::Endpoint alternate_;
  RandomFill random_;
  const Schedule schedule_;

  State state_ = State::kIdle;
  protocol::Endpoint target_;
  protocol::stun::TransactionId transaction_;
  protocol::Bytes request_;
  int sends_ = 0;
  uint64_t interval_ms_ = 0;
  uint64_t next_send_ms_ = 0;
  NatReport report_;
};

}  // namespace hail::nat

#endif  // HAIL_NAT_MAPPING_DISCOVERY_H_
