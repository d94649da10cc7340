// Rules of SPEC.md 3.8 (TCP fallback), 15 (direct-link rendezvous) and 17
// (forwarding settings).
#include "protocol/forward_messages.h"
#include "tools/conform/checks.h"

namespace hail::conform {

using protocol::ErrorCode;

HAIL_RULE("3.8", "tcp-fallback-carries-the-same-session",
          "over TCP the handshake, a PING and a login work as over UDP") {
  auto account = ctx.NewAccount();
  HAIL_REQUIRE_OK(account);
  auto c = ctx.Connect(account->local_host, client::TransportKind::kTcp);
  if (!c.ok()) return Fail("TCP session: {}", c.status().message());
  HAIL_CHECK(ExpectAlive(**c, ctx.timeout_ms()));
  (*c)->Send(protocol::LoginRequest{
      80, account->name, account->password, "hail-conform", {}});
  auto result = (*c)->Wait<protocol::LoginResult>(ctx.timeout_ms());
  if (!result || result->error != ErrorCode::kOk) {
    return Fail("LOGIN over TCP: saw {}", result ? Show(*result) : Seen(**c));
  }
  return Pass();
}

HAIL_RULE("15.2", "rendezvous-with-a-stranger-is-not-a-contact",
          "P2P_REQUEST naming a user who is not an accepted contact gets "
          "REQUEST_RESULT{NOT_A_CONTACT}") {
  auto a = ctx.NewAccount();
  HAIL_REQUIRE_OK(a);
  auto b = ctx.NewAccount();
  HAIL_REQUIRE_OK(b);
  auto c = ctx.LogIn(*a);
  HAIL_REQUIRE_OK(c);
  (*c)->Send(protocol::P2pRequest{81, b->name, 1});
  return ExpectResult(**c, 81, ErrorCode::kNotAContact, ctx.timeout_ms());
}

HAIL_RULE("15.2", "rendezvous-over-tcp-is-nat-unsuitable",
          "P2P_REQUEST from a session over TCP gets NAT_UNSUITABLE") {
  auto pair = ctx.Contacts();
  HAIL_REQUIRE_OK(pair);
  pair->ca->Close();
  auto c = ctx.StartLogin(pair->a, client::TransportKind::kTcp);
  if (!c.ok()) return Fail("RESUME: {}", c.status().message());
  if (!(*c)->Wait<protocol::MailboxEnd>(ctx.timeout_ms())) {
    return Fail("no MAILBOX_END after the RESUME; saw {}", Seen(**c));
  }
  (*c)->Send(protocol::P2pRequest{83, pair->b.name, 1});
  return ExpectResult(**c, 83, ErrorCode::kNatUnsuitable, ctx.timeout_ms());
}

HAIL_RULE(
    "15.2", "rendezvous-right-after-login-result-knows-the-contacts",
    "a P2P_REQUEST sent right after LOGIN_RESULT{OK}, before the login "
    "sequence ends, is judged with the user's contacts (not NOT_A_CONTACT)") {
  auto pair = ctx.Contacts();
  HAIL_REQUIRE_OK(pair);
  pair->ca->Close();
  auto c = ctx.StartLogin(pair->a);
  if (!c.ok()) return Fail("RESUME: {}", c.status().message());
  (*c)->Send(protocol::P2pRequest{92, pair->b.name, 1});
  return ExpectResult(**c, 92, ErrorCode::kOk, ctx.timeout_ms());
}

HAIL_RULE(
    "15.2", "accepted-rendezvous-gives-both-the-same-key",
    "P2P_REQUEST between contacts: OK, the peer gets P2P_OFFER; after its "
    "P2P_ANSWER{accept} both get P2P_READY with one session_key") {
  auto pair = ctx.Contacts();
  HAIL_REQUIRE_OK(pair);
  pair->ca->Send(protocol::P2pRequest{84, pair->b.name, 1});
  HAIL_CHECK(ExpectResult(*pair->ca, 84, ErrorCode::kOk, ctx.timeout_ms()));
  auto offer = pair->cb->Wait<protocol::P2pOffer>(ctx.timeout_ms());
  if (!offer || offer->session_id == 0 || offer->peer_id != pair->a.user_id) {
    return Fail("B expected P2P_OFFER from {}, saw {}", pair->a.name,
                offer ? Show(*offer) : Seen(*pair->cb));
  }
  pair->cb->Send(protocol::P2pAnswer{85, offer->session_id, 1, 1});
  HAIL_CHECK(ExpectResult(*pair->cb, 85, ErrorCode::kOk, ctx.timeout_ms()));
  auto ready_a = pair->ca->Wait<protocol::P2pReady>(ctx.timeout_ms());
  auto ready_b = pair->cb->Wait<protocol::P2pReady>(ctx.timeout_ms());
  if (!ready_a || !ready_b) {
    return Fail("P2P_READY missing: A saw {}; B saw {}", Seen(*pair->ca),
                Seen(*pair->cb));
  }
  if (ready_a->session_key != ready_b->session_key ||
      ready_a->session_id != offer->session_id ||
      ready_a->peer_id != pair->b.user_id ||
      ready_b->peer_id != pair->a.user_id || ready_a->role == ready_b->role ||
      ready_a->peer_public.empty() || ready_b->peer_public.empty()) {
    return Fail("P2P_READY pair does not match: A {}; B {}", Show(*ready_a),
                Show(*ready_b));
  }
  return Pass();
}

HAIL_RULE(
    "15.2", "declined-rendezvous-tells-the-requester",
    "P2P_ANSWER{accept 0} sends the requester P2P_CLOSED{P2P_DECLINED} and "
    "no endpoints to anyone") {
  auto pair = ctx.Contacts();
  HAIL_REQUIRE_OK(pair);
  pair->ca->Send(protocol::P2pRequest{86, pair->b.name, 1});
  HAIL_CHECK(ExpectResult(*pair->ca, 86, ErrorCode::kOk, ctx.timeout_ms()));
  auto offer = pair->cb->Wait<protocol::P2pOffer>(ctx.timeout_ms());
  if (!offer) return Fail("B got no P2P_OFFER; saw {}", Seen(*pair->cb));
  pair->cb->Send(protocol::P2pAnswer{87, offer->session_id, 0, 1});
  auto closed = pair->ca->Wait<protocol::P2pClosed>(ctx.timeout_ms());
  if (!closed || closed->reason != ErrorCode::kP2pDeclined) {
    return Fail("A expected P2P_CLOSED{{P2P_DECLINED}}, saw {}",
                closed ? Show(*closed) : Seen(*pair->ca));
  }
  pair->ca->Drain(300);
  pair->cb->Drain(300);
  if (!pair->ca->TakeAll<protocol::P2pReady>().empty() ||
      !pair->cb->TakeAll<protocol::P2pReady>().empty()) {
    return Fail("a declined rendezvous sent P2P_READY");
  }
  return Pass();
}

HAIL_RULE("15.2", "answer-without-an-offer-is-no-such-request",
          "P2P_ANSWER for a session_id nobody offered gets NO_SUCH_REQUEST") {
  auto account = ctx.NewAccount();
  HAIL_REQUIRE_OK(account);
  auto c = ctx.LogIn(*account);
  HAIL_REQUIRE_OK(c);
  (*c)->Send(protocol::P2pAnswer{88, 0x1234567890abcdefULL, 1, 1});
  return ExpectResult(**c, 88, ErrorCode::kNoSuchRequest, ctx.timeout_ms());
}

HAIL_RULE(
    "17.5", "forwarding-list-has-one-entry-per-channel",
    "FORWARD_LIST_REQUEST of a new user gets FORWARD_ENTRY for channels 1, "
    "2, 3 in order, empty, then FORWARD_LIST_END{request_id, 3}") {
  auto account = ctx.NewAccount();
  HAIL_REQUIRE_OK(account);
  auto c = ctx.LogIn(*account);
  HAIL_REQUIRE_OK(c);
  (*c)->Send(protocol::ForwardListRequest{89});
  auto end = (*c)->Wait<protocol::ForwardListEnd>(ctx.timeout_ms());
  if (!end || end->request_id != 89 || end->count != 3) {
    return Fail("expected FORWARD_LIST_END{{89, 3}}, saw {}",
                end ? Show(*end) : Seen(**c));
  }
  std::vector<protocol::ForwardEntry> entries =
      (*c)->TakeAll<protocol::ForwardEntry>();
  if (entries.size() != 3)
    return Fail("{} FORWARD_ENTRYs, not 3", entries.size());
  for (size_t i = 0; i < 3; ++i) {
    if (entries[i].request_id != 89 || entries[i].channel != i + 1 ||
        !entries[i].address.empty()) {
      return Fail("entry {} of a new user: {}", i, Show(entries[i]));
    }
  }
  return Pass();
}

HAIL_RULE("17.2", "malformed-mail-address-is-invalid-address",
          "FORWARD_ADDRESS_ADD of e-mail \"no-at-sign\" gets INVALID_ADDRESS") {
  auto account = ctx.NewAccount();
  HAIL_REQUIRE_OK(account);
  auto c = ctx.LogIn(*account);
  HAIL_REQUIRE_OK(c);
  (*c)->Send(protocol::ForwardAddressAdd{90, 1, "no-at-sign"});
  return ExpectResult(**c, 90, ErrorCode::kInvalidAddress, ctx.timeout_ms());
}

}  // namespace hail::conform
