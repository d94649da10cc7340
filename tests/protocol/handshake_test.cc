#include "protocol/handshake.h"

#include <sodium.h>

#include <cctype>
#include <string>

#include "gtest/gtest.h"
#include "protocol/p2p_link.h"

namespace hail::protocol {
namespace {

class HandshakeTest : public testing::Test {
 protected:
  static void SetUpTestSuite() { ASSERT_GE(sodium_init(), 0); }

  IdentityKey identity_ = IdentityKey::Generate();
};

TEST_F(HandshakeTest, ClientAndServerDeriveTheSameKeys) {
  ClientHandshake client;
  std::optional<ServerHandshakeResult> server =
      RespondToClientHello(client.Hello(), identity_);
  ASSERT_TRUE(server.has_value());
  SessionKeys client_keys;
  ASSERT_EQ(client.Finish(server->hello, &client_keys),
            ClientHandshake::Outcome::kOk);
  EXPECT_EQ(client_keys.client_to_server, server->keys.client_to_server);
  EXPECT_EQ(client_keys.server_to_client, server->keys.server_to_client);
  EXPECT_NE(client_keys.client_to_server, client_keys.server_to_client);
}

TEST_F(HandshakeTest, ServerHelloCarriesTheIdentityAndASignedTranscript) {
  ClientHandshake client;
  ClientHello hello = client.Hello();
  EXPECT_EQ(hello.version, kProtocolVersion);
  std::optional<ServerHandshakeResult> server =
      RespondToClientHello(hello, identity_);
  ASSERT_TRUE(server.has_value());
  EXPECT_EQ(server->hello.version, kProtocolVersion);
  EXPECT_EQ(server->hello.server_identity_key, identity_.public_key);
  Bytes transcript = HandshakeTranscript(hello.client_ephemeral_key,
                                         server->hello.server_ephemeral_key,
                                         identity_.public_key);
  EXPECT_EQ(crypto_sign_verify_detached(server->hello.signature.data(),
                                        transcript.data(), transcript.size(),
                                        identity_.public_key.data()),
            0);
}

TEST_F(HandshakeTest, TranscriptIsLabelThenTheThreeKeys) {
  PublicKey a, b, c;
  a.fill(0xaa);
  b.fill(0xbb);
  c.fill(0xcc);
  Bytes transcript = HandshakeTranscript(a, b, c);
  ASSERT_EQ(transcript.size(), 20u + 96u);
  EXPECT_EQ(std::string(transcript.begin(), transcript.begin() + 20),
            "HAIL-v1 server hello");
  EXPECT_EQ(transcript[20], 0xaa);
  EXPECT_EQ(transcript[52], 0xbb);
  EXPECT_EQ(transcript[84], 0xcc);
}

TEST_F(HandshakeTest, EachConnectionUsesFreshEphemeralKeys) {
  ClientHandshake first;
  ClientHandshake second;
  EXPECT_NE(first.Hello().client_ephemeral_key,
            second.Hello().client_ephemeral_key);
  auto a = RespondToClientHello(first.Hello(), identity_);
  auto b = RespondToClientHello(first.Hello(), identity_);
  ASSERT_TRUE(a && b);
  EXPECT_NE(a->hello.server_ephemeral_key, b->hello.server_ephemeral_key);
  EXPECT_NE(a->keys.client_to_server, b->keys.client_to_server);
}

TEST_F(HandshakeTest, WrongIdentitySignatureFails) {
  ClientHandshake client;
  auto server = RespondToClientHello(client.Hello(), identity_);
  ASSERT_TRUE(server.has_value());
  // An impostor claims the identity but signs with another key.
  IdentityKey impostor = IdentityKey::Generate();
  ServerHello forged = server->hello;
  Bytes transcript = HandshakeTranscript(client.Hello().client_ephemeral_key,
                                         forged.server_ephemeral_key,
                                         forged.server_identity_key);
  crypto_sign_detached(forged.signature.data(), nullptr, transcript.data(),
                       transcript.size(), impostor.secret_key.data());
  SessionKeys keys;
  EXPECT_EQ(client.Finish(forged, &keys),
            ClientHandshake::Outcome::kBadSignature);
}

TEST_F(HandshakeTest, TamperedServerHelloFailsTheSignature) {
  ClientHandshake client;
  auto server = RespondToClientHello(client.Hello(), identity_);
  ASSERT_TRUE(server.has_value());
  SessionKeys keys;
  ServerHello swapped_key = server->hello;
  swapped_key.server_ephemeral_key[0] ^= 1;
  EXPECT_EQ(client.Finish(swapped_key, &keys),
            ClientHandshake::Outcome::kBadSignature);
  ServerHello bad_signature = server->hello;
  bad_signature.signature[63] ^= 0x10;
  EXPECT_EQ(client.Finish(bad_signature, &keys),
            ClientHandshake::Outcome::kBadSignature);
}

TEST_F(HandshakeTest, ServerHelloForAnotherClientFails) {
  ClientHandshake alice;
  ClientHandshake mallory;
  auto for_mallory = RespondToClientHello(mallory.Hello(), identity_);
  ASSERT_TRUE(for_mallory.has_value());
  SessionKeys keys;
  EXPECT_EQ(alice.Finish(for_mallory->hello, &keys),
            ClientHandshake::Outcome::kBadSignature);
}

TEST_F(HandshakeTest, OtherVersionIsUnsupported) {
  ClientHandshake client;
  auto server = RespondToClientHello(client.Hello(), identity_);
  ASSERT_TRUE(server.has_value());
  server->hello.version = 2;
  SessionKeys keys;
  EXPECT_EQ(client.Finish(server->hello, &keys),
            ClientHandshake::Outcome::kUnsupportedVersion);
}

TEST_F(HandshakeTest, LowOrderClientKeyIsRefusedByTheServer) {
  ClientHello hello;
  hello.client_ephemeral_key.fill(0);  // the identity point
  EXPECT_FALSE(RespondToClientHello(hello, identity_).has_value());
}

TEST_F(HandshakeTest, LowOrderServerKeyIsRefusedByTheClient) {
  ClientHandshake client;
  ServerHello hello;
  hello.server_ephemeral_key.fill(0);
  hello.server_identity_key = identity_.public_key;
  Bytes transcript = HandshakeTranscript(client.Hello().client_ephemeral_key,
                                         hello.server_ephemeral_key,
                                         hello.server_identity_key);
  crypto_sign_detached(hello.signature.data(), nullptr, transcript.data(),
                       transcript.size(), identity_.secret_key.data());
  SessionKeys keys;
  EXPECT_EQ(client.Finish(hello, &keys), ClientHandshake::Outcome::kBadKey);
}

TEST_F(HandshakeTest, IdentityRoundTripsThroughItsSeed) {
  IdentityKey rebuilt = IdentityKey::FromSeed(identity_.Seed());
  EXPECT_EQ(rebuilt.public_key, identity_.public_key);
  EXPECT_EQ(rebuilt.secret_key, identity_.secret_key);
}

TEST_F(HandshakeTest, KeyLogLineRoundTrips) {
  PublicKey client_key;
  client_key.fill(0x38);
  SessionKeys keys;
  keys.client_to_server.fill(0x31);
  keys.server_to_client.fill(0xdc);
  std::string line = FormatKeyLogLine(client_key, keys);
  EXPECT_EQ(line, "HAIL_SESSION_KEYS " + ToHex(client_key) + " " +
                      ToHex(keys.client_to_server) + " " +
                      ToHex(keys.server_to_client) + "\n");
  std::optional<KeyLogEntry> entry = ParseKeyLogLine(line);
  ASSERT_TRUE(entry.has_value());
  EXPECT_EQ(entry->client_ephemeral, client_key);
  EXPECT_EQ(entry->keys.client_to_server, keys.client_to_server);
  EXPECT_EQ(entry->keys.server_to_client, keys.server_to_client);
}

TEST_F(HandshakeTest, KeyLogLinesOfBothSidesAreIdentical) {
  ClientHandshake client;
  auto server = RespondToClientHello(client.Hello(), identity_);
  ASSERT_TRUE(server.has_value());
  SessionKeys keys;
  ASSERT_EQ(client.Finish(server->hello, &keys), ClientHandshake::Outcome::kOk);
  EXPECT_EQ(
      FormatKeyLogLine(client.Hello().client_ephemeral_key, keys),
      FormatKeyLogLine(client.Hello().client_ephemeral_key, server->keys));
}

TEST_F(HandshakeTest, KeyLogParserToleratesCrLfAndNoNewline) {
  PublicKey client_key;
  client_key.fill(1);
  SessionKeys keys;
  std::string line = FormatKeyLogLine(client_key, keys);
  line.pop_back();
  EXPECT_TRUE(ParseKeyLogLine(line).has_value());
  EXPECT_TRUE(ParseKeyLogLine(line + "\r\n").has_value());
}

TEST_F(HandshakeTest, KeyLogParserRejectsOtherLines) {
  PublicKey client_key;
  client_key.fill(1);
  SessionKeys keys;
  std::string good = FormatKeyLogLine(client_key, keys);
  good.pop_back();
  EXPECT_FALSE(ParseKeyLogLine("").has_value());
  EXPECT_FALSE(ParseKeyLogLine("CLIENT_RANDOM " + good.substr(18)).has_value());
  EXPECT_FALSE(ParseKeyLogLine(good + " extra").has_value());
  EXPECT_FALSE(ParseKeyLogLine(good.substr(0, good.size() - 2)).has_value());
  std::string bad_digit = good;
  bad_digit[20] = 'g';
  EXPECT_FALSE(ParseKeyLogLine(bad_digit).has_value());
  std::string double_space = good;
  double_space.insert(18, " ");
  EXPECT_FALSE(ParseKeyLogLine(double_space).has_value());
}

TEST_F(HandshakeTest, LinkKeyLogLineRoundTripsAndRejectsOtherLines) {
  SessionKey session_key;
  session_key.fill(0xab);
  std::string good = FormatLinkKeyLogLine(0x00000000000000ffu, session_key);
  EXPECT_EQ(good,
            "HAIL_LINK_KEYS 00000000000000ff " + ToHex(session_key) + "\n");
  std::optional<LinkKeyLogEntry> entry = ParseLinkKeyLogLine(good);
  ASSERT_TRUE(entry.has_value());
  EXPECT_EQ(entry->session_id, 0xffu);
  EXPECT_EQ(entry->session_key, session_key);
  good.pop_back();
  EXPECT_TRUE(ParseLinkKeyLogLine(good + "\r\n").has_value());
  EXPECT_FALSE(ParseLinkKeyLogLine("").has_value());
  EXPECT_FALSE(ParseLinkKeyLogLine(good + " extra").has_value());
  EXPECT_FALSE(ParseLinkKeyLogLine(good.substr(0, good.size() - 2)));
  EXPECT_FALSE(ParseLinkKeyLogLine("HAIL_SESSION_KEYS" + good.substr(14)));
  std::string bad_digit = good;
  bad_digit[16] = 'g';
  EXPECT_FALSE(ParseLinkKeyLogLine(bad_digit).has_value());
  std::string space_in_id = good;
  space_in_id[20] = ' ';
  EXPECT_FALSE(ParseLinkKeyLogLine(space_in_id).has_value());
  // A session line is not a link line, nor the other way round.
  EXPECT_FALSE(ParseKeyLogLine(good).has_value());
}

TEST_F(HandshakeTest, FingerprintIsPrefixAndLowercaseHex) {
  PublicKey key;
  for (size_t i = 0; i < key.size(); ++i) key[i] = static_cast<uint8_t>(i * 7);
  std::string text = Fingerprint(key);
  EXPECT_EQ(text.substr(0, 8), "ed25519:");
  EXPECT_EQ(text.size(), 8u + 64u);
  EXPECT_EQ(text.substr(8), ToHex(key));
  EXPECT_EQ(ParseFingerprint(text), key);
}

// SPEC.md 6.6: uppercase digits name the same key; the prefix is lowercase.
TEST_F(HandshakeTest, FingerprintWithUppercaseDigitsNamesTheSameKey) {
  std::string good = Fingerprint(identity_.public_key);
  std::string upper = good;
  for (size_t i = 8; i < upper.size(); ++i) {
    upper[i] =
        static_cast<char>(std::toupper(static_cast<unsigned char>(upper[i])));
  }
  ASSERT_NE(upper, good);
  EXPECT_EQ(ParseFingerprint(upper), identity_.public_key);
  std::string prefix = good;
  for (size_t i = 0; i < 8; ++i) {
    prefix[i] =
        static_cast<char>(std::toupper(static_cast<unsigned char>(prefix[i])));
  }
  EXPECT_FALSE(ParseFingerprint(prefix).has_value());
}

TEST_F(HandshakeTest, FingerprintParseRejectsMalformedText) {
  std::string good = Fingerprint(identity_.public_key);
  EXPECT_FALSE(ParseFingerprint("").has_value());
  EXPECT_FALSE(ParseFingerprint(good.substr(8)).has_value());
  EXPECT_FALSE(ParseFingerprint("x25519:" + good.substr(8)).has_value());
  EXPECT_FALSE(ParseFingerprint(good.substr(0, good.size() - 1)).has_value());
  EXPECT_FALSE(ParseFingerprint(good + "0").has_value());
  EXPECT_FALSE(ParseFingerprint(good + " ").has_value());
  std::string bad_digit = good;
  bad_digit[10] = 'z';
  EXPECT_FALSE(ParseFingerprint(bad_digit).has_value());
  std::string with_space = good;
  with_space[10] = ' ';
  EXPECT_FALSE(ParseFingerprint(with_space).has_value());
}

}  // namespace
}  // namespace hail::protocol
