#include "tests/support/core_simulator.h"

#include <leveldb/env.h>
#include <leveldb/helpers/memenv.h>
#include <sodium.h>

#include <cstdlib>
#include <future>
#include <stdexcept>
#include <utility>

#include "server/store_bridge.h"

namespace hail::testing {

using server::core::Envelope;
using server::core::StoreDone;
using server::core::StoreRequest;

namespace {

template <typename T>
T Require(Result<T> result, const char* what) {
  if (!result.ok()) {
    throw std::runtime_error(std::string(what) + ": " +
                             result.status().message());
  }
  return std::move(*result);
}

constexpr uint64_t kTickMs = 250;

}  // namespace

// The effects of one simulated loop: everything it does travels over an
// ordered link of the simulator.
class CoreSimulator::LoopEffects final : public server::core::Effects {
 public:
  LoopEffects(CoreSimulator* sim, uint32_t loop) : sim_(sim), loop_(loop) {}

  void Send(uint64_t session, const protocol::Message& message) override {
    SessionKey key{loop_, session};
    sim_->Hop(LinkName("client", session), [sim = sim_, key, message] {
      sim->ClientReceives(key, message);
    });
  }
  void Post(Envelope envelope) override {
    uint32_t target = envelope.to.loop;
    sim_->Hop(LinkName("loop", target),
              [sim = sim_, target, envelope = std::move(envelope)]() mutable {
                sim->core(target).Receive(std::move(envelope), sim->now_ms_);
              });
  }
  void Store(StoreRequest request) override {
    sim_->Hop("store", [sim = sim_, request = std::move(request)]() mutable {
      sim->RunStore(std::move(request));
    });
  }
  void EndSession(uint64_t session, protocol::ErrorCode reason) override {
    // As the loop does: SESSION_ENDED, the link closes, the core forgets.
    Send(session, protocol::SessionEnded{reason});
    SessionKey key{loop_, session};
    sim_->logs_.at(key).end_reason = reason;
    sim_->core(loop_).Ended(session, sim_->now_ms_);
  }
  void LoadLogin(const server::core::SessionAddress& address) override {
    // The io workers read the snapshot (after every store request made so
    // far); the loop hands it to the core.
    sim_->Hop("store", [sim = sim_, address] { sim->ReadLogin(address); });
  }

 private:
  std::string LinkName(const char* kind, uint64_t id) const {
    return std::to_string(loop_) + "/" + kind + "/" + std::to_string(id);
  }

