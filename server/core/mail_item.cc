#include "server/core/mail_item.h"

#include <sodium.h>

#include "protocol/byte_io.h"

namespace hail::server {

using protocol::Bytes;
using protocol::ByteWriter;

std::array<uint8_t, 32> MessageContentHash(uint64_t recipient,
                                           std::string_view text) {
  static_assert(crypto_generichash_BYTES == 32);
  Bytes recipient_bytes;
  ByteWriter(&recipient_bytes).U64(recipient);
  crypto_generichash_state state;
  crypto_generichash_init(&state, nullptr, 0, crypto_generichash_BYTES);
  crypto_generichash_update(&state, recipient_bytes.data(),
                            recipient_bytes.size());
  crypto_generichash_update(
      &state, reinterpret_cast<const unsigned char*>(text.data()), text.size());
  std::array<uint8_t, 32> hash;
  crypto_generichash_final(&state, hash.data(), hash.size());
  return hash;
}

}  // namespace hail::server
