#include "server/forward/forwarder.h"

#include <pthread.h>
#include <sodium.h>

#include <algorithm>
#include <cassert>
#include <cmath>
#include <utility>

#include "server/forward/forward_rules.h"

namespace hail::server::forward {

namespace {

// Due jobs a worker looks at beyond those already in flight.
constexpr size_t kScanBatch = 32;
// Buckets kept per limiter (RateLimiter bounds its memory with this).
constexpr size_t kMaxLimiterKeys = 100'000;

std::string UserBucket(const JobRecord& job) {
  return std::to_string(static_cast<int>(job.channel)) + "/" +
         std::to_string(job.recipient);
}

}  // namespace

Forwarder::Forwarder(ForwardStore* store,
                     std::vector<std::unique_ptr<Gateway>> gateways,
                     Options options, OutcomeCallback on_outcome)
    : store_(store),
      options_(std::move(options)),
      on_outcome_(std::move(on_outcome)),
      user_limiter_(options_.user_burst, options_.user_per_minute / 60.0,
                    kMaxLimiterKeys),
      channel_limiter_(options_.channel_burst, options_.channel_per_second,
                       kChannelCount) {
  assert(store_ != nullptr);
  assert(options_.workers >= 1);
  assert(options_.retry_first.count() >= 1);
  for (std::unique_ptr<Gateway>& gateway : gateways) {
    assert(gateway != nullptr);
    std::unique_ptr<Gateway>& slot =
        gateways_[ChannelIndex(gateway->channel())];
    assert(slot == nullptr && "one gateway per channel");
    slot = std::move(gateway);
  }
}

Forwarder::~Forwarder() { Stop(); }

void Forwarder::Start() {
  owner_.Check();
  assert(threads_.empty());
  for (size_t i = 0; i < options_.workers; ++i) {
    threads_.emplace_back([this, i] { RunWorker(i); });
  }
}

void Forwarder::Stop() {
  owner_.Check();
  {
    MutexLock lock(&mutex_);
    stopping_ = true;
  }
  wake_.SignalAll();
  for (std::thread& thread : threads_) thread.join();
  threads_.clear();
}

void Forwarder::OnJobQueued(Channel channel) {
  Count(channel, kQueuedCount);
  Wake();
}

void Forwarder::Wake() {
  {
    MutexLock lock(&mutex_);
    ++wake_generation_;
  }
  wake_.SignalAll();
}

ForwardCounters Forwarder::counters() const {
  ForwardCounters out;
  for (size_t i = 0; i < kChannelCount; ++i) {
    const auto& in = counters_[i];
    ForwardCounters::Channel& channel = out.channels[i];
    channel.queued = in[kQueuedCount].load();
    channel.sent = in[kSentCount].load();
    channel.retried = in[kRetriedCount].load();
    channel.deferred = in[kDeferredCount].load();
    channel.failed = in[kFailedCount].load();
    channel.cancelled = in[kCancelledCount].load();
    channel.delivered = in[kDeliveredCount].load();
  }
  out.damaged = damaged_.load();
  return out;
}

void Forwarder::Count(Channel channel, Counter counter) {
  ++counters_[ChannelIndex(channel)][counter];
}

void Forwarder::Report(const JobRecord& job) {
  if (on_outcome_) on_outcome_(job, job.state);
}

uint64_t Forwarder::Now() const {
  if (options_.now_unix) return options_.now_unix();
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::seconds>(
          std::chrono::system_clock::now().time_since_epoch())
          .count());
}

uint64_t Forwarder::SteadyMs() {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::steady_clock::now().time_since_epoch())
          .count());
}

uint64_t Forwarder::RetryDelaySeconds(uint16_t attempts) const {
  assert(attempts >= 1);
  double delay = static_cast<double>(options_.retry_first.count());
  const double limit = static_cast<double>(options_.retry_max.count());
  for (uint16_t i = 1; i < attempts && delay < limit; ++i) delay *= 2;
  delay = std::min(delay, limit);
  // randombytes_uniform is thread-safe: no generator state per worker.
  const double unit = randombytes_uniform(1'000'001) / 1'000'000.0;
  delay *= 1.0 - options_.jitter + 2.0 * options_.jitter * unit;
  return std::max<uint64_t>(1, static_cast<uint64_t>(std::llround(delay)));
}

void Forwarder::RunWorker(size_t index) {
  const std::string name = "hail-forward-" + std::to_string(index);
  pthread_setname_np(pthread_self(), name.substr(0, 15).c_str());
  for (;;) {
    uint64_t seen_generation;
    {
      MutexLock lock(&mutex_);
      if (stopping_) return;
      seen_generation = wake_generation_;
    }
    Pick pick = PickJob();
    if (pick.job) {
      HandOver(*pick.job);
      MutexLock lock(&mutex_);
      in_flight_.erase(pick.job->job_key);
      // Another worker may be waiting for this job's due entry to leave.
      ++wake_generation_;
      wake_.SignalAll();
      continue;
    }
    MutexLock lock(&mutex_);
    if (!stopping_ && wake_generation_ == seen_generation &&
        pick.wait.count() > 0) {
      wake_.WaitFor(pick.wait);
    }
  }
}

