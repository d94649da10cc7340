// hail-conform's connection to the server under test: the client's side of
// the protocol at wire level, so a rule can send exactly the bytes it means
// (a malformed body, a kind on the wrong channel, a request the reference
// client would never send) and see exactly what comes back. It uses the
// reference transports (client/) and client session (protocol/) for the
// parts a rule does not break: pre-session, ENet, TCP records, the
// handshake and the SEALED frames.
//
// Threading: single-threaded; every method runs on the caller's thread.
#ifndef HAIL_TOOLS_CONFORM_WIRE_CLIENT_H_
#define HAIL_TOOLS_CONFORM_WIRE_CLIENT_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "client/enet_transport.h"
#include "client/transport.h"
#include "protocol/client_session.h"
#include "protocol/registry.h"
#include "protocol/status.h"

namespace hail::conform {

// Where the server under test listens, and where we send from.
struct Target {
  std::string host = "127.0.0.1";
  uint16_t port = 0;
  uint16_t tcp_port = 0;   // 0: the UDP port's number (SPEC.md 3.8)
  std::string local_host;  // the local address to send from; empty: any
  int timeout_ms = 5000;   // how long a rule waits for an answer
};

// One message from the server, as decoded, with the plaintext it came in.
struct Received {
  uint8_t channel = 0;
  protocol::Message message;
  protocol::Bytes plaintext;  // kind + body, re-encoded canonically
};

// "KIND{field=value, ...}" and its hex: how a failure shows what it saw.
std::string Show(const protocol::Message& message);

class WireClient {
 public:
  // Connects over UDP (HELLO, COOKIE, ENet CONNECT with the cookie) or TCP
  // and completes the handshake. Errors: Unavailable-style IoError with what
  // step failed.
  static Result<std::unique_ptr<WireClient>> Connect(
      const Target& target,
      client::TransportKind kind = client::TransportKind::kUdp);
  // Connects at transport level only: the caller sends CLIENT_HELLO (or
  // anything else) itself with SendFrame.
  static Result<std::unique_ptr<WireClient>> ConnectUnsecured(
      const Target& target,
      client::TransportKind kind = client::TransportKind::kUdp);

  ~WireClient();

  // Seals and sends `message` on its kind's channel.
  void Send(const protocol::Message& message);
  // Seals and sends `plaintext` (kind + body, any bytes) on `channel`.
  void SendPlaintext(uint8_t channel, protocol::ByteSpan plaintext);
  // Seals `message` without sending it, spending its counter: a rule
  // sends the frame itself (twice, or changed).
  protocol::OutgoingFrame Seal(const protocol::Message& message);
  // Sends `frame` as one packet on `channel`, unsealed and unchanged.
  void SendFrame(uint8_t channel, protocol::ByteSpan frame);
  // Completes the handshake of a ConnectUnsecured client: sends
  // CLIENT_HELLO and waits for SERVER_HELLO.
  Status Handshake();

  // The next message the server sends, waiting up to `timeout_ms`; nullopt
  // when none comes or the connection ends.
  std::optional<Received> Next(int timeout_ms);
  // The first message of type M (and matching `match`) among those already
  // received and those arriving within `timeout_ms`; others are kept for
  // later calls.
  template <typename M>
  std::optional<M> Wait(int timeout_ms,
                        const std::function<bool(const M&)>& match = {}) {
    for (auto it = kept_.begin(); it != kept_.end(); ++it) {
      if (auto* m = std::get_if<M>(&it->message); m && (!match || match(*m))) {
        M found = *m;
        kept_.erase(it);
        return found;
      }
    }
    const uint64_t deadline = NowMs() + static_cast<uint64_t>(timeout_ms);
    for (;;) {
      const uint64_t now = NowMs();
      if (now >= deadline) return std::nullopt;
      std::optional<Received> got = Pump(static_cast<int>(deadline - now));
      if (!got) {
        if (closed_) return std::nullopt;
        continue;
      }
      if (auto* m = std::get_if<M>(&got->message); m && (!match || match(*m))) {
        return *m;
      }
      kept_.push_back(std::move(*got));
    }
  }
  // Keeps receiving for `ms`, keeping everything.
  void Drain(int ms);
  // Messages received and not yet taken, oldest first.
  const std::deque<Received>& kept() const { return kept_; }
  void ClearKept() { kept_.clear(); }
  // How many messages of type M are kept; TakeAll removes them.
  template <typename M>
  std::vector<M> TakeAll() {
    std::vector<M> out;
    for (auto it = kept_.begin(); it != kept_.end();) {
      if (auto* m = std::get_if<M>(&it->message)) {
        out.push_back(*m);
        it = kept_.erase(it);
      } else {
        ++it;
      }
    }
    return out;
  }

  // Waits up to `timeout_ms` for the connection to end.
  bool WaitClosed(int timeout_ms);
  bool closed() const { return closed_; }
  // The disconnect data (an error code) of the close, 0 when none.
  uint32_t close_data() const { return close_data_; }
  // Raw frames received before the session was secured, e.g. the PLAIN
  // SERVER_HELLO or HANDSHAKE_REJECT of an unsecured connection.
  std::optional<protocol::Bytes> NextRawFrame(int timeout_ms);
  // Ends the connection at once.
  void Close();
  // Lets a UDP client send packets up to `bytes` (over what the protocol
  // allows, to test the server's limit); false over TCP.
  bool AllowLargePackets(size_t bytes);

  // The endpoint the client declares as its LAN endpoint.
  const protocol::Endpoint& lan_endpoint() const {
    return transport_->lan_endpoint();
  }
  const protocol::PublicKey& server_identity() const {
    return session_->server_identity();
  }
  // Drops that the session counted: frames that did not open or decode.
  uint64_t dropped() const { return dropped_; }

  static uint64_t NowMs();

 private:
  explicit WireClient(std::unique_ptr<client::Transport> transport);
  std::optional<Received> Pump(int timeout_ms);

  std::unique_ptr<client::Transport> transport_;
  client::EnetTransport* enet_ = nullptr;  // transport_, when over UDP
  std::unique_ptr<protocol::ClientSession> session_;
  std::deque<Received> kept_;
  std::deque<protocol::Bytes> raw_frames_;  // before the session is secured
  bool closed_ = false;
  uint32_t close_data_ = 0;
  uint64_t dropped_ = 0;
};

}  // namespace hail::conform

#endif  // HAIL_TOOLS_CONFORM_WIRE_CLIENT_H_
