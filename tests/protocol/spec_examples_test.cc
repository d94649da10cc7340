// SPEC.md's worked examples are golden bytes: every ```hex NAME block must be
// exactly what the codec produces from the field values its prose states,
// must decode back to those values, and every shorter prefix must fail
// cleanly. The tables of SPEC.md sections 11.1 ("Message registry") and 12
// ("Error codes") must match the registry and the error codes, and the
// key-derivation vector must match libsodium.
#include <sodium.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "protocol/byte_io.h"
#include "protocol/enet_wire.h"
#include "protocol/error_code.h"
#include "protocol/handshake.h"
#include "protocol/messages.h"
#include "protocol/p2p_link.h"
#include "protocol/presession.h"
#include "protocol/registry.h"
#include "protocol/secure_channel.h"
#include "protocol/server_session.h"
#include "protocol/spec_blocks.h"
#include "protocol/stream_framing.h"
#include "protocol/stun.h"
#include "tests/support/spec_blocks.h"

namespace hail::protocol {
namespace {

// --- Reading SPEC.md ---

using Block = hail::testing::SpecBlock;
using hail::testing::BlocksWithInfo;
using hail::testing::Lines;
using hail::testing::ReadSpec;

class SpecExamplesTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ASSERT_GE(sodium_init(), 0);
    spec_ = new std::string(ReadSpec());
  }
  static void TearDownTestSuite() {
    delete spec_;
    spec_ = nullptr;
  }

  // The bytes of the one ```hex NAME block.
  static Bytes Example(const std::string& name) {
    Bytes bytes;
    int found = 0;
    for (const Block& block : BlocksWithInfo(*spec_, "hex")) {
      if (block.name != name) continue;
      ++found;
      EXPECT_TRUE(FromHex(block.text, &bytes))
          << "SPEC.md line " << block.line << ": bad hex in " << name;
    }
    EXPECT_EQ(found, 1) << "SPEC.md needs exactly one ```hex " << name;
    return bytes;
  }

  static std::string* spec_;
};

std::string* SpecExamplesTest::spec_ = nullptr;

// --- The values the SPEC prose states ---

template <size_t N>
std::array<uint8_t, N> Repeated(uint8_t value) {
  std::array<uint8_t, N> out;
  out.fill(value);
  return out;
}

Endpoint Ep(std::string_view text) {
  std::optional<Endpoint> endpoint = Endpoint::Parse(text);
  EXPECT_TRUE(endpoint.has_value()) << text;
  return endpoint.value_or(Endpoint{});
}

constexpr uint32_t kRequestId = 7;
constexpr uint64_t kUserId = 10000;
constexpr uint64_t kTokenExpiresUnix = 1767225600;  // 2026-01-01 00:00 UTC
constexpr uint64_t kLoginUnix = 1764547200;         // 2025-12-01 00:00 UTC
constexpr uint64_t kPingNonce = 0x0102030405060708;
constexpr uint64_t kClientNonce = 0x0123456789abcdef;
constexpr char kClientVersion[] = "hail-cli/0.1.0";
// Contacts, presence and messages: alice (10000) and bob (10001).
constexpr uint64_t kBobId = 10001;
constexpr uint64_t kAddedUnix = kLoginUnix;          // 00:00:00
constexpr uint64_t kAnsweredUnix = kLoginUnix + 60;  // 00:01:00
constexpr uint64_t kSentUnix = kLoginUnix + 120;     // 00:02:00
constexpr uint64_t kAcceptedUnix = kLoginUnix + 121;
constexpr uint64_t kDeliveredUnix = kLoginUnix + 122;
constexpr char kRequestText[] = "Hi Bob, it's Alice from work";
constexpr char kMessageText[] = "Coffee at 10? \xe2\x98\x95";  // U+2615
constexpr char kStatusText[] = "in a meeting";
constexpr char kObserved[] = "198.51.100.7:51000";
constexpr char kLan[] = "10.0.0.5:51000";

ClientHello ExampleClientHello() {
  ClientHello hello;
  hello.version = 1;
  hello.client_ephemeral_key = Repeated<32>(0xaa);
  return hello;
}

IdentityKey ExampleIdentity() {
  return IdentityKey::FromSeed(Repeated<32>(0x33));
}

ServerHello ExampleServerHello() {
  IdentityKey identity = ExampleIdentity();
  ServerHello hello;
  hello.version = 1;
  hello.server_ephemeral_key = Repeated<32>(0xbb);
  hello.server_identity_key = identity.public_key;
  Bytes transcript =
      HandshakeTranscript(Repeated<32>(0xaa), hello.server_ephemeral_key,
                          hello.server_identity_key);
  crypto_sign_detached(hello.signature.data(), nullptr, transcript.data(),
                       transcript.size(), identity.secret_key.data());
  return hello;
}

Ping ExamplePing() { return Ping{kPingNonce}; }

// 16 bytes counting up from `first`: 00 01 .. 0f for the message id, 10 ..
// 1f, 20 .. 2f, 30 .. 3f and 40 .. 4f for the server-chosen item ids.
constexpr ItemId CountingId(uint8_t first) {
  ItemId id{};
  for (size_t i = 0; i < id.size(); ++i) {
    id[i] = static_cast<uint8_t>(first + i);
  }
  return id;
}

constexpr ItemId kMessageId = CountingId(0x00);

// Direct links (section 15): alice is the connector of this rendezvous.
constexpr uint64_t kP2pSession = 0x1122334455667788;

SessionKey ExampleP2pKey() { return Repeated<32>(0x55); }

// Extended delivery (section 17): bob's e-mail address and rule.
constexpr char kBobEmail[] = "bob@example.org";
constexpr uint64_t kForwardedUnix = kLoginUnix + 720;  // 00:12:00

ForwardRuleFields ExampleForwardRule() {
  ForwardRuleFields rule;
  rule.enabled = 1;
  rule.after_minutes = 10;
  rule.quiet_start = 22 * 60;
  rule.quiet_end = 7 * 60;
  rule.utc_offset_minutes = -300;
  rule.daily_cap = 20;
  rule.contacts_mode = static_cast<uint8_t>(ForwardContactsMode::kList);
  rule.contacts = "alice,carol";
  return rule;
}

