#include "client/cookie_fetch.h"

#include <algorithm>
#include <chrono>

#include "client/presession_exchange.h"

namespace hail::client {
namespace {

uint64_t NowMs() {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::steady_clock::now().time_since_epoch())
          .count());
}

bool Send(ENetSocket socket, const ENetAddress& to,
          const protocol::Bytes& datagram) {
  ENetBuffer buffer{const_cast<uint8_t*>(datagram.data()), datagram.size()};
  return enet_socket_send(socket, &to, &buffer, 1) ==
         static_cast<int>(datagram.size());
}

}  // namespace

std::optional<uint32_t> FetchCookie(ENetSocket socket,
                                    const ENetAddress& server,
                                    uint64_t client_nonce, int timeout_ms) {
  uint64_t start = NowMs();
  uint64_t give_up = start + static_cast<uint64_t>(std::max(timeout_ms, 0));
  PresessionExchange exchange(client_nonce, start);
  if (!Send(socket, server, exchange.hello())) return std::nullopt;
  uint8_t reply[256];
  for (;;) {
    uint64_t now = NowMs();
    if (now >= give_up) return std::nullopt;
    if (exchange.OnTimer(now)) Send(socket, server, exchange.hello());
    if (exchange.state() != PresessionExchange::State::kAwaitingCookie) {
      return std::nullopt;  // timed out
    }
    uint64_t until = std::min(give_up, exchange.next_timer_ms());
    enet_uint32 wait = ENET_SOCKET_WAIT_RECEIVE;
    int wait_ms = static_cast<int>(until > now ? until - now : 0);
    if (enet_socket_wait(socket, &wait, static_cast<enet_uint32>(wait_ms)) !=
            0 ||
        !(wait & ENET_SOCKET_WAIT_RECEIVE)) {
      continue;
    }
    ENetAddress from;
    ENetBuffer in{reply, sizeof reply};
    int n = enet_socket_receive(socket, &from, &in, 1);
    if (n <= 0) continue;
    switch (exchange.OnDatagram(
        protocol::ByteSpan(reply, static_cast<size_t>(n)))) {
      case PresessionExchange::DatagramOutcome::kCookie:
        return exchange.cookie().cookie;
      case PresessionExchange::DatagramOutcome::kReject:
        return std::nullopt;
      case PresessionExchange::DatagramOutcome::kIgnored:
        break;
    }
  }
}

}  // namespace hail::client
