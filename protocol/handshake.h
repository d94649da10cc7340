// The Hail key exchange (SPEC.md "Secure session"): ephemeral X25519 on both
// sides (libsodium crypto_kx), the server's half signed with its long-term
// Ed25519 identity key over a transcript of both ephemeral keys.
#ifndef HAIL_PROTOCOL_HANDSHAKE_H_
#define HAIL_PROTOCOL_HANDSHAKE_H_

#include <array>
#include <optional>
#include <string>

#include "protocol/byte_io.h"
#include "protocol/messages.h"
#include "protocol/secure_channel.h"

namespace hail::protocol {

// The server's long-term signing key. secret_key is libsodium's 64-byte
// Ed25519 form (seed followed by public key).
struct IdentityKey {
  PublicKey public_key{};
  std::array<uint8_t, 64> secret_key{};

  static IdentityKey Generate();
  // Rebuilds the key pair from its 32-byte seed.
  static IdentityKey FromSeed(const std::array<uint8_t, 32>& seed);
  std::array<uint8_t, 32> Seed() const;
};

// "ed25519:" followed by the public key in lowercase hex.
std::string Fingerprint(const PublicKey& identity);
std::optional<PublicKey> ParseFingerprint(std::string_view text);

// The bytes the server signs: "HAIL-v1 server hello" || client ephemeral
// key || server ephemeral key || server identity key.
Bytes HandshakeTranscript(const PublicKey& client_ephemeral,
                          const PublicKey& server_ephemeral,
                          const PublicKey& server_identity);

// Client half. Owns an ephemeral key pair, wiped on destruction.
class ClientHandshake {
 public:
  ClientHandshake();
  ~ClientHandshake();
  ClientHandshake(const ClientHandshake&) = delete;
  ClientHandshake& operator=(const ClientHandshake&) = delete;

  ClientHello Hello() const;

  enum class Outcome : uint8_t {
    kOk,
    kUnsupportedVersion,
    kBadSignature,
    kBadKey
  };
  // Checks version and signature and derives the session keys. The caller
  // decides separately whether hello.server_identity_key is trusted.
  Outcome Finish(const ServerHello& hello, SessionKeys* keys) const;

 private:
  PublicKey public_key_;
  std::array<uint8_t, 32> secret_key_;
};

// Server half: answers one CLIENT_HELLO. Returns nullopt when the client's
// ephemeral key is unusable (a low-order point).
struct ServerHandshakeResult {
  ServerHello hello;
  SessionKeys keys;
};
std::optional<ServerHandshakeResult> RespondToClientHello(
    const ClientHello& hello, const IdentityKey& identity);

// HAIL_KEYLOGFILE lines: "HAIL_SESSION_KEYS <client ephemeral key hex>
// <client-to-server key hex> <server-to-client key hex>" (SPEC.md "Key log").
std::string FormatKeyLogLine(const PublicKey& client_ephemeral,
                             const SessionKeys& keys);
struct KeyLogEntry {
  PublicKey client_ephemeral{};
  SessionKeys keys;
};
std::optional<KeyLogEntry> ParseKeyLogLine(std::string_view line);

}  // namespace hail::protocol

#endif  // HAIL_PROTOCOL_HANDSHAKE_H_
