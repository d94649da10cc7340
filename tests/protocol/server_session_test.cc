// Drives a ClientSession and a ServerSession against each other in memory:
// no sockets, no ENet, no clock (SPEC.md section 6).
#include "protocol/server_session.h"

#include <sodium.h>

#include <memory>
#include <vector>

#include "gtest/gtest.h"
#include "protocol/client_session.h"

namespace hail::protocol {
namespace {

constexpr uint64_t kConnectedAtMs = 1'000;

class ServerSessionTest : public testing::Test {
 protected:
  static void SetUpTestSuite() { ASSERT_GE(sodium_init(), 0); }

  ServerSessionTest()
      : identity_(IdentityKey::Generate()),
        server_(&identity_, kConnectedAtMs),
        client_(std::nullopt) {}

  // Delivers every frame of `out` to the client; returns the last output.
  ClientSession::Output DeliverToClient(const ServerSession::Output& out) {
    ClientSession::Output last;
    for (const OutgoingFrame& frame : out.frames) {
      last = client_.OnPacket(frame.channel, frame.bytes);
    }
    return last;
  }

  // Runs the handshake at `now_ms`; both sides end up secured.
  void Handshake(uint64_t now_ms = kConnectedAtMs + 5) {
    OutgoingFrame hello = client_.Start();
    ServerSession::Output out =
        server_.OnPacket(hello.channel, hello.bytes, now_ms);
    ASSERT_EQ(server_.state(), ServerSession::State::kSecured);
    ASSERT_TRUE(DeliverToClient(out).secured);
    ASSERT_EQ(client_.state(), ClientSession::State::kSecured);
  }

  ServerSession::Output Send(const Message& message, uint64_t now_ms) {
    OutgoingFrame frame = client_.Seal(message);
    return server_.OnPacket(frame.channel, frame.bytes, now_ms);
  }

  // A client-role channel rebuilt from the key log line, for crafting frames
  // a well-behaved ClientSession never produces. Use it instead of (not as
  // well as) client_.Seal: both start at counter 0.
  std::unique_ptr<SecureChannel> RawClientChannel() {
    std::optional<KeyLogEntry> entry = ParseKeyLogLine(client_.key_log_line());
    EXPECT_TRUE(entry.has_value());
    return std::make_unique<SecureChannel>(entry->keys,
                                           SecureChannel::Role::kClient);
  }

  // The one message the client receives from `out`.
  Message ReceivedByClient(const ServerSession::Output& out) {
    EXPECT_EQ(out.frames.size(), 1u);
    ClientSession::Output received = DeliverToClient(out);
    EXPECT_TRUE(received.message.has_value());
    return received.message.value_or(Message{});
  }

  void ExpectError(const ServerSession::Output& out, uint32_t request_id,
                   uint16_t offending_kind, ErrorCode error) {
    EXPECT_EQ(out.answered_error, error);
    EXPECT_FALSE(out.close.has_value());
    EXPECT_FALSE(out.request.has_value());
    Message message = ReceivedByClient(out);
    ASSERT_TRUE(std::holds_alternative<ErrorMessage>(message));
    const auto& e = std::get<ErrorMessage>(message);
    EXPECT_EQ(e.request_id, request_id);
    EXPECT_EQ(e.offending_kind, offending_kind);
    EXPECT_EQ(e.error, error);
  }

