// Direct links (SPEC.md "Direct links"): rendezvous through the server,
// hole punching on the server session's own socket, a sealed ENet link,
// and moving each contact's messages between the link and the server.
#include <fmt/format.h>

#include <algorithm>
#include <functional>

#include "client/client.h"
#include "client/client_internal.h"
#include "client/enet_transport.h"
#include "protocol/client_session.h"
#include "protocol/registry.h"

namespace hail::client {

using protocol::ErrorCode;
using protocol::LinkRole;
using Stage = DirectPeer::Stage;

namespace {

std::string ReasonFor(ErrorCode code) {
  switch (code) {
    case ErrorCode::kP2pDeclined:
      return "the contact declined a direct link (their setting)";
    case ErrorCode::kNatUnsuitable:
      return "a NAT on the way maps each destination to a new port "
             "(symmetric) or UDP is unavailable, so punching cannot work";
    case ErrorCode::kUnavailable:
      return "the contact is not available for a direct link now";
    case ErrorCode::kNotAContact:
      return "only accepted contacts can have a direct link";
    case ErrorCode::kThrottled:
      return "too many direct-link attempts with this contact; later";
    case ErrorCode::kTimeout:
      return "the contact did not answer the direct-link offer";
    default:
      return fmt::format("the server refused the rendezvous ({})",
                         protocol::ErrorCodeName(code));
  }
}

// direct_ is keyed by user id; a name asked about before the server said
// who it is gets a key with the top bit set (user ids never have it).
constexpr uint64_t kUnknownPeerBit = uint64_t{1} << 63;

uint64_t UnknownPeerKey(const std::string& username) {
  return kUnknownPeerBit | (std::hash<std::string>{}(username) >> 1);
}

// How long the server keeps an offer open (SPEC.md 15.2).
constexpr uint64_t P2pBrokerAnswerWindowMs() { return 15'000; }

}  // namespace

Path Client::ServerPath() const {
  return transport_ && transport_->kind() == TransportKind::kTcp
             ? Path::kTcpRelay
             : Path::kRelay;
}

Path Client::PathTo(std::string_view username) const {
  for (const auto& [id, peer] : direct_) {
    if (peer.username == username && peer.stage == Stage::kUp) {
      return Path::kDirect;
    }
  }
  return ServerPath();
}

void Client::NoteContact(uint64_t user_id, const std::string& username,
                         bool online) {
  DirectPeer& peer = direct_[user_id];
  peer.username = username;
  bool was_online = peer.online;
  peer.online = online;
  uint64_t now = internal::SteadyNowMs();
  if (!online) {
    if (peer.stage != Stage::kIdle) {
      EndDirect(user_id, "the contact went offline", now, false);
    }
    peer.retry_delay_ms = 0;
    peer.retry_at_ms = 0;
    return;
  }
  if (!was_online) MaybeRequestDirect(user_id, now);
}

void Client::MaybeRequestDirect(uint64_t peer_id, uint64_t now_ms) {
  auto it = direct_.find(peer_id);
  if (it == direct_.end()) return;
  DirectPeer& peer = it->second;
  // One side asks (the lower user id), so that two automatic requests
  // never cross; either may ask explicitly with RequestDirectLink.
  if (options_.p2p != P2pPolicy::kAuto || !peer.online ||
      peer.stage != Stage::kIdle || state_ != State::kSecured ||
      logged_in_username_.empty() || ServerPath() != Path::kRelay ||
      discovery_) {  // the NAT's mapping decides; wait for it
    return;
  }
  if (nat_mapping_ == protocol::MappingBehaviour::kEndpointDependent) {
    // Say once per contact why there will be no direct link.
    if (peer.last_failure.empty()) {
      peer.last_failure =
          "this client is behind a symmetric NAT (a new public port per "
          "destination), so no direct link can be punched";
      events_.push_back(PathChanged{peer_id, peer.username, ServerPath(),
                                    peer.last_failure, 0});
    }
    return;
  }
  if (user_id_ == 0 || user_id_ > peer_id || now_ms < peer.retry_at_ms) {
    return;
  }
  if (!RequestDirectLink(peer.username).ok()) {
    peer.retry_at_ms = now_ms + kRetryFirstMs;
  }
}

Status Client::RequestDirectLink(std::string_view username) {
  if (state_ != State::kSecured || logged_in_username_.empty()) {
    return Status::InvalidArgument("not logged in");
  }
  if (options_.p2p == P2pPolicy::kRelayOnly) {
    return Status::InvalidArgument("relay-only: direct links are disabled");
  }
  if (enet_ == nullptr) {
    return Status::InvalidArgument(
        "direct links need UDP; this session runs over the TCP fallback");
  }
  Result<std::string> canonical = internal::CanonicalUsername(username);
  if (!canonical.ok()) return canonical.status();
  // The server decides who may have a link (accepted contacts only); a
  // name this client does not know yet is asked about all the same, and
  // the refusal arrives as a PathChanged with the reason.
  auto it = std::find_if(direct_.begin(), direct_.end(), [&](const auto& e) {
    return e.second.username == *canonical;
  });
  if (it == direct_.end()) {
    it = direct_.emplace(UnknownPeerKey(*canonical), DirectPeer{}).first;
    it->second.username = *canonical;
  }
  DirectPeer& peer = it->second;
  if (peer.stage != Stage::kIdle) return Status::Ok();  // in progress or up
  protocol::P2pRequest request;
  request.request_id = NextRequestId();
  request.peer = peer.username;
  request.mapping = static_cast<uint8_t>(nat_mapping_);
  if (Status status = transport_->Send(session_->Seal(request)); !status.ok()) {
    return status;
  }
  peer.stage = Stage::kRequested;
  peer.request_id = request.request_id;
  peer.stage_deadline_ms = internal::SteadyNowMs() + kRendezvousTimeoutMs;
  return Status::Ok();
}

bool Client::OnP2pRequestResult(const protocol::RequestResult& message) {
  for (auto& [id, peer] : direct_) {
    if (peer.request_id == 0 || peer.request_id != message.request_id) {
      continue;
    }
    peer.request_id = 0;
    if (message.error != ErrorCode::kOk && peer.stage == Stage::kRequested) {
      EndDirect(id, ReasonFor(message.error), internal::SteadyNowMs(), true);
    }
    return true;
  }
  return false;
}

Status Client::AnswerDirectLink(uint64_t session_id, bool accept) {
  if (state_ != State::kSecured || logged_in_username_.empty()) {
    return Status::InvalidArgument("not logged in");
  }
  auto it = std::find_if(direct_.begin(), direct_.end(), [&](const auto& e) {
    return e.second.stage == Stage::kOffered &&
           e.second.session_id == session_id;
  });
  if (it == direct_.end()) {
    return Status::InvalidArgument("no such direct-link offer");
  }
  if (accept && options_.p2p == P2pPolicy::kRelayOnly) {
    return Status::InvalidArgument("relay-only: direct links are disabled");
  }
  if (accept && enet_ == nullptr) {
    return Status::InvalidArgument(
        "direct links need UDP; this session runs over the TCP fallback");
  }
  protocol::P2pAnswer answer;
  answer.request_id = NextRequestId();
  answer.session_id = session_id;
  answer.accept = accept ? 1 : 0;
  answer.mapping = static_cast<uint8_t>(nat_mapping_);
  it->second.stage = accept ? Stage::kRequested : Stage::kIdle;
  it->second.request_id = answer.request_id;
  it->second.stage_deadline_ms = internal::SteadyNowMs() + kRendezvousTimeoutMs;
  return transport_->Send(session_->Seal(answer));
}

void Client::Handle(const protocol::P2pOffer& message) {
  DirectPeer& peer = direct_[message.peer_id];
  peer.username = message.peer;
  peer.online = true;
  uint64_t now = internal::SteadyNowMs();
  // A new offer replaces whatever this side still believed in.
  if (peer.stage != Stage::kIdle) EndDirect(message.peer_id, "", now, false);
  peer.stage = Stage::kOffered;
  peer.session_id = message.session_id;
  peer.stage_deadline_ms = now + P2pBrokerAnswerWindowMs();
  switch (options_.p2p) {
    case P2pPolicy::kAuto:
      AnswerDirectLink(
          message.session_id,
          nat_mapping_ != protocol::MappingBehaviour::kEndpointDependent);
      break;
    case P2pPolicy::kRelayOnly:
      AnswerDirectLink(message.session_id, false);
      break;
    case P2pPolicy::kAsk:
      events_.push_back(
          DirectLinkOffered{message.peer_id, message.peer, message.session_id});
      break;
  }
}

void Client::Handle(const protocol::P2pReady& message) {
  if (options_.p2p == P2pPolicy::kRelayOnly || enet_ == nullptr ||
      message.role > static_cast<uint8_t>(LinkRole::kConnector)) {
    ++counters_.unexpected_messages;
    return;
  }
  DirectPeer& peer = direct_[message.peer_id];
  uint64_t now = internal::SteadyNowMs();
  if (peer.stage == Stage::kUp || peer.link != 0) {
    EndDirect(message.peer_id, "", now, false);
  }
  peer.username = message.peer;
  peer.online = true;
  peer.stage = Stage::kPunching;
  peer.session_id = message.session_id;
  peer.role = static_cast<LinkRole>(message.role);
  peer.keys = protocol::DeriveLinkKeys(message.session_key, message.session_id);
  // A failure is counted in key_log_failures; the link goes on without it.
  AppendKeyLog(
      protocol::FormatLinkKeyLogLine(message.session_id, message.session_key));
  peer.ready_ms = now;
  peer.hello_deadline_ms = 0;
  nat::PunchPlan plan;
  plan.session_id = message.session_id;
  plan.role = peer.role;
  plan.peer_public = message.peer_public;
  plan.peer_lan = message.peer_lan;
  plan.probe_key = peer.keys.probe;
  peer.punch = std::make_unique<nat::HolePunch>(plan, now);
  SendPunchOutput(message.peer_id, peer.punch->Start(now));
  if (peer.punch->state() == nat::HolePunch::State::kFailed) {
    EndDirect(message.peer_id, peer.punch->failure(), now, true);
  }
}

void Client::Handle(const protocol::P2pClosed& message) {
  auto it = direct_.find(message.peer_id);
  if (it == direct_.end()) return;
  DirectPeer& peer = it->second;
  if (peer.stage == Stage::kIdle || peer.stage == Stage::kUp) return;
  if (peer.session_id != 0 && peer.session_id != message.session_id &&
      peer.stage != Stage::kRequested) {
    return;  // about an older attempt
  }
  EndDirect(message.peer_id, ReasonFor(message.reason), internal::SteadyNowMs(),
            true);
}

void Client::SendPunchOutput(uint64_t peer_id, nat::HolePunch::Output output) {
  for (const auto& [to, bytes] : output.datagrams) {
    enet_->SendRawTo(to, bytes);  // a lost probe is like a dropped one
  }
  if (!output.connect_to) return;
  DirectPeer& peer = direct_[peer_id];
  Result<uint32_t> link = enet_->ConnectLink(
      *output.connect_to, static_cast<uint32_t>(peer.session_id));
  if (link.ok()) peer.link = *link;
}

void Client::OnProbeDatagram(const protocol::Endpoint& from,
                             const protocol::Bytes& datagram, uint64_t now_ms) {
  Observe(datagram);
  std::optional<uint64_t> session_id = protocol::PeekProbeSession(datagram);
  for (auto& [id, peer] : direct_) {
    if (!session_id || peer.session_id != *session_id || !peer.punch) continue;
    uint64_t invalid = peer.punch->probes_invalid();
    nat::HolePunch::Output out = peer.punch->OnProbe(from, datagram, now_ms);
    counters_.probes_invalid += peer.punch->probes_invalid() - invalid;
    SendPunchOutput(id, std::move(out));
    return;
  }
  ++counters_.probes_invalid;
}

bool Client::AdmitLinkConnect(const protocol::Endpoint& from,
                              uint32_t data) const {
  for (const auto& [id, peer] : direct_) {
    if (peer.stage == Stage::kPunching && peer.link == 0 && peer.punch &&
        peer.role == LinkRole::kListener &&
        static_cast<uint32_t>(peer.session_id) == data &&
        peer.punch->AdmitsConnect(from)) {
      return true;
    }
  }
  return false;
}

DirectPeer* Client::PeerByLink(uint32_t link, uint64_t* peer_id) {
  for (auto& [id, peer] : direct_) {
    if (link != 0 && peer.link == link) {
      *peer_id = id;
      return &peer;
    }
  }
  return nullptr;
}

void Client::OnLinkConnected(uint32_t link, const protocol::Endpoint& from,
                             uint32_t data, uint64_t now_ms) {
  uint64_t peer_id = 0;
  DirectPeer* peer = PeerByLink(link, &peer_id);
  if (peer == nullptr) {  // accepted: match it as the filter did
    for (auto& [id, p] : direct_) {
      if (p.stage == Stage::kPunching && p.link == 0 && p.punch &&
          p.role == LinkRole::kListener &&
          static_cast<uint32_t>(p.session_id) == data &&
          p.punch->AdmitsConnect(from)) {
        p.link = link;
        peer = &p;
        peer_id = id;
        break;
      }
    }
  }
  if (peer == nullptr) {
    enet_->CloseLink(link);
    return;
  }
  peer->channel = std::make_unique<protocol::SecureChannel>(
      peer->keys.channel, peer->role == LinkRole::kConnector
                              ? protocol::SecureChannel::Role::kClient
                              : protocol::SecureChannel::Role::kServer);
  peer->hello_deadline_ms = now_ms + kLinkHelloTimeoutMs;
  protocol::OutgoingFrame frame = protocol::SealMessage(
      *peer->channel, protocol::LinkHello{peer->session_id, user_id_});
  enet_->SendOnLink(link, frame);
}

void Client::OnLinkPacket(uint32_t link, uint8_t channel,
                          const protocol::Bytes& packet, uint64_t now_ms) {
  uint64_t peer_id = 0;
  DirectPeer* peer = PeerByLink(link, &peer_id);
  if (peer == nullptr || !peer->channel) {
    ++counters_.link_frames_dropped;
    return;
  }
  protocol::Bytes plaintext;
  if (peer->channel->Open(channel, packet, &plaintext) !=
      protocol::OpenStatus::kOk) {
    ++counters_.link_frames_dropped;
    return;
  }
  Observe(plaintext);
  protocol::Decoded decoded = protocol::DecodeMessage(plaintext);
  const protocol::KindInfo* info = protocol::FindKind(decoded.kind);
  if (decoded.status != protocol::DecodeStatus::kOk || info == nullptr ||
      info->direction != protocol::Direction::kPeerToPeer ||
      info->channel != channel) {
    ++counters_.link_frames_dropped;
    return;
  }
  if (peer->stage != Stage::kUp) {
    const auto* hello = std::get_if<protocol::LinkHello>(&decoded.message);
    if (hello == nullptr || hello->session_id != peer->session_id ||
        hello->user_id != peer_id) {
      ++counters_.link_frames_dropped;
      EndDirect(peer_id, "the direct link failed authentication", now_ms, true);
      return;
    }
    peer->stage = Stage::kUp;
    peer->punch->OnLinkUp();
    peer->retry_delay_ms = 0;
    peer->last_failure.clear();
    ++counters_.direct_links_up;
    events_.push_back(PathChanged{peer_id, peer->username, Path::kDirect, "",
                                  now_ms - peer->ready_ms});
    return;
  }
  if (const auto* m = std::get_if<protocol::DirectMessage>(&decoded.message)) {
    OnDirectMessage(peer_id, *m);
  } else if (const auto* a =
                 std::get_if<protocol::DirectAck>(&decoded.message)) {
    OnDirectAck(*a);
  } else {
    ++counters_.link_frames_dropped;
  }
}

void Client::OnDirectMessage(uint64_t peer_id,
                             const protocol::DirectMessage& m) {
  DirectPeer& peer = direct_[peer_id];
  if (!protocol::IsValidUtf8(m.text) || m.text.empty()) {
    ++counters_.link_frames_dropped;
    return;
  }
  ++counters_.direct_messages_received;
  // One id, whichever path brings it: a copy that also comes through the
  // server later is acknowledged there and not reported again.
  if (dedup_.Record(peer_id, m.message_id) == DeliveryDedup::Seen::kNew) {
    MessageReceived received;
    received.message_id = m.message_id;
    received.sender_id = peer_id;
    received.sender = peer.username;
    received.accepted_unix = m.sent_unix;
    received.text = m.text;
    received.path = Path::kDirect;
    events_.push_back(std::move(received));
  }
  enet_->SendOnLink(
      peer.link,
      protocol::SealMessage(*peer.channel, protocol::DirectAck{m.message_id}));
}

void Client::OnDirectAck(const protocol::DirectAck& m) {
  auto it = direct_sent_.find(m.message_id);
  if (it == direct_sent_.end()) return;  // already moved to the server
  direct_sent_.erase(it);
  std::optional<protocol::SendMessage> sent = outbox_.Take(m.message_id);
  if (!sent) return;
  MessageAccepted accepted;
  accepted.restored = restored_ids_.contains(m.message_id);
  ForgetStoredMessage(m.message_id);
  accepted.message_id = m.message_id;
  accepted.route = protocol::Route::kLive;
  accepted.accepted_unix = internal::UnixNow();
  accepted.recipient = std::move(sent->recipient);
  accepted.path = Path::kDirect;
  events_.push_back(std::move(accepted));
}

void Client::OnLinkDisconnected(uint32_t link, uint64_t now_ms) {
  uint64_t peer_id = 0;
  DirectPeer* peer = PeerByLink(link, &peer_id);
  if (peer == nullptr) return;
  peer->link = 0;
  if (peer->stage == Stage::kUp) {
    EndDirect(peer_id, "the direct link stopped answering", now_ms, true);
    return;
  }
  if (peer->stage == Stage::kPunching && peer->punch) {
    peer->channel.reset();
    peer->hello_deadline_ms = 0;
    SendPunchOutput(peer_id, peer->punch->OnConnectFailed(now_ms));
  }
}

void Client::EndDirect(uint64_t peer_id, std::string reason, uint64_t now_ms,
                       bool retry) {
  DirectPeer& peer = direct_[peer_id];
  bool was_up = peer.stage == Stage::kUp;
  if (peer.link != 0 && enet_ != nullptr) enet_->CloseLink(peer.link);
  peer.link = 0;
  peer.channel.reset();
  peer.punch.reset();
  peer.stage = Stage::kIdle;
  peer.session_id = 0;
  peer.hello_deadline_ms = 0;
  FallBackToServer(peer_id);
  if (reason.empty()) return;
  if (!was_up) ++counters_.direct_links_failed;
  peer.last_failure = reason;
  events_.push_back(
      PathChanged{peer_id, peer.username, ServerPath(), std::move(reason), 0});
  if (retry) {
    peer.retry_delay_ms = peer.retry_delay_ms == 0
                              ? kRetryFirstMs
                              : std::min(peer.retry_delay_ms * 2, kRetryMaxMs);
    peer.retry_at_ms = now_ms + peer.retry_delay_ms;
  }
}

void Client::FallBackToServer(uint64_t peer_id) {
  bool can_send = state_ == State::kSecured && !logged_in_username_.empty() &&
                  !reconnect_.active;
  for (auto it = direct_sent_.begin(); it != direct_sent_.end();) {
    if (peer_id != 0 && it->second.peer_id != peer_id) {
      ++it;
      continue;
    }
    // The outbox still holds it; after a reconnect it is resent anyway.
    for (const Outbox::Entry& entry : outbox_.entries()) {
      if (entry.message.message_id == it->first && can_send) {
        ++counters_.direct_fallbacks;
        SendOutboxMessage(entry.message);
      }
    }
    it = direct_sent_.erase(it);
  }
}

void Client::OnDirectTimers(uint64_t now_ms) {
  std::vector<uint64_t> unanswered;
  for (const auto& [id, sent] : direct_sent_) {
    if (now_ms >= sent.deadline_ms) unanswered.push_back(sent.peer_id);
  }
  for (uint64_t peer_id : unanswered) {
    // No DIRECT_ACK in time: the link is not trustworthy any more.
    if (direct_[peer_id].stage == Stage::kIdle) continue;
    EndDirect(peer_id, "a message over the direct link got no answer in time",
              now_ms, true);
  }
  std::vector<uint64_t> ids;
  for (const auto& [id, peer] : direct_) ids.push_back(id);
  for (uint64_t id : ids) {
    DirectPeer& peer = direct_[id];
    if (peer.stage == Stage::kIdle) {
      if (peer.retry_at_ms != 0 && now_ms >= peer.retry_at_ms) {
        MaybeRequestDirect(id, now_ms);
      }
      continue;
    }
    if ((peer.stage == Stage::kRequested || peer.stage == Stage::kOffered) &&
        now_ms >= peer.stage_deadline_ms) {
      // An offer the application left unanswered lapses quietly.
      EndDirect(id,
                peer.stage == Stage::kRequested
                    ? "no answer to the direct-link request in time"
                    : "",
                now_ms, peer.stage == Stage::kRequested);
      continue;
    }
    if (peer.stage != Stage::kPunching || !peer.punch) continue;
    if (peer.hello_deadline_ms != 0 && now_ms >= peer.hello_deadline_ms) {
      EndDirect(id, "the peer did not authenticate the direct link in time",
                now_ms, true);
      continue;
    }
    if (now_ms >= peer.punch->next_deadline_ms()) {
      SendPunchOutput(id, peer.punch->OnTimer(now_ms));
      if (peer.punch->state() == nat::HolePunch::State::kFailed) {
        EndDirect(id, peer.punch->failure(), now_ms, true);
      }
    }
  }
}

std::optional<uint64_t> Client::NextDirectDeadlineMs() const {
  std::optional<uint64_t> next;
  auto consider = [&next](uint64_t t) {
    if (t != 0 && (!next || t < *next)) next = t;
  };
  for (const auto& [id, sent] : direct_sent_) consider(sent.deadline_ms);
  for (const auto& [id, peer] : direct_) {
    if (peer.stage == Stage::kIdle && peer.online) consider(peer.retry_at_ms);
    if (peer.stage == Stage::kRequested || peer.stage == Stage::kOffered) {
      consider(peer.stage_deadline_ms);
    }
    if (peer.stage == Stage::kPunching && peer.punch) {
      consider(peer.punch->next_deadline_ms());
      consider(peer.hello_deadline_ms);
    }
  }
  return next;
}

void Client::ResetDirectLinks() {
  // The links die with the transport (and its NAT mapping); unanswered
  // direct messages stay in the outbox, which a reconnect resends.
  direct_sent_.clear();
  std::vector<uint64_t> ids;
  for (const auto& [id, peer] : direct_) ids.push_back(id);
  for (uint64_t id : ids) {
    DirectPeer& peer = direct_[id];
    bool was_up = peer.stage == Stage::kUp;
    peer.link = 0;  // the transport is going; nothing to close
    EndDirect(id, was_up ? "the connection to the server dropped" : "",
              internal::SteadyNowMs(), false);
    peer.online = false;
    peer.retry_at_ms = 0;
    peer.retry_delay_ms = 0;
  }
}

}  // namespace hail::client
