// The haild under attack, seen from outside: its address, its statistics
// (the admin socket in its data directory), its memory (/proc), and a real
// client that connects and registers or logs in while an attack runs.
#ifndef HAIL_TOOLS_ATTACK_TARGET_H_
#define HAIL_TOOLS_ATTACK_TARGET_H_

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "client/client.h"
#include "protocol/endpoint.h"
#include "protocol/status.h"

namespace hail::attack {

class Target {
 public:
  // Reads the pid from DATA_DIR/haild.lock.
  static Result<Target> Find(protocol::Endpoint server,
                             std::filesystem::path data_dir);

  const protocol::Endpoint& server() const { return server_; }
  std::map<std::string, int64_t> Stats() const;
  int64_t Stat(const std::string& name) const;
  // Waits until Stat(name) >= minimum; returns the last value seen.
  int64_t WaitForStat(const std::string& name, int64_t minimum,
                      int timeout_ms) const;
  long RssKb() const;  // 0 if unreadable
  bool Alive() const;

 private:
  protocol::Endpoint server_;
  std::filesystem::path data_dir_;
  pid_t pid_ = 0;
};

// A real client (the client library over UDP) from `local_host`.
class Probe {
 public:
  Probe(const Target& target, std::filesystem::path home,
        std::string local_host);
  // Connects, registers `name` (or logs in if it exists) and returns the
  // milliseconds it took, or an error after `timeout_ms`.
  Result<double> LogIn(const std::string& name, int timeout_ms);
  // A PING answered by PONG within `timeout_ms`.
  bool Answers(int timeout_ms);
  // Our address as the server saw it at login.
  const protocol::Endpoint& observed() const { return observed_; }

 private:
  template <typename Match>
  std::optional<client::Event> Await(Match match, int timeout_ms);

  std::unique_ptr<client::Client> client_;
  protocol::Endpoint observed_;
};

}  // namespace hail::attack

#endif  // HAIL_TOOLS_ATTACK_TARGET_H_
