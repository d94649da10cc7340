// Reads a HAIL_KEYLOGFILE (SPEC.md section 13: session and link lines) into
// a Dissector, and keeps reading what is appended later (a live capture sees
// sessions whose keys are logged after their CLIENT_HELLO).
#ifndef HAIL_TOOLS_DISSECT_KEY_LOG_READER_H_
#define HAIL_TOOLS_DISSECT_KEY_LOG_READER_H_

#include <cstdint>
#include <string>

#include "tools/dissect/dissector.h"

namespace hail::dissect {

class KeyLogReader {
 public:
  explicit KeyLogReader(std::string path) : path_(std::move(path)) {}

  // Feeds every complete line added since the last call to `dissector`.
  // False when the file cannot be read.
  bool ReadNew(Dissector* dissector);

  uint64_t sessions() const { return sessions_; }
  uint64_t links() const { return links_; }  // HAIL_LINK_KEYS lines
  // Lines starting with HAIL_SESSION_KEYS or HAIL_LINK_KEYS that did not
  // parse.
  uint64_t bad_lines() const { return bad_lines_; }

 private:
  std::string path_;
  uint64_t offset_ = 0;  // bytes consumed (complete lines only)
  uint64_t sessions_ = 0;
  uint64_t links_ = 0;
  uint64_t bad_lines_ = 0;
};

}  // namespace hail::dissect

#endif  // HAIL_TOOLS_DISSECT_KEY_LOG_READER_H_
