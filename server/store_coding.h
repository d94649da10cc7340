// LevelDB glue shared by the data dir's stores (AccountStore, ChatStore,
// ForwardStore):
// key and value bytes as leveldb::Slice, LevelDB status mapping and synced
// writes. The keys and values themselves are in server/store_records.h.
// Only store implementation files include this.
#ifndef HAIL_SERVER_STORE_CODING_H_
#define HAIL_SERVER_STORE_CODING_H_

#include <leveldb/db.h>
#include <leveldb/options.h>
#include <leveldb/slice.h>
#include <leveldb/status.h>

#include <cassert>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "protocol/status.h"
#include "server/store_records.h"

namespace hail::server::store {

inline leveldb::Slice AsSlice(std::string_view text) {
  return leveldb::Slice(text.data(), text.size());
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

// Reads one key of the committed state: nullopt in *value when absent.
// `what` prefixes a failure's message.
inline Status ReadKey(leveldb::DB* db, std::string_view key,
                      std::optional<std::string>* value,
                      std::string_view what = "read") {
  std::string found;
  leveldb::Status status =
      db->Get(leveldb::ReadOptions(), AsSlice(key), &found);
  if (status.IsNotFound()) {
    value->reset();
    return Status::Ok();
  }
  if (!status.ok()) return FromLevelDb(status, what);
  *value = std::move(found);
  return Status::Ok();
}

// Every state-changing write is synced: acknowledged means on disk.
inline leveldb::WriteOptions SyncedWrite() {
  leveldb::WriteOptions options;
  options.sync = true;
  return options;
}

}  // namespace hail::server::store

#endif  // HAIL_SERVER_STORE_CODING_H_