P2pReady ExampleP2pReady() {
  P2pReady ready;
  ready.session_id = kP2pSession;
  ready.peer_id = kBobId;
  ready.peer = "bob";
  ready.role = static_cast<uint8_t>(LinkRole::kConnector);
  ready.peer_public = Ep("203.0.113.3:40001");
  ready.peer_lan = Ep("192.168.2.10:40001");
  ready.session_key = ExampleP2pKey();
  return ready;
}

std::vector<Message> ExampleMessages() {
  return {
      ExampleClientHello(),
      ExampleServerHello(),
      HandshakeReject{ErrorCode::kUnsupportedVersion, 1},
      ErrorMessage{kRequestId, 0x0025, ErrorCode::kBadState},
      ExamplePing(),
      Pong{kPingNonce},
      SessionEnded{ErrorCode::kSessionReplaced},
      RegisterRequest{kRequestId, "alice", "correct horse"},
      RegisterResult{kRequestId, ErrorCode::kOk, 0, kUserId, "alice"},
      LoginRequest{kRequestId, "alice", "correct horse", kClientVersion,
                   Ep(kLan)},
      ResumeRequest{kRequestId, "alice", Repeated<32>(0xcc), kClientVersion,
                    Ep(kLan)},
      LoginResult{kRequestId, ErrorCode::kOk, 0, kUserId, "alice",
                  Repeated<32>(0xcc), kTokenExpiresUnix, Ep(kObserved)},
      LogoutRequest{kRequestId},
      LogoutResult{kRequestId, ErrorCode::kOk},
      ChangePasswordRequest{kRequestId, "correct horse", "battery staple"},
      ChangePasswordResult{kRequestId, ErrorCode::kOk, 0, Repeated<32>(0xdd),
                           kTokenExpiresUnix},
      DeleteAccountRequest{kRequestId, "battery staple"},
      DeleteAccountResult{kRequestId, ErrorCode::kThrottled, 30000},
      SessionInfoRequest{kRequestId},
      SessionInfo{kRequestId, kUserId, "alice", Ep(kObserved), Ep(kLan),
                  kClientVersion, kLoginUnix},
      RequestResult{kRequestId, ErrorCode::kNotAContact},
      ContactAdd{kRequestId, "bob", kRequestText},
      ContactAnswer{kRequestId, "alice", 1},
      ContactRemove{kRequestId, "bob"},
      ContactBlock{kRequestId, "mallory", 1},
      ContactListRequest{kRequestId},
      ContactUpdate{kBobId, "bob", static_cast<uint8_t>(Relation::kAccepted),
                    static_cast<uint8_t>(Presence::kAway), "at lunch"},
      ContactRequestNotice{CountingId(0x10), kUserId, "alice", kRequestText,
                           kAddedUnix},
      ContactAnswerNotice{CountingId(0x20), kBobId, "bob", 1, kAnsweredUnix},
      ContactListEnd{kRequestId, 3},
      SetPresence{kRequestId, static_cast<uint8_t>(Presence::kBusy),
                  kStatusText},
      PresenceUpdate{kUserId, "alice", static_cast<uint8_t>(Presence::kBusy),
                     kStatusText},
      SendMessage{kMessageId, "bob", kSentUnix, kMessageText},
      MessageAccepted{kMessageId, ErrorCode::kOk,
                      static_cast<uint8_t>(Route::kLive), 1, kAcceptedUnix},
      MessageDeliver{kMessageId, kUserId, "alice", 1, kAcceptedUnix, 0,
                     kMessageText},
      ItemAck{kMessageId, kUserId},
      DeliveryReceipt{CountingId(0x30), kMessageId, kBobId, "bob",
                      kDeliveredUnix},
      MailboxEnd{3},
      P2pRequest{kRequestId, "bob", 1},
      P2pOffer{kP2pSession, kUserId, "alice"},
      P2pAnswer{kRequestId, kP2pSession, 1, 1},
      ExampleP2pReady(),
      P2pClosed{kP2pSession, kBobId, "bob", ErrorCode::kP2pDeclined},
      LinkHello{kP2pSession, kUserId},
      DirectMessage{kMessageId, kSentUnix, kMessageText},
      DirectAck{kMessageId},
      ForwardAddressAdd{
          kRequestId, static_cast<uint8_t>(ForwardChannel::kEmail), kBobEmail},
      ForwardAddressVerify{
          kRequestId, static_cast<uint8_t>(ForwardChannel::kEmail), "493027"},
      ForwardAddressRemove{kRequestId,
                           static_cast<uint8_t>(ForwardChannel::kSms)},
      ForwardRulesSet{kRequestId, static_cast<uint8_t>(ForwardChannel::kEmail),
                      ExampleForwardRule()},
      ForwardListRequest{kRequestId},
      ForwardEntry{kRequestId, static_cast<uint8_t>(ForwardChannel::kEmail),
                   kBobEmail, 1, ExampleForwardRule()},
      ForwardListEnd{kRequestId, 3},
      ForwardNotice{CountingId(0x40), kMessageId, kBobId, "bob",
                    static_cast<uint8_t>(ForwardChannel::kEmail),
                    static_cast<uint8_t>(ForwardState::kHandedOver), "",
                    kForwardedUnix},
  };
}

// The example names that are not message kinds.
const std::set<std::string>& OtherExampleNames() {
  static const std::set<std::string> names = {
      "HELLO_DATAGRAM",
      "COOKIE_DATAGRAM",
      "PRESESSION_REJECT_DATAGRAM",
      "SEALED_FRAME",
      "PLAIN_FRAME",
      "ENET_CONNECT",
      "STUN_BINDING_REQUEST",
      "STUN_BINDING_RESPONSE",
      "TCP_RECORD",
      "TCP_CLOSE_RECORD",
      "PROBE_DATAGRAM",
      // Stored values (section 14.2), checked by
      // tests/server/store_records_test.cc.
      "USER_RECORD",
      "TOKEN_ENTRY",
      "CONTACT_ENTRY",
      "MAILBOX_ITEM",
      "DEDUP_RECORD",
      // Extended-delivery records (section 14.2), checked by
      // tests/forward/forward_records_test.cc.
      "FORWARD_SETTINGS",
      "FORWARD_JOB",
  };
  return names;
}

SessionKeys ExampleSealingKeys() {
  SessionKeys keys;
  keys.client_to_server = Repeated<32>(0x11);
  keys.server_to_client = Repeated<32>(0x22);
  return keys;
}

