#include "server/config.h"

#include <algorithm>
#include <boost/program_options.hpp>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

namespace hail::server {
namespace po = boost::program_options;

#ifndef HAIL_VERSION
#define HAIL_VERSION "0.0.0"
#endif

HostPlan PlanHosts(size_t max_clients, unsigned loops) {
  constexpr size_t kEnetMaxPeers = 4095;
  size_t hosts = (max_clients + kEnetMaxPeers - 1) / kEnetMaxPeers;
  HostPlan plan;
  plan.hosts_per_loop = std::max<size_t>(1, (hosts + loops - 1) / loops);
  size_t total = plan.hosts_per_loop * loops;
  // The kernel spreads clients by a hash of their address, not evenly:
  // each host gets a quarter more slots than its share, and 64 more.
  size_t share = (max_clients + total - 1) / total;
  plan.peers_per_host = std::min(kEnetMaxPeers, share + share / 4 + 64);
  return plan;
}

ParsedCommandLine ParseCommandLine(int argc, const char* const* argv) {
  ParsedCommandLine result;
  Config& c = result.config;
  unsigned cores = std::max(2u, std::thread::hardware_concurrency());
  std::string listen = "0.0.0.0:" + std::to_string(kDefaultPort);
  std::string data_dir = c.data_dir.string();
  std::string log_format = "text";
  std::string log_level = "info";
  std::string config_file;
  std::string show_user;
  std::string metrics_listen;
  int tcp_port = -1;

  po::options_description general("haild options");
  general.add_options()("help,h", "show this help and exit")(
      "version", "show the version and exit")(
      "config", po::value(&config_file),
      "read options from this INI file "
      "(keys as below without --; flags win)")(
      "print-fingerprint", po::bool_switch(&c.print_fingerprint),
      "print the server identity fingerprint (creating the key on first "
      "use) and exit")(
      "stats", po::bool_switch(&c.print_stats),
      "ask the haild running on --data-dir for its counters (JSON) and exit")(
      "show-user", po::value(&show_user),
      "ask the haild running on --data-dir what it records about a user "
      "(JSON) and exit");
  po::options_description settings("settings (flags or config file)");
  settings.add_options()(
      "data-dir", po::value(&data_dir)->default_value(data_dir),
      "directory for the database, identity key, lock and admin socket")(
      "listen", po::value(&listen)->default_value(listen),
      "UDP address and port to serve (IPv4)")(
      "tcp-port", po::value(&tcp_port),
      "TCP fallback port on the --listen address (default: the UDP port; "
      "0: no TCP; 443 passes most firewalls)")(
      "loop-threads", po::value(&c.loop_threads)->default_value(1),
      "network loop threads, each with its own ENet host on the same port")(
      "hash-threads", po::value(&c.hash_threads)->default_value(cores - 1),
      "password-hashing worker threads (each Argon2id run uses 64 MiB)")(
      "hash-queue", po::value(&c.hash_queue)->default_value(256),
      "account requests that may wait for a worker; beyond: SERVER_BUSY")(
      "max-peers-per-ip", po::value(&c.max_peers_per_ip)->default_value(64),
      "ENet peers allowed from one IP address (raise it for test rigs that "
      "run many clients from one address)")(
      "max-half-open-per-ip",
      po::value(&c.max_half_open_per_ip)->default_value(8),
      "ENet connections from one IP address that may be half-open (cookie "
      "checked, not yet completed) at once; raise it for test rigs")(
      "max-clients", po::value(&c.max_clients)->default_value(16380),
      "UDP clients one haild holds: sets how many ENet hosts (of at most "
      "4095 peers each) the loops share")(
      "metrics-listen", po::value(&metrics_listen),
      "serve Prometheus metrics over HTTP at IPV4:PORT (GET /metrics), e.g. "
      "127.0.0.1:9464; default: off")(
      "stun-alt-port", po::value(&c.stun_alt_port),
      "second UDP port, answering STUN only, for NAT behaviour discovery "
      "(default: the --listen port + 1 when free; 0: off)")(
      "auth-burst-per-ip", po::value(&c.auth_burst_per_ip)->default_value(20),
      "password-checking requests one IP may make in a burst")(
      "auth-rate-per-ip", po::value(&c.auth_rate_per_ip)->default_value(0.5),
      "password-checking requests per second one IP earns back")(
      "mailbox-per-recipient",
      po::value(&c.mailbox_per_recipient)->default_value(1000),
      "items one user's offline mailbox may hold")(
      "mailbox-per-sender",
      po::value(&c.mailbox_per_sender)->default_value(200),
      "messages from one sender one mailbox may hold")(
      "argon2-opslimit", po::value(&c.argon2_opslimit)->default_value(0),
      "Argon2id passes (0 or below libsodium's interactive: interactive)")(
      "argon2-memlimit", po::value(&c.argon2_memlimit)->default_value(0),
      "Argon2id memory in bytes (0 or below interactive: interactive)")(
      "argon2-test-rig", po::bool_switch(&c.argon2_test_rig),
      "LOAD-TEST RIGS ONLY: let --argon2-opslimit/--argon2-memlimit go below "
      "the interactive limits (hashes made so are cheap to attack)")(
      "log-format", po::value(&log_format)->default_value(log_format),
      "text or json")("log-level",
                      po::value(&log_level)->default_value(log_level),
                      "debug, info, warn or error");
  ForwardConfig& f = c.forward;
  po::options_description forwarding(
      "extended delivery (SPEC.md 17): a channel is offered when its gateway "
      "is set");
  forwarding.add_options()(
      "forward-smtp-url", po::value(&f.smtp_url),
      "e-mail: the SMTP server, smtp://HOST:PORT (STARTTLS when offered) or "
      "smtps://HOST:PORT")("forward-smtp-from", po::value(&f.smtp_from),
                           "e-mail: the From address of forwarded mail")(
      "forward-smtp-user", po::value(&f.smtp_user), "e-mail: AUTH user")(
      "forward-smtp-password", po::value(&f.smtp_password),
      "e-mail: AUTH password")(
      "forward-smtp-require-tls", po::bool_switch(&f.smtp_require_tls),
      "e-mail: send nothing to a server that does not offer STARTTLS")(
      "forward-smtp-ca-file", po::value(&f.smtp_ca_file),
      "e-mail: CA certificates (PEM) for the server's certificate")(
      "forward-smtp-insecure", po::bool_switch(&f.smtp_insecure),
      "TEST RIGS ONLY: do not check the SMTP server's certificate")(
      "forward-kannel-url", po::value(&f.kannel_url),
      "SMS: Kannel smsbox's sendsms URL, http://HOST:PORT/cgi-bin/sendsms")(
      "forward-kannel-user", po::value(&f.kannel_user),
      "SMS: the sendsms-user")(
      "forward-kannel-password", po::value(&f.kannel_password),
      "SMS: its password")("forward-kannel-from", po::value(&f.kannel_from),
                           "SMS: the sender id shown on the phone")(
      "forward-kannel-max-messages", po::value(&f.kannel_max_messages),
      "SMS: parts per message, equal to the sendsms-user's max-messages")(
      "forward-dlr-url", po::value(&f.dlr_url),
      "SMS: where Kannel sends delivery reports (default: "
      "http://<--metrics-listen>/kannel/dlr)")(
      "forward-hylafax-port", po::value(&f.hylafax_port),
      "fax: hfaxd's client port (0: no fax)")(
      "forward-hylafax-host", po::value(&f.hylafax_host), "fax: hfaxd's host")(
      "forward-hylafax-user", po::value(&f.hylafax_user),
      "fax: the hfaxd login")("forward-sendfax", po::value(&f.sendfax),
                              "fax: the sendfax program")(
      "forward-faxstat", po::value(&f.faxstat), "fax: the faxstat program")(
      "forward-fax-max-pages", po::value(&f.fax_max_pages),
      "fax: pages per forwarded message at most")(
      "forward-retry-seconds", po::value(&f.retry_seconds),
      "first wait after a gateway said 'try later' (doubles to 30 min)")(
      "forward-server-name", po::value(&f.server_name),
      "the server's name in verification code texts")(
      "forward-clock-skew-seconds", po::value(&f.clock_skew_seconds),
      "TEST RIGS ONLY: the forwarding workers' clock runs this far ahead");
  settings.add(forwarding);
  po::options_description all;
  all.add(general).add(settings);

  auto usage = [&](const std::string& error) {
    std::ostringstream out;
    if (!error.empty()) out << "haild: " << error << "\n\n";
    out << "usage: haild [options]\n\n" << all;
    result.output = out.str();
  };

  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, all), vm);
    if (vm.count("config")) {
      std::string path = vm["config"].as<std::string>();
      std::ifstream file(path);
      if (!file) {
        usage("cannot read config file " + path);
        result.action = ParsedCommandLine::Action::kExitUsage;
        return result;
      }
      // Values already stored from the command line are kept: flags win.
      po::store(po::parse_config_file(file, settings), vm);
    }
    po::notify(vm);
  } catch (const po::error& e) {
    usage(e.what());
    result.action = ParsedCommandLine::Action::kExitUsage;
    return result;
  }
  if (vm.count("help")) {
    usage("");
    result.action = ParsedCommandLine::Action::kExitOk;
    return result;
  }
  if (vm.count("version")) {
    result.output = std::string("haild ") + HAIL_VERSION + "\n";
    result.action = ParsedCommandLine::Action::kExitOk;
    return result;
  }
  auto fail = [&](const std::string& error) {
    usage(error);
    result.action = ParsedCommandLine::Action::kExitUsage;
    return result;
  };
  std::optional<protocol::Endpoint> endpoint =
      protocol::Endpoint::Parse(listen);
  if (!endpoint || endpoint->family != protocol::Endpoint::Family::kIpv4) {
    return fail("--listen wants IPV4:PORT, got '" + listen + "'");
  }
  c.listen = *endpoint;
  if (!metrics_listen.empty()) {
    c.metrics_listen = protocol::Endpoint::Parse(metrics_listen);
    if (!c.metrics_listen ||
        c.metrics_listen->family != protocol::Endpoint::Family::kIpv4) {
      return fail("--metrics-listen wants IPV4:PORT, got '" + metrics_listen +
                  "'");
    }
  }
  if (tcp_port > 65535 || (tcp_port < 0 && vm.count("tcp-port"))) {
    return fail("--tcp-port must be 0..65535");
  }
  if (tcp_port >= 0) c.tcp_port = static_cast<uint16_t>(tcp_port);
  c.data_dir = data_dir;
  if (c.loop_threads < 1 || c.loop_threads > 64) {
    return fail("--loop-threads must be 1..64");
  }
  if (c.hash_threads < 1) c.hash_threads = 1;
  if (c.max_clients < 1 || c.max_clients > 1'000'000) {
    return fail("--max-clients must be 1..1000000");
  }
  if (c.hash_queue < 1) return fail("--hash-queue must be at least 1");
  if (c.mailbox_per_recipient < 1 || c.mailbox_per_sender < 1) {
    return fail(
        "--mailbox-per-recipient and --mailbox-per-sender must be >= 1");
  }
  if (c.stun_alt_port < Config::kStunAltPortDefault ||
      c.stun_alt_port > 65535) {
    return fail("--stun-alt-port must be 0..65535");
  }
  if (c.stun_alt_port > 0 && c.stun_alt_port == c.listen.port) {
    return fail("--stun-alt-port must differ from the --listen port");
  }
  if (c.max_peers_per_ip < 1) return fail("--max-peers-per-ip must be >= 1");
  if (c.max_half_open_per_ip < 1) {
    return fail("--max-half-open-per-ip must be >= 1");
  }
  if (c.auth_burst_per_ip < 1 || c.auth_rate_per_ip <= 0) {
    return fail("--auth-burst-per-ip must be >= 1 and --auth-rate-per-ip > 0");
  }
  if (log_format == "text") {
    c.log_format = Logger::Format::kText;
  } else if (log_format == "json") {
    c.log_format = Logger::Format::kJson;
  } else {
    return fail("--log-format must be text or json");
  }
  if (log_level == "debug") {
    c.log_level = Logger::Level::kDebug;
  } else if (log_level == "info") {
    c.log_level = Logger::Level::kInfo;
  } else if (log_level == "warn") {
    c.log_level = Logger::Level::kWarn;
  } else if (log_level == "error") {
    c.log_level = Logger::Level::kError;
  } else {
    return fail("--log-level must be debug, info, warn or error");
  }
  if (f.kannel_max_messages < 1 || f.fax_max_pages < 1 || f.retry_seconds < 1 ||
      f.server_name.empty() || f.hylafax_port < 0 || f.hylafax_port > 65535) {
    return fail(
        "--forward-kannel-max-messages, --forward-fax-max-pages and "
        "--forward-retry-seconds must be >= 1, --forward-server-name set, "
        "--forward-hylafax-port 0..65535");
  }
  if (vm.count("show-user")) c.show_user = show_user;
  if (const char* key_log = std::getenv("HAIL_KEYLOGFILE")) {
    c.key_log_path = key_log;
  }
  return result;
}

}  // namespace hail::server
