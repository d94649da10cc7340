#include "server/data_dir.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace hail::server {

Result<std::unique_ptr<DataDirLock>> DataDirLock::Acquire(
    const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    return Status::IoError("cannot create data dir " + dir.string() + ": " +
                           ec.message());
  }
  std::string path = (dir / "haild.lock").string();
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    return Status::IoError("cannot open " + path + ": " + std::strerror(errno));
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    char holder[32] = {};
    ssize_t n = ::pread(fd, holder, sizeof holder - 1, 0);
    ::close(fd);
    std::string pid = n > 0 ? std::string(holder, static_cast<size_t>(n)) : "?";
    while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' ')) {
      pid.pop_back();
    }
    return Status::Busy("data dir " + dir.string() +
                        " is in use by another haild (pid " + pid + ")");
  }
  std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, pid.data(), pid.size(), 0) !=
                                     static_cast<ssize_t>(pid.size())) {
    ::close(fd);
    return Status::IoError("cannot write " + path);
  }
  return std::unique_ptr<DataDirLock>(new DataDirLock(fd));
}

DataDirLock::~DataDirLock() { ::close(fd_); }

Result<protocol::IdentityKey> LoadOrCreateIdentity(
    const std::filesystem::path& dir) {
  std::string path = (dir / "identity.key").string();
  std::array<uint8_t, 32> seed;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    ssize_t n = ::read(fd, seed.data(), seed.size());
    ::close(fd);
    if (n != static_cast<ssize_t>(seed.size())) {
      return Status::Corruption(path + " is not a 32-byte Ed25519 seed");
    }
    protocol::IdentityKey key = protocol::IdentityKey::FromSeed(seed);
    sodium_memzero(seed.data(), seed.size());
    return key;
  }
  if (errno != ENOENT) {
    return Status::IoError("cannot read " + path + ": " + std::strerror(errno));
  }
  protocol::IdentityKey key = protocol::IdentityKey::Generate();
  seed = key.Seed();
  std::string temp = path + ".tmp";
  fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    return Status::IoError("cannot create " + temp + ": " +
                           std::strerror(errno));
  }
  bool ok = ::write(fd, seed.data(), seed.size()) ==
                static_cast<ssize_t>(seed.size()) &&
            ::fsync(fd) == 0;
  ::close(fd);
  sodium_memzero(seed.data(), seed.size());
  if (!ok || ::rename(temp.c_str(), path.c_str()) != 0) {
    return Status::IoError("cannot write " + path);
  }
  return key;
}

}  // namespace hail::server