  CoreSimulator* sim_;
  uint32_t loop_;
};

CoreSimulator::CoreSimulator(Options options)
    : options_(options), random_(options.seed) {
  if (sodium_init() < 0) std::abort();
  env_.reset(leveldb::NewMemEnv(leveldb::Env::Default()));
  accounts_ = Require(server::AccountStore::Open("/sim/db", env_.get()),
                      "open the simulated store");
  server::PasswordHashLimits limits;
  limits.opslimit = crypto_pwhash_OPSLIMIT_MIN;
  limits.memlimit = crypto_pwhash_MEMLIMIT_MIN;
  limits.test_rig = true;  // else clamped up: 64 MiB for the dummy hash
  account_service_ = std::make_unique<server::AccountService>(
      accounts_.get(), limits, &counters_);
  // Writes run inside the calls that submit them: no thread hand-off per
  // store request, and the same order as one store thread.
  chats_ = std::make_unique<server::ChatStore>(
      accounts_->database(), server::MailboxLimits{},
      server::ChatStore::Threading::kInline);
  contacts_ =
      std::make_unique<server::ContactService>(accounts_.get(), chats_.get());
  server::core::CoreServices services;
  services.directory = &directory_;
  services.undecided = &undecided_;
  services.counters = &counters_;
  services.p2p_broker = &broker_;
  services.p2p_per_pair = &pair_limiter_;
  for (uint32_t i = 0; i < options_.loops; ++i) {
    auto loop = std::make_unique<Loop>();
    loop->effects = std::make_unique<LoopEffects>(this, i);
    loop->core = std::make_unique<server::core::LoopCore>(i, services,
                                                          loop->effects.get());
    loops_.push_back(std::move(loop));
  }
}

CoreSimulator::~CoreSimulator() {
  loops_.clear();
  contacts_.reset();
  chats_.reset();
  account_service_.reset();
  accounts_.reset();
}

uint64_t CoreSimulator::CreateUser(const std::string& name) {
  uint64_t id = Require(accounts_->CreateUser(name, "not-a-hash", now_unix()),
                        "create a user");
  names_[id] = name;
  return id;
}

void CoreSimulator::Befriend(uint64_t a, uint64_t b) {
  server::ContactChange asked =
      contacts_->Add(a, NameOf(a), NameOf(b), "hi", now_unix());
  server::ContactChange answered =
      contacts_->Answer(b, NameOf(b), NameOf(a), true, now_unix());
  if (asked.error != protocol::ErrorCode::kOk ||
      answered.error != protocol::ErrorCode::kOk) {
    throw std::runtime_error("cannot befriend " + NameOf(a) + " and " +
                             NameOf(b));
  }
  // The request and answer notices are not part of what tests look at.
  for (const auto& [user, peer] : {std::pair{a, b}, std::pair{b, a}}) {
    Result<std::vector<server::MailItem>> box = chats_->ListMailbox(user);
    for (const server::MailItem& item : *box) {
      std::promise<void> done;
      chats_->Acknowledge(user, item.item_id, 0,
                          [&](Status, bool) { done.set_value(); });
      done.get_future().get();
    }
  }
}

CoreSimulator::SessionKey CoreSimulator::LogIn(uint64_t user, uint32_t loop) {
  Loop& l = *loops_.at(loop);
  SessionKey key{loop, l.next_session++};
  ClientLog& log = logs_[key];
  log.user = user;
  log.key = key;
  server::core::SessionFacts facts;
  l.core->LoggedIn(key.session, user, NameOf(user), facts, now_ms_);
  return key;
}

void CoreSimulator::ReadLogin(const server::core::SessionAddress& address) {
  uint64_t user = logs_.at(SessionKey{address.loop, address.session}).user;
  size_t expired = 0;
  auto snapshot = std::make_shared<server::core::LoginSnapshot>(
      Require(server::LoadLoginSnapshot(chats_.get(), contacts_.get(), user,
                                        now_unix(), &expired),
              "load a login snapshot"));
  Hop("loop/" + std::to_string(address.loop), [this, address, snapshot] {
    core(address.loop).LoginLoaded(address, std::move(*snapshot), now_ms_);
  });
}

void CoreSimulator::LogOut(SessionKey key) {
  ClientLog& log = logs_.at(key);
  log.ended = true;
  core(key.loop).Ended(key.session, now_ms_);
}

void CoreSimulator::SetPresence(SessionKey key, protocol::Presence presence,
                                const std::string& status) {
  protocol::SetPresence request;
  request.request_id = 1;
  request.presence = static_cast<uint8_t>(presence);
  request.status_text = status;
  core(key.loop).SetPresence(key.session, request);
}

protocol::ItemId CoreSimulator::SendMessage(
    SessionKey key, uint64_t to, const std::string& text,
    std::optional<protocol::ItemId> resend_of) {
  protocol::SendMessage request;
  for (uint8_t& byte : request.message_id) {
    byte = static_cast<uint8_t>(random_());
  }
  if (resend_of) request.message_id = *resend_of;
  request.recipient = NameOf(to);
  request.text = text;
  uint64_t sender = logs_.at(key).user;
  // As the loop does: a contact is routed at once, anyone else after the
  // io workers' lookup.
  if (core(key.loop).SendToContact(key.session, request, request.recipient,
                                   now_unix())) {
    return request.message_id;
  }
  Hop("store", [this, key, sender, request] {
    bool undecided = undecided_.IsOpen(sender, request.message_id);
    auto lookup =
        std::make_shared<server::core::MessageLookup>(server::LookupMessage(
            account_service_.get(), chats_.get(), sender, request.recipient,
            request.message_id, now_unix()));
    lookup->undecided = undecided;
    Hop("loop/" + std::to_string(key.loop), [this, key, request, lookup] {
      core(key.loop).SendMessage(key.session, request, *lookup, now_unix());
    });
  });
  return request.message_id;
}

void CoreSimulator::SetResponsive(SessionKey key, bool responsive) {
  logs_.at(key).responsive = responsive;
}

std::optional<CoreSimulator::SessionKey> CoreSimulator::SessionOf(
    uint64_t user) const {
  std::optional<server::core::SessionAddress> address =
      const_cast<server::core::Directory&>(directory_).AddressOf(user);
  if (!address) return std::nullopt;
  return SessionKey{address->loop, address->session};
}

void CoreSimulator::RunStore(StoreRequest request) {
  // The inline store runs the request to completion before returning.
  std::shared_ptr<StoreDone> done;
  server::RunStoreRequest(
      chats_.get(), std::move(request), [&](StoreDone finished) {
        done = std::make_shared<StoreDone>(std::move(finished));
      });
  if (done == nullptr) throw std::runtime_error("store request not done");
  uint32_t loop =
      server::core::LoopCore::CompletionLoop(done.get(), directory_);
  Hop("store-to/" + std::to_string(loop), [this, loop, done] {
    core(loop).Receive(Envelope{{loop, 0, 0}, std::move(*done)}, now_ms_);
  });
}

void CoreSimulator::ClientReceives(SessionKey key,
                                   const protocol::Message& message) {
  ClientLog& log = logs_.at(key);
  if (log.ended) return;  // the link is gone
  std::visit(
      [&](const auto& m) {
        using T = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<T, protocol::MessageDeliver>) {
          log.delivered.push_back(m);
          Acknowledge(key, protocol::ItemAck{m.message_id, m.sender_id});
        } else if constexpr (std::is_same_v<T, protocol::DeliveryReceipt>) {
          log.receipts.push_back(m);
          Acknowledge(key, protocol::ItemAck{m.item_id, 0});
        } else if constexpr (std::is_same_v<T, protocol::MessageAccepted>) {
          log.answers.push_back(m);
        } else if constexpr (std::is_same_v<T, protocol::ContactUpdate>) {
          log.presence_of[m.user_id] =
              static_cast<protocol::Presence>(m.presence);
        } else if constexpr (std::is_same_v<T, protocol::PresenceUpdate>) {
          log.presence_of[m.user_id] =
              static_cast<protocol::Presence>(m.presence);
        } else if constexpr (std::is_same_v<T, protocol::MailboxEnd>) {
          log.mailbox_end = true;
        } else if constexpr (std::is_same_v<T, protocol::SessionEnded>) {
          log.ended = true;
          log.end_reason = m.reason;
        }
      },
      message);
}

