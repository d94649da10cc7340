// The Forwarder works through the durable gateway outbox (issue 11): its
// own worker threads take queued jobs whose due time has come from the due
// index (fwddue/, SPEC.md 14.2), hand each to its channel's Gateway and
// record the outcome durably before the job can be taken again:
//
//   kAccepted -> sent, written synced. A crash between the gateway's
//                acceptance and that write leaves the job queued, and it
//                is handed over again after the restart with the same
//                job_key: the mail carries the same Message-ID (a mail
//                system may still show it twice), HylaFAX finds the queued
//                fax by its tag and does not queue it again, and Kannel has
//                no lookup, so such an SMS can arrive twice (SPEC.md 14.2).
//   kRetry    -> queued again, attempts + 1, due after a backoff (first
//                retry_first, doubling to retry_max, +-20% jitter, moved
//                past the recipient's quiet hours); after max_attempts
//                kRetry answers it is failed ("gave up ...").
//   kRejected -> failed, with the gateway's reason.
//
// Rate limits (token buckets): per recipient per channel and per channel
// for the whole server. A due job over a limit is deferred (its due time
// moved to when a token is back, durably), never dropped.
//
// Threading: the worker threads are the Forwarder's own and never a
// network loop. Start and Stop belong to the thread that owns the
// Forwarder (checked, OwnerThread). Wake, OnJobQueued and counters are
// cheap (a short mutex or atomics, never the disk) and may be called from
// any thread, a network loop included, also while holding a
// Database::Handle. The Cancel* calls and ApplyDeliveryReport wait for a
// disk sync: any thread but a network loop (hand them to a worker pool).
// The outcome callback runs after every durable change of state (sent,
// delivered, failed, cancelled; not for a retry or a deferral) on the
// worker thread that made it, or on the thread that cancelled or applied a
// report; it must not call back into the Forwarder except Wake.
#ifndef HAIL_SERVER_FORWARD_FORWARDER_H_
#define HAIL_SERVER_FORWARD_FORWARDER_H_

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "protocol/status.h"
#include "server/base/mutex.h"
#include "server/base/owner_thread.h"
#include "server/forward/forward_records.h"
#include "server/forward/forward_store.h"
#include "server/forward/gateway.h"
#include "server/rate_limiter.h"

namespace hail::server::forward {

struct ForwarderOptions {
  size_t workers = 2;
  // Backoff after kRetry: retry_first, doubling up to retry_max, each
  // scaled by a random factor in [1 - jitter, 1 + jitter].
  std::chrono::seconds retry_first{30};
  std::chrono::seconds retry_max{30 * 60};
  double jitter = 0.2;
  // kRetry answers before the job fails: 54 spans about 24 hours with the
  // default backoff (30 s .. 16 min, then every 30 min).
  uint16_t max_attempts = 54;
  // Per recipient and channel: `user_burst` jobs at once, then one every
  // 60 / user_per_minute seconds.
  double user_burst = 5;
  double user_per_minute = 2;
  // Per channel, all recipients together.
  double channel_burst = 20;
  double channel_per_second = 5;
  // A worker with nothing due looks again at least this often (jobs
  // committed without a Wake, a due time reached).
  std::chrono::milliseconds idle_scan{1000};
  // Unix seconds now; the system clock when empty (tests may shift it).
  std::function<uint64_t()> now_unix;
};

// What --stats prints, per channel (index: ChannelIndex).
struct ForwardCounters {
  struct Channel {
    uint64_t queued = 0;     // jobs reported by OnJobQueued
    uint64_t sent = 0;       // accepted by the gateway
    uint64_t retried = 0;    // kRetry answers (job queued again)
    uint64_t deferred = 0;   // held back by a rate limit
    uint64_t failed = 0;     // rejected, given up, or a failure report
    uint64_t cancelled = 0;  // by CancelJobs / CancelJobsFromSender
    uint64_t delivered = 0;  // delivery reports that it arrived
  };
  // Due jobs whose stored record did not decode (damaged data): taken out
  // of the due index, never handed over.
  uint64_t damaged = 0;
  std::array<Channel, kChannelCount> channels;
};

class Forwarder {
 public:
  using Options = ForwarderOptions;
  // Runs after a job's new state is durable (see Threading above).
  using OutcomeCallback =
      std::function<void(const JobRecord& job, JobState new_state)>;

  // `store` outlives the Forwarder. At most one gateway per channel; a due
  // job for a channel without one fails ("no <channel> gateway").
  Forwarder(ForwardStore* store, std::vector<std::unique_ptr<Gateway>> gateways,
            Options options, OutcomeCallback on_outcome);
  ~Forwarder();  // Stop()
  Forwarder(const Forwarder&) = delete;
  Forwarder& operator=(const Forwarder&) = delete;

