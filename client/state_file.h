// Helpers for the client's small private state files in $HAIL_HOME
// (known_servers, tokens): a private directory, whole-file reads, atomic
// replacement, and an advisory lock that serialises read-modify-write cycles
// of concurrent `hail` processes.
#ifndef HAIL_CLIENT_STATE_FILE_H_
#define HAIL_CLIENT_STATE_FILE_H_

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/status.h"

namespace hail::client {

// Creates `directory` (and missing parents) when absent; the directory
// itself gets mode 0700. An existing directory is left as it is.
// Errors: IoError.
Status EnsurePrivateDirectory(const std::filesystem::path& directory);

// The lines of `file` without their line ends. A missing file has no lines.
// Errors: IoError.
Result<std::vector<std::string>> ReadLines(const std::filesystem::path& file);

// Replaces `file` with `content` atomically: writes a temporary file (mode
// 0600) beside it, syncs it and renames it over `file`. Readers see either
// the old or the new content, never a mix. Errors: IoError.
Status ReplaceFileAtomically(const std::filesystem::path& file,
                             std::string_view content);

// An exclusive advisory lock (flock) on a directory, held for the lifetime
// of the object. Other `hail` processes taking the same lock wait.
class DirectoryLock {
 public:
  // Blocks until the lock is held. Errors: IoError.
  static Result<DirectoryLock> Acquire(const std::filesystem::path& directory);

  DirectoryLock(DirectoryLock&& other) noexcept;
  DirectoryLock& operator=(DirectoryLock&&) = delete;
  DirectoryLock(const DirectoryLock&) = delete;
  DirectoryLock& operator=(const DirectoryLock&) = delete;
  ~DirectoryLock();

 private:
  explicit DirectoryLock(int fd) : fd_(fd) {}
  int fd_;  // owned; -1 once moved from
};

}  // namespace hail::client

#endif  // HAIL_CLIENT_STATE_FILE_H_
