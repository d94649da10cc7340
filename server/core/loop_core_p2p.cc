// LoopCore: rendezvous for direct links (SPEC.md 15.2). A logged-in user
// asks for a link with an accepted contact, the contact's client answers,
// and only after that consent does either side learn the other's
// endpoints. Refusals never say more than the contact's presence already
// does: a blocked requester hears UNAVAILABLE, as for an offline contact.
#include <sodium.h>

#include <string>
#include <utility>

#include "protocol/account_rules.h"
#include "server/core/loop_core.h"

namespace hail::server::core {

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

uint8_t RoleOf(uint64_t self, uint64_t other) {
  return static_cast<uint8_t>(self < other ? protocol::LinkRole::kConnector
                                           : protocol::LinkRole::kListener);
}

}  // namespace

const ContactView* LoopCore::AcceptedContact(const Session& s,
                                             uint64_t peer) const {
  auto it = s.contacts.find(peer);
  if (it == s.contacts.end() || !it->second.SeesPresence()) return nullptr;
  return &it->second;
}

void LoopCore::CloseRendezvous(uint64_t user, uint64_t session_id,
                               uint64_t peer_id, const std::string& peer_name,
                               ErrorCode reason) {
  services_.counters->p2p_closed++;
  PostToUser(
      user,
      Frames{{protocol::P2pClosed{session_id, peer_id, peer_name, reason}}});
}

void LoopCore::P2pRequest(uint64_t session, const protocol::P2pRequest& r,
                          uint64_t now_ms) {
  owner_.Check();
  Session* s = Find(session);
  if (s == nullptr) return;
  if (!s->ready) {  // its contacts are not loaded yet: judged at ready
    s->held_p2p.push_back(r);
    return;
  }
  Counters& counters = *services_.counters;
  counters.p2p_requests++;
  auto answer = [&](ErrorCode error) {
    if (error != ErrorCode::kOk) counters.p2p_refused++;
    Send(*s, protocol::RequestResult{r.request_id, error});
  };
  if (r.mapping >= protocol::kMappingBehaviourEnd) {
    return answer(ErrorCode::kMalformed);
  }
  std::optional<std::string> name = protocol::NormalizeUsername(r.peer);
  uint64_t peer_id = 0;
  if (name) {
    for (const auto& [id, view] : s->contacts) {
      if (view.username == *name && view.SeesPresence()) peer_id = id;
    }
  }
  if (peer_id == 0 || peer_id == s->user) {
    return answer(ErrorCode::kNotAContact);
  }
  if (r.mapping == static_cast<uint8_t>(MappingBehaviour::kEndpointDependent) ||
      !s->facts.can_link_directly) {
    return answer(ErrorCode::kNatUnsuitable);
  }
  if (!services_.p2p_per_pair->TryAcquire(PairKey(s->user, peer_id), now_ms)) {
    counters.throttled++;
    return answer(ErrorCode::kThrottled);
  }
  Rendezvous rendezvous;
  rendezvous.session_id = RandomSessionId();
  rendezvous.requester = s->user;
  rendezvous.requester_name = s->username;
  rendezvous.peer = peer_id;
  rendezvous.peer_name = *name;
  if (!services_.p2p_broker->Open(rendezvous, now_ms)) {
    // One rendezvous per pair at a time (or the broker is full).
    return answer(ErrorCode::kThrottled);
  }
  answer(ErrorCode::kOk);
  // The offer goes to the contact only if they, too, still accept this
  // user (checked on their loop); offline, the requester hears UNAVAILABLE.
  if (!PostToUser(peer_id, P2pOfferFor{rendezvous})) {
    Undeliverable(Envelope{{}, P2pOfferFor{rendezvous}}, now_ms);
  }
}

void LoopCore::OnP2pOffer(Session& peer, const Rendezvous& rendezvous,
                          uint64_t now_ms) {
  if (AcceptedContact(peer, rendezvous.requester) == nullptr ||
      !peer.facts.can_link_directly) {
    Undeliverable(Envelope{peer.address, P2pOfferFor{rendezvous}}, now_ms);
    return;
  }
  services_.counters->p2p_offers++;
  Send(peer, protocol::P2pOffer{rendezvous.session_id, rendezvous.requester,
                                rendezvous.requester_name});
}