// ENet's CRC32 (the zlib one), over a datagram whose checksum field is zero.
uint32_t Crc32(ByteSpan data) {
  uint32_t crc = 0xffffffff;
  for (uint8_t byte : data) {
    crc ^= byte;
    for (int bit = 0; bit < 8; ++bit) {
      crc = (crc >> 1) ^ (0xedb88320 & (0u - (crc & 1)));
    }
  }
  return ~crc;
}

// Section 4.2.2: a CONNECT from an ENet 1.3.17 client carrying the cookie.
struct ExampleConnect {
  uint16_t sent_time = 0x0100;
  uint16_t outgoing_peer_id = 0;
  uint32_t mtu = 1400;
  uint32_t window_size = 65536;
  uint32_t channel_count = 2;
  uint32_t throttle_interval = 5000;
  uint32_t acceleration = 2;
  uint32_t deceleration = 2;
  uint32_t connect_id = 0x01020304;
  uint32_t data = 0;  // the cookie

  Bytes Encode() const {
    Bytes out;
    ByteWriter w(&out);
    w.U16(enet_wire::kFlagSentTime | enet_wire::kNoPeerId);
    w.U16(sent_time);
    w.U32(0);  // checksum, filled in below
    w.U8(0x80 | enet_wire::kCommandConnect);
    w.U8(0xff);  // channel id
    w.U16(1);    // reliable sequence number
    w.U16(outgoing_peer_id);
    w.U8(0xff);  // incoming session id
    w.U8(0xff);  // outgoing session id
    w.U32(mtu);
    w.U32(window_size);
    w.U32(channel_count);
    w.U32(0);  // incoming bandwidth
    w.U32(0);  // outgoing bandwidth
    w.U32(throttle_interval);
    w.U32(acceleration);
    w.U32(deceleration);
    w.U32(connect_id);
    w.U32(data);
    uint32_t crc = Crc32(out);
    for (int i = 0; i < 4; ++i) {
      out[4 + i] = static_cast<uint8_t>(crc >> (24 - 8 * i));
    }
    return out;
  }
};

constexpr char kCookieSource[] = "198.51.100.7:51000";
constexpr uint64_t kCookieMintedUnix = 1764547200;

CookieMinter ExampleMinter() { return CookieMinter(Repeated<32>(0x44)); }

// --- Coverage ---

TEST_F(SpecExamplesTest, SpecIsReadable) {
  EXPECT_GT(spec_->size(), 10000u)
      << "cannot read " << HAIL_SOURCE_DIR "/SPEC.md";
}

TEST_F(SpecExamplesTest, EveryRegistryKindHasExactlyOneExample) {
  std::map<std::string, int> count;
  for (const Block& block : BlocksWithInfo(*spec_, "hex")) ++count[block.name];
  for (const KindInfo& info : AllKinds()) {
    EXPECT_EQ(count[std::string(info.name)], 1)
        << "SPEC.md needs exactly one ```hex " << info.name << " block";
  }
}

TEST_F(SpecExamplesTest, EveryOtherExampleAppearsExactlyOnce) {
  std::map<std::string, int> count;
  for (const Block& block : BlocksWithInfo(*spec_, "hex")) ++count[block.name];
  for (const std::string& name : OtherExampleNames()) {
    EXPECT_EQ(count[name], 1) << "SPEC.md needs exactly one ```hex " << name;
  }
}

TEST_F(SpecExamplesTest, NoExampleHasAnUnknownName) {
  std::set<std::string> known = OtherExampleNames();
  for (const KindInfo& info : AllKinds()) known.insert(std::string(info.name));
  std::vector<Block> blocks = BlocksWithInfo(*spec_, "hex");
  EXPECT_GE(blocks.size(), known.size());
  for (const Block& block : blocks) {
    EXPECT_TRUE(known.count(block.name))
        << "SPEC.md line " << block.line << ": unknown example name '"
        << block.name << "'";
  }
}

TEST_F(SpecExamplesTest, EveryExampleIsLowercaseHexPairs) {
  for (const Block& block : BlocksWithInfo(*spec_, "hex")) {
    std::istringstream words(block.text);
    for (std::string word; words >> word;) {
      EXPECT_EQ(word.size(), 2u) << block.name << ": '" << word << "'";
      for (char c : word) {
        EXPECT_TRUE((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))
            << block.name << ": '" << word << "'";
      }
    }
  }
}

TEST_F(SpecExamplesTest, TestValuesCoverEveryRegistryKind) {
  std::set<uint16_t> kinds;
  for (const Message& message : ExampleMessages()) {
    EXPECT_TRUE(kinds.insert(static_cast<uint16_t>(KindOf(message))).second);
  }
  EXPECT_EQ(kinds.size(), AllKinds().size());
}

// --- Message examples ---

TEST_F(SpecExamplesTest, MessageExamplesAreWhatTheCodecEncodes) {
  for (const Message& message : ExampleMessages()) {
    std::string name(KindName(static_cast<uint16_t>(KindOf(message))));
    EXPECT_EQ(ToHex(EncodeMessage(message)), ToHex(Example(name))) << name;
  }
}

TEST_F(SpecExamplesTest, MessageExamplesDecodeToTheStatedFields) {
  for (const Message& expected : ExampleMessages()) {
    uint16_t kind = static_cast<uint16_t>(KindOf(expected));
    std::string name(KindName(kind));
    Bytes bytes = Example(name);
    Decoded decoded = DecodeMessage(bytes);
    ASSERT_EQ(decoded.status, DecodeStatus::kOk) << name;
    EXPECT_EQ(decoded.kind, kind) << name;
    EXPECT_EQ(EncodeMessage(decoded.message), bytes) << name;
    std::vector<PrintedField> want = DescribeMessage(expected);
    std::vector<PrintedField> got = DescribeMessage(decoded.message);
    ASSERT_EQ(got.size(), want.size()) << name;
    for (size_t i = 0; i < want.size(); ++i) {
      EXPECT_EQ(got[i].name, want[i].name) << name;
      EXPECT_EQ(got[i].value, want[i].value) << name << "." << want[i].name;
    }
  }
}

TEST_F(SpecExamplesTest, MessageExamplesRespectRegistrySizeBounds) {
  for (const KindInfo& info : AllKinds()) {
    Bytes bytes = Example(std::string(info.name));
    ASSERT_GE(bytes.size(), 2u) << info.name;
    size_t body = bytes.size() - 2;
    EXPECT_GE(body, info.min_body) << info.name;
    EXPECT_LE(body, info.max_body) << info.name;
  }
}

