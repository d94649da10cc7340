#include "server/forward_service.h"

#include <sodium.h>

#include <chrono>
#include <utility>

#include "protocol/account_rules.h"
#include "protocol/forward_rules.h"
#include "server/forward/forward_jobs.h"
#include "server/forward/forward_rules.h"
#include "server/forward/hylafax_gateway.h"
#include "server/forward/kannel_delivery_report.h"
#include "server/forward/kannel_gateway.h"
#include "server/forward/smtp_gateway.h"
#include "server/store_records.h"
#include "server/write_error.h"

namespace hail::server {

using forward::Channel;
using forward::ChannelSettings;
using forward::ForwardSettings;
using forward::JobRecord;
using forward::JobState;
using protocol::ErrorCode;

namespace {

// SPEC.md 17.3: codes per user and per address in 24 hours.
constexpr size_t kCodesPerUser = 5;
constexpr size_t kCodesPerAddress = 3;
constexpr uint64_t kCodeWindowSeconds = 24 * 3600;
// Jobs no longer queued are deleted a week after they ended.
constexpr uint64_t kKeepEndedJobs = 7 * 24 * 3600;

bool KnownChannel(uint8_t channel) {
  return channel >= protocol::kForwardChannelFirst &&
         channel < protocol::kForwardChannelEnd;
}

// Drops the times older than the window; true when fewer than `limit` stay.
bool Room(std::deque<uint64_t>* times, size_t limit, uint64_t now_unix) {
  while (!times->empty() && times->front() + kCodeWindowSeconds <= now_unix) {
    times->pop_front();
  }
  return times->size() < limit;
}

ErrorCode Written(const Status& status) {
  return status.ok() ? ErrorCode::kOk : ErrorForWrite(status);
}

}  // namespace

Result<std::vector<std::unique_ptr<forward::Gateway>>> MakeForwardGateways(
    const ForwardConfig& config,
    const std::optional<protocol::Endpoint>& metrics_listen) {
  std::vector<std::unique_ptr<forward::Gateway>> gateways;
  if (!config.smtp_url.empty()) {
    forward::SmtpConfig smtp;
    smtp.url = config.smtp_url;
    smtp.identity.from_address = config.smtp_from;
    smtp.username = config.smtp_user;
    smtp.password = config.smtp_password;
    smtp.require_tls = config.smtp_require_tls;
    smtp.ca_file = config.smtp_ca_file;
    smtp.verify_peer = !config.smtp_insecure;
    if (!forward::IsForwardableMailAddress(smtp.identity.from_address)) {
      return Status::InvalidArgument("--forward-smtp-from is not an address");
    }
    gateways.push_back(std::make_unique<forward::SmtpGateway>(smtp));
  }
  if (!config.kannel_url.empty()) {
    forward::KannelConfig kannel;
    kannel.sendsms_url = config.kannel_url;
    kannel.username = config.kannel_user;
    kannel.password = config.kannel_password;
    kannel.sender_id = config.kannel_from;
    kannel.max_messages = config.kannel_max_messages;
    kannel.dlr_url = config.dlr_url;
    if (kannel.dlr_url.empty() && metrics_listen && metrics_listen->port != 0) {
      kannel.dlr_url = "http://" + metrics_listen->ToString() +
                       std::string(forward::kDeliveryReportPath);
    }
    std::string problem = forward::KannelConfigProblem(kannel);
    if (!problem.empty()) {
      return Status::InvalidArgument("SMS forwarding: " + problem);
    }
    gateways.push_back(std::make_unique<forward::KannelGateway>(kannel));
  }
  if (config.hylafax_port != 0) {
    forward::HylaFaxConfig fax;
    fax.host = config.hylafax_host;
    fax.port = static_cast<uint16_t>(config.hylafax_port);
    fax.user = config.hylafax_user;
    fax.sendfax_program = config.sendfax;
    fax.faxstat_program = config.faxstat;
    fax.render.max_pages = config.fax_max_pages;
    gateways.push_back(std::make_unique<forward::HylaFaxGateway>(fax));
  }
  return gateways;
}

ForwardService::ForwardService(
    Database* database, AccountStore* accounts,
    std::vector<std::unique_ptr<forward::Gateway>> gateways,
    ForwardServiceOptions options, Logger* logger, NoticeSink notices)
    : accounts_(accounts),
      options_(std::move(options)),
      logger_(logger),
      notices_(std::move(notices)),
      store_(database) {
  for (const auto& gateway : gateways) {
    offered_[forward::ChannelIndex(gateway->channel())] = true;
  }
  forward::ForwarderOptions forwarder = options_.forwarder;
  forwarder.on_retry = [logger](const JobRecord& job) {
    logger->Info(
        "forward: job {} of user {} by {}: try {} failed ({}), next at {}",
        forward::JobKeyText(job.job_key), job.recipient,
        forward::ChannelName(job.channel), job.attempts, job.detail,
        job.due_unix);
  };
  forwarder_ = std::make_unique<forward::Forwarder>(
      &store_, std::move(gateways), std::move(forwarder),
      [this](const JobRecord& job, JobState state) { OnOutcome(job, state); });
}

ForwardService::~ForwardService() { Stop(); }

void ForwardService::Start() { forwarder_->Start(); }

void ForwardService::Stop() { forwarder_->Stop(); }

uint64_t ForwardService::Now() const {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::seconds>(
          std::chrono::system_clock::now().time_since_epoch())
          .count());
}