  IdentityKey identity_;
  ServerSession server_;
  ClientSession client_;
};

Bytes Plain(const Message& message) {
  Bytes frame = {kFramePlain};
  Bytes body = EncodeMessage(message);
  frame.insert(frame.end(), body.begin(), body.end());
  return frame;
}

// --- Handshake ---

TEST_F(ServerSessionTest, HandshakeSecuresBothSides) {
  OutgoingFrame hello = client_.Start();
  EXPECT_EQ(hello.channel, kChannelControl);
  EXPECT_EQ(hello.bytes[0], kFramePlain);
  ServerSession::Output out =
      server_.OnPacket(hello.channel, hello.bytes, kConnectedAtMs + 1);
  EXPECT_EQ(server_.state(), ServerSession::State::kSecured);
  ASSERT_EQ(out.frames.size(), 1u);
  EXPECT_EQ(out.frames[0].bytes[0], kFramePlain);
  EXPECT_FALSE(out.close.has_value());
  ASSERT_TRUE(out.key_log_line.has_value());

  ClientSession::Output received = DeliverToClient(out);
  EXPECT_TRUE(received.secured);
  EXPECT_EQ(client_.state(), ClientSession::State::kSecured);
  EXPECT_EQ(client_.server_identity(), identity_.public_key);
  EXPECT_EQ(client_.key_log_line(), *out.key_log_line);
}

TEST_F(ServerSessionTest, PinnedIdentityIsAccepted) {
  ClientSession pinned(identity_.public_key);
  OutgoingFrame hello = pinned.Start();
  ServerSession::Output out =
      server_.OnPacket(hello.channel, hello.bytes, kConnectedAtMs);
  ASSERT_EQ(out.frames.size(), 1u);
  EXPECT_TRUE(pinned.OnPacket(0, out.frames[0].bytes).secured);
}

TEST_F(ServerSessionTest, ChangedIdentityIsRefusedByAPinningClient) {
  IdentityKey other = IdentityKey::Generate();
  ClientSession pinned(other.public_key);
  OutgoingFrame hello = pinned.Start();
  ServerSession::Output out =
      server_.OnPacket(hello.channel, hello.bytes, kConnectedAtMs);
  ASSERT_EQ(out.frames.size(), 1u);
  EXPECT_FALSE(pinned.OnPacket(0, out.frames[0].bytes).secured);
  EXPECT_EQ(pinned.state(), ClientSession::State::kFailed);
  EXPECT_EQ(pinned.failure(), ClientSession::Failure::kIdentityMismatch);
  EXPECT_EQ(pinned.server_identity(), identity_.public_key);
}

TEST_F(ServerSessionTest, ClientRefusesAServerHelloWithABadSignature) {
  OutgoingFrame hello = client_.Start();
  ServerSession::Output out =
      server_.OnPacket(hello.channel, hello.bytes, kConnectedAtMs);
  ASSERT_EQ(out.frames.size(), 1u);
  out.frames[0].bytes.back() ^= 0x01;  // last byte of the signature
  EXPECT_FALSE(DeliverToClient(out).secured);
  EXPECT_EQ(client_.failure(), ClientSession::Failure::kBadSignature);
}

TEST_F(ServerSessionTest, ClientWithAnotherVersionGetsHandshakeReject) {
  ClientHello hello;
  hello.version = 2;
  hello.client_ephemeral_key.fill(0x42);
  ServerSession::Output out =
      server_.OnPacket(kChannelControl, Plain(hello), kConnectedAtMs);
  EXPECT_EQ(out.close, ErrorCode::kUnsupportedVersion);
  EXPECT_EQ(server_.state(), ServerSession::State::kClosed);
  ASSERT_EQ(out.frames.size(), 1u);
  Decoded decoded = DecodeMessage(ByteSpan(out.frames[0].bytes).subspan(1));
  ASSERT_EQ(decoded.status, DecodeStatus::kOk);
  const auto& reject = std::get<HandshakeReject>(decoded.message);
  EXPECT_EQ(reject.error, ErrorCode::kUnsupportedVersion);
  EXPECT_EQ(reject.highest_version, kProtocolVersion);

  DeliverToClient(out);
  EXPECT_EQ(client_.state(), ClientSession::State::kFailed);
  EXPECT_EQ(client_.failure(), ClientSession::Failure::kRejected);
}

TEST_F(ServerSessionTest, SealedFirstFrameClosesWithBadState) {
  Bytes sealed(kSealedOverhead + 2, 0);
  sealed[0] = kFrameSealed;
  ServerSession::Output out =
      server_.OnPacket(kChannelControl, sealed, kConnectedAtMs);
  EXPECT_EQ(out.close, ErrorCode::kBadState);
  EXPECT_EQ(out.drop, DropReason::kBadFrame);
  EXPECT_TRUE(out.frames.empty());
  EXPECT_EQ(server_.state(), ServerSession::State::kClosed);
}

TEST_F(ServerSessionTest, FirstFrameOnTheMessagingChannelClosesWithBadState) {
  OutgoingFrame hello = client_.Start();
  ServerSession::Output out =
      server_.OnPacket(kChannelMessaging, hello.bytes, kConnectedAtMs);
  EXPECT_EQ(out.close, ErrorCode::kBadState);
  EXPECT_EQ(server_.state(), ServerSession::State::kClosed);
}

TEST_F(ServerSessionTest, UndecodableClientHelloClosesWithMalformed) {
  Bytes truncated = Plain(ClientHello{});
  truncated.pop_back();
  ServerSession::Output out =
      server_.OnPacket(kChannelControl, truncated, kConnectedAtMs);
  EXPECT_EQ(out.close, ErrorCode::kMalformed);
  EXPECT_TRUE(out.frames.empty());
}

TEST_F(ServerSessionTest, AnotherPlainKindFirstClosesWithMalformed) {
  ServerSession::Output out =
      server_.OnPacket(kChannelControl, Plain(Ping{1}), kConnectedAtMs);
  EXPECT_EQ(out.close, ErrorCode::kMalformed);
}

TEST_F(ServerSessionTest, LowOrderClientKeyClosesWithMalformed) {
  ClientHello hello;  // all-zero key: X25519 yields an all-zero secret
  ServerSession::Output out =
      server_.OnPacket(kChannelControl, Plain(hello), kConnectedAtMs);
  EXPECT_EQ(out.close, ErrorCode::kMalformed);
  EXPECT_TRUE(out.frames.empty());
  EXPECT_FALSE(out.key_log_line.has_value());
}

TEST_F(ServerSessionTest, EmptyPacketIsDropped) {
  ServerSession::Output out =
      server_.OnPacket(kChannelControl, Bytes{}, kConnectedAtMs);
  EXPECT_EQ(out.drop, DropReason::kBadFrame);
  EXPECT_FALSE(out.close.has_value());
  Handshake();
  out = server_.OnPacket(kChannelControl, Bytes{}, kConnectedAtMs + 10);
  EXPECT_EQ(out.drop, DropReason::kBadFrame);
  EXPECT_TRUE(out.frames.empty());
}

// --- Deadlines ---

TEST_F(ServerSessionTest, HandshakeDeadlineClosesWithTimeout) {
  EXPECT_FALSE(
      server_.OnTimer(kConnectedAtMs + kHandshakeDeadlineMs - 1).close);
  ServerSession::Output out =
      server_.OnTimer(kConnectedAtMs + kHandshakeDeadlineMs);
  EXPECT_EQ(out.close, ErrorCode::kTimeout);
  EXPECT_TRUE(out.frames.empty());  // no keys yet: nothing sealed to say
  EXPECT_EQ(server_.state(), ServerSession::State::kClosed);
}

TEST_F(ServerSessionTest, ClockEarlierThanTheLastChangeClosesNothing) {
  EXPECT_FALSE(server_.OnTimer(kConnectedAtMs - 1).close);
  EXPECT_EQ(server_.state(), ServerSession::State::kAwaitingHello);
}

TEST_F(ServerSessionTest, ServerHelloOnTheMessagingChannelIsDropped) {
  OutgoingFrame hello = client_.Start();
  ServerSession::Output out =
      server_.OnPacket(hello.channel, hello.bytes, kConnectedAtMs);
  ASSERT_EQ(out.frames.size(), 1u);
  ClientSession::Output dropped =
      client_.OnPacket(kChannelMessaging, out.frames[0].bytes);
  EXPECT_EQ(dropped.drop, DropReason::kBadFrame);
  EXPECT_EQ(client_.state(), ClientSession::State::kHandshaking);
  EXPECT_TRUE(client_.OnPacket(kChannelControl, out.frames[0].bytes).secured);
}

TEST_F(ServerSessionTest, LoginDeadlineSendsSessionEndedTimeout) {
  const uint64_t secured_at = kConnectedAtMs + 9'000;
  Handshake(secured_at);
  // The handshake deadline no longer applies; the login deadline counts from
  // the handshake.
  EXPECT_FALSE(server_.OnTimer(secured_at + kLoginDeadlineMs - 1).close);
  ServerSession::Output out = server_.OnTimer(secured_at + kLoginDeadlineMs);
  EXPECT_EQ(out.close, ErrorCode::kTimeout);
  Message message = ReceivedByClient(out);
  ASSERT_TRUE(std::holds_alternative<SessionEnded>(message));
  EXPECT_EQ(std::get<SessionEnded>(message).reason, ErrorCode::kTimeout);
}

TEST_F(ServerSessionTest, LoggedInSessionHasNoDeadline) {
  Handshake();
  Send(LoginRequest{1, "alice", "correct horse", "t", {}}, kConnectedAtMs + 10);
  server_.AuthenticationFinished(true, 10000, "alice");
  EXPECT_FALSE(server_.OnTimer(kConnectedAtMs + 10 * kLoginDeadlineMs).close);
  EXPECT_EQ(server_.state(), ServerSession::State::kLoggedIn);
}

TEST_F(ServerSessionTest, FailedLoginDoesNotRestartTheLoginDeadline) {
  const uint64_t secured_at = kConnectedAtMs + 5;
  Handshake(secured_at);
  Send(LoginRequest{1, "alice", "wrong password", "t", {}},
       secured_at + 50'000);
  server_.AuthenticationFinished(false, 0, {});
  EXPECT_EQ(server_.state(), ServerSession::State::kSecured);
  EXPECT_EQ(server_.OnTimer(secured_at + kLoginDeadlineMs).close,
            ErrorCode::kTimeout);
}

TEST_F(ServerSessionTest, LogoutRestartsTheLoginDeadline) {
  Handshake();
  Send(LoginRequest{1, "alice", "correct horse", "t", {}}, kConnectedAtMs + 10);
  server_.AuthenticationFinished(true, 10000, "alice");
  const uint64_t logged_out_at = kConnectedAtMs + 500'000;
  ServerSession::Output out = Send(LogoutRequest{2}, logged_out_at);
  ASSERT_TRUE(out.request.has_value());
  server_.LoggedOut(logged_out_at);
  EXPECT_EQ(server_.state(), ServerSession::State::kSecured);
  EXPECT_EQ(server_.user_id(), 0u);
  EXPECT_FALSE(server_.OnTimer(logged_out_at + kLoginDeadlineMs - 1).close);
  EXPECT_EQ(server_.OnTimer(logged_out_at + kLoginDeadlineMs).close,
            ErrorCode::kTimeout);
}

// --- Dispatch ---

TEST_F(ServerSessionTest, PingIsAnsweredWithPong) {
  Handshake();
  ServerSession::Output out = Send(Ping{0x0102030405060708}, kConnectedAtMs);
  EXPECT_FALSE(out.request.has_value());
  EXPECT_FALSE(out.answered_error.has_value());
  Message message = ReceivedByClient(out);
  ASSERT_TRUE(std::holds_alternative<Pong>(message));
  EXPECT_EQ(std::get<Pong>(message).nonce, 0x0102030405060708u);
}

TEST_F(ServerSessionTest, PongAndErrorFromTheClientAreIgnored) {
  Handshake();
  ServerSession::Output out = Send(Pong{5}, kConnectedAtMs);
  EXPECT_TRUE(out.frames.empty());
  EXPECT_EQ(out.drop, DropReason::kNone);
  out = Send(ErrorMessage{1, 2, ErrorCode::kMalformed}, kConnectedAtMs);
  EXPECT_TRUE(out.frames.empty());
}

TEST_F(ServerSessionTest, RequestBeforeLoginIsAnsweredBadState) {
  Handshake();
  ServerSession::Output out = Send(LogoutRequest{7}, kConnectedAtMs);
  ExpectError(out, 7, static_cast<uint16_t>(Kind::kLogoutRequest),
              ErrorCode::kBadState);
  EXPECT_EQ(server_.state(), ServerSession::State::kSecured);
  for (const Message& request :
       {Message{SessionInfoRequest{8}},
        Message{ChangePasswordRequest{9, "correct horse", "battery staple"}},
        Message{DeleteAccountRequest{10, "correct horse"}}}) {
    out = Send(request, kConnectedAtMs);
    EXPECT_EQ(out.answered_error, ErrorCode::kBadState);
    EXPECT_FALSE(out.request.has_value());
  }
}

TEST_F(ServerSessionTest, AliceLogsInAndUsesHerSession) {
  Handshake();
  ServerSession::Output out =
      Send(LoginRequest{7, "Alice", "correct horse", "hail-cli/0.1.0", {}},
           kConnectedAtMs);
  ASSERT_TRUE(out.request.has_value());
  EXPECT_TRUE(std::holds_alternative<LoginRequest>(*out.request));
  EXPECT_EQ(server_.state(), ServerSession::State::kAuthenticating);

  // While the password is being checked: one auth request at a time, but
  // PING still works.
  ExpectError(Send(ResumeRequest{8, "alice", {}, "v", {}}, kConnectedAtMs), 8,
              static_cast<uint16_t>(Kind::kResumeRequest),
              ErrorCode::kBadState);
  EXPECT_TRUE(std::holds_alternative<Pong>(
      ReceivedByClient(Send(Ping{1}, kConnectedAtMs))));

  server_.AuthenticationFinished(true, 10000, "alice");
  EXPECT_EQ(server_.state(), ServerSession::State::kLoggedIn);
  EXPECT_EQ(server_.user_id(), 10000u);
  EXPECT_EQ(server_.username(), "alice");

  out = Send(SessionInfoRequest{9}, kConnectedAtMs);
  ASSERT_TRUE(out.request.has_value());
  EXPECT_TRUE(std::holds_alternative<SessionInfoRequest>(*out.request));
  ExpectError(
      Send(RegisterRequest{10, "bob", "hunter2hunter2"}, kConnectedAtMs), 10,
      static_cast<uint16_t>(Kind::kRegisterRequest), ErrorCode::kBadState);
}

// Issue 11: the forwarding settings requests of SPEC.md 6.7 and 17.
TEST_F(ServerSessionTest, ForwardRequestsNeedALoginAndThenReachTheServer) {
  Handshake();
  const std::vector<Message> requests = {
      ForwardAddressAdd{7, 1, "bob@example.org"},
      ForwardAddressVerify{8, 1, "493027"},
      ForwardAddressRemove{9, 2},
      ForwardRulesSet{10, 1, ForwardRuleFields{}},
      ForwardListRequest{11},
  };
  for (const Message& request : requests) {
    ServerSession::Output out = Send(request, kConnectedAtMs);
    EXPECT_EQ(out.answered_error, ErrorCode::kBadState);
    EXPECT_FALSE(out.request.has_value());
  }
  Send(LoginRequest{6, "bob", "correct horse", "hail-cli/0.1.0", {}},
       kConnectedAtMs);
  server_.AuthenticationFinished(true, 10001, "bob");
  for (const Message& request : requests) {
    ServerSession::Output out = Send(request, kConnectedAtMs);
    ASSERT_TRUE(out.request.has_value());
    EXPECT_EQ(KindOf(*out.request), KindOf(request));
    EXPECT_TRUE(out.frames.empty());
  }
}

TEST_F(ServerSessionTest, RegisterLeavesTheSessionLoggedOut) {
  Handshake();
  ServerSession::Output out =
      Send(RegisterRequest{7, "alice", "correct horse"}, kConnectedAtMs);
  ASSERT_TRUE(out.request.has_value());
  EXPECT_EQ(server_.state(), ServerSession::State::kAuthenticating);
  server_.AuthenticationFinished(false, 0, {});
  EXPECT_EQ(server_.state(), ServerSession::State::kSecured);
}

TEST_F(ServerSessionTest, OnlyOneAccountOperationIsInFlight) {
  Handshake();
  Send(LoginRequest{1, "alice", "correct horse", "t", {}}, kConnectedAtMs);
  server_.AuthenticationFinished(true, 10000, "alice");
  ServerSession::Output out =
      Send(ChangePasswordRequest{2, "correct horse", "battery staple"},
           kConnectedAtMs);
  ASSERT_TRUE(out.request.has_value());
  ExpectError(Send(DeleteAccountRequest{3, "battery staple"}, kConnectedAtMs),
              3, static_cast<uint16_t>(Kind::kDeleteAccountRequest),
              ErrorCode::kBadState);
  server_.AccountOperationFinished();
  out = Send(DeleteAccountRequest{4, "battery staple"}, kConnectedAtMs);
  EXPECT_TRUE(out.request.has_value());
}

TEST_F(ServerSessionTest, LogoutWaitsForARunningAccountOperation) {
  Handshake();
  Send(LoginRequest{1, "alice", "correct horse", "t", {}}, kConnectedAtMs);
  server_.AuthenticationFinished(true, 10000, "alice");
  ASSERT_TRUE(Send(DeleteAccountRequest{2, "correct horse"}, kConnectedAtMs)
                  .request.has_value());
  // A late deletion result must not land on whoever logs in next.
  ExpectError(Send(LogoutRequest{3}, kConnectedAtMs), 3,
              static_cast<uint16_t>(Kind::kLogoutRequest),
              ErrorCode::kBadState);
  server_.AccountOperationFinished();
  EXPECT_TRUE(Send(LogoutRequest{4}, kConnectedAtMs).request.has_value());
}

TEST_F(ServerSessionTest, UnknownKindIsAnsweredUnknownKind) {
  Handshake();
  std::unique_ptr<SecureChannel> raw = RawClientChannel();
  Bytes plaintext = {0x7f, 0x00, 1, 2, 3, 4};  // kind 0x7f00
  Bytes frame = raw->Seal(kChannelControl, plaintext);
  ServerSession::Output out =
      server_.OnPacket(kChannelControl, frame, kConnectedAtMs);
  ExpectError(out, 0, 0x7f00, ErrorCode::kUnknownKind);
  EXPECT_EQ(server_.state(), ServerSession::State::kSecured);
}

TEST_F(ServerSessionTest, ServerToClientKindFromTheClientIsUnknownKind) {
  Handshake();
  std::unique_ptr<SecureChannel> raw = RawClientChannel();
  Bytes frame = raw->Seal(kChannelControl, EncodeMessage(LoginResult{}));
  ExpectError(server_.OnPacket(kChannelControl, frame, kConnectedAtMs), 0,
              static_cast<uint16_t>(Kind::kLoginResult),
              ErrorCode::kUnknownKind);
}

TEST_F(ServerSessionTest, PlainOnlyKindInASealedFrameIsUnknownKind) {
  Handshake();
  std::unique_ptr<SecureChannel> raw = RawClientChannel();
  Bytes frame = raw->Seal(kChannelControl, EncodeMessage(ClientHello{}));
  ExpectError(server_.OnPacket(kChannelControl, frame, kConnectedAtMs), 0,
              static_cast<uint16_t>(Kind::kClientHello),
              ErrorCode::kUnknownKind);
}

TEST_F(ServerSessionTest, PlaintextWithoutAKindIsKindZeroUnknown) {
  Handshake();
  std::unique_ptr<SecureChannel> raw = RawClientChannel();
  Bytes frame = raw->Seal(kChannelControl, Bytes{0x00});
  ExpectError(server_.OnPacket(kChannelControl, frame, kConnectedAtMs), 0, 0,
              ErrorCode::kUnknownKind);
}

TEST_F(ServerSessionTest, MalformedBodyIsAnsweredMalformed) {
  Handshake();
  std::unique_ptr<SecureChannel> raw = RawClientChannel();
  Bytes short_ping = {0x00, 0x11, 1, 2, 3};
  ExpectError(
      server_.OnPacket(kChannelControl, raw->Seal(kChannelControl, short_ping),
                       kConnectedAtMs),
      0, static_cast<uint16_t>(Kind::kPing), ErrorCode::kMalformed);
  // Written by hand: EncodeMessage refuses over-long fields.
  Bytes overlong;
  ByteWriter w(&overlong);
  w.U16(static_cast<uint16_t>(Kind::kRegisterRequest));
  w.U32(7);
  w.String8(std::string(kUsernameMaxLength + 1, 'a'));
  w.String8("pw");
  ExpectError(
      server_.OnPacket(kChannelControl, raw->Seal(kChannelControl, overlong),
                       kConnectedAtMs),
      7, static_cast<uint16_t>(Kind::kRegisterRequest), ErrorCode::kMalformed);
  EXPECT_EQ(server_.state(), ServerSession::State::kSecured);
}

// Issue 12: SPEC.md 7.4 says the ERROR about a request echoes its id; it
// said 0 for MALFORMED, so a client could not tell which request failed.
TEST_F(ServerSessionTest, MalformedRequestErrorEchoesItsRequestId) {
  Handshake();
  std::unique_ptr<SecureChannel> raw = RawClientChannel();
  Bytes truncated = EncodeMessage(ContactAdd{9, "bob", "hi"});
  truncated.resize(truncated.size() - 1);
  ExpectError(
      server_.OnPacket(kChannelControl, raw->Seal(kChannelControl, truncated),
                       kConnectedAtMs),
      9, static_cast<uint16_t>(Kind::kContactAdd), ErrorCode::kMalformed);
  // On the wrong channel too.
  Bytes logout = EncodeMessage(LogoutRequest{11});
  ExpectError(
      server_.OnPacket(kChannelMessaging, raw->Seal(kChannelMessaging, logout),
                       kConnectedAtMs),
      11, static_cast<uint16_t>(Kind::kLogoutRequest), ErrorCode::kMalformed);
  // Fewer than 4 body bytes: nothing to echo.
  Bytes two_body_bytes = {0x00, 0x34, 0x00, 0x0c};
  ExpectError(server_.OnPacket(kChannelControl,
                               raw->Seal(kChannelControl, two_body_bytes),
                               kConnectedAtMs),
              0, static_cast<uint16_t>(Kind::kContactListRequest),
              ErrorCode::kMalformed);
}

// Issue 12: request_id 0 is "none" (SPEC.md 7.4); a CONTACT_LIST_REQUEST
// with it got a list indistinguishable from the one sent at login.
TEST_F(ServerSessionTest, RequestWithRequestIdZeroIsMalformed) {
  Handshake();
  ExpectError(Send(RegisterRequest{0, "bob", "hunter2hunter2"}, kConnectedAtMs),
              0, static_cast<uint16_t>(Kind::kRegisterRequest),
              ErrorCode::kMalformed);
  EXPECT_EQ(server_.state(), ServerSession::State::kSecured);
  // Messages without a request_id are not affected: PING is answered.
  EXPECT_TRUE(std::holds_alternative<Pong>(
      ReceivedByClient(Send(Ping{0}, kConnectedAtMs))));
}

// Issue 12: SPEC.md 2.4 limits a body to 16384 bytes; a PING with 20,000
// trailing bytes was answered PONG.
TEST_F(ServerSessionTest, BodyOverTheLimitIsAnsweredMalformed) {
  Handshake();
  std::unique_ptr<SecureChannel> raw = RawClientChannel();
  Bytes ping = EncodeMessage(Ping{5});
  ping.resize(2 + 20000, 0xaa);
  ExpectError(
      server_.OnPacket(kChannelControl, raw->Seal(kChannelControl, ping),
                       kConnectedAtMs),
      0, static_cast<uint16_t>(Kind::kPing), ErrorCode::kMalformed);
  Bytes logout = EncodeMessage(LogoutRequest{12});
  logout.resize(2 + kMaxBodySize + 1, 0);
  ExpectError(
      server_.OnPacket(kChannelControl, raw->Seal(kChannelControl, logout),
                       kConnectedAtMs),
      12, static_cast<uint16_t>(Kind::kLogoutRequest), ErrorCode::kMalformed);
  EXPECT_EQ(server_.state(), ServerSession::State::kSecured);
}

// The client's decode path applies the same limit: the message is dropped
// (and counted by the caller), never delivered.
TEST_F(ServerSessionTest, ClientDropsAServerMessageOverTheBodyLimit) {
  Handshake();
  std::optional<KeyLogEntry> entry = ParseKeyLogLine(client_.key_log_line());
  ASSERT_TRUE(entry.has_value());
  SecureChannel server_side(entry->keys, SecureChannel::Role::kServer);
  Bytes pong = EncodeMessage(Pong{5});
  pong.resize(2 + kMaxBodySize + 1, 0);
  ClientSession::Output out = client_.OnPacket(
      kChannelControl, server_side.Seal(kChannelControl, pong));
  EXPECT_FALSE(out.message.has_value());
  EXPECT_EQ(out.drop, DropReason::kBadFrame);
}

TEST_F(ServerSessionTest, MessageOnTheWrongChannelIsAnsweredMalformed) {
  Handshake();
  std::unique_ptr<SecureChannel> raw = RawClientChannel();
  Bytes frame = raw->Seal(kChannelMessaging, EncodeMessage(Ping{3}));
  ExpectError(server_.OnPacket(kChannelMessaging, frame, kConnectedAtMs), 0,
              static_cast<uint16_t>(Kind::kPing), ErrorCode::kMalformed);
}

TEST_F(ServerSessionTest, TrailingBytesAfterKnownFieldsAreIgnored) {
  Handshake();
  std::unique_ptr<SecureChannel> raw = RawClientChannel();
  Bytes ping = EncodeMessage(Ping{9});
  ping.push_back(0xaa);
  ServerSession::Output out = server_.OnPacket(
      kChannelControl, raw->Seal(kChannelControl, ping), kConnectedAtMs);
  EXPECT_TRUE(std::holds_alternative<Pong>(ReceivedByClient(out)));
}

// --- Dropped frames ---

TEST_F(ServerSessionTest, TamperedFrameIsDroppedWithBadTag) {
  Handshake();
  OutgoingFrame frame = client_.Seal(Ping{1});
  frame.bytes[12] ^= 0x40;
  ServerSession::Output out =
      server_.OnPacket(frame.channel, frame.bytes, kConnectedAtMs);
  EXPECT_EQ(out.drop, DropReason::kBadTag);
  EXPECT_TRUE(out.frames.empty());
  EXPECT_FALSE(out.answered_error.has_value());
  EXPECT_FALSE(out.close.has_value());
}

TEST_F(ServerSessionTest, ReplayedFrameIsDroppedAsReplayed) {
  Handshake();
  OutgoingFrame frame = client_.Seal(Ping{1});
  ServerSession::Output first =
      server_.OnPacket(frame.channel, frame.bytes, kConnectedAtMs);
  EXPECT_EQ(first.frames.size(), 1u);
  ServerSession::Output again =
      server_.OnPacket(frame.channel, frame.bytes, kConnectedAtMs);
  EXPECT_EQ(again.drop, DropReason::kReplayed);
  EXPECT_TRUE(again.frames.empty());
}

TEST_F(ServerSessionTest, ShortSealedFrameIsDroppedAsBadFrame) {
  Handshake();
  OutgoingFrame frame = client_.Seal(Ping{1});
  frame.bytes.resize(kSealedOverhead - 1);
  EXPECT_EQ(server_.OnPacket(frame.channel, frame.bytes, kConnectedAtMs).drop,
            DropReason::kBadFrame);
}

TEST_F(ServerSessionTest, PlainFrameAfterTheHandshakeIsDropped) {
  Handshake();
  OutgoingFrame hello = client_.Start();
  ServerSession::Output out =
      server_.OnPacket(hello.channel, hello.bytes, kConnectedAtMs);
  EXPECT_EQ(out.drop, DropReason::kUnexpectedPlain);
  EXPECT_TRUE(out.frames.empty());
  EXPECT_EQ(server_.state(), ServerSession::State::kSecured);
}

TEST_F(ServerSessionTest, UnknownFrameTypeIsDropped) {
  Handshake();
  OutgoingFrame frame = client_.Seal(Ping{1});
  frame.bytes[0] = 0x03;
  EXPECT_EQ(server_.OnPacket(frame.channel, frame.bytes, kConnectedAtMs).drop,
            DropReason::kBadFrame);
}

TEST_F(ServerSessionTest, ClosedSessionIgnoresEverything) {
  Handshake();
  server_.Close();
  ServerSession::Output out = Send(Ping{1}, kConnectedAtMs);
  EXPECT_TRUE(out.frames.empty());
  EXPECT_EQ(out.drop, DropReason::kNone);
  EXPECT_FALSE(server_.OnTimer(kConnectedAtMs + 10 * kLoginDeadlineMs).close);
}

TEST_F(ServerSessionTest, ClientDropsTamperedAndReplayedServerFrames) {
  Handshake();
  OutgoingFrame pong = server_.Seal(Pong{4});
  OutgoingFrame tampered = pong;
  tampered.bytes.back() ^= 1;
  EXPECT_EQ(client_.OnPacket(tampered.channel, tampered.bytes).drop,
            DropReason::kBadTag);
  ClientSession::Output ok = client_.OnPacket(pong.channel, pong.bytes);
  ASSERT_TRUE(ok.message.has_value());
  EXPECT_EQ(std::get<Pong>(*ok.message).nonce, 4u);
  EXPECT_EQ(client_.OnPacket(pong.channel, pong.bytes).drop,
            DropReason::kReplayed);
}

TEST_F(ServerSessionTest, StateNamesMatchTheSpec) {
  EXPECT_EQ(ServerSessionStateName(ServerSession::State::kAwaitingHello),
            "AWAITING_HELLO");
  EXPECT_EQ(ServerSessionStateName(ServerSession::State::kSecured), "SECURED");
  EXPECT_EQ(ServerSessionStateName(ServerSession::State::kAuthenticating),
            "AUTHENTICATING");
  EXPECT_EQ(ServerSessionStateName(ServerSession::State::kLoggedIn),
            "LOGGED_IN");
  EXPECT_EQ(ServerSessionStateName(ServerSession::State::kClosed), "CLOSED");
}

}  // namespace
}  // namespace hail::protocol