TEST_F(SpecExamplesTest, EveryShorterPrefixOfAMessageExampleFailsToDecode) {
  for (const KindInfo& info : AllKinds()) {
    Bytes bytes = Example(std::string(info.name));
    for (size_t length = 0; length < bytes.size(); ++length) {
      Decoded decoded = DecodeMessage(ByteSpan(bytes.data(), length));
      EXPECT_NE(decoded.status, DecodeStatus::kOk)
          << info.name << " prefix of " << length << " bytes";
    }
  }
}

TEST_F(SpecExamplesTest, ServerHelloExampleSignatureVerifies) {
  Decoded decoded = DecodeMessage(Example("SERVER_HELLO"));
  ASSERT_EQ(decoded.status, DecodeStatus::kOk);
  const auto& hello = std::get<ServerHello>(decoded.message);
  EXPECT_EQ(hello.server_identity_key, ExampleIdentity().public_key);
  Bytes transcript =
      HandshakeTranscript(Repeated<32>(0xaa), hello.server_ephemeral_key,
                          hello.server_identity_key);
  EXPECT_EQ(crypto_sign_verify_detached(hello.signature.data(),
                                        transcript.data(), transcript.size(),
                                        hello.server_identity_key.data()),
            0);
}

// --- Pre-session datagrams ---

TEST_F(SpecExamplesTest, HelloDatagramExampleMatchesTheCodec) {
  Bytes bytes = Example("HELLO_DATAGRAM");
  HelloDatagram expected{1, kClientNonce};
  EXPECT_EQ(ToHex(EncodeHello(expected)), ToHex(bytes));
  std::optional<HelloDatagram> decoded = DecodeHello(bytes);
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(decoded->version, expected.version);
  EXPECT_EQ(decoded->client_nonce, expected.client_nonce);
  EXPECT_EQ(EncodeHello(*decoded), bytes);
  EXPECT_EQ(ClassifyDatagram(bytes), DatagramClass::kHail);
  for (size_t length = 0; length < bytes.size(); ++length) {
    EXPECT_FALSE(DecodeHello(ByteSpan(bytes.data(), length)).has_value())
        << length;
  }
}

TEST_F(SpecExamplesTest, ProbeDatagramExampleMatchesTheCodec) {
  LinkKeys keys = DeriveLinkKeys(ExampleP2pKey(), kP2pSession);
  Bytes bytes = Example("PROBE_DATAGRAM");
  ASSERT_EQ(bytes.size(), kProbeSize);
  EXPECT_EQ(
      ToHex(EncodeProbe({kP2pSession, LinkRole::kConnector, 0}, keys.probe)),
      ToHex(bytes));
  std::optional<ProbeDatagram> probe = DecodeProbe(bytes, keys.probe);
  ASSERT_TRUE(probe);
  EXPECT_EQ(probe->session_id, kP2pSession);
  EXPECT_EQ(probe->sender_role, LinkRole::kConnector);
  EXPECT_EQ(probe->seq, 0u);
  for (size_t length = 0; length < bytes.size(); ++length) {
    EXPECT_FALSE(DecodeProbe(ByteSpan(bytes.data(), length), keys.probe));
  }
  // Any changed byte breaks the tag (or the shape).
  for (size_t i = 0; i < bytes.size(); ++i) {
    Bytes changed = bytes;
    changed[i] ^= 0x01;
    EXPECT_FALSE(DecodeProbe(changed, keys.probe)) << "byte " << i;
  }
  EXPECT_FALSE(DecodeProbe(bytes, keys.channel.client_to_server));
}

TEST_F(SpecExamplesTest, LinkKeyWorkedExampleMatchesTheDerivation) {
  LinkKeys keys = DeriveLinkKeys(ExampleP2pKey(), kP2pSession);
  auto line = [](std::string_view label, const Key& key) {
    std::string text(label);
    for (uint8_t b : key) {
      text += ' ';
      text += ToHex(ByteSpan(&b, 1));
    }
    return text;
  };
  const std::string& spec_text = *spec_;
  EXPECT_NE(spec_text.find(
                line("connector_to_listener:", keys.channel.client_to_server)),
            std::string::npos);
  EXPECT_NE(spec_text.find(
                line("listener_to_connector:", keys.channel.server_to_client)),
            std::string::npos);
  EXPECT_NE(spec_text.find(line("probe_key:            ", keys.probe)),
            std::string::npos);
}

TEST_F(SpecExamplesTest, CookieDatagramExampleMatchesTheCodecAndTheMinter) {
  Bytes bytes = Example("COOKIE_DATAGRAM");
  CookieMinter minter = ExampleMinter();
  CookieDatagram expected;
  expected.version = 1;
  expected.client_nonce = kClientNonce;
  expected.cookie = minter.Mint(Ep(kCookieSource), kCookieMintedUnix);
  expected.valid_for_seconds = 60;
  EXPECT_EQ(expected.cookie, 0xb161038du);  // as the SPEC prose states
  EXPECT_EQ(ToHex(EncodeCookie(expected)), ToHex(bytes));
  std::optional<CookieDatagram> decoded = DecodeCookie(bytes);
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(decoded->version, expected.version);
  EXPECT_EQ(decoded->client_nonce, expected.client_nonce);
  EXPECT_EQ(decoded->cookie, expected.cookie);
  EXPECT_EQ(decoded->valid_for_seconds, expected.valid_for_seconds);
  EXPECT_EQ(EncodeCookie(*decoded), bytes);
  EXPECT_TRUE(minter.Verify(Ep(kCookieSource), decoded->cookie,
                            kCookieMintedUnix + 60));
  for (size_t length = 0; length < bytes.size(); ++length) {
    EXPECT_FALSE(DecodeCookie(ByteSpan(bytes.data(), length)).has_value())
        << length;
  }
}

