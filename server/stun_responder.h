// Answers STUN Binding requests for both the main port (inside the shard's
// ENet intercept) and the alternate STUN-only port (SPEC.md 3.4): the codec
// of protocol/stun, the per-IP reply limit and the counters.
//
// Threading: thread-safe. The rate limiter is shared and locked, so that
// spreading requests over shards and ports earns no extra budget; counters
// are atomic.
#ifndef HAIL_SERVER_STUN_RESPONDER_H_
#define HAIL_SERVER_STUN_RESPONDER_H_

#include <cstdint>
#include <optional>

#include "protocol/byte_io.h"
#include "protocol/endpoint.h"
#include "server/counters.h"
#include "server/shared_state.h"

namespace hail::server {

class StunResponder {
 public:
  // SPEC.md 3.4.4: at most 10 replies per second per source IP.
  static constexpr double kRepliesBurstPerIp = 10;
  static constexpr double kRepliesPerSecondPerIp = 10;

  // `counters` must outlive the responder. `other` is what OTHER-ADDRESS
  // advertises on the main port (empty: the alternate port is off).
  StunResponder(Counters* counters, const protocol::Endpoint& main,
                const protocol::Endpoint& other, size_t max_keys);

  StunResponder(const StunResponder&) = delete;
  StunResponder& operator=(const StunResponder&) = delete;

  // The datagram to send back to `source`, or nullopt (counted why). Call
  // with `on_alternate` for datagrams received on the alternate port.
  std::optional<protocol::Bytes> Answer(protocol::ByteSpan datagram,
                                        const protocol::Endpoint& source,
                                        bool on_alternate, uint64_t now_ms);

  const protocol::Endpoint& main() const { return main_; }
  const protocol::Endpoint& other() const { return other_; }

 private:
  Counters* counters_;
  const protocol::Endpoint main_;
  const protocol::Endpoint other_;
  LockedRateLimiter replies_per_ip_;
};

}  // namespace hail::server

#endif  // HAIL_SERVER_STUN_RESPONDER_H_
