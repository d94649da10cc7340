// Helpers shared by the data dir's stores (AccountStore, ChatStore): key and
// value bytes as std::string for LevelDB, LevelDB status mapping and synced
// writes. Only store implementation files include this.
#ifndef HAIL_SERVER_STORE_CODING_H_
#define HAIL_SERVER_STORE_CODING_H_

#include <leveldb/options.h>
#include <leveldb/slice.h>
#include <leveldb/status.h>

#include <cassert>
#include <cstdint>
#include <string>
#include <string_view>

#include "protocol/byte_io.h"
#include "protocol/status.h"

namespace hail::server::store {

// Largest strings with a u8 and a u16 length prefix.
inline constexpr size_t kMaxShortStringLength = 255;
inline constexpr size_t kMaxLongStringLength = 65535;

inline std::string ToString(const protocol::Bytes& bytes) {
  return std::string(bytes.begin(), bytes.end());
}

inline protocol::ByteSpan AsSpan(std::string_view text) {
  return protocol::ByteSpan(reinterpret_cast<const uint8_t*>(text.data()),
                            text.size());
}

inline leveldb::Slice AsSlice(std::string_view text) {
  return leveldb::Slice(text.data(), text.size());
}

// Big-endian, as every integer in keys and values.
inline std::string EncodeU64(uint64_t value) {
  protocol::Bytes out;
  protocol::ByteWriter(&out).U64(value);
  return ToString(out);
}

// Maps a LevelDB failure to a local Status, prefixed with what was being
// done. REQUIRES: !status.ok().
inline Status FromLevelDb(const leveldb::Status& status,
                          std::string_view action) {
  assert(!status.ok());
  std::string message = std::string(action) + ": " + status.ToString();
  if (status.IsNotFound()) return Status::NotFound(std::move(message));
  if (status.IsCorruption()) return Status::Corruption(std::move(message));
  return Status::IoError(std::move(message));
}

// Every state-changing write is synced: acknowledged means on disk.
inline leveldb::WriteOptions SyncedWrite() {
  leveldb::WriteOptions options;
  options.sync = true;
  return options;
}

}  // namespace hail::server::store

#endif  // HAIL_SERVER_STORE_CODING_H_