TEST_F(SpecExamplesTest, CookieWorkedExampleIsKeyedBlake2bOfTheStatedInput) {
  Bytes input;
  ByteWriter w(&input);
  w.Raw(std::string_view("hail-cookie-v1"));
  w.U8(4);
  Endpoint source = Ep(kCookieSource);
  w.Raw(ByteSpan(source.address));
  w.U16(source.port);
  w.U64(kCookieMintedUnix / 60);
  ASSERT_EQ(input.size(), 41u);  // as the SPEC prose states
  std::array<uint8_t, 16> mac;
  std::array<uint8_t, 32> secret = Repeated<32>(0x44);
  crypto_generichash(mac.data(), mac.size(), input.data(), input.size(),
                     secret.data(), secret.size());
  std::string spec_text;
  for (const std::string& line : Lines(*spec_)) spec_text += line + "\n";
  // The prose lists the input and the MAC; both must be in SPEC.md.
  std::string mac_hex;
  for (uint8_t b : mac) {
    if (!mac_hex.empty()) mac_hex += ' ';
    mac_hex += ToHex(ByteSpan(&b, 1));
  }
  EXPECT_NE(spec_text.find("mac:     " + mac_hex), std::string::npos)
      << mac_hex;
  EXPECT_EQ(uint32_t{mac[0]} << 24 | uint32_t{mac[1]} << 16 |
                uint32_t{mac[2]} << 8 | mac[3],
            ExampleMinter().Mint(source, kCookieMintedUnix));
}

TEST_F(SpecExamplesTest, PresessionRejectExampleMatchesTheCodec) {
  Bytes bytes = Example("PRESESSION_REJECT_DATAGRAM");
  PresessionRejectDatagram expected{1, kClientNonce,
                                    ErrorCode::kUnsupportedVersion};
  EXPECT_EQ(ToHex(EncodePresessionReject(expected)), ToHex(bytes));
  std::optional<PresessionRejectDatagram> decoded =
      DecodePresessionReject(bytes);
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(decoded->highest_version, expected.highest_version);
  EXPECT_EQ(decoded->client_nonce, expected.client_nonce);
  EXPECT_EQ(decoded->error, expected.error);
  EXPECT_EQ(EncodePresessionReject(*decoded), bytes);
  for (size_t length = 0; length < bytes.size(); ++length) {
    EXPECT_FALSE(
        DecodePresessionReject(ByteSpan(bytes.data(), length)).has_value())
        << length;
  }
}

// --- STUN (SPEC.md 3.4.5) ---

stun::TransactionId ExampleStunTransaction() {
  stun::TransactionId t;
  t.id = {0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34,
          0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae};
  return t;
}

TEST_F(SpecExamplesTest, StunBindingRequestExampleMatchesTheCodec) {
  Bytes bytes = Example("STUN_BINDING_REQUEST");
  stun::BindingRequest request;
  request.transaction = ExampleStunTransaction();
  request.software_size = stun::kHailSoftwareSize;
  EXPECT_EQ(ToHex(stun::EncodeBindingRequest(request)), ToHex(bytes));
  stun::DecodeResult decoded = stun::Decode(bytes, /*allow_classic=*/false);
  ASSERT_TRUE(decoded.message.has_value());
  EXPECT_EQ(decoded.message->type, stun::kBindingRequest);
  EXPECT_EQ(decoded.message->transaction, request.transaction);
  EXPECT_TRUE(decoded.message->had_fingerprint);
  EXPECT_EQ(ClassifyDatagram(bytes), DatagramClass::kStun);
  for (size_t length = 0; length < bytes.size(); ++length) {
    EXPECT_FALSE(stun::Decode(ByteSpan(bytes.data(), length), true).message)
        << length;
  }
}

TEST_F(SpecExamplesTest, StunBindingResponseExampleIsTheServersAnswer) {
  Bytes request = Example("STUN_BINDING_REQUEST");
  Bytes bytes = Example("STUN_BINDING_RESPONSE");
  stun::ServerReply reply =
      stun::AnswerBinding(request, Ep("198.51.100.7:51000"),
                          Ep("203.0.113.5:4000"), Ep("203.0.113.5:4001"));
  ASSERT_EQ(reply.outcome, stun::ServerReply::Outcome::kAnswered);
  EXPECT_EQ(ToHex(reply.datagram), ToHex(bytes));
  EXPECT_LE(bytes.size(), stun::ResponseBudget(request.size()));
  std::optional<stun::BindingResponse> decoded =
      stun::DecodeBindingResponse(bytes);
  ASSERT_TRUE(decoded.has_value());
  EXPECT_TRUE(decoded->success);
  EXPECT_EQ(decoded->transaction, ExampleStunTransaction());
  EXPECT_EQ(decoded->mapped, Ep("198.51.100.7:51000"));
  EXPECT_EQ(decoded->other, Ep("203.0.113.5:4001"));
  EXPECT_EQ(decoded->response_origin, Ep("203.0.113.5:4000"));
  for (size_t length = 0; length < bytes.size(); ++length) {
    EXPECT_FALSE(stun::DecodeBindingResponse(ByteSpan(bytes.data(), length)))
        << length;
  }
}

// --- ENet CONNECT ---

TEST_F(SpecExamplesTest, EnetConnectExampleIsAValidConnectCarryingTheCookie) {
  Bytes bytes = Example("ENET_CONNECT");
  ExampleConnect expected;
  expected.data = ExampleMinter().Mint(Ep(kCookieSource), kCookieMintedUnix);
  EXPECT_EQ(ToHex(expected.Encode()), ToHex(bytes));
  EXPECT_EQ(ClassifyDatagram(bytes), DatagramClass::kEnet);

  std::optional<enet_wire::Header> header =
      enet_wire::ParseHeader(bytes, /*with_checksum=*/true);
  ASSERT_TRUE(header.has_value());
  EXPECT_EQ(header->peer_id, enet_wire::kNoPeerId);
  EXPECT_TRUE(header->sent_time_present);
  EXPECT_FALSE(header->compressed);
  EXPECT_EQ(header->sent_time, expected.sent_time);
  EXPECT_EQ(header->checksum, 0x34015350u);  // as the SPEC prose states
  EXPECT_EQ(header->size, 8u);
  Bytes zeroed = bytes;
  std::fill(zeroed.begin() + 4, zeroed.begin() + 8, 0);
  EXPECT_EQ(Crc32(zeroed), header->checksum);

  std::optional<enet_wire::Connect> connect =
      enet_wire::ParsePeerlessConnect(bytes, /*with_checksum=*/true);
  ASSERT_TRUE(connect.has_value());
  EXPECT_EQ(connect->outgoing_peer_id, expected.outgoing_peer_id);
  EXPECT_EQ(connect->mtu, expected.mtu);
  EXPECT_EQ(connect->window_size, expected.window_size);
  EXPECT_EQ(connect->channel_count, expected.channel_count);
  EXPECT_EQ(connect->connect_id, expected.connect_id);
  EXPECT_EQ(connect->data, expected.data);
  EXPECT_TRUE(ExampleMinter().Verify(Ep(kCookieSource), connect->data,
                                     kCookieMintedUnix + 30));
  EXPECT_EQ(bytes.size(), header->size + enet_wire::kConnectCommandSize);
}

