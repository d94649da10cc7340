// Rules of SPEC.md sections 2.6, 5 and 6: frames, the handshake, the server
// session's state table and the dispatch of SEALED messages.
#include <sodium.h>

#include "protocol/secure_channel.h"
#include "tools/conform/checks.h"

namespace hail::conform {
namespace {

using protocol::Bytes;
using protocol::ErrorCode;

constexpr uint16_t Kind(protocol::Kind k) { return static_cast<uint16_t>(k); }

Bytes PlainFrame(const protocol::Message& message) {
  Bytes frame{protocol::kFramePlain};
  Bytes body = protocol::EncodeMessage(message);
  frame.insert(frame.end(), body.begin(), body.end());
  return frame;
}

}  // namespace

HAIL_RULE(
    "6.1", "handshake-completes-with-a-verified-signature",
    "CLIENT_HELLO is answered by a SERVER_HELLO whose signature verifies") {
  auto client = ctx.Connect();
  if (!client.ok()) return Fail("{}", client.status().message());
  return Pass();
}

HAIL_RULE("6.6", "server-identity-is-the-same-on-every-connection",
          "two sessions see the same server identity key") {
  auto one = ctx.Connect();
  HAIL_REQUIRE_OK(one);
  auto two = ctx.Connect();
  HAIL_REQUIRE_OK(two);
  if ((*one)->server_identity() != (*two)->server_identity()) {
    return Fail("the identity key changed between two connections");
  }
  return Pass();
}

HAIL_RULE(
    "6.7", "client-hello-of-another-version-gets-handshake-reject",
    "CLIENT_HELLO of version 2 gets HANDSHAKE_REJECT{UNSUPPORTED_VERSION, 1} "
    "and the connection closes") {
  Target target = ctx.target();
  target.local_host = ctx.SpareSource();
  auto client = WireClient::ConnectUnsecured(target);
  HAIL_REQUIRE_OK(client);
  protocol::ClientHello hello;
  hello.version = 2;
  randombytes_buf(hello.client_ephemeral_key.data(),
                  hello.client_ephemeral_key.size());
  (*client)->SendFrame(protocol::kChannelControl, PlainFrame(hello));
  auto frame = (*client)->NextRawFrame(ctx.timeout_ms());
  if (!frame) return Fail("no answer to CLIENT_HELLO{{version 2}}");
  if (frame->empty() || (*frame)[0] != protocol::kFramePlain) {
    return Fail("the answer is not a PLAIN frame");
  }
  protocol::Decoded decoded =
      protocol::DecodeMessage(protocol::ByteSpan(*frame).subspan(1));
  auto* reject = std::get_if<protocol::HandshakeReject>(&decoded.message);
  if (decoded.status != protocol::DecodeStatus::kOk || !reject) {
    return Fail("the answer is not HANDSHAKE_REJECT");
  }
  if (reject->error != ErrorCode::kUnsupportedVersion ||
      reject->highest_version != 1) {
    return Fail("got {}", Show(*reject));
  }
  if (!(*client)->WaitClosed(ctx.timeout_ms())) {
    return Fail("the connection stayed open after HANDSHAKE_REJECT");
  }
  return Pass();
}

HAIL_RULE(
    "6.7", "first-frame-not-plain-closes-bad-state",
    "a first frame that is not PLAIN closes the connection with BAD_STATE") {
  Target target = ctx.target();
  target.local_host = ctx.SpareSource();
  auto client = WireClient::ConnectUnsecured(target);
  HAIL_REQUIRE_OK(client);
  Bytes sealed(40, 0);
  sealed[0] = protocol::kFrameSealed;
  (*client)->SendFrame(protocol::kChannelControl, sealed);
  if (!(*client)->WaitClosed(ctx.timeout_ms())) {
    return Fail("the connection stayed open");
  }
  if ((*client)->close_data() != static_cast<uint32_t>(ErrorCode::kBadState)) {
    return Fail("closed with data {}, expected BAD_STATE (3)",
                (*client)->close_data());
  }
  return Pass();
}

HAIL_RULE("6.7", "ping-is-answered-before-login",
          "PING in SECURED is answered by PONG with the same nonce") {
  auto client = ctx.Connect();
  HAIL_REQUIRE_OK(client);
  return ExpectAlive(**client, ctx.timeout_ms());
}

HAIL_RULE(
    "6.7", "contact-request-before-login-is-bad-state",
    "CONTACT_LIST_REQUEST in SECURED gets ERROR{request_id, kind, BAD_STATE}") {
  auto client = ctx.Connect();
  HAIL_REQUIRE_OK(client);
  (*client)->Send(protocol::ContactListRequest{77});
  HAIL_CHECK(ExpectError(**client, Kind(protocol::Kind::kContactListRequest),
                         ErrorCode::kBadState, ctx.timeout_ms(), 77));
  return ExpectAlive(**client, ctx.timeout_ms());
}

HAIL_RULE("6.7", "send-message-before-login-is-bad-state",
          "SEND_MESSAGE in SECURED gets ERROR{0, SEND_MESSAGE, BAD_STATE}") {
  auto client = ctx.Connect();
  HAIL_REQUIRE_OK(client);
  (*client)->Send(protocol::SendMessage{FreshMessageId(), "nobody", 0, "hi"});
  return ExpectError(**client, Kind(protocol::Kind::kSendMessage),
                     ErrorCode::kBadState, ctx.timeout_ms(), 0);
}

HAIL_RULE(
    "6.7", "login-while-logged-in-is-bad-state",
    "LOGIN_REQUEST in LOGGED_IN gets ERROR{request_id, kind, BAD_STATE}") {
  auto account = ctx.NewAccount();
  HAIL_REQUIRE_OK(account);
  auto client = ctx.LogIn(*account);
  HAIL_REQUIRE_OK(client);
  (*client)->Send(protocol::LoginRequest{
      91, account->name, account->password, "hail-conform", {}});
  return ExpectError(**client, Kind(protocol::Kind::kLoginRequest),
                     ErrorCode::kBadState, ctx.timeout_ms(), 91);
}

HAIL_RULE(
    "6.9", "unknown-kind-is-answered-unknown-kind",
    "an unknown kind gets ERROR{0, kind, UNKNOWN_KIND} and the session stays") {
  auto client = ctx.Connect();
  HAIL_REQUIRE_OK(client);
  const Bytes plaintext{0x7f, 0x3e, 1, 2, 3};
  (*client)->SendPlaintext(protocol::kChannelControl, plaintext);
  HAIL_CHECK(ExpectError(**client, 0x7f3e, ErrorCode::kUnknownKind,
                         ctx.timeout_ms(), 0));
  return ExpectAlive(**client, ctx.timeout_ms());
}

HAIL_RULE("6.9", "server-to-client-kind-is-answered-unknown-kind",
          "a server-to-client kind (MESSAGE_DELIVER) sent to the server gets "
          "UNKNOWN_KIND") {
  auto client = ctx.Connect();
  HAIL_REQUIRE_OK(client);
  protocol::MessageDeliver deliver;
  deliver.text = "x";
  (*client)->Send(deliver);
  return ExpectError(**client, Kind(protocol::Kind::kMessageDeliver),
                     ErrorCode::kUnknownKind, ctx.timeout_ms(), 0);
}

HAIL_RULE(
    "2.6", "plaintext-without-a-kind-is-kind-zero",
    "a SEALED plaintext of 1 byte is treated as kind 0x0000: UNKNOWN_KIND") {
  auto client = ctx.Connect();
  HAIL_REQUIRE_OK(client);
  (*client)->SendPlaintext(protocol::kChannelControl, Bytes{0x00});
  return ExpectError(**client, 0, ErrorCode::kUnknownKind, ctx.timeout_ms(), 0);
}

HAIL_RULE("6.9", "short-body-is-answered-malformed",
          "a LOGIN_REQUEST cut inside its fields gets ERROR{kind, MALFORMED}, "
          "and the session stays") {
  auto client = ctx.Connect();
  HAIL_REQUIRE_OK(client);
  const Bytes plaintext{0x00, 0x22, 0x00, 0x00, 0x00, 0x05, 0x09, 'a'};
  (*client)->SendPlaintext(protocol::kChannelControl, plaintext);
  HAIL_CHECK(ExpectError(**client, Kind(protocol::Kind::kLoginRequest),
                         ErrorCode::kMalformed, ctx.timeout_ms()));
  return ExpectAlive(**client, ctx.timeout_ms());
}

HAIL_RULE("2.6", "over-limit-string-length-is-malformed",
          "a username length of 33 (str8 maximum 32) is malformed even when "
          "33 bytes follow") {
  auto client = ctx.Connect();
  HAIL_REQUIRE_OK(client);
  Bytes plaintext{0x00, 0x20, 0x00, 0x00, 0x00, 0x06, 33};
  for (int i = 0; i < 33; ++i) plaintext.push_back('a');
  plaintext.push_back(8);
  for (int i = 0; i < 8; ++i) plaintext.push_back('p');
  (*client)->SendPlaintext(protocol::kChannelControl, plaintext);
  return ExpectError(**client, Kind(protocol::Kind::kRegisterRequest),
                     ErrorCode::kMalformed, ctx.timeout_ms());
}

HAIL_RULE("2.6", "trailing-bytes-are-ignored",
          "a PING with trailing bytes after its nonce is answered as a PING") {
  auto client = ctx.Connect();
  HAIL_REQUIRE_OK(client);
  Bytes plaintext = protocol::EncodeMessage(protocol::Ping{0x1122334455667788});
  plaintext.insert(plaintext.end(), {0xde, 0xad, 0xbe, 0xef});
  (*client)->SendPlaintext(protocol::kChannelControl, plaintext);
  auto pong = (*client)->Wait<protocol::Pong>(ctx.timeout_ms());
  if (!pong || pong->nonce != 0x1122334455667788) {
    return Fail("expected PONG{{0x1122334455667788}}, saw {}", Seen(**client));
  }
  return Pass();
}

HAIL_RULE("6.9", "kind-on-the-wrong-channel-is-malformed",
          "a PING on channel 1 gets ERROR{0, PING, MALFORMED}") {
  auto client = ctx.Connect();
  HAIL_REQUIRE_OK(client);
  (*client)->SendPlaintext(protocol::kChannelMessaging,
                           protocol::EncodeMessage(protocol::Ping{5}));
  return ExpectError(**client, Kind(protocol::Kind::kPing),
                     ErrorCode::kMalformed, ctx.timeout_ms());
}

HAIL_RULE("5.3", "replayed-frame-is-dropped",
          "the same SEALED frame sent twice is acted on once") {
  auto client = ctx.Connect();
  HAIL_REQUIRE_OK(client);
  protocol::OutgoingFrame frame = (*client)->Seal(protocol::Ping{4242});
  (*client)->SendFrame(frame.channel, frame.bytes);
  (*client)->SendFrame(frame.channel, frame.bytes);
  HAIL_CHECK(ExpectAlive(**client, ctx.timeout_ms()));
  (*client)->Drain(300);
  auto pongs = (*client)->TakeAll<protocol::Pong>();
  int answered = 0;
  for (const protocol::Pong& p : pongs) answered += p.nonce == 4242;
  if (answered != 1) {
    return Fail("the PING sent twice in one frame was answered {} times",
                answered);
  }
  return Pass();
}

HAIL_RULE(
    "5.2", "frame-with-a-bad-tag-is-dropped",
    "a SEALED frame whose tag does not verify is dropped, the session stays") {
  auto client = ctx.Connect();
  HAIL_REQUIRE_OK(client);
  protocol::OutgoingFrame frame = (*client)->Seal(protocol::Ping{777});
  frame.bytes.back() ^= 0x01;
  (*client)->SendFrame(frame.channel, frame.bytes);
  HAIL_CHECK(ExpectAlive(**client, ctx.timeout_ms()));
  for (const protocol::Pong& p : (*client)->TakeAll<protocol::Pong>()) {
    if (p.nonce == 777) return Fail("the frame with a broken tag was answered");
  }
  return Pass();
}

HAIL_RULE("5.4", "plain-frame-after-the-handshake-is-dropped",
          "a PLAIN frame after the handshake is dropped, the session stays") {
  auto client = ctx.Connect();
  HAIL_REQUIRE_OK(client);
  (*client)->SendFrame(protocol::kChannelControl,
                       PlainFrame(protocol::Ping{99}));
  HAIL_CHECK(ExpectAlive(**client, ctx.timeout_ms()));
  for (const protocol::Pong& p : (*client)->TakeAll<protocol::Pong>()) {
    if (p.nonce == 99) return Fail("a PLAIN PING was answered");
  }
  return Pass();
}

}  // namespace hail::conform
