#include "protocol/registry.h"

#include <set>
#include <string>

#include "gtest/gtest.h"

namespace hail::protocol {
namespace {

TEST(RegistryTest, KindIdsAreUnique) {
  std::set<uint16_t> ids;
  for (const KindInfo& info : AllKinds()) {
    EXPECT_TRUE(ids.insert(static_cast<uint16_t>(info.kind)).second)
        << info.name;
  }
}

TEST(RegistryTest, NamesAreUniqueUpperSnakeCase) {
  std::set<std::string_view> names;
  for (const KindInfo& info : AllKinds()) {
    EXPECT_TRUE(names.insert(info.name).second) << info.name;
    EXPECT_FALSE(info.name.empty());
    EXPECT_TRUE(info.name.front() >= 'A' && info.name.front() <= 'Z');
    for (char c : info.name) {
      EXPECT_TRUE((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')
          << info.name;
    }
  }
}

TEST(RegistryTest, EveryMessageAlternativeIsRegistered) {
  EXPECT_EQ(AllKinds().size(), std::variant_size_v<Message>);
}

TEST(RegistryTest, KindZeroIsReserved) {
  EXPECT_EQ(FindKind(0), nullptr);
  EXPECT_EQ(KindName(0), "UNKNOWN");
}

TEST(RegistryTest, FindKindAndKindNameAgreeWithTheTable) {
  for (const KindInfo& info : AllKinds()) {
    uint16_t id = static_cast<uint16_t>(info.kind);
    ASSERT_EQ(FindKind(id), &info);
    EXPECT_EQ(KindName(id), info.name);
  }
  EXPECT_EQ(FindKind(0xffff), nullptr);
  EXPECT_EQ(KindName(0x00ff), "UNKNOWN");
}

TEST(RegistryTest, SizeBoundsAreSane) {
  for (const KindInfo& info : AllKinds()) {
    EXPECT_GT(info.min_body, 0u) << info.name;
    EXPECT_LE(info.min_body, info.max_body) << info.name;
    EXPECT_LE(info.max_body, kMaxBodySize) << info.name;
  }
}

TEST(RegistryTest, SizeBoundsMatchEncodedExtremes) {
  // Empty strings and no endpoint give min_body; strings at their limits and
  // IPv6 endpoints give max_body.
  Endpoint v6 = *Endpoint::Parse("[2001:db8::1]:1");
  LoginRequest smallest;
  LoginRequest largest{1, std::string(kUsernameMaxLength, 'u'),
                       std::string(kPasswordMaxLength, 'p'),
                       std::string(kClientVersionMaxLength, 'v'), v6};
  const KindInfo* info = FindKind(static_cast<uint16_t>(Kind::kLoginRequest));
  ASSERT_NE(info, nullptr);
  EXPECT_EQ(EncodeMessage(smallest).size(), 2 + info->min_body);
  EXPECT_EQ(EncodeMessage(largest).size(), 2 + info->max_body);

  SessionInfo small_info;
  SessionInfo large_info{1,  2,  std::string(kUsernameMaxLength, 'u'),
                         v6, v6, std::string(kClientVersionMaxLength, 'v'),
                         3};
  info = FindKind(static_cast<uint16_t>(Kind::kSessionInfo));
  ASSERT_NE(info, nullptr);
  EXPECT_EQ(EncodeMessage(small_info).size(), 2 + info->min_body);
  EXPECT_EQ(EncodeMessage(large_info).size(), 2 + info->max_body);
}

TEST(RegistryTest, PlainKindsAreTheHandshakeKinds) {
  std::set<Kind> plain;
  for (const KindInfo& info : AllKinds()) {
    if (info.framing == Framing::kPlain) plain.insert(info.kind);
  }
  EXPECT_EQ(plain, (std::set<Kind>{Kind::kClientHello, Kind::kServerHello,
                                   Kind::kHandshakeReject}));
}

// SPEC.md "Channels": messages, receipts and mailbox items travel on the
// messaging channel, everything else on the control channel.
TEST(RegistryTest, KindsUseTheChannelsOfTheSpec) {
  const std::set<Kind> messaging = {
      Kind::kSendMessage,          Kind::kMessageAccepted,
      Kind::kMessageDeliver,       Kind::kItemAck,
      Kind::kDeliveryReceipt,      Kind::kMailboxEnd,
      Kind::kContactRequestNotice, Kind::kContactAnswerNotice,
      Kind::kDirectMessage,        Kind::kDirectAck,
      Kind::kForwardNotice,
  };
  for (const KindInfo& info : AllKinds()) {
    EXPECT_EQ(info.channel,
              messaging.count(info.kind) ? kChannelMessaging : kChannelControl)
        << info.name;
    EXPECT_LT(info.channel, kChannelCount) << info.name;
  }
}

TEST(RegistryTest, RequestsGoClientToServerAndResultsComeBack) {
  for (const KindInfo& info : AllKinds()) {
    std::string name(info.name);
    if (name.ends_with("_REQUEST")) {
      EXPECT_EQ(info.direction, Direction::kClientToServer) << name;
    }
    if (name.ends_with("_RESULT")) {
      EXPECT_EQ(info.direction, Direction::kServerToClient) << name;
    }
  }
}

TEST(RegistryTest, EveryKindRoundTripsWithDefaultValues) {
  for (const KindInfo& info : AllKinds()) {
    Bytes bytes;
    ByteWriter(&bytes).U16(static_cast<uint16_t>(info.kind));
    bytes.resize(2 + info.min_body, 0);  // zero lengths, family 0
    Decoded decoded = DecodeMessage(bytes);
    ASSERT_EQ(decoded.status, DecodeStatus::kOk) << info.name;
    EXPECT_EQ(KindOf(decoded.message), info.kind) << info.name;
    EXPECT_EQ(EncodeMessage(decoded.message), bytes) << info.name;
  }
}

TEST(RegistryTest, UnknownKindIsReportedAsUnknown) {
  for (uint16_t kind : {0x0000, 0x0004, 0x0015, 0x002d, 0x0039, 0x0042, 0x0056,
                        0x7fff, 0xffff}) {
    Bytes bytes;
    ByteWriter(&bytes).U16(kind);
    bytes.resize(40, 0);
    Decoded decoded = DecodeMessage(bytes);
    EXPECT_EQ(decoded.status, DecodeStatus::kUnknownKind) << kind;
    EXPECT_EQ(decoded.kind, kind);
  }
}

TEST(RegistryTest, MissingKindIsTruncated) {
  EXPECT_EQ(DecodeMessage(Bytes{}).status, DecodeStatus::kTruncated);
  EXPECT_EQ(DecodeMessage(Bytes{0x00}).status, DecodeStatus::kTruncated);
}

TEST(RegistryTest, ShortBodyIsTruncated) {
  Bytes bytes = EncodeMessage(Ping{42});
  bytes.pop_back();
  EXPECT_EQ(DecodeMessage(bytes).status, DecodeStatus::kTruncated);
}

// REGISTER_REQUEST bytes with a username one byte over its limit, written
// by hand: EncodeMessage refuses to produce them.
Bytes OverlongUsernameRegister() {
  Bytes bytes;
  ByteWriter w(&bytes);
  w.U16(static_cast<uint16_t>(Kind::kRegisterRequest));
  w.U32(7);
  w.String8(std::string(kUsernameMaxLength + 1, 'a'));
  w.String8("correct horse");
  return bytes;
}

TEST(RegistryTest, OverlongUsernameIsInvalid) {
  EXPECT_EQ(DecodeMessage(OverlongUsernameRegister()).status,
            DecodeStatus::kInvalid);
}

TEST(RegistryTest, EncoderRefusesFieldsOverTheirLimit) {
  EXPECT_TRUE(
      EncodeMessage(RegisterRequest{7, std::string(kUsernameMaxLength + 1, 'a'),
                                    "correct horse"})
          .empty());
  // 300 bytes would otherwise wrap the u8 length and decode as a shorter,
  // different password.
  EXPECT_TRUE(EncodeMessage(RegisterRequest{7, "alice", std::string(300, 'p')})
                  .empty());
  EXPECT_FALSE(
      EncodeMessage(RegisterRequest{7, std::string(kUsernameMaxLength, 'a'),
                                    std::string(kPasswordMaxLength, 'p')})
          .empty());
}

TEST(RegistryTest, OverlongStringIsInvalidEvenWhenItsBytesAreMissing) {
  // A length byte above the limit is refused before the bytes are read.
  Bytes bytes;
  ByteWriter w(&bytes);
  w.U16(static_cast<uint16_t>(Kind::kDeleteAccountRequest));
  w.U32(7);
  w.U8(kPasswordMaxLength + 1);
  EXPECT_EQ(DecodeMessage(bytes).status, DecodeStatus::kInvalid);
}

TEST(RegistryTest, StringsAtTheirLimitsDecode) {
  ChangePasswordRequest request{7, std::string(kPasswordMaxLength, 'o'),
                                std::string(kPasswordMaxLength, 'n')};
  Decoded decoded = DecodeMessage(EncodeMessage(request));
  ASSERT_EQ(decoded.status, DecodeStatus::kOk);
  EXPECT_EQ(std::get<ChangePasswordRequest>(decoded.message).new_password,
            request.new_password);
}

TEST(RegistryTest, OverlongClientVersionIsInvalid) {
  Bytes bytes;
  ByteWriter w(&bytes);
  w.U16(static_cast<uint16_t>(Kind::kLoginRequest));
  w.U32(7);
  w.String8("alice");
  w.String8("correct horse");
  w.String8(std::string(kClientVersionMaxLength + 1, 'v'));
  w.U8(0);  // no LAN endpoint
  EXPECT_EQ(DecodeMessage(bytes).status, DecodeStatus::kInvalid);
}

TEST(RegistryTest, UnknownEndpointFamilyIsInvalid) {
  Bytes bytes = EncodeMessage(LoginRequest{7, "alice", "correct horse", "v",
                                           *Endpoint::Parse("10.0.0.5:1")});
  bytes[bytes.size() - 7] = 5;  // the family byte
  EXPECT_EQ(DecodeMessage(bytes).status, DecodeStatus::kInvalid);
}

TEST(RegistryTest, TrailingBytesAreIgnored) {
  Bytes bytes = EncodeMessage(LogoutRequest{7});
  bytes.push_back(0xee);
  bytes.push_back(0xff);
  Decoded decoded = DecodeMessage(bytes);
  ASSERT_EQ(decoded.status, DecodeStatus::kOk);
  EXPECT_EQ(std::get<LogoutRequest>(decoded.message).request_id, 7u);
  EXPECT_EQ(EncodeMessage(decoded.message).size(), bytes.size() - 2);
}

// Issue 12: SPEC.md 2.4's body limit held only for what a sender encodes;
// a PING with 20,000 trailing bytes decoded.
TEST(RegistryTest, BodyOverTheLimitIsOversizedEvenWhenTheFieldsAreWellFormed) {
  Bytes bytes = EncodeMessage(Ping{42});
  bytes.resize(2 + kMaxBodySize, 0xee);
  EXPECT_EQ(DecodeMessage(bytes).status, DecodeStatus::kOk);
  bytes.push_back(0xee);
  EXPECT_EQ(DecodeMessage(bytes).status, DecodeStatus::kOversized);
  bytes = EncodeMessage(Ping{42});
  bytes.resize(2 + 20000, 0xee);
  EXPECT_EQ(DecodeMessage(bytes).status, DecodeStatus::kOversized);
}

TEST(RegistryTest, UnknownKindStaysUnknownWhateverItsSize) {
  Bytes bytes;
  ByteWriter(&bytes).U16(0x7fff);
  bytes.resize(2 + kMaxBodySize + 100, 0);
  EXPECT_EQ(DecodeMessage(bytes).status, DecodeStatus::kUnknownKind);
}

// Issue 12: an ERROR about a malformed request echoes its request_id.
TEST(RegistryTest, RequestIdIsReadFromAMalformedRequestWhenItsBytesArePresent) {
  Bytes bytes = OverlongUsernameRegister();
  Decoded decoded = DecodeMessage(bytes);
  EXPECT_EQ(decoded.status, DecodeStatus::kInvalid);
  EXPECT_EQ(decoded.request_id, 7u);
  Bytes three = {0x00, 0x25, 0x00, 0x00, 0x07};  // LOGOUT_REQUEST, 3 bytes
  EXPECT_EQ(DecodeMessage(three).status, DecodeStatus::kTruncated);
  EXPECT_EQ(DecodeMessage(three).request_id, 0u);
  Bytes ack = EncodeMessage(ItemAck{});  // no request_id
  ack[2] = 0x01;
  EXPECT_EQ(DecodeMessage(ack).request_id, 0u);
}

TEST(RegistryTest, OnlyClientRequestsHaveARequestId) {
  for (const KindInfo& info : AllKinds()) {
    Message message = DecodeMessage([&] {
                        Bytes b;
                        ByteWriter(&b).U16(static_cast<uint16_t>(info.kind));
                        b.resize(2 + info.min_body, 0);
                        return b;
                      }())
                          .message;
    std::vector<PrintedField> fields = DescribeMessage(message);
    bool leads = !fields.empty() && fields[0].name == "request_id";
    EXPECT_EQ(info.has_request_id,
              leads && info.direction == Direction::kClientToServer)
        << info.name;
  }
  EXPECT_FALSE(FindKind(static_cast<uint16_t>(Kind::kError))->has_request_id);
  EXPECT_FALSE(
      FindKind(static_cast<uint16_t>(Kind::kSendMessage))->has_request_id);
  EXPECT_TRUE(
      FindKind(static_cast<uint16_t>(Kind::kP2pAnswer))->has_request_id);
}

TEST(RegistryTest, UnknownErrorCodesDecode) {
  Bytes bytes = EncodeMessage(ErrorMessage{7, 0x25, ErrorCode::kBadState});
  bytes[bytes.size() - 2] = 0x12;
  bytes[bytes.size() - 1] = 0x34;
  Decoded decoded = DecodeMessage(bytes);
  ASSERT_EQ(decoded.status, DecodeStatus::kOk);
  EXPECT_EQ(
      static_cast<uint16_t>(std::get<ErrorMessage>(decoded.message).error),
      0x1234);
  EXPECT_EQ(ErrorCodeName(static_cast<ErrorCode>(0x1234)), "UNKNOWN");
}

TEST(RegistryTest, DescribeMessageNamesFieldsInWireOrderAndMarksSecrets) {
  std::vector<PrintedField> fields = DescribeMessage(
      LoginRequest{7, "alice", "correct horse", "hail-cli/0.1.0",
                   *Endpoint::Parse("10.0.0.5:51000")});
  ASSERT_EQ(fields.size(), 5u);
  EXPECT_EQ(fields[0].name, "request_id");
  EXPECT_EQ(fields[0].value, "7");
  EXPECT_EQ(fields[1].value, "alice");
  EXPECT_EQ(fields[2].name, "password");
  EXPECT_TRUE(fields[2].secret);
  EXPECT_FALSE(fields[1].secret);
  EXPECT_EQ(fields[4].value, "10.0.0.5:51000");
}

TEST(ErrorCodeTest, EveryCodeBelowTheEndHasAName) {
  std::set<std::string_view> names;
  for (uint16_t code = 0; code < kErrorCodeEnd; ++code) {
    std::string_view name = ErrorCodeName(static_cast<ErrorCode>(code));
    EXPECT_NE(name, "UNKNOWN") << code;
    EXPECT_TRUE(names.insert(name).second) << name;
  }
  EXPECT_EQ(ErrorCodeName(static_cast<ErrorCode>(kErrorCodeEnd)), "UNKNOWN");
}

}  // namespace
}  // namespace hail::protocol
