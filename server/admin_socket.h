// The operator's window into a running haild: a Unix stream socket at
// DATA_DIR/admin.sock (mode 0600, so only the server's user may connect).
// A client writes one command line and reads one JSON line back:
//   "stats"      -> every counter and gauge
//   "user NAME"  -> what the server records about NAME (no secrets)
// Served by its own thread, never by a network loop.
#ifndef HAIL_SERVER_ADMIN_SOCKET_H_
#define HAIL_SERVER_ADMIN_SOCKET_H_

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "protocol/status.h"

namespace hail::server {

class AdminSocket {
 public:
  // Maps a command line (without newline) to the JSON reply line.
  using Handler = std::function<std::string(const std::string& command)>;

  static Result<std::unique_ptr<AdminSocket>> Listen(
      const std::filesystem::path& path, Handler handler);
  ~AdminSocket();  // stops the thread and removes the socket file
  AdminSocket(const AdminSocket&) = delete;
  AdminSocket& operator=(const AdminSocket&) = delete;

 private:
  AdminSocket(std::filesystem::path path, int listen_fd, int stop_fd,
              Handler handler);
  void Run();

  std::filesystem::path path_;
  int listen_fd_;
  int stop_fd_;
  Handler handler_;
  std::thread thread_;
};

// Client side, for `haild --stats` / `--show-user`: sends `command` and
// returns the reply line.
Result<std::string> AdminRequest(const std::filesystem::path& path,
                                 const std::string& command);

// The "stats" reply, a flat JSON object of integers, as a map.
std::map<std::string, int64_t> ParseStatsLine(const std::string& json);

}  // namespace hail::server

#endif  // HAIL_SERVER_ADMIN_SOCKET_H_
