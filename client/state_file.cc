#include "client/state_file.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <system_error>

namespace hail::client {
namespace {

Status ErrnoStatus(std::string_view what, const std::filesystem::path& path) {
  return Status::IoError(
      fmt::format("{} {}: {}", what, path.string(), std::strerror(errno)));
}

// Writes all of `content` to `fd`, retrying short writes and EINTR.
bool WriteAll(int fd, std::string_view content) {
  while (!content.empty()) {
    ssize_t written = ::write(fd, content.data(), content.size());
    if (written < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    content.remove_prefix(static_cast<size_t>(written));
  }
  return true;
}

}  // namespace

Status EnsurePrivateDirectory(const std::filesystem::path& directory) {
  std::error_code error;
  if (std::filesystem::is_directory(directory, error)) return Status::Ok();
  if (directory.has_parent_path()) {
    std::filesystem::create_directories(directory.parent_path(), error);
    if (error) {
      return Status::IoError(fmt::format("cannot create {}: {}",
                                         directory.parent_path().string(),
                                         error.message()));
    }
  }
  if (::mkdir(directory.c_str(), 0700) != 0 && errno != EEXIST) {
    return ErrnoStatus("cannot create", directory);
  }
  if (!std::filesystem::is_directory(directory, error)) {
    return Status::IoError(
        fmt::format("{} exists and is not a directory", directory.string()));
  }
  return Status::Ok();
}

Result<std::vector<std::string>> ReadLines(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::vector<std::string> lines;
  if (!in) {
    std::error_code error;
    if (!std::filesystem::exists(file, error) && !error) return lines;
    return Status::IoError(fmt::format("cannot read {}", file.string()));
  }
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(std::move(line));
  }
  if (in.bad()) {
    return Status::IoError(fmt::format("error reading {}", file.string()));
  }
  return lines;
}

Status ReplaceFileAtomically(const std::filesystem::path& file,
                             std::string_view content) {
  static std::atomic<unsigned> sequence{0};
  std::filesystem::path temporary = file;
  temporary += fmt::format(".tmp.{}.{}", ::getpid(), sequence++);
  int fd =
      ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return ErrnoStatus("cannot create", temporary);
  bool written = WriteAll(fd, content) && ::fsync(fd) == 0;
  Status status =
      written ? Status::Ok() : ErrnoStatus("cannot write", temporary);
  if (::close(fd) != 0 && status.ok()) {
    status = ErrnoStatus("cannot write", temporary);
  }
  if (status.ok() && ::rename(temporary.c_str(), file.c_str()) != 0) {
    status = ErrnoStatus("cannot replace", file);
  }
  if (!status.ok()) {
    ::unlink(temporary.c_str());
    return status;
  }
  // Make the rename itself durable; failure here loses nothing visible.
  std::filesystem::path directory =
      file.has_parent_path() ? file.parent_path() : ".";
  int directory_fd =
      ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (directory_fd >= 0) {
    ::fsync(directory_fd);
    ::close(directory_fd);
  }
  return Status::Ok();
}

Result<DirectoryLock> DirectoryLock::Acquire(
    const std::filesystem::path& directory) {
  int fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus("cannot open", directory);
  while (::flock(fd, LOCK_EX) != 0) {
    if (errno == EINTR) continue;
    Status status = ErrnoStatus("cannot lock", directory);
    ::close(fd);
    return status;
  }
  return DirectoryLock(fd);
}

DirectoryLock::DirectoryLock(DirectoryLock&& other) noexcept : fd_(other.fd_) {
  other.fd_ = -1;
}

DirectoryLock::~DirectoryLock() {
  if (fd_ >= 0) ::close(fd_);  // closing releases the flock
}

}  // namespace hail::client
