#include "tools/bench/sim_client.h"

#include <fmt/format.h>
#include <sodium.h>

#include <cstring>

#include "protocol/byte_io.h"
#include "protocol/error_code.h"
#include "tools/bench/client_pool.h"

namespace hail::bench {
namespace {

constexpr char kClientVersion[] = "hail-bench/0.2";
constexpr uint64_t kRestartDelayMs = 200;
// A CONNECT unanswered this long starts over with a new HELLO (SPEC.md
// 3.5.4, step 4). A draining haild still answers HELLO but drops CONNECTs;
// waiting out ENet's own 5-15 s connect timeout would measure the client,
// not the server. Loopback answers in well under a millisecond.
constexpr uint64_t kConnectTimeoutMs = 2000;

uint32_t ReadU32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) |
         (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}

template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

}  // namespace

SimClient::SimClient(ClientPool* pool, uint32_t index, uint32_t local,
                     Account* account)
    : pool_(pool), index_(index), local_(local), account_(account) {
  const PairPicker& picker = pool_->picker();
  mates_.resize(picker.GroupEnd(index) - picker.GroupBegin(index));
}

void SimClient::SetState(State state) {
  State from = state_;
  state_ = state;
  if (from != state) pool_->OnStateChange(*this, from, state);
}

void SimClient::SetTimer(Timer timer, uint64_t at_ms) {
  timer_ = timer;
  timer_ms_ = at_ms;
  if (timer != Timer::kNone) pool_->Schedule(*this, at_ms);
}

void SimClient::Start(uint64_t now_ms) {
  if (state_ != State::kOffline) return;
  SetTimer(Timer::kNone, 0);
  list_end_ = mailbox_end_ = false;
  if (pool_->options().mode == PoolMode::kRelay) {
    peer_ = pool_->Connect(*this, 0);
    SetState(peer_ ? State::kConnecting : State::kOffline);
    if (!peer_) Fail("no free ENet peer slot");
    if (peer_) SetTimer(Timer::kConnect, now_ms + kConnectTimeoutMs);
    return;
  }
  uint64_t nonce;
  randombytes_buf(&nonce, sizeof nonce);
  exchange_.emplace(nonce, now_ms);
  pool_->SendHello(*this, exchange_->hello());
  SetState(State::kAwaitingCookie);
  SetTimer(Timer::kHello, exchange_->next_timer_ms());
}

void SimClient::Leave() {
  SetTimer(Timer::kNone, 0);
  exchange_.reset();
  if (peer_ != nullptr && peer_->state == ENET_PEER_STATE_CONNECTED) {
    enet_peer_disconnect(peer_, 0);
    pool_->Send(*this, 0, {});  // flush soon
    SetState(State::kClosing);
  } else {
    if (peer_ != nullptr) {
      // Not connected yet: ENet resets the peer at once, with no event.
      peer_->data = nullptr;
      enet_peer_reset(peer_);
      peer_ = nullptr;
    }
    session_.reset();
    SetState(State::kOffline);
  }
}

void SimClient::OnTimer(uint64_t now_ms) {
  if (timer_ == Timer::kNone || now_ms < timer_ms_) return;
  Timer timer = timer_;
  timer_ = Timer::kNone;
  switch (timer) {
    case Timer::kHello:
      if (state_ != State::kAwaitingCookie || !exchange_) return;
      if (exchange_->OnTimer(now_ms)) {
        pool_->progress().hello_retries.fetch_add(1, std::memory_order_relaxed);
        pool_->SendHello(*this, exchange_->hello());
      }
      if (exchange_->state() == client::PresessionExchange::State::kTimedOut) {
        // Server unreachable for 5 s (restarting?): start over.
        exchange_.reset();
        SetState(State::kOffline);
        if (pool_->wanted(*this)) SetTimer(Timer::kRestart, now_ms);
        return;
      }
      SetTimer(Timer::kHello, exchange_->next_timer_ms());
      return;
    case Timer::kConnect:
      if (state_ == State::kConnecting && peer_ != nullptr) {
        pool_->progress().connect_retries.fetch_add(1,
                                                    std::memory_order_relaxed);
        peer_->data = nullptr;
        enet_peer_reset(peer_);
        peer_ = nullptr;
        SetState(State::kOffline);
        if (pool_->wanted(*this)) pool_->QueueStart(*this);
      }
      return;
    case Timer::kRestart:
      if (state_ == State::kOffline && pool_->wanted(*this)) {
        pool_->QueueStart(*this);
      }
      return;
    case Timer::kAuth:
      if (state_ == State::kAuthenticating) SendAuth();
      return;
    case Timer::kNone:
      return;
  }
}

