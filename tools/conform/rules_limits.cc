// Rules of SPEC.md 2.4 and 4.6 (size limits), 7.4 (request ids) and 11.9
// (what REQUEST_RESULT answers).
#include "tools/conform/checks.h"

namespace hail::conform {
namespace {

using protocol::Bytes;
using protocol::ErrorCode;

constexpr uint16_t Kind(protocol::Kind k) { return static_cast<uint16_t>(k); }

}  // namespace

HAIL_RULE("2.4", "body-over-16384-bytes-is-malformed",
          "a PING whose body is 20,000 bytes (limit 16384) gets "
          "ERROR{0, PING, MALFORMED}, and the session stays") {
  auto client = ctx.Connect();
  HAIL_REQUIRE_OK(client);
  Bytes plaintext = protocol::EncodeMessage(protocol::Ping{31337});
  plaintext.resize(2 + 20000, 0xab);
  (*client)->SendPlaintext(protocol::kChannelControl, plaintext);
  HAIL_CHECK(ExpectError(**client, Kind(protocol::Kind::kPing),
                         ErrorCode::kMalformed, ctx.timeout_ms(), 0));
  for (const protocol::Pong& p : (*client)->TakeAll<protocol::Pong>()) {
    if (p.nonce == 31337) return Fail("the oversized PING was answered PONG");
  }
  return ExpectAlive(**client, ctx.timeout_ms());
}

HAIL_RULE("4.6", "packet-over-65536-bytes-ends-the-session",
          "an ENet packet of 70,000 bytes ends the session with "
          "SESSION_ENDED{MALFORMED}, at once rather than by timeout") {
  auto client = ctx.Connect();
  HAIL_REQUIRE_OK(client);
  if (!(*client)->AllowLargePackets(70000)) {
    return Skip("this transport cannot send a 70,000-byte packet");
  }
  Bytes frame(70000, 0x5a);
  frame[0] = protocol::kFrameSealed;
  (*client)->SendFrame(protocol::kChannelControl, frame);
  auto ended = (*client)->Wait<protocol::SessionEnded>(ctx.timeout_ms());
  if (!ended || ended->reason != ErrorCode::kMalformed) {
    return Fail("expected SESSION_ENDED{{MALFORMED}}, saw {}",
                ended ? Show(*ended) : Seen(**client));
  }
  if (!(*client)->WaitClosed(ctx.timeout_ms())) {
    return Fail("the connection stayed open after SESSION_ENDED");
  }
  return Pass();
}

HAIL_RULE(
    "7.4", "malformed-request-error-echoes-its-request-id",
    "a LOGIN_REQUEST cut after its request_id gets ERROR{that request_id, "
    "LOGIN_REQUEST, MALFORMED}") {
  auto client = ctx.Connect();
  HAIL_REQUIRE_OK(client);
  const Bytes plaintext{0x00, 0x22, 0x00, 0x01, 0xe2, 0x40, 0x09, 'a'};
  (*client)->SendPlaintext(protocol::kChannelControl, plaintext);
  return ExpectError(**client, Kind(protocol::Kind::kLoginRequest),
                     ErrorCode::kMalformed, ctx.timeout_ms(), 123456);
}

HAIL_RULE(
    "7.4", "request-id-zero-is-malformed",
    "CONTACT_LIST_REQUEST{request_id 0} gets ERROR{0, kind, MALFORMED} and "
    "no list") {
  auto account = ctx.NewAccount();
  HAIL_REQUIRE_OK(account);
  auto c = ctx.LogIn(*account);
  HAIL_REQUIRE_OK(c);
  (*c)->ClearKept();
  (*c)->Send(protocol::ContactListRequest{0});
  HAIL_CHECK(ExpectError(**c, Kind(protocol::Kind::kContactListRequest),
                         ErrorCode::kMalformed, ctx.timeout_ms(), 0));
  (*c)->Drain(300);
  if (!(*c)->TakeAll<protocol::ContactListEnd>().empty()) {
    return Fail("a request with id 0 was answered with a contact list");
  }
  return Pass();
}

HAIL_RULE("11.9", "rendezvous-with-an-unknown-mapping-is-malformed",
          "P2P_REQUEST with mapping 9 (no such value) gets "
          "REQUEST_RESULT{request_id, MALFORMED}") {
  auto pair = ctx.Contacts();
  HAIL_REQUIRE_OK(pair);
  pair->ca->Send(protocol::P2pRequest{93, pair->b.name, 9});
  return ExpectResult(*pair->ca, 93, ErrorCode::kMalformed, ctx.timeout_ms());
}

}  // namespace hail::conform
