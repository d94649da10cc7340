// A measured chat load against a real haild, for hail-bench --server: pairs
// of fresh accounts become contacts, then every user sends messages to its
// partner while all clients are serviced from one thread. Reports what it
// measured; nothing is estimated.
#ifndef HAIL_TOOLS_CHAT_LOAD_H_
#define HAIL_TOOLS_CHAT_LOAD_H_

#include <cstdint>
#include <filesystem>
#include <string>

#include "protocol/status.h"
#include "tools/latency_stats.h"

namespace hail::tools {

struct ChatLoadOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 4000;
  std::filesystem::path home;  // scratch state directory for the clients
  int pairs = 5;
  int messages_per_user = 200;
  // Messages each user may have in flight (sent, not yet accepted).
  int window = 16;
};

struct ChatLoadResult {
  int messages = 0;
  double seconds = 0;
  LatencySummary accept_ms;    // SendMessage -> MESSAGE_ACCEPTED
  LatencySummary delivery_ms;  // SendMessage -> partner's MESSAGE_DELIVER
  int live = 0;
  int stored = 0;
};

Result<ChatLoadResult> RunChatLoad(const ChatLoadOptions& options);

}  // namespace hail::tools

#endif  // HAIL_TOOLS_CHAT_LOAD_H_