  // Starts the workers; owner thread only, once.
  void Start();
  // Lets every hand-over in progress finish and record its outcome, then
  // joins the workers. Queued jobs stay in the store for the next start.
  // Owner thread only; idempotent.
  void Stop();

  // A job was just committed (the mailbox batch is durable): counts it and
  // wakes a worker so a job due now goes out without waiting for idle_scan.
  void OnJobQueued(Channel channel);
  void Wake();

  // Cancels the recipient's queued jobs on `channel` (address removed or
  // rule switched off) / from `sender` (sender blocked) / for one message
  // (read by the recipient): written synced before the call returns. A job
  // a worker is handing over right now is not recalled; if its gateway
  // accepts it, it ends as sent. Returns how many were cancelled.
  Result<size_t> CancelJobs(uint64_t recipient, Channel channel);
  Result<size_t> CancelJobsFromSender(uint64_t recipient, uint64_t sender);
  Result<size_t> CancelJobsForMessage(uint64_t recipient, uint64_t sender,
                                      const protocol::ItemId& message_id);
  // The recipient's queued jobs that `match` selects.
  Result<size_t> CancelWhere(
      uint64_t recipient, const std::function<bool(const JobRecord&)>& match);

  // A delivery report for a sent job (Kannel's DLR): delivered, or failed
  // with `detail`. False when there is no such job or it is not sent.
  Result<bool> ApplyDeliveryReport(const JobKey& key, bool delivered,
                                   const std::string& detail);

  ForwardCounters counters() const;

 private:
  // What a worker does next.
  struct Pick {
    std::optional<JobRecord> job;  // claimed: in in_flight_
    std::chrono::milliseconds wait{0};
  };

  void RunWorker(size_t index);  // each worker thread
  // Reads the due index without holding mutex_ (which is never held while
  // the database is used), then claims a job under it.
  Pick PickJob() EXCLUDES(mutex_);
  // Takes a token from the job's buckets; else how long until both have.
  bool TakeTokens(const JobRecord& job, uint64_t* retry_after_ms)
      REQUIRES(mutex_);
  // Moves a job claimed by this worker to when its buckets have a token.
  void Defer(const JobRecord& job, uint64_t delay_ms) EXCLUDES(mutex_);
  // Hands `job` to its gateway and records the outcome; a worker thread.
  void HandOver(const JobRecord& job);
  // Rewrites the stored job with `change` applied if it is still in one of
  // the `from` states (read again under write_mutex_). The new record when
  // it was changed, nullopt when it was not (gone, or in another state).
  Result<std::optional<JobRecord>> Transition(
      const JobKey& key, std::set<JobState> from,
      const std::function<void(JobRecord*)>& change);
  uint64_t RetryDelaySeconds(uint16_t attempts) const;
  uint64_t Now() const;
  static uint64_t SteadyMs();
  enum Counter : uint8_t {
    kQueuedCount,
    kSentCount,
    kRetriedCount,
    kDeferredCount,
    kFailedCount,
    kCancelledCount,
    kDeliveredCount,
    kCounterKinds,
  };
  void Count(Channel channel, Counter counter);
  void Report(const JobRecord& job);

  ForwardStore* const store_;
  std::array<std::unique_ptr<Gateway>, kChannelCount> gateways_;
  const Options options_;
  const OutcomeCallback on_outcome_;

  OwnerThread owner_;  // Start, Stop and threads_ belong to it
  std::vector<std::thread> threads_;

  // The workers' scheduling state. Never held while the database is used
  // (a caller may Wake while holding a Database::Handle).
  Mutex mutex_;
  CondVar wake_{&mutex_};
  bool stopping_ GUARDED_BY(mutex_) = false;
  // Counts wakes, so a worker that scanned before a wake does not sleep
  // through it.
  uint64_t wake_generation_ GUARDED_BY(mutex_) = 0;
  std::set<JobKey> in_flight_ GUARDED_BY(mutex_);
  // Jobs whose outcome could not be written (the database takes no
  // writes): not taken again before the SteadyMs value, so an accepted
  // job is not handed over in a loop while the disk is full.
  std::map<JobKey, uint64_t> held_until_ms_ GUARDED_BY(mutex_);
  RateLimiter user_limiter_ GUARDED_BY(mutex_);
  RateLimiter channel_limiter_ GUARDED_BY(mutex_);

  // Serializes read-modify-writes of jobs (outcomes, deferrals,
  // cancellations). Never taken together with mutex_.
  Mutex write_mutex_;

  std::array<std::array<std::atomic<uint64_t>, kCounterKinds>, kChannelCount>
      counters_{};
  std::atomic<uint64_t> damaged_{0};
};

}  // namespace hail::server::forward

#endif  // HAIL_SERVER_FORWARD_FORWARDER_H_