TEST_F(SpecExamplesTest, EveryShorterPrefixOfTheEnetConnectExampleIsRefused) {
  Bytes bytes = Example("ENET_CONNECT");
  for (size_t length = 0; length < bytes.size(); ++length) {
    EXPECT_FALSE(
        enet_wire::ParsePeerlessConnect(ByteSpan(bytes.data(), length), true)
            .has_value())
        << length;
  }
}

// --- Frames ---

TEST_F(SpecExamplesTest, PlainFrameExampleIsTheClientHelloExampleInAFrame) {
  Bytes bytes = Example("PLAIN_FRAME");
  Bytes expected = {kFramePlain};
  Bytes hello = EncodeMessage(ExampleClientHello());
  expected.insert(expected.end(), hello.begin(), hello.end());
  EXPECT_EQ(ToHex(expected), ToHex(bytes));
  ASSERT_FALSE(bytes.empty());
  Decoded decoded = DecodeMessage(ByteSpan(bytes).subspan(1));
  ASSERT_EQ(decoded.status, DecodeStatus::kOk);
  EXPECT_EQ(std::get<ClientHello>(decoded.message).client_ephemeral_key,
            Repeated<32>(0xaa));
  for (size_t length = 1; length < bytes.size(); ++length) {
    EXPECT_NE(DecodeMessage(ByteSpan(bytes.data() + 1, length - 1)).status,
              DecodeStatus::kOk)
        << length;
  }
}

TEST_F(SpecExamplesTest, PlainFrameExampleSecuresAServerSession) {
  IdentityKey identity = ExampleIdentity();
  ServerSession session(&identity, 0);
  ServerSession::Output out =
      session.OnPacket(kChannelControl, Example("PLAIN_FRAME"), 1);
  EXPECT_EQ(session.state(), ServerSession::State::kSecured);
  EXPECT_FALSE(out.close.has_value());
  ASSERT_EQ(out.frames.size(), 1u);
  EXPECT_EQ(out.frames[0].bytes[0], kFramePlain);
}

TEST_F(SpecExamplesTest, EveryShorterPrefixOfThePlainFrameExampleIsRefused) {
  IdentityKey identity = ExampleIdentity();
  Bytes bytes = Example("PLAIN_FRAME");
  for (size_t length = 0; length < bytes.size(); ++length) {
    ServerSession session(&identity, 0);
    ServerSession::Output out =
        session.OnPacket(kChannelControl, ByteSpan(bytes.data(), length), 1);
    EXPECT_NE(session.state(), ServerSession::State::kSecured) << length;
    EXPECT_TRUE(out.frames.empty()) << length;
  }
}

// --- TCP records (section 3.8) ---

TEST_F(SpecExamplesTest, TcpRecordExampleIsThePlainFrameExampleOnChannel0) {
  Bytes bytes = Example("TCP_RECORD");
  EXPECT_EQ(
      ToHex(stream::EncodeFrameRecord(kChannelControl, Example("PLAIN_FRAME"))),
      ToHex(bytes));
  stream::StreamDecoder decoder;
  decoder.Append(bytes);
  std::optional<stream::Record> record = decoder.Next();
  ASSERT_TRUE(record.has_value());
  EXPECT_EQ(record->type, stream::Record::Type::kFrame);
  EXPECT_EQ(record->channel, kChannelControl);
  EXPECT_EQ(ToHex(record->frame), ToHex(Example("PLAIN_FRAME")));
  EXPECT_EQ(decoder.pending(), 0u);
  for (size_t length = 0; length < bytes.size(); ++length) {
    stream::StreamDecoder partial;
    partial.Append(ByteSpan(bytes.data(), length));
    EXPECT_FALSE(partial.Next().has_value()) << length;
    EXPECT_EQ(partial.error(), stream::StreamError::kNone) << length;
  }
}

TEST_F(SpecExamplesTest, TcpCloseRecordExampleCarriesShuttingDown) {
  Bytes bytes = Example("TCP_CLOSE_RECORD");
  EXPECT_EQ(ToHex(stream::EncodeCloseRecord(
                static_cast<uint16_t>(ErrorCode::kShuttingDown))),
            ToHex(bytes));
  stream::StreamDecoder decoder;
  decoder.Append(bytes);
  std::optional<stream::Record> record = decoder.Next();
  ASSERT_TRUE(record.has_value());
  EXPECT_EQ(record->type, stream::Record::Type::kClose);
  EXPECT_EQ(record->close_code,
            static_cast<uint16_t>(ErrorCode::kShuttingDown));
  for (size_t length = 0; length < bytes.size(); ++length) {
    stream::StreamDecoder partial;
    partial.Append(ByteSpan(bytes.data(), length));
    EXPECT_FALSE(partial.Next().has_value()) << length;
  }
}

TEST_F(SpecExamplesTest, SealedFrameExampleIsTheStatedPingSealedWithCounter3) {
  Bytes bytes = Example("SEALED_FRAME");
  SecureChannel client(ExampleSealingKeys(), SecureChannel::Role::kClient);
  for (int i = 0; i < 3; ++i) client.Seal(kChannelControl, Bytes{});
  Bytes ping = EncodeMessage(ExamplePing());
  EXPECT_EQ(ToHex(client.Seal(kChannelControl, ping)), ToHex(bytes));

  SecureChannel server(ExampleSealingKeys(), SecureChannel::Role::kServer);
  Bytes plaintext;
  ASSERT_EQ(server.Open(kChannelControl, bytes, &plaintext), OpenStatus::kOk);
  EXPECT_EQ(plaintext, ping);
  EXPECT_EQ(plaintext, Example("PING"));
  // The frame is bound to its channel and accepted once.
  SecureChannel other(ExampleSealingKeys(), SecureChannel::Role::kServer);
  EXPECT_EQ(other.Open(kChannelMessaging, bytes, &plaintext),
            OpenStatus::kBadTag);
  EXPECT_EQ(server.Open(kChannelControl, bytes, &plaintext),
            OpenStatus::kReplayed);
}

