// Line logger for haild: human-readable text by default, JSON lines with
// --log-format json. Thread-safe; one line per call, written to stderr.
#ifndef HAIL_SERVER_LOGGER_H_
#define HAIL_SERVER_LOGGER_H_

#include <fmt/format.h>

#include <cstdio>
#include <string>
#include <string_view>

#include "server/base/mutex.h"

namespace hail::server {

class Logger {
 public:
  enum class Format { kText, kJson };
  enum class Level { kDebug, kInfo, kWarn, kError };

  Logger(Format format, Level min_level, std::FILE* out = stderr)
      : format_(format), min_level_(min_level), out_(out) {}

  template <typename... Args>
  void Info(fmt::format_string<Args...> f, Args&&... args) {
    Write(Level::kInfo, fmt::format(f, std::forward<Args>(args)...));
  }
  template <typename... Args>
  void Warn(fmt::format_string<Args...> f, Args&&... args) {
    Write(Level::kWarn, fmt::format(f, std::forward<Args>(args)...));
  }
  template <typename... Args>
  void Error(fmt::format_string<Args...> f, Args&&... args) {
    Write(Level::kError, fmt::format(f, std::forward<Args>(args)...));
  }
  template <typename... Args>
  void Debug(fmt::format_string<Args...> f, Args&&... args) {
    if (min_level_ > Level::kDebug) return;
    Write(Level::kDebug, fmt::format(f, std::forward<Args>(args)...));
  }

  void Write(Level level, std::string_view message);

 private:
  Format format_;
  Level min_level_;
  Mutex mutex_;
  std::FILE* out_ PT_GUARDED_BY(mutex_);
};

}  // namespace hail::server

#endif  // HAIL_SERVER_LOGGER_H_