Result<ForwardSettings> ForwardService::LoadOrDefault(uint64_t user) {
  Result<std::optional<ForwardSettings>> loaded = store_.LoadSettings(user);
  if (!loaded.ok()) return loaded.status();
  return loaded->value_or(ForwardSettings{});
}

Result<bool> ForwardService::TakeCodeBudget(uint64_t user,
                                            const std::string& address,
                                            uint64_t now_unix) {
  // Per user: the code jobs on record (durable, so a restart does not
  // refill the budget). Requests of one user run one at a time (the
  // contacts thread), so the count cannot race its own write.
  Result<std::vector<JobRecord>> jobs = store_.JobsOf(user);
  if (!jobs.ok()) return jobs.status();
  size_t recent = 0;
  for (const JobRecord& job : *jobs) {
    if (job.sender == 0 && job.accepted_unix + kCodeWindowSeconds > now_unix) {
      ++recent;
    }
  }
  if (recent >= kCodesPerUser) return false;
  // Per address, whoever asks: in memory (a restart forgets it).
  MutexLock lock(&budget_mutex_);
  std::deque<uint64_t>& theirs = codes_per_address_[address];
  if (!Room(&theirs, kCodesPerAddress, now_unix)) return false;
  theirs.push_back(now_unix);
  return true;
}

// --- settings requests ---

ErrorCode ForwardService::AddAddress(uint64_t user,
                                     const std::string& user_name,
                                     uint8_t channel,
                                     const std::string& address) {
  if (!protocol::IsValidForwardAddress(channel, address)) {
    return ErrorCode::kInvalidAddress;
  }
  const Channel which = static_cast<Channel>(channel);
  Result<ForwardSettings> settings = LoadOrDefault(user);
  if (!settings.ok()) return Written(settings.status());
  const uint64_t now = Now();
  Result<bool> budget = TakeCodeBudget(user, address, now);
  if (!budget.ok()) return Written(budget.status());
  if (!*budget) return ErrorCode::kThrottled;
  // The old address receives nothing more (SPEC.md 17.2).
  Result<size_t> cancelled = forwarder_->CancelJobs(user, which);
  if (!cancelled.ok()) return Written(cancelled.status());

  forward::ForwardAddress added;
  added.address = address;
  added.pending = forward::NewVerificationCode(now);
  settings->of(which).address = added;

  JobRecord code;
  code.job_key = forward::NewJobKey();
  code.channel = which;
  code.state = JobState::kQueued;
  code.recipient = user;
  code.sender = 0;  // the server: a code, not a message
  code.accepted_unix = now;
  code.due_unix = now;
  code.updated_unix = now;
  code.recipient_name = user_name;
  code.sender_name = options_.server_name;
  code.address = address;
  code.text = "Hail code " + added.pending->digits + " for " + user_name +
              " on " + options_.server_name + ". Unexpected? Ignore it.";
  Status saved = store_.SaveSettingsWithJob(user, *settings, code);
  if (!saved.ok()) return Written(saved);
  forwarder_->OnJobQueued(which);
  logger_->Info("forward: user {} added a {} address; code queued", user,
                forward::ChannelName(which));
  return ErrorCode::kOk;
}

