#include "tools/bench/xmpp/worker.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>

namespace hail::tools::xmpp {

namespace {

constexpr std::string_view kNsStanzas = "urn:ietf:params:xml:ns:xmpp-stanzas";
constexpr std::string_view kNsRegisterFeature =
    "http://jabber.org/features/iq-register";
constexpr std::string_view kBodyPrefix = "hb ";

std::string Base64(std::string_view in) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    uint32_t v =
        (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8) | uint8_t(in[i + 2]);
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (i + 1 == in.size()) {
    uint32_t v = uint8_t(in[i]) << 16;
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += "==";
  } else if (i + 2 == in.size()) {
    uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8);
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

}  // namespace

void Shared::Error(std::string note) {
  errors.fetch_add(1, std::memory_order_relaxed);
  std::lock_guard<std::mutex> lock(notes_mu);
  if (notes.size() < 10) notes.push_back(std::move(note));
}

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

Worker::Worker(Shared& shared, int id, int nthreads)
    : shared_(shared),
      opt_(shared.opt),
      id_(id),
      nthreads_(nthreads),
      rng_(shared.opt.seed * 7919 + static_cast<uint64_t>(id)),
      rbuf_(64 * 1024) {
  epfd_ = epoll_create1(EPOLL_CLOEXEC);
  for (int i = id; i < opt_.clients; i += nthreads) {
    auto c = std::make_unique<Conn>();
    c->index = static_cast<uint32_t>(i);
    Conn* conn = c.get();
    c->xml.on_stanza = [this, conn](Element&& e) {
      HandleStanza(*conn, std::move(e));
    };
    c->xml.on_stream_end = [this, conn] {
      if (conn->state != State::kDone) Fail(*conn, "server closed the stream");
    };
    conns_.push_back(std::move(c));
  }
  login_limit_ = std::max(1, opt_.login_concurrency / nthreads);
}

Worker::~Worker() {
  for (auto& c : conns_) CloseConn(*c);
  if (epfd_ >= 0) close(epfd_);
}

bool Worker::Registering() const {
  return opt_.scenario == Scenario::kRegister;
}

std::string Worker::StreamHeader() const {
  return "<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
         "xmlns:stream='http://etherx.jabber.org/streams' to='" +
         opt_.domain + "' version='1.0' xml:lang='en'>";
}

std::string Worker::Jid(uint32_t index) const {
  return opt_.user_prefix + std::to_string(index) + "@" + opt_.domain;
}

void Worker::Run() {
  if (epfd_ < 0) {
    shared_.Error(std::string("epoll_create1: ") + strerror(errno));
    return;
  }
  std::vector<epoll_event> events(1024);
  bool acked_drain = false;
  for (;;) {
    Phase phase = shared_.phase.load(std::memory_order_acquire);
    if (phase == Phase::kStop) break;
    if (phase == Phase::kDrain && !acked_drain) {
      acked_drain = true;
      shared_.drain_acks.fetch_add(1, std::memory_order_acq_rel);
    }
    if (phase == Phase::kLogin) {
      while (logins_in_progress_ < login_limit_ &&
             next_connect_ < conns_.size()) {
        ++logins_in_progress_;
        StartConnect(*conns_[next_connect_++]);
      }
    }
    bool sending = phase == Phase::kRun && (opt_.scenario == Scenario::kChat ||
                                            opt_.scenario == Scenario::kMax);
    if (sending) {
      if (opt_.scenario == Scenario::kChat) {
        PaceChat();
      } else {
        FillInflight();
      }
      FlushDirty();
    }
    int n = epoll_wait(epfd_, events.data(), static_cast<int>(events.size()),
                       sending ? 1 : 5);
    if (n < 0 && errno != EINTR) {
      shared_.Error(std::string("epoll_wait: ") + strerror(errno));
      break;
    }
    for (int i = 0; i < n; ++i) {
      OnEvent(*static_cast<Conn*>(events[i].data.ptr), events[i].events);
    }
    FlushDirty();
  }
  for (auto& c : conns_) CloseConn(*c);
}

void Worker::StartConnect(Conn& c) {
  c.fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (c.fd < 0) {
    Fail(c, std::string("socket: ") + strerror(errno));
    return;
  }
  int one = 1;
  setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (opt_.src_addrs > 0) {
    // Spread source addresses over 127.0.1.1..N so per-address limits of a
    // server (or of the ephemeral port range) do not shape the result.
    // IP_BIND_ADDRESS_NO_PORT defers port choice to connect().
    setsockopt(c.fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
    sockaddr_in src{};
    src.sin_family = AF_INET;
    src.sin_addr.s_addr =
        htonl((127u << 24) | (1u << 8) | (1u + c.index % opt_.src_addrs));
    if (bind(c.fd, reinterpret_cast<sockaddr*>(&src), sizeof src) != 0) {
      Fail(c, std::string("bind: ") + strerror(errno));
      return;
    }
  }
  sockaddr_in dst{};
  dst.sin_family = AF_INET;
  dst.sin_port = htons(opt_.port);
  inet_pton(AF_INET, opt_.host.c_str(), &dst.sin_addr);
  c.state = State::kConnecting;
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLOUT;
  ev.data.ptr = &c;
  c.epollout = true;
  if (epoll_ctl(epfd_, EPOLL_CTL_ADD, c.fd, &ev) != 0) {
    Fail(c, std::string("epoll_ctl: ") + strerror(errno));
    return;
  }
  if (connect(c.fd, reinterpret_cast<sockaddr*>(&dst), sizeof dst) == 0) {
    OnConnected(c);
  } else if (errno != EINPROGRESS) {
    Fail(c, std::string("connect: ") + strerror(errno));
  }
}

void Worker::OnConnected(Conn& c) {
  c.state = State::kWaitFeatures;
  SetEpollOut(c, false);
  Send(c, StreamHeader());
}

void Worker::OnEvent(Conn& c, uint32_t events) {
  if (c.fd < 0) return;
  if (c.state == State::kConnecting) {
    int err = 0;
    socklen_t len = sizeof err;
    getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) {
      Fail(c, std::string("connect: ") + strerror(err));
      return;
    }
    if ((events & (EPOLLOUT | EPOLLIN)) == 0) return;
    OnConnected(c);
  }
  if (events & EPOLLOUT) Flush(c);
  if (c.fd >= 0 && (events & (EPOLLIN | EPOLLERR | EPOLLHUP))) OnReadable(c);
}

void Worker::OnReadable(Conn& c) {
  ssize_t n = read(c.fd, rbuf_.data(), rbuf_.size());
  if (n < 0) {
    if (errno == EAGAIN || errno == EINTR) return;
    Fail(c, std::string("read: ") + strerror(errno));
    return;
  }
  if (n == 0) {
    Fail(c, "server closed the connection");
    return;
  }
  if (!c.xml.Feed(rbuf_.data(), static_cast<size_t>(n))) {
    Fail(c, "bad XML from server: " + c.xml.error());
    return;
  }
  if (c.restart && c.fd >= 0) {
    // SASL success: RFC 6120 6.4.6 restarts the stream on both sides.
    c.restart = false;
    c.xml.Reset();
    c.state = State::kWaitFeatures2;
    Send(c, StreamHeader());
  }
}

void Worker::HandleStanza(Conn& c, Element&& e) {
  if (c.fd < 0) return;
  if (e.Is(kNsStream, "features")) {
    HandleFeatures(c, e);
  } else if (e.Is(kNsClient, "message")) {
    HandleMessage(c, e);
  } else if (e.Is(kNsClient, "iq")) {
    HandleIq(c, e);
  } else if (e.Is(kNsClient, "presence")) {
    // Self-presence echoes; nothing to do (empty rosters).
  } else if (e.Is(kNsSasl, "success") && c.state == State::kAuthSent) {
    c.restart = true;  // Parser is reset after Feed() returns.
  } else if (e.Is(kNsSasl, "failure")) {
    Fail(c, "SASL failure for " + Jid(c.index));
  } else if (e.Is(kNsStream, "error")) {
    std::string what = e.children.empty() ? "" : e.children[0].name;
    Fail(c, "stream error: " + what);
  } else {
    Fail(c, "unexpected element " + e.name);
  }
}

void Worker::HandleFeatures(Conn& c, const Element& features) {
  if (c.state == State::kWaitFeatures && Registering()) {
    if (features.Child(kNsRegisterFeature, "register") == nullptr) {
      Fail(c, "server offers no in-band registration");
      return;
    }
    Send(c,
         "<iq type='set' id='reg'><query xmlns='jabber:iq:register'>"
         "<username>" +
             opt_.user_prefix + std::to_string(c.index) +
             "</username><password>" + opt_.password +
             "</password></query></iq>");
    c.state = State::kRegSent;
  } else if (c.state == State::kWaitFeatures) {
    const Element* mechs = features.Child(kNsSasl, "mechanisms");
    bool plain = false;
    if (mechs != nullptr) {
      for (const Element& m : mechs->children) plain |= m.text == "PLAIN";
    }
    if (!plain) {
      Fail(c, "server offers no SASL PLAIN without TLS");
      return;
    }
    std::string creds;
    creds += '\0';
    creds += opt_.user_prefix + std::to_string(c.index);
    creds += '\0';
    creds += opt_.password;
    Send(c,
         "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' "
         "mechanism='PLAIN'>" +
             Base64(creds) + "</auth>");
    c.state = State::kAuthSent;
  } else if (c.state == State::kWaitFeatures2) {
    if (features.Child(kNsBind, "bind") == nullptr) {
      Fail(c, "server offers no resource binding");
      return;
    }
    Send(c,
         "<iq type='set' id='bind'><bind xmlns='"
         "urn:ietf:params:xml:ns:xmpp-bind'><resource>bench</resource>"
         "</bind></iq>");
    c.state = State::kBindSent;
  } else {
    Fail(c, "unexpected stream features");
  }
}

void Worker::HandleIq(Conn& c, const Element& iq) {
  std::string_view type = iq.Attr("type");
  std::string_view id = iq.Attr("id");
  if (type == "get" || type == "set") {
    // Server pings (XEP-0199) and anything else: answer so the server does
    // not drop us.
    Send(c, "<iq type='result' id='" + std::string(id) + "' to='" +
                std::string(iq.Attr("from")) + "'/>");
    return;
  }
  if (c.state == State::kRegSent && id == "reg") {
    const Element* error = iq.Child(kNsClient, "error");
    bool exists =
        error != nullptr && error->Child(kNsStanzas, "conflict") != nullptr;
    if (type == "result" || exists) {
      c.state = State::kDone;
      Send(c, "</stream:stream>");
      LoginFinished(c, true);
    } else {
      Fail(c, "registration refused for " + Jid(c.index));
    }
  } else if (c.state == State::kBindSent && id == "bind") {
    if (type != "result") {
      Fail(c, "resource binding refused");
      return;
    }
    // Session (RFC 3921 legacy, still accepted by both servers), initial
    // presence, then a ping: replies come in order, so the ping's reply means
    // the server has processed the presence and will route to us.
    Send(c,
         "<iq type='set' id='sess'><session xmlns='"
         "urn:ietf:params:xml:ns:xmpp-session'/></iq><presence/>"
         "<iq type='get' id='ping' to='" +
             opt_.domain + "'><ping xmlns='urn:xmpp:ping'/></iq>");
    c.state = State::kWaitPing;
  } else if (c.state == State::kWaitPing && id == "sess") {
    if (type != "result") Fail(c, "session refused");
  } else if (c.state == State::kWaitPing && id == "ping") {
    // A result or an error (ping not supported) both prove ordering.
    c.state = State::kOnline;
    online_.push_back(&c);
    LoginFinished(c, true);
  } else {
    Fail(c, "unexpected iq id=" + std::string(id));
  }
}

void Worker::HandleMessage(Conn& c, const Element& message) {
  int64_t now = NowNs();
  if (message.Attr("type") == "error") {
    Fail(c, "message bounced with an error");
    return;
  }
  const Element* body = message.Child(kNsClient, "body");
  if (body == nullptr) return;  // Chat states and the like.
  std::string_view text = body->text;
  if (text.substr(0, kBodyPrefix.size()) != kBodyPrefix) {
    shared_.Error("message with a foreign body");
    return;
  }
  // Body: "hb <id> <send-time-ns>".
  const char* p = text.data() + kBodyPrefix.size();
  char* end = nullptr;
  uint64_t msg_id = std::strtoull(p, &end, 10);
  int64_t sent_ns = std::strtoll(end, nullptr, 10);
  recvs_.push_back(
      RecvRecord{msg_id, c.index,
                 now < shared_.window_end_ns.load(std::memory_order_relaxed),
                 now - sent_ns});
  shared_.inflight.fetch_sub(1, std::memory_order_acq_rel);
  shared_.received.fetch_add(1, std::memory_order_acq_rel);
}

void Worker::LoginFinished(Conn& c, bool ok) {
  (void)c;
  --logins_in_progress_;
  (ok ? shared_.logins_done : shared_.logins_failed)
      .fetch_add(1, std::memory_order_acq_rel);
}

void Worker::Fail(Conn& c, const std::string& why) {
  State was = c.state;
  c.state = State::kFailed;
  CloseConn(c);
  if (was == State::kFailed || was == State::kDone) return;
  shared_.Error(Jid(c.index) + ": " + why);
  if (was != State::kOnline) LoginFinished(c, false);
}

void Worker::CloseConn(Conn& c) {
  if (c.fd < 0) return;
  close(c.fd);  // Also removes it from the epoll set.
  c.fd = -1;
  c.out.clear();
  c.out_off = 0;
}

void Worker::Send(Conn& c, std::string_view data) {
  if (c.fd < 0) return;
  c.out.append(data);
  if (!c.dirty) {
    c.dirty = true;
    dirty_.push_back(&c);
  }
}

void Worker::FlushDirty() {
  for (Conn* c : dirty_) {
    c->dirty = false;
    Flush(*c);
  }
  dirty_.clear();
}

void Worker::Flush(Conn& c) {
  if (c.fd < 0 || c.state == State::kConnecting) return;
  while (c.out_off < c.out.size()) {
    ssize_t n = write(c.fd, c.out.data() + c.out_off, c.out.size() - c.out_off);
    if (n > 0) {
      c.out_off += static_cast<size_t>(n);
    } else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
      if (errno == EAGAIN) {
        SetEpollOut(c, true);
        return;
      }
    } else {
      Fail(c, std::string("write: ") + strerror(errno));
      return;
    }
  }
  c.out.clear();
  c.out_off = 0;
  SetEpollOut(c, false);
  if (c.state == State::kDone) CloseConn(c);  // Registration finished.
}

