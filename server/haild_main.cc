#include "server/haild_main.h"

#include <signal.h>
#include <sodium.h>

#include <cstdio>
#include <iostream>

#include "server/admin_socket.h"
#include "server/config.h"
#include "server/data_dir.h"
#include "server/logger.h"
#include "server/server.h"

namespace {

int RunAdmin(const hail::server::Config& config, const std::string& command) {
  hail::Result<std::string> reply =
      hail::server::AdminRequest(config.data_dir / "admin.sock", command);
  if (!reply.ok()) {
    std::cerr << "haild: " << reply.status().message() << "\n";
    return 1;
  }
  std::cout << *reply << "\n";
  return reply->rfind("{\"error\"", 0) == 0 ? 1 : 0;
}

}  // namespace

namespace hail::server {

int RunHaild(int argc, char** argv, const FaultPlan* faults) {
  hail::server::ParsedCommandLine parsed =
      hail::server::ParseCommandLine(argc, argv);
  switch (parsed.action) {
    case hail::server::ParsedCommandLine::Action::kExitOk:
      std::cout << parsed.output;
      return 0;
    case hail::server::ParsedCommandLine::Action::kExitUsage:
      std::cerr << parsed.output;
      return 2;
    case hail::server::ParsedCommandLine::Action::kRun:
      break;
  }
  const hail::server::Config& config = parsed.config;
  if (sodium_init() < 0) {
    std::cerr << "haild: libsodium failed to initialize\n";
    return 1;
  }
  if (config.print_stats) return RunAdmin(config, "stats");
  if (config.show_user) return RunAdmin(config, "user " + *config.show_user);
  if (config.print_fingerprint) {
    std::error_code ec;
    std::filesystem::create_directories(config.data_dir, ec);
    hail::Result<hail::protocol::IdentityKey> identity =
        hail::server::LoadOrCreateIdentity(config.data_dir);
    if (!identity.ok()) {
      std::cerr << "haild: " << identity.status().message() << "\n";
      return 1;
    }
    std::cout << hail::protocol::Fingerprint(identity->public_key) << "\n";
    return 0;
  }

  // Signals are taken synchronously by this thread; every thread started
  // below inherits the blocked mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  hail::server::Logger logger(config.log_format, config.log_level);
  hail::Result<std::unique_ptr<hail::server::Server>> server =
      hail::server::Server::Start(config, &logger, faults);
  if (!server.ok()) {
    logger.Error("haild cannot start: {}", server.status().message());
    return 1;
  }
  int received = 0;
  sigwait(&signals, &received);
  logger.Info("received {}, draining sessions",
              received == SIGINT ? "SIGINT" : "SIGTERM");
  (*server)->Shutdown();
  return 0;
}

}  // namespace hail::server
