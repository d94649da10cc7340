#include "protocol/handshake.h"

#include <sodium.h>

#include <cstring>

namespace hail::protocol {
namespace {

constexpr std::string_view kTranscriptLabel = "HAIL-v1 server hello";
constexpr std::string_view kKeyLogLabel = "HAIL_SESSION_KEYS";

template <size_t N>
bool HexToArray(std::string_view text, std::array<uint8_t, N>* out) {
  Bytes raw;
  if (text.size() != 2 * N || !FromHex(text, &raw) || raw.size() != N) {
    return false;
  }
  for (size_t i = 0; i < N; ++i) (*out)[i] = raw[i];
  return true;
}

}  // namespace

IdentityKey IdentityKey::Generate() {
  IdentityKey key;
  crypto_sign_keypair(key.public_key.data(), key.secret_key.data());
  return key;
}

IdentityKey IdentityKey::FromSeed(const std::array<uint8_t, 32>& seed) {
  IdentityKey key;
  crypto_sign_seed_keypair(key.public_key.data(), key.secret_key.data(),
                           seed.data());
  return key;
}

std::array<uint8_t, 32> IdentityKey::Seed() const {
  std::array<uint8_t, 32> seed;
  crypto_sign_ed25519_sk_to_seed(seed.data(), secret_key.data());
  return seed;
}

std::string Fingerprint(const PublicKey& identity) {
  return "ed25519:" + ToHex(identity);
}

std::optional<PublicKey> ParseFingerprint(std::string_view text) {
  constexpr std::string_view kPrefix = "ed25519:";
  if (text.substr(0, kPrefix.size()) != kPrefix) return std::nullopt;
  PublicKey key;
  if (!HexToArray(text.substr(kPrefix.size()), &key)) return std::nullopt;
  return key;
}

Bytes HandshakeTranscript(const PublicKey& client_ephemeral,
                          const PublicKey& server_ephemeral,
                          const PublicKey& server_identity) {
  Bytes out;
  ByteWriter w(&out);
  w.Raw(kTranscriptLabel);
  w.Raw(client_ephemeral);
  w.Raw(server_ephemeral);
  w.Raw(server_identity);
  return out;
}

ClientHandshake::ClientHandshake() {
  crypto_kx_keypair(public_key_.data(), secret_key_.data());
}

ClientHandshake::~ClientHandshake() {
  sodium_memzero(secret_key_.data(), secret_key_.size());
}

ClientHello ClientHandshake::Hello() const {
  ClientHello hello;
  hello.client_ephemeral_key = public_key_;
  return hello;
}

ClientHandshake::Outcome ClientHandshake::Finish(const ServerHello& hello,
                                                 SessionKeys* keys) const {
  if (hello.version != kProtocolVersion) return Outcome::kUnsupportedVersion;
  Bytes transcript = HandshakeTranscript(
      public_key_, hello.server_ephemeral_key, hello.server_identity_key);
  if (crypto_sign_verify_detached(hello.signature.data(), transcript.data(),
                                  transcript.size(),
                                  hello.server_identity_key.data()) != 0) {
    return Outcome::kBadSignature;
  }
  if (crypto_kx_client_session_keys(keys->server_to_client.data(),
                                    keys->client_to_server.data(),
                                    public_key_.data(), secret_key_.data(),
                                    hello.server_ephemeral_key.data()) != 0) {
    return Outcome::kBadKey;
  }
  return Outcome::kOk;
}

std::optional<ServerHandshakeResult> RespondToClientHello(
    const ClientHello& hello, const IdentityKey& identity) {
  ServerHandshakeResult result;
  std::array<uint8_t, 32> secret;
  crypto_kx_keypair(result.hello.server_ephemeral_key.data(), secret.data());
  int rc = crypto_kx_server_session_keys(
      result.keys.client_to_server.data(), result.keys.server_to_client.data(),
      result.hello.server_ephemeral_key.data(), secret.data(),
      hello.client_ephemeral_key.data());
  sodium_memzero(secret.data(), secret.size());
  if (rc != 0) return std::nullopt;
  result.hello.server_identity_key = identity.public_key;
  Bytes transcript = HandshakeTranscript(hello.client_ephemeral_key,
                                         result.hello.server_ephemeral_key,
                                         identity.public_key);
  crypto_sign_detached(result.hello.signature.data(), nullptr,
                       transcript.data(), transcript.size(),
                       identity.secret_key.data());
  return result;
}

std::string FormatKeyLogLine(const PublicKey& client_ephemeral,
                             const SessionKeys& keys) {
  return std::string(kKeyLogLabel) + " " + ToHex(client_ephemeral) + " " +
         ToHex(keys.client_to_server) + " " + ToHex(keys.server_to_client) +
         "\n";
}

std::optional<KeyLogEntry> ParseKeyLogLine(std::string_view line) {
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) {
    line.remove_suffix(1);
  }
  KeyLogEntry entry;
  std::string_view parts[4];
  for (int i = 0; i < 4; ++i) {
    size_t space = line.find(' ');
    parts[i] = line.substr(0, space);
    if ((i < 3) == (space == std::string_view::npos)) return std::nullopt;
    if (i < 3) line.remove_prefix(space + 1);
  }
  if (parts[0] != kKeyLogLabel ||
      !HexToArray(parts[1], &entry.client_ephemeral) ||
      !HexToArray(parts[2], &entry.keys.client_to_server) ||
      !HexToArray(parts[3], &entry.keys.server_to_client)) {
    return std::nullopt;
  }
  return entry;
}

}  // namespace hail::protocol