Forwarder::Pick Forwarder::PickJob() {
  Pick pick;
  pick.wait = options_.idle_scan;
  const uint64_t now = Now();
  size_t skipped = 0;
  {
    MutexLock lock(&mutex_);
    const uint64_t now_ms = SteadyMs();
    std::erase_if(held_until_ms_,
                  [now_ms](const auto& held) { return held.second <= now_ms; });
    skipped = in_flight_.size() + held_until_ms_.size();
  }
  std::vector<std::string> damaged;
  Result<std::vector<JobRecord>> due =
      store_->DueJobs(now, skipped + kScanBatch, &damaged);
  if (!damaged.empty()) {
    // Under write_mutex_: two workers that both saw the record count it once.
    MutexLock lock(&write_mutex_);
    Result<size_t> removed = store_->RemoveDueKeys(damaged);
    if (removed.ok()) damaged_ += *removed;
  }
  if (!due.ok()) return pick;  // a read error: look again after idle_scan
  for (JobRecord& job : *due) {
    uint64_t retry_after_ms = 0;
    {
      MutexLock lock(&mutex_);
      if (in_flight_.contains(job.job_key) ||
          held_until_ms_.contains(job.job_key)) {
        continue;
      }
      // Claimed either way: to hand over, or to defer.
      in_flight_.insert(job.job_key);
      if (TakeTokens(job, &retry_after_ms)) {
        pick.job = std::move(job);
        return pick;
      }
    }
    Defer(job, retry_after_ms);
    MutexLock lock(&mutex_);
    in_flight_.erase(job.job_key);
  }
  Result<std::optional<uint64_t>> earliest = store_->EarliestDue();
  if (earliest.ok() && *earliest && **earliest > now) {
    const auto until = std::chrono::milliseconds((**earliest - now) * 1000);
    pick.wait = std::min(pick.wait, until);
  }
  return pick;
}

bool Forwarder::TakeTokens(const JobRecord& job, uint64_t* retry_after_ms) {
  const uint64_t now_ms = SteadyMs();
  const std::string user = UserBucket(job);
  const std::string channel = ChannelName(job.channel);
  if (!user_limiter_.TryAcquire(user, now_ms)) {
    *retry_after_ms = user_limiter_.RetryAfterMs(user, now_ms);
    return false;
  }
  if (!channel_limiter_.TryAcquire(channel, now_ms)) {
    user_limiter_.Refund(user, now_ms);
    *retry_after_ms = channel_limiter_.RetryAfterMs(channel, now_ms);
    return false;
  }
  return true;
}

void Forwarder::Defer(const JobRecord& job, uint64_t delay_ms) {
  const uint64_t delay_seconds = std::max<uint64_t>(1, (delay_ms + 999) / 1000);
  const uint64_t now = Now();
  Result<std::optional<JobRecord>> deferred =
      Transition(job.job_key, {JobState::kQueued}, [&](JobRecord* record) {
        record->due_unix =
            PastQuietHours(now + delay_seconds, record->quiet_start,
                           record->quiet_end, record->utc_offset_minutes);
      });
  if (!deferred.ok()) {
    MutexLock lock(&mutex_);
    held_until_ms_[job.job_key] = SteadyMs() + delay_seconds * 1000;
    return;
  }
  if (*deferred) Count(job.channel, kDeferredCount);
}

