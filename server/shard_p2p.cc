// Rendezvous for direct links (SPEC.md "Direct links"): a logged-in user
// asks for a link with an accepted contact, the contact's client answers,
// and only after that consent does either side learn the other's
// endpoints. Refusals never say more than the contact's presence already
// does: a blocked requester hears UNAVAILABLE, as for an offline contact.
#include <sodium.h>

#include "server/p2p_broker.h"
#include "server/shard.h"

namespace hail::server {

using protocol::ErrorCode;
using protocol::MappingBehaviour;

namespace {

std::string PairKey(uint64_t a, uint64_t b) {
  if (a > b) std::swap(a, b);
  return std::to_string(a) + ":" + std::to_string(b);
}

uint64_t RandomSessionId() {
  uint64_t id = 0;
  while (id == 0) randombytes_buf(&id, sizeof id);
  return id;
}

}  // namespace

const Shard::ContactView* Shard::AcceptedContact(const PeerSession& s,
                                                 uint64_t peer) const {
  auto it = s.contacts.find(peer);
  if (it == s.contacts.end() || !it->second.SeesPresence()) return nullptr;
  return &it->second;
}

void Shard::CloseRendezvous(uint64_t user, uint64_t session_id,
                            uint64_t peer_id, const std::string& peer_name,
                            ErrorCode reason) {
  shared_->counters->p2p_closed++;
  WithUser(
      user,
      [this, session_id, peer_id, peer_name, reason](PeerSession& s) {
        SendMessage(
            s, protocol::P2pClosed{session_id, peer_id, peer_name, reason});
      },
      nullptr);
}

void Shard::OnP2pRequest(PeerSession& s, const protocol::P2pRequest& r) {
  Counters& counters = *shared_->counters;
  counters.p2p_requests++;
  auto answer = [&](ErrorCode error) {
    if (error != ErrorCode::kOk) counters.p2p_refused++;
    SendMessage(s, protocol::RequestResult{r.request_id, error});
  };
  if (r.mapping >= protocol::kMappingBehaviourEnd) {
    return answer(ErrorCode::kMalformed);
  }
  std::optional<std::string> name = protocol::NormalizeUsername(r.peer);
  uint64_t me = s.session.user_id();
  uint64_t peer_id = 0;
  if (name) {
    for (const auto& [id, view] : s.contacts) {
      if (view.username == *name && view.SeesPresence()) peer_id = id;
    }
  }
  if (peer_id == 0 || peer_id == me) return answer(ErrorCode::kNotAContact);
  if (r.mapping == static_cast<uint8_t>(MappingBehaviour::kEndpointDependent) ||
      !s.CanLinkDirectly()) {
    return answer(ErrorCode::kNatUnsuitable);
  }
  if (!shared_->p2p_per_pair->TryAcquire(PairKey(me, peer_id), now_ms_)) {
    counters.throttled++;
    return answer(ErrorCode::kThrottled);
  }
  Rendezvous rendezvous;
  rendezvous.session_id = RandomSessionId();
  rendezvous.requester = me;
  rendezvous.requester_name = s.session.username();
  rendezvous.peer = peer_id;
  rendezvous.peer_name = *name;
  if (!shared_->p2p_broker->Open(rendezvous, now_ms_)) {
    // One rendezvous per pair at a time (or the broker is full).
    return answer(ErrorCode::kThrottled);
  }
  answer(ErrorCode::kOk);

  // The offer goes to the contact only if they, too, still accept this user.
  WithUser(
      peer_id,
      [this, rendezvous](PeerSession& peer) {
        if (AcceptedContact(peer, rendezvous.requester) == nullptr ||
            !peer.CanLinkDirectly()) {
          if (shared_->p2p_broker->Take(rendezvous.session_id, rendezvous.peer,
                                        SteadyNowMs())) {
            CloseRendezvous(rendezvous.requester, rendezvous.session_id,
                            rendezvous.peer, rendezvous.peer_name,
                            ErrorCode::kUnavailable);
          }
          return;
        }
        shared_->counters->p2p_offers++;
        SendMessage(peer, protocol::P2pOffer{rendezvous.session_id,
                                             rendezvous.requester,
                                             rendezvous.requester_name});
      },
      [this, rendezvous] {
        if (shared_->p2p_broker->Take(rendezvous.session_id, rendezvous.peer,
                                      SteadyNowMs())) {
          CloseRendezvous(rendezvous.requester, rendezvous.session_id,
                          rendezvous.peer, rendezvous.peer_name,
                          ErrorCode::kUnavailable);
        }
      });
}

void Shard::OnP2pAnswer(PeerSession& s, const protocol::P2pAnswer& r) {
  Counters& counters = *shared_->counters;
  if (r.mapping >= protocol::kMappingBehaviourEnd || r.accept > 1) {
    SendMessage(s,
                protocol::RequestResult{r.request_id, ErrorCode::kMalformed});
    return;
  }
  uint64_t me = s.session.user_id();
  std::optional<Rendezvous> taken =
      shared_->p2p_broker->Take(r.session_id, me, now_ms_);
  if (!taken) {
    SendMessage(
        s, protocol::RequestResult{r.request_id, ErrorCode::kNoSuchRequest});
    return;
  }
  SendMessage(s, protocol::RequestResult{r.request_id, ErrorCode::kOk});
  const Rendezvous rendezvous = *taken;
  bool symmetric =
      r.mapping == static_cast<uint8_t>(MappingBehaviour::kEndpointDependent);
  if (r.accept == 0 || symmetric || !s.CanLinkDirectly()) {
    counters.p2p_declined++;
    ErrorCode reason = r.accept == 0 && !symmetric ? ErrorCode::kP2pDeclined
                                                   : ErrorCode::kNatUnsuitable;
    CloseRendezvous(rendezvous.requester, rendezvous.session_id, me,
                    rendezvous.peer_name, reason);
    if (r.accept == 1) {
      SendMessage(
          s, protocol::P2pClosed{rendezvous.session_id, rendezvous.requester,
                                 rendezvous.requester_name, reason});
    }
    return;
  }
  if (AcceptedContact(s, rendezvous.requester) == nullptr) {
    counters.p2p_declined++;
    CloseRendezvous(rendezvous.requester, rendezvous.session_id, me,
                    rendezvous.peer_name, ErrorCode::kUnavailable);
    return;
  }

  // Both consented. The requester's endpoints are read on its own shard,
  // then each side gets the other's.
  protocol::SessionKey key;
  randombytes_buf(key.data(), key.size());
  protocol::Endpoint my_public = s.observed;
  protocol::Endpoint my_lan = s.login.lan;
  auto role_of = [](uint64_t self, uint64_t other) {
    return static_cast<uint8_t>(self < other ? protocol::LinkRole::kConnector
                                             : protocol::LinkRole::kListener);
  };
  WithUser(
      rendezvous.requester,
      [this, rendezvous, key, my_public, my_lan, role_of](PeerSession& a) {
        if (AcceptedContact(a, rendezvous.peer) == nullptr ||
            !a.CanLinkDirectly()) {
          shared_->counters->p2p_declined++;
          CloseRendezvous(rendezvous.peer, rendezvous.session_id,
                          rendezvous.requester, rendezvous.requester_name,
                          ErrorCode::kUnavailable);
          return;
        }
        protocol::P2pReady to_requester;
        to_requester.session_id = rendezvous.session_id;
        to_requester.peer_id = rendezvous.peer;
        to_requester.peer = rendezvous.peer_name;
        to_requester.role = role_of(rendezvous.requester, rendezvous.peer);
        to_requester.peer_public = my_public;
        to_requester.peer_lan = my_lan;
        to_requester.session_key = key;
        protocol::P2pReady to_peer;
        to_peer.session_id = rendezvous.session_id;
        to_peer.peer_id = rendezvous.requester;
        to_peer.peer = rendezvous.requester_name;
        to_peer.role = role_of(rendezvous.peer, rendezvous.requester);
        to_peer.peer_public = a.observed;
        to_peer.peer_lan = a.login.lan;
        to_peer.session_key = key;
        shared_->counters->p2p_ready++;
        SendMessage(a, to_requester);
        WithUser(
            rendezvous.peer,
            [this, to_peer](PeerSession& b) { SendMessage(b, to_peer); },
            nullptr);
      },
      [this, rendezvous] {
        shared_->counters->p2p_declined++;
        CloseRendezvous(rendezvous.peer, rendezvous.session_id,
                        rendezvous.requester, rendezvous.requester_name,
                        ErrorCode::kUnavailable);
      });
}

}  // namespace hail::server
