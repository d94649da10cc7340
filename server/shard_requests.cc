// Shard: what the server does with each client request (SPEC.md
// "Accounts"). Runs on the shard's loop thread; anything slow is offloaded.
#include <utility>

#include "nat/address_class.h"
#include "protocol/account_rules.h"
#include "server/forward_service.h"
#include "server/shard.h"

namespace hail::server {

using protocol::ErrorCode;

namespace {

// The key for per-account throttling: the canonical name when the name is
// valid, else the raw text, so that probing invalid names is throttled too.
std::string AccountKey(const std::string& username) {
  std::optional<std::string> canonical = protocol::NormalizeUsername(username);
  return canonical ? *canonical : username;
}

std::string IpKey(const protocol::Endpoint& endpoint) {
  protocol::Endpoint ip = endpoint;
  ip.port = 0;
  return ip.ToString();
}

uint32_t ClampRetry(uint64_t ms) {
  return static_cast<uint32_t>(std::min<uint64_t>(ms, UINT32_MAX));
}

}  // namespace

uint64_t Shard::Admit(LockedRateLimiter* per_ip, const std::string& ip) {
  uint64_t wait = 0;
  if (!per_ip->TryAcquire(ip, now_ms_)) {
    wait = std::max<uint64_t>(1, per_ip->RetryAfterMs(ip, now_ms_));
  }
  if (wait != 0) shared_->counters->throttled++;
  return wait;
}

uint64_t Shard::AdmitPasswordCheck(const std::string& account,
                                   const std::string& ip,
                                   PasswordGuard::Ticket* ticket) {
  PasswordGuard* guard = shared_->password_guard;
  *ticket = guard->Reserve(account, ip, now_ms_);
  if (!ticket->admitted()) {
    shared_->counters->throttled++;
    shared_->counters->password_checks_throttled++;
    return ticket->retry_after_ms;
  }
  if (uint64_t wait = Admit(shared_->auth_per_ip, ip)) {
    guard->Finish(*ticket, account, ip, PasswordGuard::Outcome::kNotChecked);
    *ticket = PasswordGuard::Ticket{wait, false, now_ms_};
    return wait;
  }
  return 0;
}

namespace {

PasswordGuard::Outcome OutcomeOf(ErrorCode error) {
  switch (error) {
    case ErrorCode::kOk:
      return PasswordGuard::Outcome::kRight;
    case ErrorCode::kInvalidCredentials:
      return PasswordGuard::Outcome::kWrong;
    default:
      return PasswordGuard::Outcome::kNotChecked;
  }
}

}  // namespace

void Shard::RefuseLogin(PeerSession& s, uint32_t request_id, ErrorCode error,
                        uint64_t retry_after_ms) {
  protocol::LoginResult result;
  result.request_id = request_id;
  result.error = error;
  result.retry_after_ms = ClampRetry(retry_after_ms);
  s.session.AuthenticationFinished(false, 0, {});
  SendMessage(s, result);
}

void Shard::HandleRequest(PeerSession& s, protocol::Message request) {
  std::visit(
      [&](auto& r) {
        using T = std::decay_t<decltype(r)>;
        if constexpr (std::is_same_v<T, protocol::RegisterRequest>) {
          OnRegister(s, r);
        } else if constexpr (std::is_same_v<T, protocol::LoginRequest>) {
          OnLogin(s, r);
        } else if constexpr (std::is_same_v<T, protocol::ResumeRequest>) {
          OnResume(s, r);
        } else if constexpr (std::is_same_v<T, protocol::LogoutRequest>) {
          OnLogout(s, r);
        } else if constexpr (std::is_same_v<T,
                                            protocol::ChangePasswordRequest>) {
          OnChangePassword(s, r);
        } else if constexpr (std::is_same_v<T,
                                            protocol::DeleteAccountRequest>) {
          OnDeleteAccount(s, r);
        } else if constexpr (std::is_same_v<T, protocol::SessionInfoRequest>) {
          OnSessionInfo(s, r);
        } else if constexpr (std::is_same_v<T, protocol::ContactAdd> ||
                             std::is_same_v<T, protocol::ContactAnswer> ||
                             std::is_same_v<T, protocol::ContactRemove> ||
                             std::is_same_v<T, protocol::ContactBlock>) {
          OnContactRequest(s, request);
        } else if constexpr (std::is_same_v<T, protocol::ContactListRequest>) {
          core_.ContactList(s.id, r);
        } else if constexpr (std::is_same_v<T, protocol::SetPresence>) {
          core_.SetPresence(s.id, r);
        } else if constexpr (std::is_same_v<T, protocol::SendMessage>) {
          OnSendMessage(s, r);
        } else if constexpr (std::is_same_v<T, protocol::ItemAck>) {
          core_.ItemAck(s.id, r, UnixNow());
          if (r.sender_id != 0) ForwardedMessageRead(s, r);
        } else if constexpr (std::is_same_v<T, protocol::P2pRequest>) {
          core_.P2pRequest(s.id, r, now_ms_);
        } else if constexpr (std::is_same_v<T, protocol::P2pAnswer>) {
          core_.P2pAnswer(s.id, r, now_ms_);
        } else if constexpr (std::is_same_v<T, protocol::ForwardAddressAdd> ||
                             std::is_same_v<T,
                                            protocol::ForwardAddressVerify> ||
                             std::is_same_v<T,
                                            protocol::ForwardAddressRemove> ||
                             std::is_same_v<T, protocol::ForwardRulesSet> ||
                             std::is_same_v<T, protocol::ForwardListRequest>) {
          OnForwardRequest(s, request);
        }
      },
      request);
}

void Shard::OnRegister(PeerSession& s, const protocol::RegisterRequest& r) {
  auto reply = [this](PeerSession& session, uint32_t request_id,
                      const AuthOutcome& outcome, uint32_t retry_after_ms) {
    protocol::RegisterResult result;
    result.request_id = request_id;
    result.error = outcome.error;
    result.retry_after_ms = retry_after_ms;
    result.user_id = outcome.user_id;
    result.username = outcome.username;
    session.session.AuthenticationFinished(false, 0, {});
    SendMessage(session, result);
  };
  if (uint64_t wait = Admit(shared_->auth_per_ip, IpKey(s.observed))) {
    AuthOutcome throttled;
    throttled.error = ErrorCode::kThrottled;
    reply(s, r.request_id, throttled, ClampRetry(wait));
    return;
  }
  uint32_t request_id = r.request_id;
  AccountService* accounts = shared_->accounts;
  uint64_t session_id = s.id;
  Offload<AuthOutcome>(
      shared_->workers,
      [accounts, username = r.username, password = r.password] {
        return accounts->Register(username, password, UnixNow());
      },
      [reply, request_id](PeerSession& session, AuthOutcome outcome) {
        reply(session, request_id, outcome, 0);
      },
      session_id,
      [&] {
        AuthOutcome busy;
        busy.error = ErrorCode::kServerBusy;
        reply(s, request_id, busy, 0);
      });
}

LoginContext Shard::ContextFor(const PeerSession& s,
                               const protocol::Endpoint& declared_lan,
                               const std::string& client_version) const {
  LoginContext context;
  context.observed = s.observed;
  if (nat::IsPlausibleLanEndpoint(declared_lan)) context.lan = declared_lan;
  context.client_version = client_version;
  return context;
}

void Shard::FinishLogin(PeerSession& s, uint32_t request_id,
                        const AuthOutcome& outcome,
                        const LoginContext& context) {
  protocol::LoginResult result;
  result.request_id = request_id;
  result.error = outcome.error;
  result.observed_endpoint = s.observed;
  if (outcome.error != ErrorCode::kOk) {
    s.session.AuthenticationFinished(false, 0, {});
    SendMessage(s, result);
    return;
  }
  result.user_id = outcome.user_id;
  result.username = outcome.username;
  result.token = outcome.token;
  result.token_expires_unix = outcome.token_expires_unix;
  s.session.AuthenticationFinished(true, outcome.user_id, outcome.username);
  s.login.lan = context.lan;
  s.login.client_version = context.client_version;
  s.login.login_unix = UnixNow();
  SendMessage(s, result);
  core::SessionFacts facts;
  facts.observed = s.observed;
  facts.lan = s.login.lan;
  facts.can_link_directly = s.CanLinkDirectly();
  s.address =
      core_.LoggedIn(s.id, outcome.user_id, outcome.username, facts, now_ms_);
}

void Shard::OnLogin(PeerSession& s, const protocol::LoginRequest& r) {
  uint32_t request_id = r.request_id;
  std::string account = AccountKey(r.username);
  std::string ip = IpKey(s.observed);
  PasswordGuard::Ticket ticket;
  if (uint64_t wait = AdmitPasswordCheck(account, ip, &ticket)) {
    RefuseLogin(s, request_id, ErrorCode::kThrottled, wait);
    return;
  }
  LoginContext context = ContextFor(s, r.lan_endpoint, r.client_version);
  AccountService* accounts = shared_->accounts;
  PasswordGuard* guard = shared_->password_guard;
  Offload<AuthOutcome>(
      shared_->workers,
      [accounts, guard, ticket, account, ip, username = r.username,
       password = r.password, context] {
        LoginContext c = context;
        c.now_unix = UnixNow();
        AuthOutcome outcome = accounts->Login(username, password, c);
        // Here, not on the loop: the outcome counts even if the session
        // has gone by the time it is back.
        guard->Finish(ticket, account, ip, OutcomeOf(outcome.error));
        return outcome;
      },
      [this, request_id, context](PeerSession& session, AuthOutcome outcome) {
        FinishLogin(session, request_id, outcome, context);
      },
      s.id,
      [&] {
        guard->Finish(ticket, account, ip, PasswordGuard::Outcome::kNotChecked);
        RefuseLogin(s, request_id, ErrorCode::kServerBusy, 0);
      });
}

void Shard::OnResume(PeerSession& s, const protocol::ResumeRequest& r) {
  uint32_t request_id = r.request_id;
  std::string ip = IpKey(s.observed);
  if (uint64_t wait = Admit(shared_->resume_per_ip, ip)) {
    RefuseLogin(s, request_id, ErrorCode::kThrottled, wait);
    return;
  }
  LoginContext context = ContextFor(s, r.lan_endpoint, r.client_version);
  AccountService* accounts = shared_->accounts;
  PasswordGuard* guard = shared_->password_guard;
  Offload<AuthOutcome>(
      shared_->workers,
      [accounts, guard, ip, username = r.username, token = r.token, context] {
        LoginContext c = context;
        c.now_unix = UnixNow();
        AuthOutcome outcome = accounts->Resume(username, token, c);
        // A device that holds a token is the user's: its address is known.
        if (outcome.error == ErrorCode::kOk) {
          guard->Remember(outcome.username, ip);
        }
        return outcome;
      },
      [this, request_id, context](PeerSession& session, AuthOutcome outcome) {
        FinishLogin(session, request_id, outcome, context);
      },
      s.id, [&] { RefuseLogin(s, request_id, ErrorCode::kServerBusy, 0); });
}

void Shard::OnLogout(PeerSession& s, const protocol::LogoutRequest& r) {
  EndLogin(s);
  s.session.LoggedOut(now_ms_);
  s.login = {};
  SendMessage(s, protocol::LogoutResult{r.request_id, ErrorCode::kOk});
}

namespace {

struct PasswordChange {
  ErrorCode error = ErrorCode::kOk;
  protocol::Token token{};
  uint64_t expires = 0;
};

}  // namespace

void Shard::OnChangePassword(PeerSession& s,
                             const protocol::ChangePasswordRequest& r) {
  uint32_t request_id = r.request_id;
  std::string ip = IpKey(s.observed);
  std::string account = s.session.username();
  auto answer = [this, request_id](PeerSession& session,
                                   const PasswordChange& change,
                                   uint64_t retry_after_ms) {
    protocol::ChangePasswordResult result;
    result.request_id = request_id;
    result.error = change.error;
    result.retry_after_ms = ClampRetry(retry_after_ms);
    result.token = change.token;
    result.token_expires_unix = change.expires;
    session.session.AccountOperationFinished();
    SendMessage(session, result);
  };
  PasswordGuard::Ticket ticket;
  if (uint64_t wait = AdmitPasswordCheck(account, ip, &ticket)) {
    answer(s, PasswordChange{ErrorCode::kThrottled, {}, 0}, wait);
    return;
  }
  AccountService* accounts = shared_->accounts;
  PasswordGuard* guard = shared_->password_guard;
  uint64_t user_id = s.session.user_id();
  Offload<PasswordChange>(
      shared_->workers,
      [accounts, guard, ticket, account, ip, user_id,
       old_password = r.old_password, new_password = r.new_password] {
        PasswordChange change;
        change.error =
            accounts->ChangePassword(user_id, old_password, new_password,
                                     &change.token, &change.expires, UnixNow());
        guard->Finish(ticket, account, ip, OutcomeOf(change.error));
        return change;
      },
      [answer](PeerSession& session, PasswordChange change) {
        answer(session, change, 0);
      },
      s.id,
      [&] {
        guard->Finish(ticket, account, ip, PasswordGuard::Outcome::kNotChecked);
        answer(s, PasswordChange{ErrorCode::kServerBusy, {}, 0}, 0);
      });
}

void Shard::OnDeleteAccount(PeerSession& s,
                            const protocol::DeleteAccountRequest& r) {
  uint32_t request_id = r.request_id;
  std::string ip = IpKey(s.observed);
  std::string account = s.session.username();
  auto answer = [this, request_id](PeerSession& session, ErrorCode error,
                                   uint64_t retry_after_ms) {
    session.session.AccountOperationFinished();
    SendMessage(session, protocol::DeleteAccountResult{
                             request_id, error, ClampRetry(retry_after_ms)});
    if (error != ErrorCode::kOk) return;
    uint64_t gone = session.session.user_id();
    EndSession(session, ErrorCode::kAccountDeleted);
    // Contacts, mailbox and message records go with the account.
    shared_->chats->ForgetUser(gone, [](Status) {});
  };
  PasswordGuard::Ticket ticket;
  if (uint64_t wait = AdmitPasswordCheck(account, ip, &ticket)) {
    answer(s, ErrorCode::kThrottled, wait);
    return;
  }
  AccountService* accounts = shared_->accounts;
  PasswordGuard* guard = shared_->password_guard;
  uint64_t user_id = s.session.user_id();
  Offload<ErrorCode>(
      shared_->workers,
      [accounts, guard, ticket, account, ip, user_id, password = r.password,
       forward = shared_->forward] {
        ErrorCode error = accounts->DeleteAccount(user_id, password);
        guard->Finish(ticket, account, ip, OutcomeOf(error));
        // Addresses and forward jobs go with the account (SPEC.md 17.2).
        if (error == ErrorCode::kOk && forward != nullptr) {
          forward->ForgetUser(user_id);
        }
        return error;
      },
      [answer](PeerSession& session, ErrorCode error) {
        answer(session, error, 0);
      },
      s.id,
      [&] {
        guard->Finish(ticket, account, ip, PasswordGuard::Outcome::kNotChecked);
        answer(s, ErrorCode::kServerBusy, 0);
      });
}

void Shard::OnSessionInfo(PeerSession& s,
                          const protocol::SessionInfoRequest& r) {
  protocol::SessionInfo info;
  info.request_id = r.request_id;
  info.user_id = s.session.user_id();
  info.username = s.session.username();
  info.observed_endpoint = s.observed;
  info.lan_endpoint = s.login.lan;
  info.client_version = s.login.client_version;
  info.login_unix = s.login.login_unix;
  SendMessage(s, info);
}

}  // namespace hail::server
