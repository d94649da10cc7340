#include "server/server.h"

#include <sodium.h>
#include <sys/statvfs.h>

#include "nat/address_class.h"
#include "protocol/account_rules.h"
#include "protocol/text.h"
#include "server/forward/kannel_delivery_report.h"
#include "server/forward_service.h"
#include "server/metrics.h"
#include "server/port_check.h"
#include "server/stun_responder.h"
#include "server/stun_socket.h"

namespace hail::server {
namespace {

// Per-IP and per-account limits of SPEC.md "Throttling".
constexpr double kResumeBurstPerIp = 60;
constexpr double kResumeRatePerIp = 10;
// Direct-link setups: 5 at once per pair of users, then one per 5 s.
constexpr double kP2pBurstPerPair = 5;
constexpr double kP2pRatePerPair = 0.2;
constexpr size_t kP2pPendingMax = 10000;
constexpr size_t kLimiterKeys = 65536;
// Contact decisions wait for their synced write one at a time; store reads
// for logins and message dedup are short.
constexpr size_t kContactQueue = 4096;
constexpr size_t kIoThreads = 2;
constexpr size_t kIoQueue = 8192;

}  // namespace

Server::Server(const Config& config, Logger* logger)
    : config_(config), logger_(logger) {}

Result<std::unique_ptr<Server>> Server::Start(const Config& config,
                                              Logger* logger,
                                              const FaultPlan* faults) {
  if (sodium_init() < 0) return Status::IoError("libsodium failed to start");
  std::unique_ptr<Server> server(new Server(config, logger));
  Server& s = *server;
  Result<std::unique_ptr<DataDirLock>> lock =
      DataDirLock::Acquire(config.data_dir);
  if (!lock.ok()) return lock.status();
  s.lock_ = std::move(*lock);
  Result<protocol::IdentityKey> identity =
      LoadOrCreateIdentity(config.data_dir);
  if (!identity.ok()) return identity.status();
  s.identity_ = *identity;
  std::array<uint8_t, 32> cookie_secret;
  randombytes_buf(cookie_secret.data(), cookie_secret.size());
  s.cookies_ = std::make_unique<protocol::CookieMinter>(cookie_secret);
  sodium_memzero(cookie_secret.data(), cookie_secret.size());

  Result<std::unique_ptr<AccountStore>> store =
      AccountStore::Open(config.data_dir / "db");
  if (!store.ok()) return store.status();
  s.store_ = std::move(*store);
  s.store_->database()->set_logger(logger);
  PasswordHashLimits limits;
  if (config.argon2_opslimit != 0) limits.opslimit = config.argon2_opslimit;
  if (config.argon2_memlimit != 0) limits.memlimit = config.argon2_memlimit;
  limits.test_rig = config.argon2_test_rig;
  s.accounts_ =
      std::make_unique<AccountService>(s.store_.get(), limits, &s.counters_);
  s.workers_ = std::make_unique<WorkerPool>(config.hash_threads,
                                            config.hash_queue, "hail-hash");
  MailboxLimits mailbox;
  mailbox.per_recipient = config.mailbox_per_recipient;
  mailbox.per_sender = config.mailbox_per_sender;
  s.chats_ = std::make_unique<ChatStore>(s.store_->database(), mailbox);
  s.contacts_ =
      std::make_unique<ContactService>(s.store_.get(), s.chats_.get());
  Status forwarding = s.StartForwarding();
  if (!forwarding.ok()) return forwarding;
  s.contact_worker_ =
      std::make_unique<WorkerPool>(1, kContactQueue, "hail-contacts");
  s.io_workers_ = std::make_unique<WorkerPool>(kIoThreads, kIoQueue, "hail-io");
  if (!config.key_log_path.empty()) {
    s.key_log_ = std::make_unique<KeyLogWriter>(config.key_log_path);
    if (!s.key_log_->ok()) {
      return Status::IoError("cannot open HAIL_KEYLOGFILE " +
                             config.key_log_path);
    }
    logger->Warn("HAIL_KEYLOGFILE is set: session keys are written to {}",
                 config.key_log_path);
  }
  s.auth_per_ip_ = std::make_unique<LockedRateLimiter>(
      config.auth_burst_per_ip, config.auth_rate_per_ip, kLimiterKeys);
  s.resume_per_ip_ = std::make_unique<LockedRateLimiter>(
      kResumeBurstPerIp, kResumeRatePerIp, kLimiterKeys);
  PasswordGuard::Limits guard;
  guard.max_keys = kLimiterKeys;
  s.password_guard_ = std::make_unique<PasswordGuard>(guard);
  s.p2p_per_pair_ = std::make_unique<LockedRateLimiter>(
      kP2pBurstPerPair, kP2pRatePerPair, kLimiterKeys);
  s.p2p_broker_ = std::make_unique<P2pBroker>(kP2pPendingMax);

  s.shared_.config = &s.config_;
  s.shared_.identity = &s.identity_;
  s.shared_.cookies = s.cookies_.get();
  s.shared_.accounts = s.accounts_.get();
  s.shared_.workers = s.workers_.get();
  s.shared_.chats = s.chats_.get();
  s.shared_.contacts = s.contacts_.get();
  s.shared_.contact_worker = s.contact_worker_.get();
  s.shared_.io_workers = s.io_workers_.get();
  s.shared_.directory = &s.directory_;
  s.shared_.undecided = &s.undecided_;
  s.shared_.forward = s.forward_.get();
  s.shared_.counters = &s.counters_;
  s.shared_.faults = faults;
  s.shared_.logger = logger;
  s.shared_.key_log = s.key_log_.get();
  s.shared_.auth_per_ip = s.auth_per_ip_.get();
  s.shared_.resume_per_ip = s.resume_per_ip_.get();
  s.shared_.password_guard = s.password_guard_.get();
  s.shared_.p2p_per_pair = s.p2p_per_pair_.get();
  s.shared_.p2p_broker = s.p2p_broker_.get();
  s.tcp_per_ip_ = std::make_unique<TcpIpCounter>(config.max_peers_per_ip);
  s.shared_.tcp_per_ip = s.tcp_per_ip_.get();

  protocol::Endpoint listen = config.listen;
  Status udp_free = CheckPortFree(listen, PortKind::kUdp);
  if (!udp_free.ok()) return udp_free;
  HostPlan plan = PlanHosts(config.max_clients, config.loop_threads);
  for (unsigned i = 0; i < config.loop_threads; ++i) {
    auto shard = std::make_unique<Shard>(i, &s.shared_);
    Status bound =
        shard->Bind(listen, plan.hosts_per_loop, plan.peers_per_host);
    if (!bound.ok()) return bound;
    // Later hosts join the port the first one got (it may have been 0).
    listen.port = shard->bound().port;
    s.shared_.shards.push_back(shard.get());
    s.shards_.push_back(std::move(shard));
  }
  // TCP defaults to the UDP port actually bound (which --listen may have
  // left to the kernel); later listeners join the port the first one got.
  protocol::Endpoint tcp_listen = listen;
  tcp_listen.port = config.tcp_port.value_or(listen.port);
  if (!config.tcp_port || *config.tcp_port != 0) {
    Status tcp_free = CheckPortFree(tcp_listen, PortKind::kTcp);
    if (!tcp_free.ok()) return tcp_free;
    for (auto& shard : s.shards_) {
      Status listening = shard->ListenTcp(tcp_listen);
      if (!listening.ok()) return listening;
      tcp_listen.port = shard->tcp_port();
    }
  }
  Status stun = s.StartStun();
  if (!stun.ok()) return stun;
  Server* self = server.get();
  Result<std::unique_ptr<AdminSocket>> admin = AdminSocket::Listen(
      config.data_dir / "admin.sock", [self](const std::string& command) {
        return self->AdminCommand(command) + "\n";
      });
  if (!admin.ok()) return admin.status();
  s.admin_ = std::move(*admin);
  if (config.metrics_listen) {
    Result<std::unique_ptr<AdminSocket>> metrics = AdminSocket::ListenTcp(
        *config.metrics_listen, [self](const std::string& request_line) {
          return MetricsHttpReply(
              request_line, [self] { return self->PrometheusText(); },
              {std::string(forward::kDeliveryReportPath),
               [self](std::string_view target) {
                 return self->forward_->DeliveryReport(target);
               }});
        });
    if (!metrics.ok()) return metrics.status();
    s.metrics_ = std::move(*metrics);
    protocol::Endpoint at = *config.metrics_listen;
    at.port = s.metrics_->port();
    logger->Info("metrics on http://{}/metrics", at.ToString());
  }
  for (auto& shard : s.shards_) shard->Start();
  s.forward_->Start();
  s.started_ = true;
  logger->Info(
      "haild listening on udp {} and {} (STUN-only port: {}) with {} loop "
      "thread(s) of {} ENet host(s) x {} peers, {} hash thread(s); data dir "
      "{}; identity {}",
      s.bound().ToString(),
      s.tcp_port() == 0 ? std::string("no tcp")
                        : "tcp port " + std::to_string(s.tcp_port()),
      s.stun_socket_ ? s.stun_socket_->bound().ToString() : "off",
      config.loop_threads, plan.hosts_per_loop, plan.peers_per_host,
      config.hash_threads, config.data_dir.string(),
      protocol::Fingerprint(s.identity_.public_key));
  return server;
}

Status Server::StartForwarding() {
  Result<std::vector<std::unique_ptr<forward::Gateway>>> gateways =
      MakeForwardGateways(config_.forward, config_.metrics_listen);
  if (!gateways.ok()) return gateways.status();
  for (const auto& gateway : *gateways) {
    logger_->Info("forwarding by {} is offered",
                  forward::ChannelName(gateway->channel()));
  }
  ForwardServiceOptions options;
  options.server_name = config_.forward.server_name;
  options.forwarder.retry_first =
      std::chrono::seconds(config_.forward.retry_seconds);
  options.forwarder.retry_max =
      std::max(options.forwarder.retry_max, options.forwarder.retry_first);
  if (uint64_t skew = config_.forward.clock_skew_seconds; skew != 0) {
    logger_->Warn("forwarding clock runs {} s ahead (test rigs only)", skew);
    options.forwarder.now_unix = [skew] { return UnixNow() + skew; };
  }
  SharedState* shared = &shared_;
  forward_ = std::make_unique<ForwardService>(
      store_->database(), store_.get(), std::move(*gateways),
      std::move(options), logger_, [shared](uint64_t sender, MailItem notice) {
        // Stored for the sender and sent on when they are online, like a
        // delivery receipt (SPEC.md 17.7).
        core::StoreRequest request;
        request.kind = core::StoreRequest::Kind::kReceipt;
        request.loop = 0;
        request.recipient = sender;
        request.item = std::move(notice);
        request.send_now = true;
        Shard::RunStore(shared, std::move(request));
      });
  chats_->set_forwarding(forward_.get());
  return Status::Ok();
}

Status Server::StartStun() {
  protocol::Endpoint main = bound();
  if (config_.stun_alt_port != 0) {
    protocol::Endpoint alternate = config_.listen;
    bool defaulted = config_.stun_alt_port == Config::kStunAltPortDefault;
    alternate.port = defaulted ? static_cast<uint16_t>(main.port + 1)
                               : static_cast<uint16_t>(config_.stun_alt_port);
    stun_ = std::make_unique<StunResponder>(&counters_, main, alternate,
                                            kLimiterKeys);
    Result<std::unique_ptr<StunSocket>> socket =
        alternate.port == 0 ? Result<std::unique_ptr<StunSocket>>(
                                  Status::InvalidArgument("no port + 1"))
                            : StunSocket::Bind(alternate, stun_.get());
    if (socket.ok()) {
      stun_socket_ = std::move(*socket);
      shards_.front()->ServeStunSocket(stun_socket_.get());
      shared_.stun = stun_.get();
      return Status::Ok();
    }
    if (!defaulted) return socket.status();
    logger_->Warn(
        "no alternate STUN port ({}); NAT mapping discovery will "
        "report the mapping as unknown",
        socket.status().message());
  }
  stun_ = std::make_unique<StunResponder>(&counters_, main,
                                          protocol::Endpoint(), kLimiterKeys);
  shared_.stun = stun_.get();
  return Status::Ok();
}

Server::~Server() { Shutdown(); }

void Server::Shutdown() {
  if (shut_down_) return;
  shut_down_ = true;
  admin_.reset();
  metrics_.reset();
  for (auto& shard : shards_) shard->BeginDrain();
  for (auto& shard : shards_) shard->Join();
  // Workers finish what is queued; their replies go to stopped loops and
  // are discarded, but every write they make is complete.
  if (workers_) workers_->Shutdown();
  if (contact_worker_) contact_worker_->Shutdown();
  if (io_workers_) io_workers_->Shutdown();
  // Hand-overs in progress finish and record their outcome; queued jobs
  // wait in the store for the next start.
  if (forward_) forward_->Stop();
  // Queued writes complete before the shards their callbacks post to go.
  if (chats_) chats_->Flush();
  shards_.clear();
  // A haild that never started says why (main) and not that it stopped.
  if (logger_ && started_) logger_->Info("haild stopped");
}

protocol::Endpoint Server::bound() const {
  return shards_.empty() ? protocol::Endpoint{} : shards_.front()->bound();
}

uint16_t Server::tcp_port() const {
  return shards_.empty() ? 0 : shards_.front()->tcp_port();
}

std::string Server::AdminCommand(const std::string& command) const {
  if (command == "stats") return StatsJson();
  if (command.rfind("user ", 0) == 0) return UserJson(command.substr(5));
  return R"({"error":"unknown command; try 'stats' or 'user NAME'"})";
}

std::vector<Metric> Server::Metrics() const {
  std::vector<Metric> metrics = CounterMetrics(counters_);
  size_t sessions = 0;
  for (const auto& shard : shards_) sessions += shard->sessions();
  using Kind = Metric::Kind;
  auto add = [&](std::string_view name, Kind kind, std::string_view help,
                 uint64_t value) {
    metrics.push_back(Metric{name, kind, help, static_cast<int64_t>(value)});
  };
  add("sessions", Kind::kGauge, "sessions open (handshaking or logged in)",
      sessions);
  add("users_online", Kind::kGauge, "users logged in", directory_.online());
  add("hash_queue", Kind::kGauge, "account requests waiting for a hash worker",
      workers_ ? workers_->queued() : 0);
  add("store_batches", Kind::kCounter, "synced store batches committed",
      chats_ ? chats_->batches_committed() : 0);
  add("store_writes", Kind::kCounter, "store writes committed",
      chats_ ? chats_->writes_committed() : 0);
  add("mailbox_items", Kind::kGauge,
      "items waiting in all mailboxes (messages, notices, receipts)",
      chats_
          ? static_cast<uint64_t>(std::max<int64_t>(chats_->mailbox_items(), 0))
          : 0);
  add("store_buffered_batches", Kind::kCounter,
      "store batches committed without a sync",
      chats_ ? chats_->buffered_batches_committed() : 0);
  // The data directory's writability (SPEC.md 14.3).
  const Database* database = store_ ? store_->database() : nullptr;
  add("store_read_only", Kind::kGauge,
      "1 while the data directory takes no writes (full disk); writes are "
      "answered SERVER_BUSY",
      database != nullptr && database->read_only() ? 1 : 0);
  add("store_write_errors", Kind::kCounter,
      "store writes that failed or were refused while read-only",
      database != nullptr ? database->write_errors() : 0);
  add("store_recoveries", Kind::kCounter,
      "reopens of the database after a read-only period",
      database != nullptr ? database->recoveries() : 0);
  add("p2p_pending", Kind::kGauge, "direct-link rendezvous in progress",
      p2p_broker_ ? p2p_broker_->pending() : 0);
  AddForwardMetrics(&metrics);
  struct statvfs fs;
  uint64_t free_bytes = 0;
  if (::statvfs(config_.data_dir.c_str(), &fs) == 0) {
    free_bytes = static_cast<uint64_t>(fs.f_bavail) * fs.f_frsize;
  }
  add("data_dir_free_bytes", Kind::kGauge,
      "bytes free for haild on the data directory's file system", free_bytes);
  return metrics;
}

void Server::AddForwardMetrics(std::vector<Metric>* metrics) const {
  if (!forward_) return;
  // Names live as long as the process: Metric holds views.
  static const auto* const names = [] {
    auto* table = new std::vector<std::string>;
    for (size_t i = 0; i < forward::kChannelCount; ++i) {
      std::string channel = forward::ChannelName(forward::ChannelAt(i));
      for (const char* what : {"queued", "sent", "retried", "deferred",
                               "failed", "cancelled", "delivered"}) {
        table->push_back("forward_" + channel + "_" + what);
      }
    }
    return table;
  }();
  static constexpr const char* kHelp[] = {
      "forward jobs queued (the message's write is durable)",
      "forward jobs the gateway accepted",
      "hand-overs answered 'try later' (the job waits and goes again)",
      "forward jobs held back by a rate limit",
      "forward jobs given up, rejected, or reported undelivered",
      "forward jobs cancelled (login, read, block, address or rule change)",
      "forward jobs reported delivered (SMS delivery reports)"};
  forward::ForwardCounters counters = forward_->counters();
  size_t n = 0;
  for (const forward::ForwardCounters::Channel& c : counters.channels) {
    for (uint64_t value : {c.queued, c.sent, c.retried, c.deferred, c.failed,
                           c.cancelled, c.delivered}) {
      metrics->push_back(Metric{(*names)[n], Metric::Kind::kCounter,
                                kHelp[n % 7], static_cast<int64_t>(value)});
      ++n;
    }
  }
  metrics->push_back(Metric{"forward_damaged_jobs", Metric::Kind::kCounter,
                            "due forward jobs whose record did not decode",
                            static_cast<int64_t>(counters.damaged)});
}

std::string Server::StatsJson() const { return RenderStatsJson(Metrics()); }

std::string Server::PrometheusText() const {
  return RenderPrometheus(Metrics());
}

std::string Server::UserJson(const std::string& username) const {
  Result<UserRecord> record = accounts_->Lookup(username);
  if (!record.ok()) {
    return fmt::format("{{\"error\":\"{}\"}}",
                       protocol::JsonEscape(record.status().message()));
  }
  const UserRecord& r = *record;
  return fmt::format(
      "{{\"user_id\":{},\"username\":\"{}\",\"created_unix\":{},"
      "\"online\":{},\"last_login_unix\":{},\"observed_endpoint\":\"{}\","
      "\"lan_endpoint\":\"{}\",\"behind_nat\":{},\"client_version\":\"{}\"}}",
      r.user_id, protocol::JsonEscape(r.username), r.created_unix,
      directory_.IsOnline(r.user_id) ? "true" : "false", r.last_login.unix_time,
      r.last_login.observed.ToString(), r.last_login.lan.ToString(),
      nat::IsBehindNat(r.last_login.lan, r.last_login.observed) ? "true"
                                                                : "false",
      protocol::JsonEscape(r.last_login.client_version));
}

}  // namespace hail::server
