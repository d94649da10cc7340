#include "tools/attack/scenarios.h"

#include <arpa/inet.h>
#include <enet/enet.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <fstream>
#include <optional>
#include <random>
#include <sstream>
#include <thread>

#include "client/cookie_fetch.h"
#include "protocol/presession.h"
#include "protocol/stun.h"
#include "tools/attack/spoofer.h"

namespace hail::attack {

using protocol::Bytes;
using protocol::Endpoint;
using Clock = std::chrono::steady_clock;

namespace {

// A UDP socket bound to `ip` (any port): a victim or a sender.
struct UdpSocket {
  int fd = -1;
  Endpoint local;
  explicit UdpSocket(const std::string& ip) {
    fd = socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    inet_pton(AF_INET, ip.c_str(), &a.sin_addr);
    bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    local = Endpoint::Ipv4(ntohl(a.sin_addr.s_addr), ntohs(a.sin_port));
  }
  ~UdpSocket() { close(fd); }
  UdpSocket(const UdpSocket&) = delete;
  UdpSocket& operator=(const UdpSocket&) = delete;

  // Datagrams and payload bytes that arrive within `quiet_ms` of each other.
  std::pair<int, size_t> Drain(int quiet_ms) const {
    int count = 0;
    size_t bytes = 0;
    uint8_t buf[65536];
    pollfd in{fd, POLLIN, 0};
    while (poll(&in, 1, quiet_ms) > 0) {
      ssize_t n = recv(fd, buf, sizeof buf, 0);
      if (n < 0) break;
      ++count;
      bytes += static_cast<size_t>(n);
    }
    return {count, bytes};
  }
};

// The CONNECT datagram an ENet 1.3 client sends, with `data` (the cookie),
// as ENet itself builds it.
Bytes CaptureConnect(uint32_t data) {
  UdpSocket trap("127.0.0.1");
  ENetHost* host = enet_host_create(nullptr, 1, 2, 0, 0);
  host->checksum = enet_crc32;
  ENetAddress to;
  to.host = htonl(trap.local.Ipv4HostOrder());
  to.port = trap.local.port;
  enet_host_connect(host, &to, 2, data);
  enet_host_flush(host);
  Bytes datagram(2048);
  pollfd in{trap.fd, POLLIN, 0};
  ssize_t n = poll(&in, 1, 1000) > 0
                  ? recv(trap.fd, datagram.data(), datagram.size(), 0)
                  : 0;
  datagram.resize(n > 0 ? static_cast<size_t>(n) : 0);
  enet_host_destroy(host);
  return datagram;
}

Bytes Hello(uint8_t version, uint64_t nonce) {
  protocol::HelloDatagram hello;
  hello.version = version;
  hello.client_nonce = nonce;
  return protocol::EncodeHello(hello);
}

Bytes StunRequest(std::mt19937_64& rng, bool classic) {
  protocol::stun::BindingRequest request;
  for (uint8_t& b : request.transaction.id) b = static_cast<uint8_t>(rng());
  if (classic) {
    request.transaction.cookie = static_cast<uint32_t>(rng()) | 1u;
    request.fingerprint = false;
  } else {
    request.software_size = protocol::stun::kHailSoftwareSize;
  }
  return protocol::stun::EncodeBindingRequest(request);
}

Bytes RandomBytes(std::mt19937_64& rng, size_t size) {
  Bytes b(size);
  for (uint8_t& x : b) x = static_cast<uint8_t>(rng());
  return b;
}

// A copy of `base` with a few bytes changed, cut or extended.
Bytes Mutate(std::mt19937_64& rng, Bytes base) {
  int edits = 1 + static_cast<int>(rng() % 4);
  for (int i = 0; i < edits && !base.empty(); ++i) {
    switch (rng() % 4) {
      case 0:
        base[rng() % base.size()] ^= static_cast<uint8_t>(1u << (rng() % 8));
        break;
      case 1:
        base[rng() % base.size()] = static_cast<uint8_t>(rng());
        break;
      case 2:
        base.resize(1 + rng() % base.size());
        break;
      default:
        for (size_t k = rng() % 32; k > 0; --k) {
          base.push_back(static_cast<uint8_t>(rng()));
        }
    }
  }
  return base;
}

// Kernel drops on the target's UDP sockets (/proc/net/udp, all sockets on
// that port): datagrams that never reached haild.
uint64_t KernelUdpDrops(uint16_t port) {
  std::ifstream in("/proc/net/udp");
  std::string line;
  std::getline(in, line);  // header
  uint64_t drops = 0;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string slot, local;
    fields >> slot >> local;
    size_t colon = local.find(':');
    if (colon == std::string::npos) continue;
    if (std::stoul(local.substr(colon + 1), nullptr, 16) != port) continue;
    std::string field, last;
    while (fields >> field) last = field;
    drops += std::stoull(last);
  }
  return drops;
}

// Every counter that accounts for a datagram haild received.
int64_t DatagramsAccountedFor(const std::map<std::string, int64_t>& s) {
  static const char* kNames[] = {"hello_received",
                                 "presession_malformed",
                                 "stun_answered",
                                 "stun_errors_answered",
                                 "stun_dropped",
                                 "stun_malformed",
                                 "stun_rate_limited",
                                 "stun_too_large",
                                 "connects_accepted",
                                 "connects_rejected",
                                 "connects_refused_half_open",
                                 "peerless_malformed",
                                 "enet_service_errors",
                                 "peer_datagrams_no_peer",
                                 "peer_datagrams_wrong_source",
                                 "peer_datagrams_bad_checksum"};
  int64_t sum = 0;
  for (const char* name : kNames) {
    auto it = s.find(name);
    if (it != s.end()) sum += it->second;
  }
  return sum;
}

std::string Kb(long kb) { return fmt::format("{} KB", kb); }

// haild's statistics, the kernel's drops on its UDP port and its memory
// when an attack began (construction) and when it was over (Finish), and
// what changed between the two.
class Change {
 public:
  explicit Change(const Target& target)
      : target_(target),
        before_(target.Stats()),
        drops_before_(KernelUdpDrops(target.server().port)),
        rss_before_(target.RssKb()) {}

