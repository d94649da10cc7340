// One event-loop thread of hail-bench-xmpp: owns the clients whose global
// index i satisfies i % nthreads == id, their sockets and their epoll set.
#ifndef HAIL_TOOLS_BENCH_XMPP_WORKER_H_
#define HAIL_TOOLS_BENCH_XMPP_WORKER_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "tools/bench/xmpp/load.h"
#include "tools/bench/xmpp/xml_stream.h"

namespace hail::tools::xmpp {

// Phases the coordinator moves the workers through, in this order.
enum class Phase : int { kLogin, kRun, kDrain, kStop };

// State shared between the coordinator and the workers. Counters are atomics;
// the message logs are per worker and only read after the workers joined.
struct Shared {
  explicit Shared(const LoadOptions& o) : opt(o) {}
  const LoadOptions& opt;
  std::atomic<Phase> phase{Phase::kLogin};
  std::atomic<int> logins_done{0};    // Logged in (or registered).
  std::atomic<int> logins_failed{0};  // Gave up during login.
  std::atomic<int> drain_acks{0};     // Workers that saw kDrain.
  std::atomic<int64_t> run_start_ns{0};
  std::atomic<int64_t> window_end_ns{INT64_MAX};
  std::atomic<int64_t> inflight{0};
  std::atomic<uint64_t> sent{0};
  std::atomic<uint64_t> received{0};
  std::atomic<uint64_t> errors{0};
  std::mutex notes_mu;
  std::vector<std::string> notes;  // The first few errors, for humans.

  void Error(std::string note);
};

// steady_clock now, in nanoseconds; the clock of message timestamps.
int64_t NowNs();

// A message id is (sending worker << kSeqBits) | sequence within that worker.
inline constexpr int kSeqBits = 40;

struct SendRecord {
  uint32_t to;  // Global index of the addressed client.
};

struct RecvRecord {
  uint64_t id;
  uint32_t at;  // Global index of the client that received it.
  bool in_window;
  int64_t latency_ns;
};

class Worker {
 public:
  Worker(Shared& shared, int id, int nthreads);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // Runs until the coordinator sets Phase::kStop, then closes every socket.
  void Run();

  // Valid after Run() returned. sends is indexed by sequence number.
  const std::vector<SendRecord>& sends() const { return sends_; }
  const std::vector<RecvRecord>& recvs() const { return recvs_; }

 private:
  enum class State {
    kConnecting,
    kWaitFeatures,   // Stream opened; waiting for the first features.
    kAuthSent,       // SASL PLAIN sent.
    kWaitFeatures2,  // Restarted stream after SASL; waiting for features.
    kBindSent,
    kWaitPing,  // Session, presence and a ping sent; ping reply = online.
    kOnline,
    kRegSent,  // In-band registration sent.
    kDone,
    kFailed,
  };
  struct Conn {
    int fd = -1;
    uint32_t index = 0;  // Global client index (account <prefix><index>).
    State state = State::kConnecting;
    XmlStream xml;
    std::string out;
    size_t out_off = 0;
    bool epollout = false;  // EPOLLOUT currently requested.
    bool dirty = false;     // In dirty_, waiting for FlushDirty().
    bool restart = false;   // Reset the parser after this Feed().
  };

  bool Registering() const;
  void StartConnect(Conn& c);
  void OnEvent(Conn& c, uint32_t events);
  void OnConnected(Conn& c);
  void OnReadable(Conn& c);
  void HandleStanza(Conn& c, Element&& stanza);
  void HandleFeatures(Conn& c, const Element& features);
  void HandleIq(Conn& c, const Element& iq);
  void HandleMessage(Conn& c, const Element& message);
  void LoginFinished(Conn& c, bool ok);
  void Fail(Conn& c, const std::string& why);
  void Send(Conn& c, std::string_view data);
  void Flush(Conn& c);
  void FlushDirty();
  void SetEpollOut(Conn& c, bool on);
  void CloseConn(Conn& c);
  // Sends one message from a random online client of this worker to a random
  // other client. Counts it in flight unless slot_reserved. False if this
  // worker has no online client.
  bool SendChat(bool slot_reserved);
  void PaceChat();
  void FillInflight();
  std::string StreamHeader() const;
  std::string Jid(uint32_t index) const;

  Shared& shared_;
  const LoadOptions& opt_;
  const int id_;
  const int nthreads_;
  int epfd_ = -1;
  std::vector<std::unique_ptr<Conn>> conns_;
  std::vector<Conn*> dirty_;
  std::vector<Conn*> online_;  // Logged-in clients of this worker.
  size_t next_connect_ = 0;
  int logins_in_progress_ = 0;
  int login_limit_ = 1;
  uint64_t chat_sent_ = 0;  // chat: messages sent by this worker so far.
  std::mt19937_64 rng_;
  std::vector<SendRecord> sends_;
  std::vector<RecvRecord> recvs_;
  std::vector<char> rbuf_;
};

}  // namespace hail::tools::xmpp

#endif  // HAIL_TOOLS_BENCH_XMPP_WORKER_H_