ErrorCode ForwardService::VerifyAddress(uint64_t user, uint8_t channel,
                                        const std::string& code) {
  if (!KnownChannel(channel)) return ErrorCode::kInvalidAddress;
  Result<ForwardSettings> settings = LoadOrDefault(user);
  if (!settings.ok()) return Written(settings.status());
  ChannelSettings& of = settings->of(static_cast<Channel>(channel));
  if (!of.address) return ErrorCode::kNoAddress;
  if (of.address->verified) return ErrorCode::kOk;
  forward::CodeCheck check = forward::CheckCode(&*of.address, code, Now());
  ErrorCode answer = ErrorCode::kOk;
  switch (check) {
    case forward::CodeCheck::kVerified:
      answer = ErrorCode::kOk;
      break;
    case forward::CodeCheck::kWrong:
    case forward::CodeCheck::kVoided:
      answer = ErrorCode::kWrongCode;
      break;
    case forward::CodeCheck::kExpired:
    case forward::CodeCheck::kNoCode:
      answer = ErrorCode::kCodeExpired;
      break;
  }
  if (check != forward::CodeCheck::kNoCode) {
    Status saved = store_.SaveSettings(user, *settings);
    if (!saved.ok()) return Written(saved);
  }
  return answer;
}

ErrorCode ForwardService::RemoveAddress(uint64_t user, uint8_t channel) {
  if (!KnownChannel(channel)) return ErrorCode::kInvalidAddress;
  const Channel which = static_cast<Channel>(channel);
  Result<ForwardSettings> settings = LoadOrDefault(user);
  if (!settings.ok()) return Written(settings.status());
  if (!settings->of(which).address) return ErrorCode::kNoAddress;
  settings->of(which).address.reset();
  Status saved = store_.SaveSettings(user, *settings);
  if (!saved.ok()) return Written(saved);
  Result<size_t> cancelled = forwarder_->CancelJobs(user, which);
  return cancelled.ok() ? ErrorCode::kOk : Written(cancelled.status());
}

ErrorCode ForwardService::SetRules(uint64_t user, uint8_t channel,
                                   const protocol::ForwardRuleFields& fields) {
  if (!KnownChannel(channel) || !protocol::AreValidForwardRules(fields)) {
    return ErrorCode::kInvalidRules;
  }
  const Channel which = static_cast<Channel>(channel);
  forward::ForwardRule rule;
  rule.enabled = fields.enabled != 0;
  rule.after_minutes = fields.after_minutes;
  rule.quiet_start = fields.quiet_start;
  rule.quiet_end = fields.quiet_end;
  rule.daily_cap = static_cast<uint8_t>(fields.daily_cap);
  rule.contacts_mode = static_cast<forward::ContactsMode>(fields.contacts_mode);
  if (rule.contacts_mode == forward::ContactsMode::kList) {
    std::optional<std::vector<std::string>> names =
        protocol::ParseForwardContacts(fields.contacts);
    if (!names) return ErrorCode::kInvalidRules;
    for (const std::string& name : *names) {
      Result<UserRecord> found = accounts_->FindByName(name);
      if (!found.ok()) {
        return found.status().code() == Status::Code::kNotFound
                   ? ErrorCode::kUserNotFound
                   : Written(found.status());
      }
      rule.contacts.push_back(found->user_id);
    }
  }
  Result<ForwardSettings> settings = LoadOrDefault(user);
  if (!settings.ok()) return Written(settings.status());
  settings->utc_offset_minutes = fields.utc_offset_minutes;
  settings->of(which).rule = std::move(rule);
  if (!forward::ValidateSettings(*settings).ok()) {
    return ErrorCode::kInvalidRules;
  }
  Status saved = store_.SaveSettings(user, *settings);
  if (!saved.ok()) return Written(saved);
  if (fields.enabled == 0) {
    // Rule off: its message jobs stop (a pending code still goes out).
    Result<size_t> cancelled =
        forwarder_->CancelWhere(user, [which](const JobRecord& job) {
          return job.channel == which && job.sender != 0;
        });
    if (!cancelled.ok()) return Written(cancelled.status());
  }
  return ErrorCode::kOk;
}

