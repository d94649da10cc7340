#include "server/password_guard.h"

#include <algorithm>
#include <utility>

namespace hail::server {

PasswordGuard::PasswordGuard(Limits limits)
    : limits_(limits),
      per_source_(limits.per_source_burst, limits.per_source_per_second,
                  limits.max_keys),
      per_account_(limits.per_account_burst, limits.per_account_per_second,
                   limits.max_keys) {}

std::string PasswordGuard::PairKey(std::string_view account,
                                   std::string_view source) {
  std::string key(account);
  key.push_back('\n');  // in neither a username nor an address
  key.append(source);
  return key;
}

PasswordGuard::Ticket PasswordGuard::Reserve(std::string_view account,
                                             std::string_view source,
                                             uint64_t now_ms) {
  MutexLock lock(&mutex_);
  std::string pair = PairKey(account, source);
  Ticket ticket;
  ticket.at_ms = now_ms;
  if (!per_source_.TryAcquire(pair, now_ms)) {
    ticket.retry_after_ms =
        std::max<uint64_t>(1, per_source_.RetryAfterMs(pair, now_ms));
    return ticket;
  }
  if (IsKnownLocked(account, source)) return ticket;
  if (!per_account_.TryAcquire(account, now_ms)) {
    per_source_.Refund(pair, now_ms);  // refused: it costs nothing
    ticket.retry_after_ms =
        std::max<uint64_t>(1, per_account_.RetryAfterMs(account, now_ms));
    return ticket;
  }
  ticket.took_account = true;
  return ticket;
}

void PasswordGuard::Finish(const Ticket& ticket, std::string_view account,
                           std::string_view source, Outcome outcome) {
  if (!ticket.admitted()) return;
  // Given back as of the reservation: the buckets never run backwards.
  const uint64_t now_ms = ticket.at_ms;
  MutexLock lock(&mutex_);
  if (outcome == Outcome::kWrong) return;
  per_source_.Refund(PairKey(account, source), now_ms);
  if (ticket.took_account) per_account_.Refund(account, now_ms);
  if (outcome == Outcome::kRight) RememberLocked(account, source);
}

void PasswordGuard::Remember(std::string_view account,
                             std::string_view source) {
  MutexLock lock(&mutex_);
  RememberLocked(account, source);
}

bool PasswordGuard::IsKnown(std::string_view account,
                            std::string_view source) const {
  MutexLock lock(&mutex_);
  return IsKnownLocked(account, source);
}

bool PasswordGuard::IsKnownLocked(std::string_view account,
                                  std::string_view source) const {
  auto it = known_.find(account);
  if (it == known_.end()) return false;
  const std::vector<std::string>& sources = it->second.sources;
  return std::find(sources.begin(), sources.end(), source) != sources.end();
}

void PasswordGuard::RememberLocked(std::string_view account,
                                   std::string_view source) {
  auto it = known_.find(account);
  if (it == known_.end()) {
    if (known_.size() >= limits_.max_keys) {  // forget the least recent
      known_.erase(lru_.front());
      lru_.pop_front();
    }
    lru_.emplace_back(account);
    it = known_.emplace(std::string(account), Known{{}, std::prev(lru_.end())})
             .first;
  } else {
    lru_.splice(lru_.end(), lru_, it->second.lru);  // most recent now
  }
  std::vector<std::string>& sources = it->second.sources;
  auto same = std::find(sources.begin(), sources.end(), source);
  if (same != sources.end()) sources.erase(same);
  sources.emplace_back(source);
  if (sources.size() > limits_.known_sources_per_account) {
    sources.erase(sources.begin());
  }
}

}  // namespace hail::server
