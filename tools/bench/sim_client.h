// One simulated user of hail-bench: the client's side of the real protocol
// (HELLO/COOKIE, ENet CONNECT with the cookie, handshake, REGISTER, LOGIN or
// RESUME, contact set-up, messages, ITEM_ACK), or of the bare relay. It owns
// no socket and no thread: its ClientPool feeds it datagrams, ENet events
// and timer calls, and sends what it asks through the pool. Every method
// runs on the pool's thread.
#ifndef HAIL_TOOLS_BENCH_SIM_CLIENT_H_
#define HAIL_TOOLS_BENCH_SIM_CLIENT_H_

#include <enet/enet.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "client/presession_exchange.h"
#include "protocol/client_session.h"
#include "tools/bench/bench_state.h"

namespace hail::bench {

class ClientPool;

class SimClient {
 public:
  enum class State : uint8_t {
    kOffline,         // no connection; may have a restart timer
    kAwaitingCookie,  // HELLO sent
    kConnecting,      // ENet CONNECT sent with the cookie
    kHandshaking,     // CLIENT_HELLO sent
    kAuthenticating,  // REGISTER, LOGIN or RESUME in flight
    kLoggedIn,        // logged in; login sequence not complete yet
    kReady,           // contact list and mailbox received (relay: registered)
    kClosing,         // disconnect requested
  };

  // `pool` outlives the client; `account` lives in the pool.
  SimClient(ClientPool* pool, uint32_t index, uint32_t local, Account* account);

  uint32_t index() const { return index_; }
  uint32_t local() const { return local_; }
  State state() const { return state_; }
  bool connecting() const {
    return state_ != State::kOffline && state_ != State::kReady &&
           state_ != State::kClosing;
  }
  uint64_t timer_ms() const { return timer_ms_; }

  // Starts a connection now (state must be kOffline).
  void Start(uint64_t now_ms);
  // Leaves: graceful ENet disconnect (or cancels a connection attempt).
  void Leave();
  void OnTimer(uint64_t now_ms);
  // A pre-session datagram from the server on this client's host socket;
  // true when it was this client's answer.
  bool OnPresession(protocol::ByteSpan datagram, uint64_t now_ms);
  void OnConnected(ENetPeer* peer);
  void OnReceive(uint8_t channel, protocol::ByteSpan packet);
  void OnDisconnected(uint32_t data);

  // Sends one bench message (stamped text) to group mate `recipient`.
  void SendChat(uint32_t recipient, const std::string& text);
  // Asks the group mates it must ask and answers those who asked (once
  // contacts are wanted: after every client has registered).
  void FixContacts();
  // True when every group mate's relation is ACCEPTED.
  bool contacts_complete() const;
  // True when every group mate `mates` selects shows OFFLINE to this client.
  bool sees_offline(const std::function<bool(uint32_t)>& mates) const;
  ENetPeer* peer() const { return peer_; }

 private:
  enum class Timer : uint8_t { kNone, kHello, kConnect, kRestart, kAuth };
  struct Mate {
    uint8_t relation = 0;
    uint8_t presence = 0;
    bool asked = false;
  };

  void SetState(State state);
  void SetTimer(Timer timer, uint64_t at_ms);
  void SendFrame(const protocol::Message& message);
  void SendAuth();
  void Retry(uint32_t after_ms);
  void Fail(const std::string& why);
  void MaybeReady();
  Mate* MateByName(const std::string& username);
  void OnRelayPacket(protocol::ByteSpan packet);
  void OnDeliver(const protocol::MessageDeliver& deliver);
  void Handle(const protocol::Message& message);

  ClientPool* pool_;
  uint32_t index_;
  uint32_t local_;
  Account* account_;
  State state_ = State::kOffline;
  Timer timer_ = Timer::kNone;
  uint64_t timer_ms_ = 0;
  std::optional<client::PresessionExchange> exchange_;
  ENetPeer* peer_ = nullptr;
  std::unique_ptr<protocol::ClientSession> session_;
  uint32_t next_request_id_ = 1;
  uint32_t auth_request_ = 0;
  bool resuming_ = false;
  int register_attempts_ = 0;
  bool list_end_ = false;
  bool mailbox_end_ = false;
  std::vector<Mate> mates_;  // group mates by position in the group
};

}  // namespace hail::bench

#endif  // HAIL_TOOLS_BENCH_SIM_CLIENT_H_