void CoreSimulator::Acknowledge(SessionKey key, const protocol::ItemAck& ack) {
  if (!logs_.at(key).responsive) return;
  Hop("loop/" + std::to_string(key.loop) + "/from/" +
          std::to_string(key.session),
      [this, key, ack] {
        if (logs_.at(key).ended) return;
        core(key.loop).ItemAck(key.session, ack, now_unix());
      });
}

void CoreSimulator::Hop(const std::string& link, std::function<void()> run) {
  uint64_t at = now_ms_ + random_() % (options_.max_hop_ms + 1);
  uint64_t& free_at = link_free_at_[link];
  if (at < free_at) at = free_at;
  free_at = at;
  At(at, std::move(run));
}

void CoreSimulator::At(uint64_t at, std::function<void()> run) {
  events_.push(Event{at, next_order_++, std::move(run)});
}

bool CoreSimulator::Step(uint64_t until) {
  if (events_.empty() || events_.top().at > until) return false;
  Event event = events_.top();
  events_.pop();
  uint64_t previous_tick = now_ms_ / kTickMs;
  now_ms_ = event.at;
  if (now_ms_ / kTickMs != previous_tick) {
    for (auto& loop : loops_) loop->core->Tick(now_ms_);
  }
  event.run();
  return true;
}

void CoreSimulator::RunFor(uint64_t ms) {
  uint64_t until = now_ms_ + ms;
  while (Step(until)) {
  }
  if (until / kTickMs != now_ms_ / kTickMs) {
    now_ms_ = until;
    for (auto& loop : loops_) loop->core->Tick(now_ms_);
  }
  now_ms_ = until;
}

void CoreSimulator::RunUntilQuiet() {
  // Live deliveries wait up to 3 s for their ack: run past that, twice.
  for (int i = 0; i < 100; ++i) {
    RunFor(server::core::LoopCore::kLiveAckTimeoutMs + kTickMs);
    if (events_.empty()) return;
  }
  throw std::runtime_error("the simulation never went quiet");
}

}  // namespace hail::testing