Result<std::vector<protocol::ForwardEntry>> ForwardService::List(
    uint64_t user) {
  Result<ForwardSettings> settings = LoadOrDefault(user);
  if (!settings.ok()) return settings.status();
  std::vector<protocol::ForwardEntry> entries;
  for (size_t i = 0; i < forward::kChannelCount; ++i) {
    const ChannelSettings& of = settings->channels[i];
    protocol::ForwardEntry entry;
    entry.channel = static_cast<uint8_t>(forward::ChannelAt(i));
    if (of.address) {
      entry.address = of.address->address;
      entry.verified = of.address->verified ? 1 : 0;
    }
    protocol::ForwardRuleFields& rule = entry.rule;
    rule.enabled = of.rule.enabled ? 1 : 0;
    rule.after_minutes = of.rule.after_minutes;
    rule.quiet_start = of.rule.quiet_start;
    rule.quiet_end = of.rule.quiet_end;
    rule.utc_offset_minutes = settings->utc_offset_minutes;
    rule.daily_cap = of.rule.daily_cap;
    rule.contacts_mode = static_cast<uint8_t>(of.rule.contacts_mode);
    std::vector<std::string> names;
    for (uint64_t id : of.rule.contacts) {
      Result<UserRecord> found = accounts_->FindById(id);
      if (found.ok()) names.push_back(found->username);  // deleted: gone
    }
    rule.contacts = protocol::JoinForwardContacts(names);
    entries.push_back(std::move(entry));
  }
  return entries;
}

// --- cancellations ---

void ForwardService::LoggedIn(uint64_t user) {
  // No gateway: nothing can be handed over, and queued jobs fail by
  // themselves ("no <channel> gateway"); a login pays no scan for them.
  if (!OffersAny()) return;
  Result<size_t> cancelled = forwarder_->CancelWhere(
      user, [](const JobRecord& job) { return job.sender != 0; });
  if (!cancelled.ok()) {
    logger_->Warn("forward: cannot cancel the jobs of user {} at login: {}",
                  user, cancelled.status().message());
  }
  // Ended jobs are kept a week for the record (SPEC.md 14.2).
  Result<size_t> purged = store_.PurgeFinished(user, Now() - kKeepEndedJobs);
  if (!purged.ok()) {
    logger_->Warn("forward: cannot delete the old jobs of user {}: {}", user,
                  purged.status().message());
  }
}

void ForwardService::Acknowledged(uint64_t user, uint64_t sender,
                                  const protocol::ItemId& message_id) {
  Result<size_t> cancelled =
      forwarder_->CancelJobsForMessage(user, sender, message_id);
  if (!cancelled.ok()) {
    logger_->Warn("forward: cannot cancel a read message's jobs: {}",
                  cancelled.status().message());
  }
}

void ForwardService::StoppedForwardingFrom(uint64_t user, uint64_t peer) {
  Result<size_t> cancelled = forwarder_->CancelJobsFromSender(user, peer);
  if (!cancelled.ok()) {
    logger_->Warn("forward: cannot cancel the jobs from user {}: {}", peer,
                  cancelled.status().message());
  }
}

void ForwardService::ForgetUser(uint64_t user) {
  Status forgotten = store_.ForgetUser(user);
  if (!forgotten.ok()) {
    logger_->Error("forward: cannot delete the settings of user {}: {}", user,
                   forgotten.message());
  }
}