bool SimClient::OnPresession(protocol::ByteSpan datagram, uint64_t now_ms) {
  if (state_ != State::kAwaitingCookie || !exchange_) return false;
  using Outcome = client::PresessionExchange::DatagramOutcome;
  Outcome outcome = exchange_->OnDatagram(datagram);
  if (outcome == Outcome::kIgnored) return false;
  if (outcome == Outcome::kReject) {
    Fail("the server rejected the pre-session version");
    exchange_.reset();
    SetState(State::kOffline);
    return true;
  }
  uint32_t cookie = exchange_->cookie().cookie;
  exchange_.reset();
  SetTimer(Timer::kNone, 0);
  peer_ = pool_->Connect(*this, cookie);
  if (peer_ == nullptr) {
    Fail("no free ENet peer slot");
    SetState(State::kOffline);
    SetTimer(Timer::kRestart, now_ms + kRestartDelayMs);
    return true;
  }
  SetState(State::kConnecting);
  SetTimer(Timer::kConnect, now_ms + kConnectTimeoutMs);
  return true;
}

void SimClient::OnConnected(ENetPeer* peer) {
  peer_ = peer;
  if (state_ != State::kConnecting) return;
  SetTimer(Timer::kNone, 0);
  if (pool_->options().mode == PoolMode::kRelay) {
    uint8_t join[5] = {kRelayJoin, static_cast<uint8_t>(index_ >> 24),
                       static_cast<uint8_t>(index_ >> 16),
                       static_cast<uint8_t>(index_ >> 8),
                       static_cast<uint8_t>(index_)};
    pool_->Send(*this, 0, protocol::ByteSpan(join, sizeof join));
    SetState(State::kAuthenticating);
    return;
  }
  session_ = std::make_unique<protocol::ClientSession>(pool_->identity());
  protocol::OutgoingFrame hello = session_->Start();
  pool_->Send(*this, hello.channel, hello.bytes);
  SetState(State::kHandshaking);
}

void SimClient::SendFrame(const protocol::Message& message) {
  if (!session_ ||
      session_->state() != protocol::ClientSession::State::kSecured)
    return;
  protocol::OutgoingFrame frame = session_->Seal(message);
  if (frame.bytes.empty()) {
    Fail("a message broke a field limit");
    return;
  }
  pool_->Send(*this, frame.channel, frame.bytes);
}

void SimClient::SendAuth() {
  SetState(State::kAuthenticating);
  auth_request_ = next_request_id_++;
  protocol::Endpoint lan = pool_->LocalEndpoint(*this);
  const BenchState& state = pool_->state();
  if (!account_->registered) {
    protocol::RegisterRequest request;
    request.request_id = auth_request_;
    request.username = state.Username(index_);
    request.password = state.password();
    SendFrame(request);
    return;
  }
  resuming_ = account_->token.has_value();
  if (resuming_) {
    protocol::ResumeRequest request;
    request.request_id = auth_request_;
    request.username = state.Username(index_);
    request.token = *account_->token;
    request.client_version = kClientVersion;
    request.lan_endpoint = lan;
    SendFrame(request);
    return;
  }
  protocol::LoginRequest request;
  request.request_id = auth_request_;
  request.username = state.Username(index_);
  request.password = state.password();
  request.client_version = kClientVersion;
  request.lan_endpoint = lan;
  SendFrame(request);
}

