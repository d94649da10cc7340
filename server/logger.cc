#include "server/logger.h"

#include <chrono>
#include <ctime>

#include "protocol/text.h"

namespace hail::server {
namespace {

std::string_view LevelName(Logger::Level level) {
  switch (level) {
    case Logger::Level::kDebug:
      return "debug";
    case Logger::Level::kInfo:
      return "info";
    case Logger::Level::kWarn:
      return "warn";
    case Logger::Level::kError:
      return "error";
  }
  return "info";
}

std::string Timestamp() {
  auto now = std::chrono::system_clock::now();
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                now.time_since_epoch())
                .count();
  std::time_t seconds = static_cast<std::time_t>(ms / 1000);
  std::tm utc;
  gmtime_r(&seconds, &utc);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &utc);
  return fmt::format("{}.{:03d}Z", buf, static_cast<int>(ms % 1000));
}

}  // namespace

void Logger::Write(Level level, std::string_view message) {
  if (level < min_level_) return;
  std::string line;
  if (format_ == Format::kJson) {
    line = fmt::format("{{\"ts\":\"{}\",\"level\":\"{}\",\"msg\":\"{}\"}}\n",
                       Timestamp(), LevelName(level),
                       protocol::JsonEscape(message));
  } else {
    line = fmt::format("{} {:5} {}\n", Timestamp(), LevelName(level), message);
  }
  MutexLock lock(&mutex_);
  std::fputs(line.c_str(), out_);
  std::fflush(out_);
}

}  // namespace hail::server
