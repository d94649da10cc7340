// Fuzzes what the server does with an ENet packet (SPEC.md sections 5 and 6):
// SecureChannel::Open with fixed keys, and ServerSession::OnPacket before the
// handshake and after an in-memory one.
//
// Input: mode byte, then
//   mode 0: channel u8, frame      -> SecureChannel::Open (keys 0x11/0x22)
//   mode 1: channel u8, packet     -> ServerSession in AWAITING_HELLO
//   mode 2: channel u8, packet     -> ServerSession in SECURED, raw packet
//   mode 3: { channel u8, length u8, plaintext }*
//                                  -> each plaintext sealed by the real client
//                                     keys and fed to a SECURED ServerSession
// libsodium's random source is replaced by a deterministic one, reset for
// every input, so that a run depends on its input only.
#include <sodium.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <optional>

#include "protocol/client_session.h"
#include "protocol/handshake.h"
#include "protocol/registry.h"
#include "protocol/secure_channel.h"
#include "protocol/server_session.h"

namespace {

namespace protocol = hail::protocol;
using protocol::Bytes;
using protocol::ByteSpan;

void Check(bool condition) {
  if (!condition) std::abort();
}

// --- Deterministic randombytes (splitmix64) ---

uint64_t random_state = 0;

uint64_t NextRandom() {
  uint64_t z = (random_state += 0x9e3779b97f4a7c15);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9;
  z = (z ^ (z >> 27)) * 0x94d049bb133111eb;
  return z ^ (z >> 31);
}

const char* RandomName() { return "hail-fuzz-deterministic"; }
uint32_t RandomU32() { return static_cast<uint32_t>(NextRandom()); }
void RandomBuf(void* const buf, const size_t size) {
  auto* out = static_cast<uint8_t*>(buf);
  for (size_t i = 0; i < size; ++i) out[i] = static_cast<uint8_t>(NextRandom());
}

randombytes_implementation deterministic_random = {
    &RandomName, &RandomU32, nullptr, nullptr, &RandomBuf, nullptr,
};

// --- Fixtures ---

constexpr uint64_t kStartMs = 1'000;

const protocol::IdentityKey& Identity() {
  static const protocol::IdentityKey identity = [] {
    std::array<uint8_t, 32> seed;
    seed.fill(0x33);
    return protocol::IdentityKey::FromSeed(seed);
  }();
  return identity;
}

// A client and a server session that completed the handshake in memory.
struct SecuredPair {
  protocol::ServerSession server{&Identity(), kStartMs};
  protocol::ClientSession client{Identity().public_key};
  std::unique_ptr<protocol::SecureChannel> raw_client;  // client's keys

  SecuredPair() {
    protocol::OutgoingFrame hello = client.Start();
    protocol::ServerSession::Output out =
        server.OnPacket(hello.channel, hello.bytes, kStartMs);
    Check(server.state() == protocol::ServerSession::State::kSecured);
    Check(out.frames.size() == 1);
    Check(client.OnPacket(out.frames[0].channel, out.frames[0].bytes).secured);
    std::optional<protocol::KeyLogEntry> entry =
        protocol::ParseKeyLogLine(client.key_log_line());
    Check(entry.has_value());
    raw_client = std::make_unique<protocol::SecureChannel>(
        entry->keys, protocol::SecureChannel::Role::kClient);
  }

  // Every frame the server sends must be one message the client decodes.
  void DeliverToClient(const protocol::ServerSession::Output& out) {
    for (const protocol::OutgoingFrame& frame : out.frames) {
      protocol::ClientSession::Output received =
          client.OnPacket(frame.channel, frame.bytes);
      Check(received.drop == protocol::DropReason::kNone);
      Check(received.message.has_value());
      if (out.answered_error) {
        const auto* error =
            std::get_if<protocol::ErrorMessage>(&*received.message);
        Check(error != nullptr && error->error == *out.answered_error);
      }
    }
  }

