// The client's half of SPEC.md "Pre-session", sans-I/O: send HELLO, resend
// it every 500 ms, and give up 5 s after the first one unless the server
// answers with a COOKIE (then ENet may connect, carrying the cookie) or a
// REJECT. The caller owns the socket and the clock.
//
//   AWAITING_COOKIE --COOKIE with our nonce--> GOT_COOKIE
//   AWAITING_COOKIE --REJECT with our nonce--> REJECTED
//   AWAITING_COOKIE --5 s without either----> TIMED_OUT
#ifndef HAIL_CLIENT_PRESESSION_EXCHANGE_H_
#define HAIL_CLIENT_PRESESSION_EXCHANGE_H_

#include <cstdint>
#include <optional>

#include "protocol/byte_io.h"
#include "protocol/presession.h"

namespace hail::client {

class PresessionExchange {
 public:
  static constexpr uint64_t kRetryIntervalMs = 500;
  static constexpr uint64_t kGiveUpAfterMs = 5000;

  enum class State : uint8_t {
    kAwaitingCookie,
    kGotCookie,
    kRejected,
    kTimedOut
  };
  enum class DatagramOutcome : uint8_t {
    kCookie,   // state is now kGotCookie
    kReject,   // state is now kRejected
    kIgnored,  // not for us, malformed, or arrived after the exchange ended
  };

  // `client_nonce` should be random: it is how the answer is matched to
  // this exchange. `now_ms` is any monotonic clock in milliseconds.
  PresessionExchange(uint64_t client_nonce, uint64_t now_ms);

  // The HELLO datagram; send it now and whenever OnTimer says so.
  const protocol::Bytes& hello() const { return hello_; }

  // True when a HELLO resend is due at `now_ms`; records the resend. Moves
  // to kTimedOut (and returns false) once kGiveUpAfterMs have passed.
  bool OnTimer(uint64_t now_ms);
  // The time OnTimer should next be called, while awaiting the cookie.
  uint64_t next_timer_ms() const;

  // Feeds a datagram that starts with the pre-session magic.
  DatagramOutcome OnDatagram(protocol::ByteSpan datagram);

  State state() const { return state_; }
  int hellos_sent() const { return hellos_sent_; }
  // REQUIRES: state() == kGotCookie.
  const protocol::CookieDatagram& cookie() const { return *cookie_; }
  // REQUIRES: state() == kRejected.
  const protocol::PresessionRejectDatagram& reject() const { return *reject_; }

 private:
  uint64_t client_nonce_;
  uint64_t started_ms_;
  uint64_t last_sent_ms_;
  protocol::Bytes hello_;
  State state_ = State::kAwaitingCookie;
  int hellos_sent_ = 1;
  std::optional<protocol::CookieDatagram> cookie_;
  std::optional<protocol::PresessionRejectDatagram> reject_;
};

}  // namespace hail::client

#endif  // HAIL_CLIENT_PRESESSION_EXCHANGE_H_