void Worker::SetEpollOut(Conn& c, bool on) {
  if (c.epollout == on || c.fd < 0) return;
  epoll_event ev{};
  ev.events = EPOLLIN | (on ? EPOLLOUT : 0u);
  ev.data.ptr = &c;
  epoll_ctl(epfd_, EPOLL_CTL_MOD, c.fd, &ev);
  c.epollout = on;
}

bool Worker::SendChat(bool slot_reserved) {
  if (online_.empty() || opt_.clients < 2) return false;
  Conn& from = *online_[rng_() % online_.size()];
  uint32_t to = static_cast<uint32_t>(rng_() % (opt_.clients - 1));
  if (to >= from.index) ++to;  // Never to oneself.
  uint64_t seq = sends_.size();
  sends_.push_back(SendRecord{to});
  uint64_t msg_id = (static_cast<uint64_t>(id_) << kSeqBits) | seq;
  Send(from, "<message type='chat' to='" + Jid(to) + "'><body>" +
                 std::string(kBodyPrefix) + std::to_string(msg_id) + " " +
                 std::to_string(NowNs()) + "</body></message>");
  if (!slot_reserved) shared_.inflight.fetch_add(1, std::memory_order_acq_rel);
  shared_.sent.fetch_add(1, std::memory_order_acq_rel);
  return true;
}

void Worker::PaceChat() {
  // This worker's share of the total rate, measured from the window start;
  // a late loop catches up in a burst (bounded per call).
  double share = opt_.rate / nthreads_;
  int64_t start = shared_.run_start_ns.load(std::memory_order_acquire);
  double elapsed_s = static_cast<double>(NowNs() - start) / 1e9;
  auto due = static_cast<uint64_t>(share * elapsed_s);
  for (int burst = 0; chat_sent_ < due && burst < 5000; ++burst) {
    SendChat(false);
    ++chat_sent_;
  }
}

void Worker::FillInflight() {
  const int64_t limit = opt_.inflight;
  for (int burst = 0; burst < 5000; ++burst) {
    // Reserve a slot first so two workers never exceed the limit together;
    // the recipient's HandleMessage() releases it.
    if (shared_.inflight.fetch_add(1, std::memory_order_acq_rel) >= limit ||
        !SendChat(true)) {
      shared_.inflight.fetch_sub(1, std::memory_order_acq_rel);
      return;
    }
  }
}

}  // namespace hail::tools::xmpp