bool ForwardService::DeliveryReport(std::string_view target) {
  std::optional<forward::DeliveryReport> report =
      forward::ParseDeliveryReport(target);
  if (!report) return false;
  std::optional<forward::JobKey> key =
      forward::ParseJobKeyText(report->job_key);
  if (!key) return false;
  if (!forward::IsFinal(report->status)) return true;  // nothing to record
  const bool delivered = report->status == forward::DeliveryStatus::kDelivered;
  std::string detail = forward::DeliveryStatusName(report->status);
  if (!report->answer.empty()) detail += ": " + report->answer;
  Result<bool> applied =
      forwarder_->ApplyDeliveryReport(*key, delivered, detail);
  if (!applied.ok()) {
    logger_->Warn("forward: cannot record a delivery report: {}",
                  applied.status().message());
  }
  return true;
}

// --- the decision, inside the mailbox write ---

namespace {

// The recipient's message jobs per channel due on `local_day`, not
// cancelled (the daily cap counts messages, SPEC.md 17.4; codes do not), as the
// write that stores the message sees them: jobs made earlier in the same group
// commit count too.
Result<std::array<uint32_t, forward::kChannelCount>> JobsOnDay(
    const MailboxForwarding::Reader& reader, uint64_t recipient,
    int16_t utc_offset_minutes, int64_t local_day) {
  std::map<std::string, std::string> listed;
  Status scanned = reader.Scan(forward::UserJobPrefix(recipient), &listed);
  if (!scanned.ok()) return scanned;
  std::array<uint32_t, forward::kChannelCount> counts{};
  for (const auto& [user_key, unused] : listed) {
    forward::JobKey key;
    if (!forward::ParseUserJobKey(user_key, &key)) {
      return Status::Corruption("malformed fwduser/ key");
    }
    std::optional<std::string> value;
    Status read = reader.Get(forward::JobKeyOf(key), &value);
    if (!read.ok()) return read;
    if (!value) continue;
    Result<JobRecord> job = forward::DecodeJobRecord(key, *value);
    if (!job.ok()) continue;  // a damaged job does not stop forwarding
    if (job->state == JobState::kCancelled) continue;
    if (job->sender == 0) continue;  // a verification code, not a message
    if (forward::LocalDay(job->due_unix, utc_offset_minutes) != local_day) {
      continue;
    }
    ++counts[forward::ChannelIndex(job->channel)];
  }
  return counts;
}

}  // namespace

