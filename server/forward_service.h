// Extended delivery in haild (SPEC.md section 17): the users' forwarding
// settings requests, the decision made inside the mailbox write that stores
// a message for an offline user (MailboxForwarding), the cancellations that
// stop forwarding at once, Kannel's delivery reports, and the Forwarder
// whose own workers hand jobs to the gateways.
//
// Threading: the settings requests and cancellations are BLOCKING (store
// reads and synced writes): they run on the server's contacts thread or an
// io worker, never on a network loop. OnMessageStored runs on the chat
// store thread. The notice sink runs on a forwarding worker (or the thread
// that applied a delivery report). Code budgets are guarded by a mutex.
#ifndef HAIL_SERVER_FORWARD_SERVICE_H_
#define HAIL_SERVER_FORWARD_SERVICE_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/error_code.h"
#include "protocol/forward_messages.h"
#include "protocol/status.h"
#include "server/account_store.h"
#include "server/base/mutex.h"
#include "server/chat_store.h"
#include "server/config.h"
#include "server/forward/forward_store.h"
#include "server/forward/forwarder.h"
#include "server/forward/gateway.h"
#include "server/logger.h"

namespace hail::server {

struct ForwardServiceOptions {
  // Named in the verification code's text.
  std::string server_name = "hail";
  forward::ForwarderOptions forwarder;
};

// The gateways the operator configured (config.h ForwardConfig), one per
// offered channel; InvalidArgument when a configuration cannot work.
// `metrics_listen` gives the default DLR URL.
Result<std::vector<std::unique_ptr<forward::Gateway>>> MakeForwardGateways(
    const ForwardConfig& config,
    const std::optional<protocol::Endpoint>& metrics_listen);

class ForwardService : public MailboxForwarding {
 public:
  // Where a FORWARD_NOTICE for `sender` goes (the mailbox, and the sender's
  // session when online).
  using NoticeSink = std::function<void(uint64_t sender, MailItem notice)>;

  // Everything passed in outlives this. Channels without a gateway keep
  // their settings but forward nothing (SPEC.md 17.1).
  ForwardService(Database* database, AccountStore* accounts,
                 std::vector<std::unique_ptr<forward::Gateway>> gateways,
                 ForwardServiceOptions options, Logger* logger,
                 NoticeSink notices);
  ~ForwardService() override;
  ForwardService(const ForwardService&) = delete;
  ForwardService& operator=(const ForwardService&) = delete;

  void Start();  // starts the forwarding workers
  void Stop();   // lets hand-overs in progress finish; jobs stay queued

  // --- the settings requests (SPEC.md 11.48-11.52); BLOCKING ---
  protocol::ErrorCode AddAddress(uint64_t user, const std::string& user_name,
                                 uint8_t channel, const std::string& address);
  protocol::ErrorCode VerifyAddress(uint64_t user, uint8_t channel,
                                    const std::string& code);
  protocol::ErrorCode RemoveAddress(uint64_t user, uint8_t channel);
  protocol::ErrorCode SetRules(uint64_t user, uint8_t channel,
                               const protocol::ForwardRuleFields& rule);
  // One entry per channel, in channel order; request_id left 0.
  Result<std::vector<protocol::ForwardEntry>> List(uint64_t user);

  // --- what stops forwarding (SPEC.md 17.6); BLOCKING ---
  // The user logged in: their messages' jobs not yet handed over end.
  void LoggedIn(uint64_t user);
  // The user acknowledged the message (sender, message_id).
  void Acknowledged(uint64_t user, uint64_t sender,
                    const protocol::ItemId& message_id);
  // The user blocked or removed `peer`.
  void StoppedForwardingFrom(uint64_t user, uint64_t peer);
  // The account is deleted: its settings and jobs go.
  void ForgetUser(uint64_t user);

  // A Kannel DLR callback's request target (kDeliveryReportPath?...);
  // false when it does not parse. BLOCKING.
  bool DeliveryReport(std::string_view target);

  // MailboxForwarding: the recipient's rules decide; store thread.
  Result<Extra> OnMessageStored(const Reader& reader, uint64_t recipient,
                                const MailItem& item,
                                uint64_t now_unix) override;

  forward::ForwardCounters counters() const { return forwarder_->counters(); }
  // Whether any channel has a gateway.
  bool OffersAny() const { return offered_[0] || offered_[1] || offered_[2]; }

 private:
  // The code budgets of SPEC.md 17.3: true (and counted) when one more
  // code may go to `address` for `user` now.
  Result<bool> TakeCodeBudget(uint64_t user, const std::string& address,
                              uint64_t now_unix);
  void OnOutcome(const forward::JobRecord& job, forward::JobState state);
  Result<forward::ForwardSettings> LoadOrDefault(uint64_t user);
  uint64_t Now() const;

  AccountStore* const accounts_;
  const ForwardServiceOptions options_;
  Logger* const logger_;
  const NoticeSink notices_;
  std::array<bool, forward::kChannelCount> offered_{};
  forward::ForwardStore store_;
  std::unique_ptr<forward::Forwarder> forwarder_;

  // Codes sent to each address in the last 24 hours, whoever asked
  // (SPEC.md 17.3). In memory: a restart forgets them. (The per-user
  // budget counts the durable code jobs instead.)
  Mutex budget_mutex_;
  std::map<std::string, std::deque<uint64_t>> codes_per_address_
      GUARDED_BY(budget_mutex_);
};

}  // namespace hail::server

#endif  // HAIL_SERVER_FORWARD_SERVICE_H_
