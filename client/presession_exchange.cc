#include "client/presession_exchange.h"

#include <algorithm>

namespace hail::client {

PresessionExchange::PresessionExchange(uint64_t client_nonce, uint64_t now_ms)
    : client_nonce_(client_nonce),
      started_ms_(now_ms),
      last_sent_ms_(now_ms),
      hello_(protocol::EncodeHello(protocol::HelloDatagram{
          protocol::kPresessionVersion, client_nonce})) {}

bool PresessionExchange::OnTimer(uint64_t now_ms) {
  if (state_ != State::kAwaitingCookie) return false;
  if (now_ms >= started_ms_ + kGiveUpAfterMs) {
    state_ = State::kTimedOut;
    return false;
  }
  if (now_ms < last_sent_ms_ + kRetryIntervalMs) return false;
  last_sent_ms_ = now_ms;
  ++hellos_sent_;
  return true;
}

uint64_t PresessionExchange::next_timer_ms() const {
  return std::min(last_sent_ms_ + kRetryIntervalMs,
                  started_ms_ + kGiveUpAfterMs);
}

PresessionExchange::DatagramOutcome PresessionExchange::OnDatagram(
    protocol::ByteSpan datagram) {
  if (state_ != State::kAwaitingCookie) return DatagramOutcome::kIgnored;
  if (std::optional<protocol::CookieDatagram> cookie =
          protocol::DecodeCookie(datagram);
      cookie && cookie->client_nonce == client_nonce_) {
    cookie_ = cookie;
    state_ = State::kGotCookie;
    return DatagramOutcome::kCookie;
  }
  if (std::optional<protocol::PresessionRejectDatagram> reject =
          protocol::DecodePresessionReject(datagram);
      reject && reject->client_nonce == client_nonce_) {
    reject_ = reject;
    state_ = State::kRejected;
    return DatagramOutcome::kReject;
  }
  return DatagramOutcome::kIgnored;
}

}  // namespace hail::client
