#include "protocol/secure_channel.h"

#include <sodium.h>

namespace hail::protocol {
namespace {

using Nonce = std::array<uint8_t, crypto_aead_chacha20poly1305_ietf_NPUBBYTES>;

Nonce MakeNonce(uint64_t counter) {
  Nonce nonce{};
  for (int i = 0; i < 8; ++i) {
    nonce[4 + i] = static_cast<uint8_t>(counter >> (56 - 8 * i));
  }
  return nonce;
}

std::array<uint8_t, 10> MakeAd(uint64_t counter, uint8_t channel) {
  std::array<uint8_t, 10> ad{};
  ad[0] = kFrameSealed;
  for (int i = 0; i < 8; ++i) {
    ad[1 + i] = static_cast<uint8_t>(counter >> (56 - 8 * i));
  }
  ad[9] = channel;
  return ad;
}

}  // namespace

bool ReplayWindow::IsFresh(uint64_t counter) const {
  if (!any_ || counter > highest_) return true;
  uint64_t age = highest_ - counter;
  if (age >= kWindow) return false;
  uint64_t slot = counter % kWindow;
  return (bits_[slot / 64] >> (slot % 64) & 1) == 0;
}

void ReplayWindow::Accept(uint64_t counter) {
  if (!any_ || counter > highest_) {
    uint64_t advance = any_ ? counter - highest_ : kWindow;
    if (advance >= kWindow) {
      bits_.fill(0);
    } else {
      for (uint64_t c = highest_ + 1; c <= counter; ++c) {
        uint64_t slot = c % kWindow;
        bits_[slot / 64] &= ~(uint64_t{1} << (slot % 64));
      }
    }
    highest_ = counter;
    any_ = true;
  }
  uint64_t slot = counter % kWindow;
  bits_[slot / 64] |= uint64_t{1} << (slot % 64);
}

SecureChannel::SecureChannel(const SessionKeys& keys, Role role)
    : send_key_(role == Role::kClient ? keys.client_to_server
                                      : keys.server_to_client),
      receive_key_(role == Role::kClient ? keys.server_to_client
                                         : keys.client_to_server) {}

SecureChannel::~SecureChannel() {
  sodium_memzero(send_key_.data(), send_key_.size());
  sodium_memzero(receive_key_.data(), receive_key_.size());
}

Bytes SecureChannel::Seal(uint8_t channel, ByteSpan plaintext) {
  uint64_t counter = send_counter_++;
  Bytes out;
  out.reserve(kSealedOverhead + plaintext.size());
  ByteWriter w(&out);
  w.U8(kFrameSealed);
  w.U64(counter);
  size_t header = out.size();
  out.resize(header + plaintext.size() +
             crypto_aead_chacha20poly1305_ietf_ABYTES);
  Nonce nonce = MakeNonce(counter);
  auto ad = MakeAd(counter, channel);
  unsigned long long written = 0;
  crypto_aead_chacha20poly1305_ietf_encrypt(
      out.data() + header, &written, plaintext.data(), plaintext.size(),
      ad.data(), ad.size(), nullptr, nonce.data(), send_key_.data());
  out.resize(header + written);
  return out;
}

namespace {

// Reads a SEALED frame's counter and ciphertext+tag; false when malformed.
bool ReadSealedHeader(ByteSpan frame, uint64_t* counter, ByteSpan* sealed) {
  ByteReader r(frame);
  uint8_t type;
  if (!r.U8(&type) || type != kFrameSealed || !r.U64(counter) ||
      r.remaining() < crypto_aead_chacha20poly1305_ietf_ABYTES) {
    return false;
  }
  *sealed = r.Rest();
  return true;
}

OpenStatus Decrypt(const Key& receive_key, uint8_t channel, uint64_t counter,
                   ByteSpan sealed, Bytes* plaintext) {
  Bytes out(sealed.size() - crypto_aead_chacha20poly1305_ietf_ABYTES);
  Nonce nonce = MakeNonce(counter);
  auto ad = MakeAd(counter, channel);
  unsigned long long written = 0;
  if (crypto_aead_chacha20poly1305_ietf_decrypt(
          out.data(), &written, nullptr, sealed.data(), sealed.size(),
          ad.data(), ad.size(), nonce.data(), receive_key.data()) != 0) {
    return OpenStatus::kBadTag;
  }
  out.resize(written);
  *plaintext = std::move(out);
  return OpenStatus::kOk;
}

}  // namespace

OpenStatus OpenSealedFrame(const Key& receive_key, uint8_t channel,
                           ByteSpan frame, Bytes* plaintext) {
  uint64_t counter;
  ByteSpan sealed;
  if (!ReadSealedHeader(frame, &counter, &sealed))
    return OpenStatus::kMalformed;
  return Decrypt(receive_key, channel, counter, sealed, plaintext);
}

OpenStatus SecureChannel::Open(uint8_t channel, ByteSpan frame,
                               Bytes* plaintext) {
  uint64_t counter;
  ByteSpan sealed;
  if (!ReadSealedHeader(frame, &counter, &sealed))
    return OpenStatus::kMalformed;
  if (!window_.IsFresh(counter)) return OpenStatus::kReplayed;
  OpenStatus status =
      Decrypt(receive_key_, channel, counter, sealed, plaintext);
  if (status == OpenStatus::kOk) window_.Accept(counter);
  return status;
}

}  // namespace hail::protocol
