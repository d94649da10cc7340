#include "tools/dissect/key_log_reader.h"

#include <fstream>
#include <iterator>

#include "protocol/handshake.h"
#include "protocol/p2p_link.h"

namespace hail::dissect {

bool KeyLogReader::ReadNew(Dissector* dissector) {
  std::ifstream in(path_, std::ios::binary);
  if (!in) return false;
  in.seekg(static_cast<std::streamoff>(offset_));
  if (!in) return true;  // the file shrank; nothing new to read
  std::string rest((std::istreambuf_iterator<char>(in)),
                   std::istreambuf_iterator<char>());
  size_t start = 0;
  for (;;) {
    size_t end = rest.find('\n', start);
    if (end == std::string::npos) break;  // an incomplete last line waits
    std::string_view line(rest.data() + start, end - start);
    if (auto entry = protocol::ParseKeyLogLine(line)) {
      dissector->AddKeys(*entry);
      ++sessions_;
    } else if (auto link = protocol::ParseLinkKeyLogLine(line)) {
      dissector->AddLinkKeys(*link);
      ++links_;
    } else if (line.starts_with("HAIL_SESSION_KEYS") ||
               line.starts_with("HAIL_LINK_KEYS")) {
      ++bad_lines_;
    }
    start = end + 1;
  }
  offset_ += start;
  return true;
}

}  // namespace hail::dissect