void SimClient::Retry(uint32_t after_ms) {
  SetTimer(Timer::kAuth, pool_->now_ms() + std::max<uint32_t>(after_ms, 50));
}

void SimClient::Fail(const std::string& why) {
  pool_->Error(fmt::format("client {}: {}", index_, why));
}

void SimClient::OnReceive(uint8_t channel, protocol::ByteSpan packet) {
  if (pool_->options().mode == PoolMode::kRelay) {
    OnRelayPacket(packet);
    return;
  }
  if (!session_) return;
  bool handshaking = state_ == State::kHandshaking;
  protocol::ClientSession::Output output = session_->OnPacket(channel, packet);
  if (handshaking) {
    if (output.secured) {
      if (!pool_->identity()) pool_->PinIdentity(session_->server_identity());
      SendAuth();
    } else if (session_->state() == protocol::ClientSession::State::kFailed) {
      using Failure = protocol::ClientSession::Failure;
      Failure failure = session_->failure();
      Fail(failure == Failure::kIdentityMismatch
               ? "the server identity differs from the one pinned in the "
                 "bench state (a new haild data dir? remove the identity "
                 "line of STATE/accounts)"
               : fmt::format("handshake failed ({})",
                             static_cast<int>(failure)));
      Leave();
    }
    return;
  }
  if (output.drop != protocol::DropReason::kNone) {
    Fail("the server sent a frame that was dropped");
  }
  if (output.message) Handle(*output.message);
}

void SimClient::Handle(const protocol::Message& message) {
  using protocol::ErrorCode;
  std::visit(
      Overloaded{
          [&](const protocol::RegisterResult& r) {
            if (r.request_id != auth_request_) return;
            if (r.error == ErrorCode::kOk ||
                r.error == ErrorCode::kUsernameTaken) {
              if (r.error == ErrorCode::kOk) {
                pool_->progress().registrations.fetch_add(1);
              }
              account_->registered = true;
              account_->token.reset();
              SendAuth();
            } else if (r.error == ErrorCode::kThrottled ||
                       r.error == ErrorCode::kServerBusy) {
              Retry(r.retry_after_ms ? r.retry_after_ms : 200);
            } else {
              Fail(fmt::format("REGISTER failed: {}",
                               protocol::ErrorCodeName(r.error)));
            }
          },
          [&](const protocol::LoginResult& r) {
            if (r.request_id != auth_request_) return;
            if (r.error == ErrorCode::kOk) {
              account_->token = r.token;
              (resuming_ ? pool_->progress().resumes
                         : pool_->progress().password_logins)
                  .fetch_add(1, std::memory_order_relaxed);
              for (Mate& m : mates_) m = Mate{};
              SetState(State::kLoggedIn);
              MaybeReady();
            } else if (r.error == ErrorCode::kTokenInvalid) {
              account_->token.reset();
              SendAuth();
            } else if (r.error == ErrorCode::kInvalidCredentials &&
                       register_attempts_++ == 0) {
              account_->registered = false;  // a new server data dir
              SendAuth();
            } else if (r.error == ErrorCode::kThrottled ||
                       r.error == ErrorCode::kServerBusy) {
              Retry(r.retry_after_ms ? r.retry_after_ms : 200);
            } else {
              Fail(fmt::format("{} failed: {}", resuming_ ? "RESUME" : "LOGIN",
                               protocol::ErrorCodeName(r.error)));
            }
          },
          [&](const protocol::ContactUpdate& u) {
            if (Mate* m = MateByName(u.username)) {
              m->relation = u.relation;
              m->presence = u.presence;
              if (state_ == State::kReady) FixContacts();
            }
          },
          [&](const protocol::PresenceUpdate& u) {
            if (Mate* m = MateByName(u.username)) m->presence = u.presence;
          },
          [&](const protocol::ContactListEnd& e) {
            if (e.request_id != 0) return;
            list_end_ = true;
            MaybeReady();
          },
          [&](const protocol::MailboxEnd&) {
            mailbox_end_ = true;
            MaybeReady();
          },
          [&](const protocol::MessageDeliver& d) { OnDeliver(d); },
          [&](const protocol::ContactRequestNotice& n) {
            SendFrame(protocol::ItemAck{n.item_id, 0});
          },
          [&](const protocol::ContactAnswerNotice& n) {
            SendFrame(protocol::ItemAck{n.item_id, 0});
          },
          [&](const protocol::DeliveryReceipt& r) {
            SendFrame(protocol::ItemAck{r.item_id, 0});
          },
          [&](const protocol::MessageAccepted& a) {
            PoolProgress& p = pool_->progress();
            if (a.error != ErrorCode::kOk) {
              p.accept_errors.fetch_add(1, std::memory_order_relaxed);
              Fail(fmt::format("MESSAGE_ACCEPTED {}",
                               protocol::ErrorCodeName(a.error)));
            } else if (a.route ==
                       static_cast<uint8_t>(protocol::Route::kLive)) {
              p.accepted_live.fetch_add(1, std::memory_order_relaxed);
            } else {
              p.accepted_stored.fetch_add(1, std::memory_order_relaxed);
            }
          },
          [&](const protocol::RequestResult& r) {
            if (r.error != ErrorCode::kOk) {
              Fail(fmt::format("contact request failed: {}",
                               protocol::ErrorCodeName(r.error)));
            }
          },
          [&](const protocol::SessionEnded& e) {
            if (!pool_->expect_disconnect()) {
              Fail(fmt::format("SESSION_ENDED {}",
                               protocol::ErrorCodeName(e.reason)));
            }
          },
          [&](const protocol::ErrorMessage& e) {
            Fail(fmt::format("ERROR {} about kind {:#06x}",
                             protocol::ErrorCodeName(e.error),
                             e.offending_kind));
          },
          [&](const auto&) {},
      },
      message);
}

