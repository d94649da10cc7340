// The operator's window into a running haild: a Unix stream socket at
// DATA_DIR/admin.sock (mode 0600, so only the server's user may connect).
// A client writes one command line and reads one JSON line back:
//   "stats"      -> every counter and gauge
//   "user NAME"  -> what the server records about NAME (no secrets)
// The same one-request-per-connection server also listens on TCP for the
// Prometheus endpoint (`--metrics-listen`, MetricsHttpReply): its "command"
// is the HTTP request line. Served by its own thread, never by a network
// loop; a slow or silent client is cut off after 2 s.
#ifndef HAIL_SERVER_ADMIN_SOCKET_H_
#define HAIL_SERVER_ADMIN_SOCKET_H_

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <thread>

#include "protocol/endpoint.h"
#include "protocol/status.h"

namespace hail::server {

class AdminSocket {
 public:
  // Maps a command line (without line end) to the exact bytes to reply.
  using Handler = std::function<std::string(const std::string& command)>;

  static Result<std::unique_ptr<AdminSocket>> Listen(
      const std::filesystem::path& path, Handler handler);
  // On TCP at `listen` (port 0: any free port, see port()).
  static Result<std::unique_ptr<AdminSocket>> ListenTcp(
      const protocol::Endpoint& listen, Handler handler);
  uint16_t port() const { return port_; }  // TCP only
  ~AdminSocket();  // stops the thread and removes the socket file
  AdminSocket(const AdminSocket&) = delete;
  AdminSocket& operator=(const AdminSocket&) = delete;

 private:
  AdminSocket(std::filesystem::path path, int listen_fd, int stop_fd,
              Handler handler);
  void Run();

  std::filesystem::path path_;  // empty for TCP
  uint16_t port_ = 0;
  int listen_fd_;
  int stop_fd_;
  Handler handler_;
  std::thread thread_;
};

// Client side, for `haild --stats` / `--show-user`: sends `command` and
// returns the reply line.
Result<std::string> AdminRequest(const std::filesystem::path& path,
                                 const std::string& command);

// A callback served beside the metrics: GET of `path` (with any query)
// goes to `handle` with the request target; true answers 200, false 400.
struct HttpCallback {
  std::string path;
  std::function<bool(std::string_view target)> handle;
};

// The HTTP reply to `request_line` for a Prometheus scrape: the text of
// `metrics()` for GET /metrics, the callback's answer for its path (Kannel's
// delivery reports), 404 for any other path, 405 for any other method.
std::string MetricsHttpReply(const std::string& request_line,
                             const std::function<std::string()>& metrics,
                             const HttpCallback& callback = {});

// The "stats" reply, a flat JSON object of integers, as a map.
std::map<std::string, int64_t> ParseStatsLine(const std::string& json);

}  // namespace hail::server

#endif  // HAIL_SERVER_ADMIN_SOCKET_H_