void LoopCore::P2pAnswer(uint64_t session, const protocol::P2pAnswer& r,
                         uint64_t now_ms) {
  owner_.Check();
  Session* s = Find(session);
  if (s == nullptr) return;
  Counters& counters = *services_.counters;
  if (r.mapping >= protocol::kMappingBehaviourEnd || r.accept > 1) {
    Send(*s, protocol::RequestResult{r.request_id, ErrorCode::kMalformed});
    return;
  }
  std::optional<Rendezvous> taken =
      services_.p2p_broker->Take(r.session_id, s->user, now_ms);
  if (!taken) {
    Send(*s, protocol::RequestResult{r.request_id, ErrorCode::kNoSuchRequest});
    return;
  }
  Send(*s, protocol::RequestResult{r.request_id, ErrorCode::kOk});
  const Rendezvous rendezvous = *taken;
  bool symmetric =
      r.mapping == static_cast<uint8_t>(MappingBehaviour::kEndpointDependent);
  if (r.accept == 0 || symmetric || !s->facts.can_link_directly) {
    counters.p2p_declined++;
    ErrorCode reason = r.accept == 0 && !symmetric ? ErrorCode::kP2pDeclined
                                                   : ErrorCode::kNatUnsuitable;
    CloseRendezvous(rendezvous.requester, rendezvous.session_id, s->user,
                    rendezvous.peer_name, reason);
    if (r.accept == 1) {
      Send(*s, protocol::P2pClosed{rendezvous.session_id, rendezvous.requester,
                                   rendezvous.requester_name, reason});
    }
    return;
  }
  if (AcceptedContact(*s, rendezvous.requester) == nullptr) {
    counters.p2p_declined++;
    CloseRendezvous(rendezvous.requester, rendezvous.session_id, s->user,
                    rendezvous.peer_name, ErrorCode::kUnavailable);
    return;
  }
  // Both consented. The requester's loop checks its side and sends both
  // P2P_READYs (the peer's through its own loop).
  P2pGoAhead go;
  go.rendezvous = rendezvous;
  randombytes_buf(go.key.data(), go.key.size());
  go.peer_public = s->facts.observed;
  go.peer_lan = s->facts.lan;
  if (!PostToUser(rendezvous.requester, go)) {
    Undeliverable(Envelope{{}, std::move(go)}, now_ms);
  }
}

void LoopCore::OnP2pGoAhead(Session& a, const P2pGoAhead& go, uint64_t now_ms) {
  const Rendezvous& rendezvous = go.rendezvous;
  if (AcceptedContact(a, rendezvous.peer) == nullptr ||
      !a.facts.can_link_directly) {
    Undeliverable(Envelope{a.address, go}, now_ms);
    return;
  }
  protocol::P2pReady to_requester;
  to_requester.session_id = rendezvous.session_id;
  to_requester.peer_id = rendezvous.peer;
  to_requester.peer = rendezvous.peer_name;
  to_requester.role = RoleOf(rendezvous.requester, rendezvous.peer);
  to_requester.peer_public = go.peer_public;
  to_requester.peer_lan = go.peer_lan;
  to_requester.session_key = go.key;
  protocol::P2pReady to_peer;
  to_peer.session_id = rendezvous.session_id;
  to_peer.peer_id = rendezvous.requester;
  to_peer.peer = rendezvous.requester_name;
  to_peer.role = RoleOf(rendezvous.peer, rendezvous.requester);
  to_peer.peer_public = a.facts.observed;
  to_peer.peer_lan = a.facts.lan;
  to_peer.session_key = go.key;
  services_.counters->p2p_ready++;
  Send(a, to_requester);
  PostToUser(rendezvous.peer, Frames{{to_peer}});
}

}  // namespace hail::server::core