void SimClient::OnDeliver(const protocol::MessageDeliver& d) {
  SendFrame(protocol::ItemAck{d.message_id, d.sender_id});
  std::optional<MessageStamp> stamp = DecodeStamp(d.text);
  if (!stamp) {
    Fail("got a message that is not a bench stamp");
    return;
  }
  if (stamp->run == pool_->ledger().run() &&
      d.sender != pool_->state().Username(stamp->sender)) {
    Fail(fmt::format("message {}#{} claims sender {} but came from {}",
                     stamp->sender, stamp->seq, stamp->sender, d.sender));
    return;
  }
  DeliveryLedger::Verdict verdict =
      pool_->ledger().RecordDelivery(index_, *stamp, pool_->ClockNowNs());
  if (verdict == DeliveryLedger::Verdict::kOk) {
    pool_->progress().delivered.fetch_add(1, std::memory_order_relaxed);
  } else if (verdict == DeliveryLedger::Verdict::kOtherRun) {
    pool_->progress().stale_deliveries.fetch_add(1, std::memory_order_relaxed);
  }
}

void SimClient::OnRelayPacket(protocol::ByteSpan packet) {
  if (packet.empty()) return;
  if (packet[0] == kRelayJoined) {
    if (state_ == State::kAuthenticating) SetState(State::kReady);
    return;
  }
  if (packet[0] != kRelayForward || packet.size() < 5) {
    Fail("bad relay packet");
    return;
  }
  std::string_view text(reinterpret_cast<const char*>(packet.data() + 5),
                        packet.size() - 5);
  std::optional<MessageStamp> stamp = DecodeStamp(text);
  if (!stamp || ReadU32(packet.data() + 1) != index_) {
    Fail("relay delivered a packet addressed to someone else");
    if (!stamp) return;
  }
  if (pool_->ledger().RecordDelivery(index_, *stamp, pool_->ClockNowNs()) ==
      DeliveryLedger::Verdict::kOk) {
    pool_->progress().delivered.fetch_add(1, std::memory_order_relaxed);
  }
}