void Forwarder::HandOver(const JobRecord& job) {
  Gateway* gateway = gateways_[ChannelIndex(job.channel)].get();
  GatewayAnswer answer;
  if (gateway == nullptr) {
    answer.kind = GatewayAnswer::Kind::kRejected;
    answer.detail = std::string("no ") + ChannelName(job.channel) + " gateway";
  } else {
    answer = gateway->Send(ToGatewayJob(job));
  }
  const uint64_t now = Now();
  Result<std::optional<JobRecord>> outcome = std::optional<JobRecord>();
  Counter counter = kSentCount;
  switch (answer.kind) {
    case GatewayAnswer::Kind::kAccepted:
      // Also from cancelled: the gateway has it, and the record says so.
      outcome =
          Transition(job.job_key, {JobState::kQueued, JobState::kCancelled},
                     [&](JobRecord* record) {
                       record->state = JobState::kSent;
                       record->updated_unix = now;
                       record->detail = answer.detail;
                       if (answer.cut) record->detail += " (text cut)";
                     });
      break;
    case GatewayAnswer::Kind::kRetry: {
      const uint16_t attempts = job.attempts + 1;
      const bool give_up = attempts >= options_.max_attempts;
      counter = give_up ? kFailedCount : kRetriedCount;
      const uint64_t due =
          give_up ? 0
                  : PastQuietHours(now + RetryDelaySeconds(attempts),
                                   job.quiet_start, job.quiet_end,
                                   job.utc_offset_minutes);
      outcome =
          Transition(job.job_key, {JobState::kQueued}, [&](JobRecord* record) {
            record->attempts = attempts;
            record->updated_unix = now;
            if (give_up) {
              record->state = JobState::kFailed;
              record->detail = "gave up after " + std::to_string(attempts) +
                               " attempts: " + answer.detail;
            } else {
              record->due_unix = due;
              record->detail = answer.detail;
            }
          });
      break;
    }
    case GatewayAnswer::Kind::kRejected:
      counter = kFailedCount;
      outcome =
          Transition(job.job_key, {JobState::kQueued}, [&](JobRecord* record) {
            record->state = JobState::kFailed;
            record->updated_unix = now;
            record->detail = "rejected: " + answer.detail;
          });
      break;
  }
  if (!outcome.ok()) {
    // The outcome is not on disk; the job stays queued there. Hold it back
    // for a while rather than hand it over again at once.
    MutexLock lock(&mutex_);
    held_until_ms_[job.job_key] =
        SteadyMs() + static_cast<uint64_t>(options_.retry_first.count()) * 1000;
    return;
  }
  if (!*outcome) return;  // cancelled meanwhile and not accepted
  Count(job.channel, counter);
  if ((*outcome)->state != JobState::kQueued) {
    Report(**outcome);
  } else if (options_.on_retry) {
    options_.on_retry(**outcome);
  }
}

Result<std::optional<JobRecord>> Forwarder::Transition(
    const JobKey& key, std::set<JobState> from,
    const std::function<void(JobRecord*)>& change) {
  MutexLock lock(&write_mutex_);
  Result<std::optional<JobRecord>> current = store_->LoadJob(key);
  if (!current.ok()) return current.status();
  if (!*current || !from.contains((*current)->state)) {
    return std::optional<JobRecord>();
  }
  JobRecord after = **current;
  change(&after);
  Status written = store_->ReplaceJob(**current, after);
  if (!written.ok()) return written;
  return std::optional<JobRecord>(std::move(after));
}

Result<size_t> Forwarder::CancelWhere(
    uint64_t recipient, const std::function<bool(const JobRecord&)>& match) {
  Result<std::vector<JobRecord>> jobs = store_->JobsOf(recipient);
  if (!jobs.ok()) return jobs.status();
  const uint64_t now = Now();
  size_t cancelled = 0;
  for (const JobRecord& job : *jobs) {
    if (job.state != JobState::kQueued || !match(job)) continue;
    Result<std::optional<JobRecord>> changed =
        Transition(job.job_key, {JobState::kQueued}, [now](JobRecord* record) {
          record->state = JobState::kCancelled;
          record->updated_unix = now;
          record->detail = "cancelled";
        });
    if (!changed.ok()) return changed.status();
    if (!*changed) continue;
    ++cancelled;
    Count(job.channel, kCancelledCount);
    Report(**changed);
  }
  return cancelled;
}

Result<size_t> Forwarder::CancelJobs(uint64_t recipient, Channel channel) {
  return CancelWhere(recipient, [channel](const JobRecord& job) {
    return job.channel == channel;
  });
}

Result<size_t> Forwarder::CancelJobsFromSender(uint64_t recipient,
                                               uint64_t sender) {
  return CancelWhere(recipient, [sender](const JobRecord& job) {
    return job.sender == sender;
  });
}

Result<size_t> Forwarder::CancelJobsForMessage(
    uint64_t recipient, uint64_t sender, const protocol::ItemId& message_id) {
  return CancelWhere(recipient, [&](const JobRecord& job) {
    return job.sender == sender && job.message_id == message_id;
  });
}

Result<bool> Forwarder::ApplyDeliveryReport(const JobKey& key, bool delivered,
                                            const std::string& detail) {
  const uint64_t now = Now();
  Result<std::optional<JobRecord>> changed =
      Transition(key, {JobState::kSent}, [&](JobRecord* record) {
        record->state = delivered ? JobState::kDelivered : JobState::kFailed;
        record->updated_unix = now;
        record->detail = detail;
      });
  if (!changed.ok()) return changed.status();
  if (!*changed) return false;
  Count((*changed)->channel, delivered ? kDeliveredCount : kFailedCount);
  Report(**changed);
  return true;
}

}  // namespace hail::server::forward
