// The server's data directory: its exclusive lock and its identity key.
// Layout (SPEC.md "Server storage"): db/ (LevelDB), identity.key,
// haild.lock, admin.sock.
#ifndef HAIL_SERVER_DATA_DIR_H_
#define HAIL_SERVER_DATA_DIR_H_

#include <filesystem>
#include <memory>

#include "protocol/handshake.h"
#include "protocol/status.h"

namespace hail::server {

// Holds an exclusive flock on DATA_DIR/haild.lock for its lifetime, so that
// a second haild on the same directory refuses to start.
class DataDirLock {
 public:
  // Creates the directory if missing. Status::Busy names the holder's pid
  // when another process holds the lock.
  static Result<std::unique_ptr<DataDirLock>> Acquire(
      const std::filesystem::path& dir);
  ~DataDirLock();
  DataDirLock(const DataDirLock&) = delete;
  DataDirLock& operator=(const DataDirLock&) = delete;

 private:
  explicit DataDirLock(int fd) : fd_(fd) {}
  int fd_;
};

// Loads DATA_DIR/identity.key (the 32-byte Ed25519 seed, mode 0600), creating
// it on first start.
Result<protocol::IdentityKey> LoadOrCreateIdentity(
    const std::filesystem::path& dir);

}  // namespace hail::server

#endif  // HAIL_SERVER_DATA_DIR_H_