void SimClient::MaybeReady() {
  if (state_ != State::kLoggedIn || !list_end_ || !mailbox_end_) return;
  SetState(State::kReady);
  FixContacts();
}

SimClient::Mate* SimClient::MateByName(const std::string& username) {
  std::optional<uint32_t> index = pool_->state().IndexOf(username);
  if (!index) return nullptr;
  uint32_t begin = pool_->picker().GroupBegin(index_);
  if (*index < begin || *index - begin >= mates_.size() || *index == index_)
    return nullptr;
  return &mates_[*index - begin];
}

void SimClient::FixContacts() {
  if (!pool_->contacts_wanted()) return;
  uint32_t begin = pool_->picker().GroupBegin(index_);
  for (uint32_t i = 0; i < mates_.size(); ++i) {
    uint32_t mate = begin + i;
    Mate& m = mates_[i];
    if (mate == index_ || m.asked) continue;
    auto relation = static_cast<protocol::Relation>(m.relation);
    if (relation == protocol::Relation::kNone && index_ < mate) {
      m.asked = true;
      SendFrame(protocol::ContactAdd{next_request_id_++,
                                     pool_->state().Username(mate), ""});
    } else if (relation == protocol::Relation::kPending) {
      m.asked = true;
      SendFrame(protocol::ContactAnswer{next_request_id_++,
                                        pool_->state().Username(mate), 1});
    }
  }
}

bool SimClient::contacts_complete() const {
  uint32_t begin = pool_->picker().GroupBegin(index_);
  for (uint32_t i = 0; i < mates_.size(); ++i) {
    if (begin + i == index_) continue;
    if (mates_[i].relation !=
        static_cast<uint8_t>(protocol::Relation::kAccepted))
      return false;
  }
  return true;
}

bool SimClient::sees_offline(const std::function<bool(uint32_t)>& mates) const {
  uint32_t group = pool_->picker().GroupBegin(index_);
  for (uint32_t i = 0; i < mates_.size(); ++i) {
    uint32_t mate = group + i;
    if (mate == index_ || !mates(mate)) continue;
    if (mates_[i].presence != 0) return false;
  }
  return true;
}

void SimClient::SendChat(uint32_t recipient, const std::string& text) {
  if (pool_->options().mode == PoolMode::kRelay) {
    std::vector<uint8_t> packet(5 + text.size());
    packet[0] = kRelayForward;
    packet[1] = static_cast<uint8_t>(recipient >> 24);
    packet[2] = static_cast<uint8_t>(recipient >> 16);
    packet[3] = static_cast<uint8_t>(recipient >> 8);
    packet[4] = static_cast<uint8_t>(recipient);
    std::memcpy(packet.data() + 5, text.data(), text.size());
    pool_->Send(*this, 1, packet);
    return;
  }
  protocol::SendMessage message;
  // Unique per (sender, message): the stamp names run, sender and seq.
  crypto_generichash(message.message_id.data(), message.message_id.size(),
                     reinterpret_cast<const uint8_t*>(text.data()), text.size(),
                     nullptr, 0);
  message.recipient = pool_->state().Username(recipient);
  message.sent_unix = static_cast<uint64_t>(time(nullptr));
  message.text = text;
  SendFrame(message);
}

void SimClient::OnDisconnected(uint32_t data) {
  peer_ = nullptr;
  session_.reset();
  State was = state_;
  if (was != State::kClosing && was != State::kConnecting &&
      !pool_->expect_disconnect()) {
    pool_->progress().unexpected_disconnects.fetch_add(1);
    Fail(fmt::format("disconnected by the server (data {})", data));
  }
  SetState(State::kOffline);
  if (pool_->wanted(*this)) {
    pool_->progress().reconnects.fetch_add(1, std::memory_order_relaxed);
    // Spread restarts so a restarted server is not hit by all at once.
    SetTimer(Timer::kRestart,
             pool_->now_ms() + kRestartDelayMs + randombytes_uniform(300));
  }
}

}  // namespace hail::bench
