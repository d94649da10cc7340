// haild's configuration: command-line flags and an optional INI-style config
// file with the same keys (flags win over the file).
#ifndef HAIL_SERVER_CONFIG_H_
#define HAIL_SERVER_CONFIG_H_

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "protocol/endpoint.h"
#include "protocol/status.h"
#include "server/logger.h"

namespace hail::server {

inline constexpr uint16_t kDefaultPort = 4000;

// Extended delivery's gateways (SPEC.md 17.1): a channel is offered when
// its gateway is configured (the SMTP URL, the sendsms URL, the hfaxd port).
struct ForwardConfig {
  std::string smtp_url;  // smtp://host:port or smtps://host:port
  std::string smtp_from = "hail@localhost.localdomain";
  std::string smtp_user;
  std::string smtp_password;
  bool smtp_require_tls = false;
  std::string smtp_ca_file;
  bool smtp_insecure = false;  // no certificate check (test rigs)
  std::string kannel_url;      // smsbox's sendsms URL
  std::string kannel_user;
  std::string kannel_password;
  std::string kannel_from = "Hail";
  int kannel_max_messages = 3;
  // Kannel's DLR callbacks; default: /kannel/dlr on --metrics-listen.
  std::string dlr_url;
  int hylafax_port = 0;  // 0: no fax
  std::string hylafax_host = "127.0.0.1";
  std::string hylafax_user = "hail";
  std::string sendfax = "sendfax";
  std::string faxstat = "faxstat";
  int fax_max_pages = 5;
  unsigned retry_seconds = 30;  // first backoff after "try later"
  std::string server_name = "hail";
  // Test rigs only: the forwarding workers' clock runs this far ahead.
  unsigned clock_skew_seconds = 0;
};

struct Config {
  std::filesystem::path data_dir = "hail-data";
  protocol::Endpoint listen = protocol::Endpoint::Ipv4(0, kDefaultPort);
  // The TCP fallback port (SPEC.md 3.8) on the listen address: unset means
  // the UDP port actually bound, 0 means no TCP.
  std::optional<uint16_t> tcp_port;
  unsigned loop_threads = 1;
  unsigned hash_threads = 1;
  size_t hash_queue = 256;
  size_t max_peers_per_ip = 64;
  // ENet connections from one IP address that may be half-open at once
  // (SPEC.md 4.3).
  size_t max_half_open_per_ip = 8;
  // Where the Prometheus text endpoint listens (HTTP, GET /metrics); unset:
  // none. Meant for a local address: the figures are the operator's.
  std::optional<protocol::Endpoint> metrics_listen;
  // UDP clients in all: ENet hosts of at most 4095 peers are made for them
  // (HostPlan).
  size_t max_clients = 16380;
  // The alternate STUN-only UDP port (SPEC.md 3.4.3): kStunAltPortDefault
  // means the listen port + 1, skipped with a warning when that is taken;
  // 0 turns it off; any other value must bind.
  static constexpr int kStunAltPortDefault = -1;
  int stun_alt_port = kStunAltPortDefault;
  double auth_burst_per_ip = 20;
  double auth_rate_per_ip = 0.5;
  size_t mailbox_per_recipient = 1000;
  size_t mailbox_per_sender = 200;
  unsigned long long argon2_opslimit = 0;  // 0: libsodium's interactive
  size_t argon2_memlimit = 0;              // 0: libsodium's interactive
  bool argon2_test_rig = false;            // limits may go below interactive
  Logger::Format log_format = Logger::Format::kText;
  Logger::Level log_level = Logger::Level::kInfo;
  std::string key_log_path;  // from HAIL_KEYLOGFILE
  ForwardConfig forward;

  // One-shot modes instead of serving.
  bool print_fingerprint = false;
  bool print_stats = false;
  std::optional<std::string> show_user;
};

// How many ENet hosts each loop runs, and their peer slots: enough hosts
// of at most 4095 peers for max_clients, at least one per loop, the same
// number on every loop (SO_REUSEPORT spreads clients over all of them by a
// hash of their address, so each gets some slots beyond its share).
struct HostPlan {
  size_t hosts_per_loop = 1;
  size_t peers_per_host = 4095;
};
HostPlan PlanHosts(size_t max_clients, unsigned loops);

// What ParseCommandLine decided.
struct ParsedCommandLine {
  enum class Action { kRun, kExitOk, kExitUsage };
  Action action = Action::kRun;
  std::string output;  // --help / --version text, or the usage error
  Config config;
};

ParsedCommandLine ParseCommandLine(int argc, const char* const* argv);

}  // namespace hail::server

#endif  // HAIL_SERVER_CONFIG_H_