TEST_F(SpecExamplesTest, EveryShorterPrefixOfTheSealedFrameExampleFailsToOpen) {
  Bytes bytes = Example("SEALED_FRAME");
  SecureChannel server(ExampleSealingKeys(), SecureChannel::Role::kServer);
  for (size_t length = 0; length < bytes.size(); ++length) {
    Bytes plaintext;
    EXPECT_NE(server.Open(kChannelControl, ByteSpan(bytes.data(), length),
                          &plaintext),
              OpenStatus::kOk)
        << length;
  }
}

// --- Key derivation, key log and fingerprint ---

std::map<std::string, Bytes> KeyValueBlock(const Block& block) {
  std::optional<std::vector<std::pair<std::string, Bytes>>> values =
      SpecBlockValues(block);
  EXPECT_TRUE(values) << "SPEC.md line " << block.line << ": " << block.name
                      << " has a line that is not <name> <hex>";
  if (!values) return {};
  return std::map<std::string, Bytes>(values->begin(), values->end());
}

template <size_t N>
std::array<uint8_t, N> ToArray(const Bytes& bytes) {
  std::array<uint8_t, N> out{};
  EXPECT_EQ(bytes.size(), N);
  std::copy_n(bytes.begin(), std::min(N, bytes.size()), out.begin());
  return out;
}

TEST_F(SpecExamplesTest, KeyDerivationVectorMatchesLibsodiumCryptoKx) {
  std::vector<Block> blocks = BlocksWithInfo(*spec_, "kx");
  ASSERT_EQ(blocks.size(), 1u);
  EXPECT_EQ(blocks[0].name, "KEY_DERIVATION");
  std::map<std::string, Bytes> v = KeyValueBlock(blocks[0]);
  auto client_secret = ToArray<32>(v["client_ephemeral_secret"]);
  auto server_secret = ToArray<32>(v["server_ephemeral_secret"]);
  auto client_public = ToArray<32>(v["client_ephemeral_key"]);
  auto server_public = ToArray<32>(v["server_ephemeral_key"]);

  std::array<uint8_t, 32> derived;
  ASSERT_EQ(crypto_scalarmult_base(derived.data(), client_secret.data()), 0);
  EXPECT_EQ(derived, client_public);
  ASSERT_EQ(crypto_scalarmult_base(derived.data(), server_secret.data()), 0);
  EXPECT_EQ(derived, server_public);

  std::array<uint8_t, 32> shared;
  ASSERT_EQ(crypto_scalarmult(shared.data(), client_secret.data(),
                              server_public.data()),
            0);
  EXPECT_EQ(ToHex(shared), ToHex(v["shared_secret"]));

  // The formula of section 6.3, computed by hand.
  std::array<uint8_t, 64> h;
  crypto_generichash_state state;
  crypto_generichash_init(&state, nullptr, 0, h.size());
  crypto_generichash_update(&state, shared.data(), shared.size());
  crypto_generichash_update(&state, client_public.data(), 32);
  crypto_generichash_update(&state, server_public.data(), 32);
  crypto_generichash_final(&state, h.data(), h.size());
  EXPECT_EQ(ToHex(ByteSpan(h.data(), 32)), ToHex(v["server_to_client"]));
  EXPECT_EQ(ToHex(ByteSpan(h.data() + 32, 32)), ToHex(v["client_to_server"]));

  // And libsodium's crypto_kx with the roles the handshake uses.
  Key client_rx, client_tx, server_rx, server_tx;
  ASSERT_EQ(crypto_kx_client_session_keys(
                client_rx.data(), client_tx.data(), client_public.data(),
                client_secret.data(), server_public.data()),
            0);
  ASSERT_EQ(crypto_kx_server_session_keys(
                server_rx.data(), server_tx.data(), server_public.data(),
                server_secret.data(), client_public.data()),
            0);
  EXPECT_EQ(ToHex(client_rx), ToHex(v["server_to_client"]));
  EXPECT_EQ(ToHex(server_tx), ToHex(v["server_to_client"]));
  EXPECT_EQ(ToHex(client_tx), ToHex(v["client_to_server"]));
  EXPECT_EQ(ToHex(server_rx), ToHex(v["client_to_server"]));
}

TEST_F(SpecExamplesTest, KeyLogExampleLineIsWhatTheFormatterWrites) {
  std::vector<Block> blocks = BlocksWithInfo(*spec_, "kx");
  ASSERT_EQ(blocks.size(), 1u);
  std::map<std::string, Bytes> v = KeyValueBlock(blocks[0]);
  SessionKeys keys;
  keys.client_to_server = ToArray<32>(v["client_to_server"]);
  keys.server_to_client = ToArray<32>(v["server_to_client"]);
  std::string line =
      FormatKeyLogLine(ToArray<32>(v["client_ephemeral_key"]), keys);
  ASSERT_FALSE(line.empty());
  line.pop_back();  // the newline
  int found = 0;
  for (const std::string& spec_line : Lines(*spec_)) {
    if (spec_line.rfind("HAIL_SESSION_KEYS ", 0) != 0) continue;
    if (spec_line.find('<') != std::string::npos) continue;  // the grammar
    EXPECT_EQ(spec_line, line);
    ++found;
  }
  EXPECT_EQ(found, 1);
}

TEST_F(SpecExamplesTest, LinkKeyLogExampleLineIsWhatTheFormatterWrites) {
  std::string line = FormatLinkKeyLogLine(kP2pSession, ExampleP2pKey());
  ASSERT_FALSE(line.empty());
  line.pop_back();  // the newline
  int found = 0;
  for (const std::string& spec_line : Lines(*spec_)) {
    if (spec_line.rfind("HAIL_LINK_KEYS ", 0) != 0) continue;
    if (spec_line.find('<') != std::string::npos) continue;  // the grammar
    EXPECT_EQ(spec_line, line);
    std::optional<LinkKeyLogEntry> entry = ParseLinkKeyLogLine(spec_line);
    ASSERT_TRUE(entry);
    EXPECT_EQ(entry->session_id, kP2pSession);
    EXPECT_EQ(entry->session_key, ExampleP2pKey());
    ++found;
  }
  EXPECT_EQ(found, 1);
}