  // Plays the application's part for a request the session handed over.
  void Answer(const protocol::Message& request, uint64_t now_ms) {
    if (std::holds_alternative<protocol::LoginRequest>(request) ||
        std::holds_alternative<protocol::ResumeRequest>(request)) {
      server.AuthenticationFinished(true, 10000, "alice");
    } else if (std::holds_alternative<protocol::RegisterRequest>(request)) {
      server.AuthenticationFinished(false, 0, {});
    } else if (std::holds_alternative<protocol::LogoutRequest>(request)) {
      server.LoggedOut(now_ms);
    } else if (std::holds_alternative<protocol::ChangePasswordRequest>(
                   request) ||
               std::holds_alternative<protocol::DeleteAccountRequest>(
                   request)) {
      server.AccountOperationFinished();
    }
  }
};

void FuzzOpen(uint8_t channel, ByteSpan frame) {
  protocol::SessionKeys keys;
  keys.client_to_server.fill(0x11);
  keys.server_to_client.fill(0x22);
  protocol::SecureChannel server(keys, protocol::SecureChannel::Role::kServer);
  Bytes plaintext;
  protocol::OpenStatus status = server.Open(channel, frame, &plaintext);
  Bytes again_plaintext;
  protocol::OpenStatus again = server.Open(channel, frame, &again_plaintext);
  if (status == protocol::OpenStatus::kOk) {
    Check(plaintext.size() + protocol::kSealedOverhead == frame.size());
    Check(again == protocol::OpenStatus::kReplayed);
    (void)protocol::DecodeMessage(plaintext);
  } else {
    Check(again == status);  // a failed open changes nothing
  }
}

void FuzzAwaitingHello(uint8_t channel, ByteSpan packet) {
  protocol::ServerSession session(&Identity(), kStartMs);
  protocol::ServerSession::Output out =
      session.OnPacket(channel, packet, kStartMs + 1);
  using State = protocol::ServerSession::State;
  if (session.state() == State::kSecured) {
    Check(!out.close.has_value());
    Check(out.frames.size() == 1);
    Check(out.key_log_line.has_value());
  } else if (!packet.empty()) {
    Check(session.state() == State::kClosed);
    Check(out.close.has_value());
  }
  protocol::ServerSession::Output timer =
      session.OnTimer(kStartMs + protocol::kHandshakeDeadlineMs);
  if (session.state() == State::kAwaitingHello) Check(false);
  (void)timer;
}

void FuzzSecuredRaw(uint8_t channel, ByteSpan packet) {
  SecuredPair pair;
  protocol::ServerSession::Output out =
      pair.server.OnPacket(channel, packet, kStartMs + 1);
  pair.DeliverToClient(out);
  // The client must survive the same bytes from the server's side too.
  (void)pair.client.OnPacket(channel, packet);
}

void FuzzSecuredSealed(ByteSpan script) {
  SecuredPair pair;
  uint64_t now_ms = kStartMs;
  size_t pos = 0;
  while (pos + 2 <= script.size()) {
    uint8_t channel = script[pos];
    size_t length = script[pos + 1];
    pos += 2;
    if (length > script.size() - pos) length = script.size() - pos;
    ByteSpan plaintext = script.subspan(pos, length);
    pos += length;
    ++now_ms;
    Bytes frame = pair.raw_client->Seal(channel, plaintext);
    protocol::ServerSession::Output out =
        pair.server.OnPacket(channel, frame, now_ms);
    Check(out.drop == protocol::DropReason::kNone);
    Check(!out.close.has_value());
    pair.DeliverToClient(out);
    if (out.request) pair.Answer(*out.request, now_ms);
  }
  using State = protocol::ServerSession::State;
  State before = pair.server.state();
  protocol::ServerSession::Output out =
      pair.server.OnTimer(now_ms + protocol::kLoginDeadlineMs);
  if (before == State::kSecured) {
    Check(out.close == protocol::ErrorCode::kTimeout);
    pair.DeliverToClient(out);
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  if (randombytes_set_implementation(&deterministic_random) != 0) std::abort();
  if (sodium_init() < 0) std::abort();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  random_state = 0;
  if (size < 1) return 0;
  ByteSpan rest(data + 1, size - 1);
  switch (data[0] % 4) {
    case 0:
      if (!rest.empty()) FuzzOpen(rest[0], rest.subspan(1));
      break;
    case 1:
      if (!rest.empty()) FuzzAwaitingHello(rest[0], rest.subspan(1));
      break;
    case 2:
      if (!rest.empty()) FuzzSecuredRaw(rest[0], rest.subspan(1));
      break;
    case 3:
      FuzzSecuredSealed(rest);
      break;
  }
  return 0;
}
