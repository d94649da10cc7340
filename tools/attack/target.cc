#include "tools/attack/target.h"

#include <signal.h>

#include <chrono>
#include <fstream>
#include <thread>
#include <utility>

#include "server/admin_socket.h"
#include "tools/bench/proc_stats.h"

namespace hail::attack {

using Clock = std::chrono::steady_clock;

Result<Target> Target::Find(protocol::Endpoint server,
                            std::filesystem::path data_dir) {
  Target t;
  t.server_ = server;
  t.data_dir_ = std::move(data_dir);
  std::ifstream lock(t.data_dir_ / "haild.lock");
  if (!(lock >> t.pid_) || t.pid_ <= 0) {
    return Status::NotFound("no running haild recorded in " +
                            (t.data_dir_ / "haild.lock").string());
  }
  if (t.Stats().empty()) {
    return Status::NotFound("no answer on " +
                            (t.data_dir_ / "admin.sock").string());
  }
  return t;
}

std::map<std::string, int64_t> Target::Stats() const {
  Result<std::string> reply =
      server::AdminRequest(data_dir_ / "admin.sock", "stats");
  return reply.ok() ? server::ParseStatsLine(*reply)
                    : std::map<std::string, int64_t>{};
}

int64_t Target::Stat(const std::string& name) const {
  std::map<std::string, int64_t> stats = Stats();
  auto it = stats.find(name);
  return it == stats.end() ? -1 : it->second;
}

int64_t Target::WaitForStat(const std::string& name, int64_t minimum,
                            int timeout_ms) const {
  auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  int64_t value = Stat(name);
  while (value < minimum && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    value = Stat(name);
  }
  return value;
}

long Target::RssKb() const {
  std::optional<bench::ProcSample> sample = bench::SampleProcess(pid_);
  return sample ? sample->rss_kb : 0;
}

bool Target::Alive() const { return kill(pid_, 0) == 0; }

Probe::Probe(const Target& target, std::filesystem::path home,
             std::string local_host) {
  client::ClientOptions options;
  options.server_host = "127.0.0.1";
  options.server_port = target.server().port;
  options.local_host = std::move(local_host);
  options.home = std::move(home);
  options.transport = client::TransportChoice::kUdp;
  options.client_version = "hail-attack/1";
  options.p2p = client::P2pPolicy::kRelayOnly;
  client_ = std::make_unique<client::Client>(options);
}

template <typename Match>
std::optional<client::Event> Probe::Await(Match match, int timeout_ms) {
  auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  while (Clock::now() < deadline) {
    std::optional<client::Event> event = client_->Poll(20);
    if (event && match(*event)) return event;
  }
  return std::nullopt;
}

Result<double> Probe::LogIn(const std::string& name, int timeout_ms) {
  auto start = Clock::now();
  auto left = [&] {
    auto spent = std::chrono::duration_cast<std::chrono::milliseconds>(
        Clock::now() - start);
    return std::max<int>(1, timeout_ms - static_cast<int>(spent.count()));
  };
  if (Status s = client_->Connect(); !s.ok()) return s;
  std::optional<client::Event> up = Await(
      [](const client::Event& e) {
        return std::holds_alternative<client::Connected>(e) ||
               std::holds_alternative<client::ConnectFailed>(e);
      },
      left());
  if (!up || !std::holds_alternative<client::Connected>(*up)) {
    return Status::IoError(up ? "connect failed: " +
                                    std::get<client::ConnectFailed>(*up).reason
                              : "no connection in time");
  }
  const std::string password = "attack probe password";
  if (!client_->Register(name, password).ok()) {
    return Status::IoError("cannot send REGISTER");
  }
  std::optional<client::Event> registered = Await(
      [](const client::Event& e) {
        return std::holds_alternative<client::Registered>(e);
      },
      left());
  if (!registered) return Status::IoError("no REGISTER answer in time");
  // Registered now, or taken by an earlier run: log in either way.
  if (!client_->Login(name, password).ok()) {
    return Status::IoError("cannot send LOGIN");
  }
  std::optional<client::Event> in = Await(
      [](const client::Event& e) {
        return std::holds_alternative<client::LoginResult>(e);
      },
      left());
  if (!in) return Status::IoError("no LOGIN answer in time");
  const auto& result = std::get<client::LoginResult>(*in);
  if (result.error != protocol::ErrorCode::kOk) {
    return Status::IoError("login refused: " +
                           std::string(protocol::ErrorCodeName(result.error)));
  }
  observed_ = result.observed_endpoint;
  return std::chrono::duration<double, std::milli>(Clock::now() - start)
      .count();
}

bool Probe::Answers(int timeout_ms) {
  if (!client_->Ping().ok()) return false;
  return Await(
             [](const client::Event& e) {
               return std::holds_alternative<client::Pong>(e);
             },
             timeout_ms)
      .has_value();
}

}  // namespace hail::attack