  void Finish() {
    after_ = target_.Stats();
    drops_after_ = KernelUdpDrops(target_.server().port);
    rss_after_ = target_.RssKb();
  }

  int64_t operator()(const std::string& name) const {
    return Get(after_, name) - Get(before_, name);
  }
  // Datagrams haild counted (DatagramsAccountedFor) and the kernel dropped.
  int64_t datagrams_counted() const {
    return DatagramsAccountedFor(after_) - DatagramsAccountedFor(before_);
  }
  int64_t kernel_drops() const {
    return static_cast<int64_t>(drops_after_ - drops_before_);
  }
  std::string rss() const { return Kb(rss_before_) + " -> " + Kb(rss_after_); }
  bool memory_grew_16_mb() const {
    return rss_after_ - rss_before_ >= 16 * 1024;
  }

 private:
  static int64_t Get(const std::map<std::string, int64_t>& stats,
                     const std::string& name) {
    auto it = stats.find(name);
    return it == stats.end() ? 0 : it->second;
  }

  const Target& target_;
  std::map<std::string, int64_t> before_, after_;
  uint64_t drops_before_ = 0, drops_after_ = 0;
  long rss_before_ = 0, rss_after_ = 0;
};

// Opens the raw socket, or records why not.
bool Opened(Spoofer& spoofer, Report& r) {
  Status s = spoofer.Open();
  if (!s.ok()) r.failures.push_back(s.message());
  return s.ok();
}

std::string Ms(double ms) { return fmt::format("{:.0f} ms", ms); }

void ProbeLogin(const Context& c, Report& r, const std::string& name,
                const std::string& ip) {
  Probe probe(*c.target, c.work_dir / name, ip);
  Result<double> in = probe.LogIn(name, 20'000);
  r.Check(in.ok(), "a real client could not log in during the attack: " +
                       (in.ok() ? std::string() : in.status().message()));
  r.Figure("real client login", in.ok() ? Ms(*in) : "failed");
}

}  // namespace

Report Amplification(const Context& c) {
  Report r;
  r.name = "amplification";
  Spoofer spoofer;
  if (!Opened(spoofer, r)) return r;
  std::mt19937_64 rng(c.seed);
  struct Kind {
    const char* name;
    std::function<Bytes()> make;
    double budget;  // bytes back per byte in
  };
  const std::vector<Kind> kinds = {
      {"HELLO", [&] { return Hello(protocol::kPresessionVersion, rng()); },
       1.0},
      {"HELLO, other version", [&] { return Hello(9, rng()); }, 1.0},
      {"CONNECT without cookie", [] { return CaptureConnect(0); }, 1.0},
      {"CONNECT, wrong cookie", [] { return CaptureConnect(0x12345678); }, 1.0},
      {"garbage (64 bytes)", [&] { return RandomBytes(rng, 64); }, 1.0},
      {"STUN Binding (RFC 8489)", [&] { return StunRequest(rng, false); }, 1.6},
      {"STUN Binding (RFC 3489)", [&] { return StunRequest(rng, true); }, 1.6},
  };
  // Each kind from its own spoofed victim address (STUN's per-source rate
  // limit would otherwise carry over), all answered to the victim socket.
  int victim = 0;
  for (const Kind& kind : kinds) {
    UdpSocket socket("127.77.0." + std::to_string(1 + victim++));
    size_t sent_bytes = 0;
    int replies = 0;
    size_t reply_bytes = 0;
    // Replies are read as they come: a victim socket's buffer holds only a
    // few hundred small datagrams.
    auto take = [&](int quiet_ms) {
      auto [n, bytes] = socket.Drain(quiet_ms);
      replies += n;
      reply_bytes += bytes;
    };
    for (int i = 0; i < c.scale.amplification_requests; ++i) {
      Bytes request = kind.make();
      sent_bytes += request.size();
      spoofer.Send(socket.local, c.target->server(), request);
      if (i % 16 == 15) take(1);
    }
    take(300);
    double ratio = static_cast<double>(reply_bytes) / sent_bytes;
    double per_request =
        static_cast<double>(replies) / c.scale.amplification_requests;
    // On the wire: 28 bytes of IPv4 and UDP header around each datagram.
    double wire = static_cast<double>(reply_bytes + 28.0 * replies) /
                  (sent_bytes + 28.0 * c.scale.amplification_requests);
    // Per answered request (rate limits aside): what one reply is worth.
    double each = replies == 0 ? 0.0
                               : (static_cast<double>(reply_bytes) / replies) /
                                     (static_cast<double>(sent_bytes) /
                                      c.scale.amplification_requests);
    r.Figure(kind.name,
             fmt::format("{} requests: {} replies, bytes x{:.2f} (on the wire "
                         "x{:.2f}), datagrams x{:.2f}; each reply x{:.2f} its "
                         "request",
                         c.scale.amplification_requests, replies, ratio, wire,
                         per_request, each));
    r.Check(each <= kind.budget + 1e-9,
            fmt::format("{}: a reply is {:.2f}x its request (budget {:.1f})",
                        kind.name, each, kind.budget));
    r.Check(ratio <= kind.budget + 1e-9,
            fmt::format("{}: replies are {:.2f}x the requests (budget {:.1f})",
                        kind.name, ratio, kind.budget));
    r.Check(per_request <= 1.0,
            fmt::format("{}: {:.2f} datagrams back per request", kind.name,
                        per_request));
  }
  return r;
}

Report SpoofedFlood(const Context& c) {
  Report r;
  r.name = "spoofed HELLO/CONNECT flood";
  Spoofer spoofer;
  if (!Opened(spoofer, r)) return r;
  Change change(*c.target);
  Bytes connect = CaptureConnect(0x0badc0de);
  std::atomic<int> sent{0};
  auto start = Clock::now();
  std::thread flood([&] {
    std::mt19937_64 rng(c.seed);
    for (int i = 0; i < c.scale.flood_datagrams; ++i) {
      // Sources all over 127.88.0.0/16: replies go to nobody.
      Endpoint from =
          Endpoint::Ipv4(0x7f580000u | static_cast<uint32_t>(rng() & 0xffff),
                         static_cast<uint16_t>(1024 + rng() % 60000));
      Bytes datagram =
          i % 2 == 0 ? Hello(protocol::kPresessionVersion, rng()) : connect;
      if (spoofer.Send(from, c.target->server(), datagram)) sent++;
    }
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ProbeLogin(c, r, "flood-probe", "127.0.0.36");
  flood.join();
  double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  change.Finish();
  int64_t seen = change.datagrams_counted();
  int64_t kernel_drops = change.kernel_drops();
  r.Figure("sent", fmt::format("{} spoofed datagrams in {:.2f} s ({:.0f}/s)",
                               sent.load(), seconds, sent.load() / seconds));
  r.Figure("counted by haild", std::to_string(seen));
  r.Figure("dropped by the kernel (socket buffer full)",
           std::to_string(kernel_drops));
  r.Figure("peer slots allocated", std::to_string(change("peers_allocated")));
  r.Figure("RSS", change.rss());
  r.Check(change("peers_allocated") <= 1,
          "spoofed CONNECTs were given peer slots");
  r.Check(seen + kernel_drops >= sent.load(),
          fmt::format("{} datagrams neither counted nor dropped by the kernel",
                      sent.load() - seen - kernel_drops));
  r.Check(!change.memory_grew_16_mb(), "memory grew by 16 MB or more");
  r.Check(c.target->Alive(), "haild died");
  return r;
}

Report CookieHolders(const Context& c) {
  Report r;
  r.name = "cookie-holder slot flood";
  Change change(*c.target);
  ENetAddress server;
  server.host = htonl(c.target->server().Ipv4HostOrder());
  server.port = c.target->server().port;
  std::vector<ENetHost*> hosts;
  int connects = 0;
  for (int i = 0; i < c.scale.cookie_holders; ++i) {
    ENetAddress bind;
    std::string ip = fmt::format("127.0.{}.{}", 61 + i / 200, 10 + i % 200);
    enet_address_set_host_ip(&bind, ip.c_str());
    bind.port = 0;
    ENetHost* host = enet_host_create(&bind, 64, 2, 0, 0);
    if (host == nullptr) continue;
    host->checksum = enet_crc32;
    hosts.push_back(host);
    // A cookie for this host's address and port.
    std::optional<uint32_t> cookie =
        client::FetchCookie(host->socket, server, 42, 1000);
    if (!cookie) continue;
    for (int k = 0; k < 64; ++k) {
      if (enet_host_connect(host, &server, 2, *cookie) != nullptr) ++connects;
    }
    enet_host_flush(host);  // never serviced again: never completed
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  int64_t half_open = c.target->WaitForStat("peers_half_open", 1, 2000);
  ProbeLogin(c, r, "cookie-probe", "127.0.0.37");
  auto drain_start = Clock::now();
  int64_t left = half_open;
  while (left > 0 && Clock::now() - drain_start < std::chrono::seconds(15)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    left = c.target->Stat("peers_half_open");
  }
  double drained =
      std::chrono::duration<double>(Clock::now() - drain_start).count();
  change.Finish();
  for (ENetHost* host : hosts) enet_host_destroy(host);
  r.Figure("connects sent", fmt::format("{} from {} addresses with cookies",
                                        connects, hosts.size()));
  r.Figure("refused (half-open limits)",
           std::to_string(change("connects_refused_half_open")));
  r.Figure("replaced (a new connect id from the same address and port)",
           std::to_string(change("half_open_replaced")));
  r.Figure("half-open peers at the peak sample", std::to_string(half_open));
  r.Figure("half-open peers left",
           fmt::format("{} after {:.1f} s", left, drained));
  r.Check(left == 0, "half-open peers still hold slots after 15 s");
  r.Check(half_open <= 8 * static_cast<int64_t>(hosts.size()),
          "more half-open peers than 8 per address");
  r.Check(c.target->Alive(), "haild died");
  return r;
}

Report MalformedDatagrams(const Context& c) {
  Report r;
  r.name = "malformed datagrams";
  Spoofer spoofer;
  if (!Opened(spoofer, r)) return r;
  std::mt19937_64 rng(c.seed);
  const Bytes connect = CaptureConnect(0x01020304);
  auto malformed = [&]() -> Bytes {
    switch (rng() % 5) {
      case 0:
        return RandomBytes(rng, 1 + rng() % 300);
      case 1:
        return Mutate(rng, Hello(protocol::kPresessionVersion, rng()));
      case 2:
        return Mutate(rng, connect);
      case 3:
        return Mutate(rng, StunRequest(rng, rng() % 2 == 0));
      default: {
        // An ENet header for some peer id, then junk.
        Bytes b = RandomBytes(rng, 8 + rng() % 200);
        uint16_t peer = static_cast<uint16_t>(rng() % 64);
        b[0] = static_cast<uint8_t>((b[0] & 0xf0) | (peer >> 8));
        b[1] = static_cast<uint8_t>(peer);
        return b;
      }
    }
  };
  auto run = [&](const std::string& label, std::function<Endpoint()> source) {
    Change change(*c.target);
    int sent = 0;
    for (int i = 0; i < c.scale.malformed_datagrams; ++i) {
      Bytes datagram = malformed();
      if (spoofer.Send(source(), c.target->server(), datagram)) ++sent;
      // Paced so that the socket buffer keeps up: a flood is another test.
      if (i % 64 == 63)
        std::this_thread::sleep_for(std::chrono::microseconds(300));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    change.Finish();
    int64_t seen = change.datagrams_counted();
    int64_t kernel = change.kernel_drops();
    r.Figure(label, fmt::format("{} sent, {} counted by haild, {} dropped by "
                                "the kernel; RSS {}",
                                sent, seen, kernel, change.rss()));
    r.Check(seen + kernel >= sent,
            fmt::format("{}: {} datagrams neither counted nor dropped by the "
                        "kernel",
                        label, sent - seen - kernel));
    r.Check(!change.memory_grew_16_mb(),
            label + ": memory grew by 16 MB or more");
  };
  run("before login (random sources)", [&] {
    return Endpoint::Ipv4(0x7f590000u | static_cast<uint32_t>(rng() & 0xffff),
                          static_cast<uint16_t>(1024 + rng() % 60000));
  });
  Probe probe(*c.target, c.work_dir / "malformed-probe", "127.0.0.38");
  Result<double> in = probe.LogIn("malformed-probe", 20'000);
  r.Check(in.ok(), "the probe client could not log in");
  if (!in.ok()) return r;
  Endpoint victim = probe.observed();
  run("after login (the client's own address and port)",
      [&] { return victim; });
  bool answers = probe.Answers(5000);
  r.Figure("the logged-in client afterwards",
           answers ? "answered PING" : "no answer");
  r.Check(answers, "the logged-in client's session did not survive");
  r.Check(c.target->Alive(), "haild died");
  return r;
}

Report MalformedTcp(const Context& c) {
  Report r;
  r.name = "malformed TCP records";
  std::mt19937_64 rng(c.seed);
  Change delta(*c.target);
  int opened = 0, closed_by_server = 0;
  size_t bytes = 0;
  constexpr int kBatch = 50;
  for (int first = 0; first < c.scale.tcp_connections; first += kBatch) {
    std::vector<int> fds;
    for (int i = first; i < std::min(first + kBatch, c.scale.tcp_connections);
         ++i) {
      int fd = socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in from{};
      from.sin_family = AF_INET;
      from.sin_addr.s_addr = htonl(0x7f5a0000u | static_cast<uint32_t>(i + 1));
      bind(fd, reinterpret_cast<sockaddr*>(&from), sizeof from);
      sockaddr_in to{};
      to.sin_family = AF_INET;
      to.sin_addr.s_addr = htonl(c.target->server().Ipv4HostOrder());
      to.sin_port = htons(c.target->server().port);
      if (connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0) {
        close(fd);
        continue;
      }
      ++opened;
      // Garbage records: random lengths (some oversized), random bodies.
      Bytes junk = RandomBytes(rng, 1 + rng() % 400);
      if (rng() % 3 == 0 && junk.size() >= 4) junk[0] = 0;  // plausible length
      bytes += junk.size();
      [[maybe_unused]] ssize_t n = send(fd, junk.data(), junk.size(), 0);
      fds.push_back(fd);
    }
    // Each must be closed by the server (malformed, oversized, or the 5 s
    // handshake deadline).
    auto deadline = Clock::now() + std::chrono::seconds(8);
    for (int fd : fds) {
      uint8_t buf[512];
      bool closed = false;
      while (!closed && Clock::now() < deadline) {
        pollfd p{fd, POLLIN, 0};
        if (poll(&p, 1, 100) <= 0) continue;
        ssize_t n = recv(fd, buf, sizeof buf, 0);
        if (n <= 0) closed = true;
      }
      if (closed) ++closed_by_server;
      close(fd);
    }
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  delta.Finish();
  int64_t counted =
      delta("tcp_closed_malformed") + delta("tcp_closed_oversized") +
      delta("tcp_closed_mid_record") + delta("tcp_closed_handshake_timeout") +
      delta("tcp_closed_by_peer") + delta("tcp_closed_errors") +
      delta("tcp_refused_per_ip");
  r.Figure("connections", fmt::format("{} opened, {} bytes of garbage, {} "
                                      "closed by haild",
                                      opened, bytes, closed_by_server));
  r.Figure(
      "counted by reason",
      fmt::format("malformed {}, oversized {}, mid-record {}, handshake "
                  "deadline {}, other {}",
                  delta("tcp_closed_malformed"), delta("tcp_closed_oversized"),
                  delta("tcp_closed_mid_record"),
                  delta("tcp_closed_handshake_timeout"),
                  delta("tcp_closed_by_peer") + delta("tcp_closed_errors") +
                      delta("tcp_refused_per_ip")));
  r.Figure("RSS", delta.rss());
  r.Check(closed_by_server == opened, "haild left garbage connections open");
  r.Check(
      counted >= opened,
      fmt::format("{} connections closed but not counted", opened - counted));
  r.Check(!delta.memory_grew_16_mb(), "memory grew by 16 MB or more");
  r.Check(c.target->Alive(), "haild died");
  return r;
}

Report PasswordGuessing(const Context& c) {
  Report r;
  r.name = "password guessing";
  const std::string victim = "guess-victim";
  // The owner registers and logs in from 127.0.0.40: a known address.
  {
    Probe owner(*c.target, c.work_dir / "owner-first", "127.0.0.40");
    Result<double> in = owner.LogIn(victim, 20'000);
    r.Check(in.ok(), "the owner could not register and log in");
    if (!in.ok()) return r;
  }
  auto wrong_logins = [&](const std::vector<std::string>& ips,
                          int per_ip) -> std::map<protocol::ErrorCode, int> {
    std::vector<std::unique_ptr<client::Client>> clients;
    for (size_t i = 0; i < ips.size(); ++i) {
      client::ClientOptions o;
      o.server_port = c.target->server().port;
      o.local_host = ips[i];
      o.home = c.work_dir / fmt::format("guesser-{}-{}", ips[i], i);
      o.transport = client::TransportChoice::kUdp;
      o.p2p = client::P2pPolicy::kRelayOnly;
      clients.push_back(std::make_unique<client::Client>(o));
      (void)clients.back()->Connect();
    }
    std::map<protocol::ErrorCode, int> answers;
    std::vector<int> connected(clients.size(), 0), left(clients.size(), per_ip);
    auto deadline = Clock::now() + std::chrono::seconds(60);
    int pending = static_cast<int>(clients.size()) * per_ip;
    while (pending > 0 && Clock::now() < deadline) {
      for (size_t i = 0; i < clients.size(); ++i) {
        while (std::optional<client::Event> e = clients[i]->Poll(0)) {
          if (std::holds_alternative<client::Connected>(*e)) {
            connected[i] = 1;
          } else if (auto* l = std::get_if<client::LoginResult>(&*e)) {
            answers[l->error]++;
            --pending;
          } else if (std::holds_alternative<client::ConnectFailed>(*e)) {
            pending -= left[i];
            left[i] = 0;
          }
        }
        // All of one address's guesses at once: the server sees them in
        // parallel, as an attacker would send them.
        if (connected[i] == 1) {
          for (; left[i] > 0; --left[i]) {
            (void)clients[i]->Login(victim, "not the password");
          }
          connected[i] = 2;
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    return answers;
  };
  auto describe = [](std::map<protocol::ErrorCode, int> a) {
    return fmt::format("{} checked and wrong, {} throttled before hashing",
                       a[protocol::ErrorCode::kInvalidCredentials],
                       a[protocol::ErrorCode::kThrottled]);
  };
  int64_t hashes_before = c.target->Stat("password_hashes");
  // One guess per connection (a client has one login in flight), so 20
  // connections from the one address.
  std::map<protocol::ErrorCode, int> one =
      wrong_logins(std::vector<std::string>(20, "127.0.0.41"), 1);
  r.Figure("20 at once from one address", describe(one));
  r.Check(one[protocol::ErrorCode::kInvalidCredentials] <= 5,
          "more than 5 guesses from one address were checked");
  std::vector<std::string> many;
  for (int i = 0; i < c.scale.guessers; ++i) {
    many.push_back(fmt::format("127.0.{}.{}", 100 + i / 200, 10 + i % 200));
  }
  std::map<protocol::ErrorCode, int> spread = wrong_logins(many, 1);
  r.Figure(
      fmt::format("{} at once from {} addresses", many.size(), many.size()),
      describe(spread));
  r.Check(one[protocol::ErrorCode::kInvalidCredentials] +
                  spread[protocol::ErrorCode::kInvalidCredentials] <=
              10,
          "more than 10 guesses from unknown addresses were checked");
  r.Figure("password hashes computed",
           std::to_string(c.target->Stat("password_hashes") - hashes_before));
  // The owner, from the known address, is not locked out.
  Probe owner(*c.target, c.work_dir / "owner-again", "127.0.0.40");
  Result<double> in = owner.LogIn(victim, 20'000);
  r.Figure("the owner from a known address",
           in.ok() ? "logged in (" + Ms(*in) + ")" : in.status().message());
  r.Check(in.ok(), "the owner was locked out by the guessing");
  r.Check(c.target->Alive(), "haild died");
  return r;
}

}  // namespace hail::attack