TEST_F(SpecExamplesTest, FingerprintExampleIsTheExampleIdentity) {
  std::string fingerprint = Fingerprint(ExampleIdentity().public_key);
  int found = 0;
  for (const std::string& line : Lines(*spec_)) {
    if (line.rfind("ed25519:", 0) == 0) {
      EXPECT_EQ(line, fingerprint);
      ++found;
    }
  }
  EXPECT_EQ(found, 1);
}

// --- Tables ---

std::vector<std::string> TableCells(const std::string& line) {
  std::vector<std::string> cells;
  std::string cell;
  for (size_t i = 1; i < line.size(); ++i) {
    if (line[i] == '|') {
      size_t begin = cell.find_first_not_of(" `");
      size_t end = cell.find_last_not_of(" `");
      cells.push_back(begin == std::string::npos
                          ? ""
                          : cell.substr(begin, end - begin + 1));
      cell.clear();
    } else {
      cell += line[i];
    }
  }
  return cells;
}

TEST_F(SpecExamplesTest, RegistryTableMatchesTheRegistry) {
  std::map<std::string, std::vector<std::string>> rows;
  for (const std::string& line : Lines(*spec_)) {
    if (line.rfind("| `0x", 0) != 0) continue;
    std::vector<std::string> cells = TableCells(line);
    if (cells.size() == 7) rows[cells[1]] = cells;
  }
  EXPECT_EQ(rows.size(), AllKinds().size());
  for (const KindInfo& info : AllKinds()) {
    auto row = rows.find(std::string(info.name));
    ASSERT_NE(row, rows.end()) << info.name;
    const std::vector<std::string>& c = row->second;
    char id[8];
    std::snprintf(id, sizeof id, "0x%04x", static_cast<unsigned>(info.kind));
    EXPECT_EQ(c[0], id) << info.name;
    const char* direction = info.direction == Direction::kClientToServer   ? "C"
                            : info.direction == Direction::kServerToClient ? "S"
                            : info.direction == Direction::kPeerToPeer ? "P2P"
                                                                       : "both";
    EXPECT_EQ(c[2], direction) << info.name;
    EXPECT_EQ(c[3], info.framing == Framing::kPlain ? "PLAIN" : "SEALED")
        << info.name;
    EXPECT_EQ(c[4], std::to_string(info.channel)) << info.name;
    EXPECT_EQ(c[5], std::to_string(info.min_body)) << info.name;
    EXPECT_EQ(c[6], std::to_string(info.max_body)) << info.name;
  }
}

TEST_F(SpecExamplesTest, ErrorCodeTableMatchesTheErrorCodes) {
  std::map<int, std::string> rows;
  bool in_section = false;
  for (const std::string& line : Lines(*spec_)) {
    if (line.rfind("## ", 0) == 0) in_section = line == "## 12. Error codes";
    if (!in_section || line.rfind("| ", 0) != 0) continue;
    std::vector<std::string> cells = TableCells(line);
    if (cells.size() < 2 || cells[0].empty() ||
        cells[0].find_first_not_of("0123456789") != std::string::npos) {
      continue;
    }
    rows[std::stoi(cells[0])] = cells[1];
  }
  EXPECT_EQ(rows.size(), size_t{kErrorCodeEnd});
  for (uint16_t code = 0; code < kErrorCodeEnd; ++code) {
    EXPECT_EQ(rows[code], ErrorCodeName(static_cast<ErrorCode>(code))) << code;
  }
}

// Every kind is described in its own subsection of section 11, headed
// "### 11.N NAME (0xKKKK)", in the order of the kind ids.
TEST_F(SpecExamplesTest, EveryRegistryKindHasASubsectionInKindOrder) {
  std::map<std::string, std::string> ids;  // name -> id in the heading
  std::vector<std::string> order;
  for (const std::string& line : Lines(*spec_)) {
    if (line.rfind("### 11.", 0) != 0) continue;
    size_t name_begin = line.find(' ', 4);
    size_t open = line.find(" (0x");
    if (name_begin == std::string::npos || open == std::string::npos) continue;
    std::string name = line.substr(name_begin + 1, open - name_begin - 1);
    EXPECT_EQ(ids.count(name), 0u) << "two subsections for " << name;
    ids[name] = line.substr(open + 2, line.size() - open - 3);
    order.push_back(name);
  }
  std::vector<std::pair<uint16_t, std::string>> kinds;
  for (const KindInfo& info : AllKinds()) {
    std::string name(info.name);
    char id[8];
    std::snprintf(id, sizeof id, "0x%04x", static_cast<unsigned>(info.kind));
    EXPECT_EQ(ids[name], id)
        << "SPEC.md needs ### 11.N " << name << " (" << id << ")";
    kinds.emplace_back(static_cast<uint16_t>(info.kind), name);
  }
  std::sort(kinds.begin(), kinds.end());
  std::vector<std::string> expected;
  for (const auto& kind : kinds) expected.push_back(kind.second);
  EXPECT_EQ(order, expected);
}

// The request table of section 6.7 names every SEALED client-to-server kind.
TEST_F(SpecExamplesTest, SessionStateTableNamesEveryClientRequestKind) {
  std::string table;
  bool in_section = false;
  for (const std::string& line : Lines(*spec_)) {
    if (line.rfind("### ", 0) == 0) {
      in_section = line.rfind("### 6.7 ", 0) == 0;
    }
    if (in_section && line.rfind("| ", 0) == 0) table += line + "\n";
  }
  ASSERT_FALSE(table.empty()) << "SPEC.md section 6.7 has no table";
  for (const KindInfo& info : AllKinds()) {
    if (info.direction == Direction::kServerToClient ||
        info.framing == Framing::kPlain) {
      continue;
    }
    std::string name(info.name);
    bool found = false;
    for (size_t at = table.find(name); at != std::string::npos;
         at = table.find(name, at + 1)) {
      char before = at == 0 ? ' ' : table[at - 1];
      char after =
          at + name.size() < table.size() ? table[at + name.size()] : ' ';
      bool word_before =
          std::isupper(static_cast<unsigned char>(before)) || before == '_';
      bool word_after =
          std::isupper(static_cast<unsigned char>(after)) || after == '_';
      if (!word_before && !word_after) found = true;
    }
    EXPECT_TRUE(found) << "SPEC.md 6.7 state table lacks " << name;
  }
}

}  // namespace
}  // namespace hail::protocol
