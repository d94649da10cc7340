// Frames inside ENet packets and the AEAD that protects them after the
// handshake (SPEC.md "Frames" and "Secure session"). Sans-I/O: bytes in,
// bytes out.
//   PLAIN  frame: 0x01 | kind u16 | body            (handshake kinds only)
//   SEALED frame: 0x02 | counter u64 | ChaCha20-Poly1305-IETF(kind | body)
// The nonce is 4 zero bytes then the counter; the additional data is the
// frame type, the counter and the ENet channel id.
#ifndef HAIL_PROTOCOL_SECURE_CHANNEL_H_
#define HAIL_PROTOCOL_SECURE_CHANNEL_H_

#include <array>
#include <cstdint>

#include "protocol/byte_io.h"

namespace hail::protocol {

inline constexpr uint8_t kFramePlain = 0x01;
inline constexpr uint8_t kFrameSealed = 0x02;
inline constexpr size_t kSealedOverhead = 1 + 8 + 16;

using Key = std::array<uint8_t, 32>;

struct SessionKeys {
  Key client_to_server{};
  Key server_to_client{};
};

// Accepts each counter once, within the newest kWindow counters seen.
class ReplayWindow {
 public:
  static constexpr uint64_t kWindow = 1024;
  // True when `counter` is new and not too old; does not record it.
  bool IsFresh(uint64_t counter) const;
  // REQUIRES: IsFresh(counter).
  void Accept(uint64_t counter);

 private:
  uint64_t highest_ = 0;
  bool any_ = false;
  std::array<uint64_t, kWindow / 64> bits_{};
};

enum class OpenStatus : uint8_t { kOk, kMalformed, kBadTag, kReplayed };

// Opens one SEALED frame received on `channel` with `receive_key`, without
// any replay check (a dissector sees retransmissions twice). Returns
// kMalformed (not SEALED, shorter than kSealedOverhead) or kBadTag, or kOk
// and fills `plaintext` (kind + body). Stateless; any thread.
OpenStatus OpenSealedFrame(const Key& receive_key, uint8_t channel,
                           ByteSpan frame, Bytes* plaintext);

// One direction pair of an established session. Not thread-safe; owned by
// the session's loop thread.
class SecureChannel {
 public:
  enum class Role : uint8_t { kClient, kServer };

  SecureChannel(const SessionKeys& keys, Role role);
  ~SecureChannel();
  SecureChannel(const SecureChannel&) = delete;
  SecureChannel& operator=(const SecureChannel&) = delete;

  // Returns a SEALED frame carrying `plaintext` (kind + body) on `channel`.
  Bytes Seal(uint8_t channel, ByteSpan plaintext);
  // Opens a SEALED frame received on `channel`. Only kOk fills `plaintext`
  // and advances the replay window.
  OpenStatus Open(uint8_t channel, ByteSpan frame, Bytes* plaintext);

  uint64_t sent_count() const { return send_counter_; }

 private:
  Key send_key_;
  Key receive_key_;
  uint64_t send_counter_ = 0;
  ReplayWindow window_;
};

}  // namespace hail::protocol

#endif  // HAIL_PROTOCOL_SECURE_CHANNEL_H_