Result<MailboxForwarding::Extra> ForwardService::OnMessageStored(
    const Reader& reader, uint64_t recipient, const MailItem& item,
    uint64_t now_unix) {
  Extra extra;
  std::optional<std::string> value;
  Status read = reader.Get(forward::SettingsKey(recipient), &value);
  if (!read.ok()) return read;
  if (!value) return extra;  // the common case: no forwarding at all
  Result<ForwardSettings> decoded = forward::DecodeForwardSettings(*value);
  if (!decoded.ok()) return decoded.status();
  const ForwardSettings& settings = *decoded;
  bool any = false;
  for (size_t i = 0; i < forward::kChannelCount; ++i) {
    const ChannelSettings& of = settings.channels[i];
    any = any || (of.rule.enabled && of.address && of.address->verified &&
                  offered_[i]);
  }
  if (!any) return extra;

  std::optional<std::string> contact;
  read = reader.Get(store::ContactKey(recipient, item.sender_id), &contact);
  if (!read.ok()) return read;
  protocol::Relation relation = protocol::Relation::kNone;
  if (contact) {
    Result<ContactEntry> entry = store::DecodeContact(item.sender_id, *contact);
    if (!entry.ok()) return entry.status();
    relation = entry->relation;
  }
  forward::MessageFacts facts;
  facts.sender = item.sender_id;
  facts.blocked_by_recipient = relation == protocol::Relation::kBlocked;
  facts.sender_is_contact = relation == protocol::Relation::kAccepted;
  facts.accepted_unix = item.accepted_unix;
  facts.now_unix = std::max(now_unix, Now());
  std::optional<std::array<uint32_t, forward::kChannelCount>> counted;
  Status count_error;
  facts.jobs_on_day = [&](Channel channel, int64_t local_day) -> uint32_t {
    if (!counted) {
      Result<std::array<uint32_t, forward::kChannelCount>> counts =
          JobsOnDay(reader, recipient, settings.utc_offset_minutes, local_day);
      if (!counts.ok()) {
        count_error = counts.status();
        counts = std::array<uint32_t, forward::kChannelCount>{};
      }
      counted = *counts;
    }
    return (*counted)[forward::ChannelIndex(channel)];
  };
  std::array<forward::ChannelDecision, forward::kChannelCount> decisions =
      forward::DecideForwarding(settings, facts);
  if (!count_error.ok()) return count_error;
  for (size_t i = 0; i < forward::kChannelCount; ++i) {
    // A channel the operator does not offer forwards nothing.
    if (!offered_[i]) decisions[i].reason = forward::SkipReason::kRuleOff;
  }

  std::optional<std::string> user;
  read = reader.Get(store::UserKey(recipient), &user);
  if (!read.ok()) return read;
  if (!user) return extra;  // the account is being deleted
  Result<UserRecord> record =
      store::DecodeUserRecord(recipient, store::AsSpan(*user));
  if (!record.ok()) return record.status();
  forward::MessageToForward message;
  message.recipient = recipient;
  message.recipient_name = record->username;
  message.sender = item.sender_id;
  message.sender_name = item.sender_name;
  message.message_id = item.item_id;
  message.accepted_unix = item.accepted_unix;
  message.text = item.text;
  std::vector<JobRecord> jobs =
      forward::NewJobsForMessage(settings, decisions, message);
  if (jobs.empty()) return extra;
  for (const JobRecord& job : jobs) {
    Result<std::vector<forward::KeyValue>> writes = forward::NewJobWrites(job);
    if (!writes.ok()) return writes.status();
    for (forward::KeyValue& write : *writes) {
      extra.puts.emplace_back(std::move(write.key), std::move(write.value));
    }
  }
  forward::Forwarder* forwarder = forwarder_.get();
  Logger* logger = logger_;
  extra.after_commit = [forwarder, logger, jobs = std::move(jobs)] {
    for (const JobRecord& job : jobs) {
      forwarder->OnJobQueued(job.channel);
      logger->Info(
          "forward: job {} queued: message of user {} to user {} by {}, due at "
          "{}",
          forward::JobKeyText(job.job_key), job.sender, job.recipient,
          forward::ChannelName(job.channel), job.due_unix);
    }
  };
  return extra;
}

// --- outcomes: what the sender learns (SPEC.md 17.7) ---

void ForwardService::OnOutcome(const JobRecord& job, JobState state) {
  const std::string channel = forward::ChannelName(job.channel);
  if (job.sender == 0) {
    logger_->Info("forward: code for user {} by {}: {} {}", job.recipient,
                  channel, forward::JobStateName(state), job.detail);
    return;
  }
  logger_->Info("forward: job {} (message of user {} to user {}) by {}: {} {}",
                forward::JobKeyText(job.job_key), job.sender, job.recipient,
                channel, forward::JobStateName(state), job.detail);
  protocol::ForwardState notice_state;
  switch (state) {
    case JobState::kSent:
      notice_state = protocol::ForwardState::kHandedOver;
      break;
    case JobState::kDelivered:
      notice_state = protocol::ForwardState::kDelivered;
      break;
    case JobState::kFailed:
      notice_state = protocol::ForwardState::kFailed;
      break;
    default:
      return;  // cancelled: no notice
  }
  MailItem notice;
  notice.kind = MailItemKind::kForwardNotice;
  randombytes_buf(notice.item_id.data(), notice.item_id.size());
  notice.sender_id = job.recipient;
  notice.sender_name = job.recipient_name;
  notice.conversation_seq = static_cast<uint64_t>(notice_state);
  notice.accepted_unix = job.updated_unix;
  notice.flag = static_cast<uint8_t>(job.channel);
  notice.ref_id = job.message_id;
  if (state == JobState::kFailed) {
    // Printable ASCII, at most 128 bytes (SPEC.md 11.55).
    for (char c : job.detail) {
      if (notice.text.size() == protocol::kForwardReasonMaxLength) break;
      notice.text.push_back(c >= 0x20 && c < 0x7f ? c : '?');
    }
  }
  notices_(job.sender, std::move(notice));
}

}  // namespace hail::server
