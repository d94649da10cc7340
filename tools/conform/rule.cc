#include "tools/conform/rule.h"

#include <sodium.h>

#include <thread>

namespace hail::conform {

using protocol::ErrorCode;

std::vector<Rule>& Rules() {
  static std::vector<Rule> rules;
  return rules;
}

RuleRegistrar::RuleRegistrar(std::string section, std::string id,
                             std::string text, RuleFunction check) {
  Rules().push_back(
      {std::move(section), std::move(id), std::move(text), std::move(check)});
}

protocol::ItemId FreshMessageId() {
  protocol::ItemId id{};
  randombytes_buf(id.data(), id.size());
  return id;
}

Context::Context(Target target, std::vector<std::string> source_hosts,
                 std::string run_tag)
    : target_(std::move(target)),
      sources_(std::move(source_hosts)),
      tag_(std::move(run_tag)) {}

std::string Context::FreshName(const std::string& suffix) {
  return fmt::format("cf{}{}{}", tag_, ++names_, suffix);
}

std::string Context::SpareSource() {
  if (sources_.empty()) return {};
  // The last addresses of the list are kept for these.
  ++spare_;
  return sources_[sources_.size() - 1 - (spare_ % 4)];
}

Result<std::unique_ptr<WireClient>> Context::Connect(
    const std::string& local_host, client::TransportKind kind) {
  Target target = target_;
  target.local_host = local_host;
  return WireClient::Connect(target, kind);
}

Result<Account> Context::NewAccount(const std::string& suffix) {
  Account account;
  account.name = FreshName(suffix);
  account.password = "conform-" + account.name;
  if (!sources_.empty() && sources_.size() > 4) {
    account.local_host = sources_[next_source_++ % (sources_.size() - 4)];
  }
  Result<std::unique_ptr<WireClient>> client = Connect(account.local_host);
  if (!client.ok()) return client.status();
  for (int attempt = 0; attempt < 4; ++attempt) {
    const uint32_t id = NextRequestId();
    (*client)->Send(
        protocol::RegisterRequest{id, account.name, account.password});
    auto result = (*client)->Wait<protocol::RegisterResult>(
        timeout_ms(),
        [id](const protocol::RegisterResult& r) { return r.request_id == id; });
    if (!result) return Status::Unavailable("no REGISTER_RESULT");
    if (result->error == ErrorCode::kThrottled) {
      std::this_thread::sleep_for(std::chrono::milliseconds(
          std::min<uint32_t>(result->retry_after_ms + 50, 30000)));
      continue;
    }
    if (result->error != ErrorCode::kOk) {
      return Status::Unavailable(
          fmt::format("REGISTER of {} answered {}", account.name,
                      protocol::ErrorCodeName(result->error)));
    }
    account.user_id = result->user_id;
    return account;
  }
  return Status::Unavailable("REGISTER stayed THROTTLED");
}

Result<std::unique_ptr<WireClient>> Context::StartLogin(
    Account& account, client::TransportKind kind) {
  Result<std::unique_ptr<WireClient>> client =
      Connect(account.local_host, kind);
  if (!client.ok()) return client;
  WireClient& c = **client;
  const bool have_token = account.token != protocol::Token{};
  for (int attempt = 0; attempt < 4; ++attempt) {
    const uint32_t id = NextRequestId();
    if (have_token) {
      c.Send(protocol::ResumeRequest{id, account.name, account.token,
                                     "hail-conform", c.lan_endpoint()});
    } else {
      c.Send(protocol::LoginRequest{id, account.name, account.password,
                                    "hail-conform", c.lan_endpoint()});
    }
    auto result = c.Wait<protocol::LoginResult>(
        timeout_ms(),
        [id](const protocol::LoginResult& r) { return r.request_id == id; });
    if (!result) return Status::Unavailable("no LOGIN_RESULT");
    if (result->error == ErrorCode::kThrottled) {
      std::this_thread::sleep_for(std::chrono::milliseconds(
          std::min<uint32_t>(result->retry_after_ms + 50, 30000)));
      continue;
    }
    if (result->error != ErrorCode::kOk) {
      return Status::Unavailable(
          fmt::format("{} of {} answered {}", have_token ? "RESUME" : "LOGIN",
                      account.name, protocol::ErrorCodeName(result->error)));
    }
    account.token = result->token;
    account.user_id = result->user_id;
    return client;
  }
  return Status::Unavailable("login stayed THROTTLED");
}

Result<std::unique_ptr<WireClient>> Context::LogIn(Account& account) {
  Result<std::unique_ptr<WireClient>> client = StartLogin(account);
  if (!client.ok()) return client;
  if (!(*client)->Wait<protocol::ContactListEnd>(timeout_ms())) {
    return Status::Unavailable("no CONTACT_LIST_END after LOGIN_RESULT{OK}");
  }
  if (!(*client)->Wait<protocol::MailboxEnd>(timeout_ms())) {
    return Status::Unavailable("no MAILBOX_END after LOGIN_RESULT{OK}");
  }
  return client;
}

Result<Context::Pair> Context::Contacts() {
  Pair pair;
  Result<Account> a = NewAccount("a");
  if (!a.ok()) return a.status();
  Result<Account> b = NewAccount("b");
  if (!b.ok()) return b.status();
  pair.a = *a;
  pair.b = *b;
  Result<std::unique_ptr<WireClient>> ca = LogIn(pair.a);
  if (!ca.ok()) return ca.status();
  Result<std::unique_ptr<WireClient>> cb = LogIn(pair.b);
  if (!cb.ok()) return cb.status();
  pair.ca = std::move(*ca);
  pair.cb = std::move(*cb);
  const uint32_t ask = NextRequestId();
  pair.ca->Send(protocol::ContactAdd{ask, pair.b.name, ""});
  auto asked = pair.ca->Wait<protocol::RequestResult>(
      timeout_ms(),
      [ask](const protocol::RequestResult& r) { return r.request_id == ask; });
  if (!asked || asked->error != ErrorCode::kOk) {
    return Status::Unavailable("CONTACT_ADD between fresh accounts failed");
  }
  if (!pair.cb->Wait<protocol::ContactRequestNotice>(timeout_ms())) {
    return Status::Unavailable("no CONTACT_REQUEST_NOTICE for the asked");
  }
  const uint32_t answer = NextRequestId();
  pair.cb->Send(protocol::ContactAnswer{answer, pair.a.name, 1});
  auto answered = pair.cb->Wait<protocol::RequestResult>(
      timeout_ms(), [answer](const protocol::RequestResult& r) {
        return r.request_id == answer;
      });
  if (!answered || answered->error != ErrorCode::kOk) {
    return Status::Unavailable("CONTACT_ANSWER{accept} failed");
  }
  if (!pair.ca->Wait<protocol::ContactAnswerNotice>(timeout_ms())) {
    return Status::Unavailable("no CONTACT_ANSWER_NOTICE for the asker");
  }
  pair.ca->Drain(100);
  pair.cb->Drain(100);
  AckAll(*pair.ca);
  AckAll(*pair.cb);
  pair.ca->ClearKept();
  pair.cb->ClearKept();
  return pair;
}

void Context::AckAll(WireClient& client) {
  for (const Received& r : client.kept()) {
    if (auto* m = std::get_if<protocol::MessageDeliver>(&r.message)) {
      client.Send(protocol::ItemAck{m->message_id, m->sender_id});
    } else if (auto* n =
                   std::get_if<protocol::ContactRequestNotice>(&r.message)) {
      client.Send(protocol::ItemAck{n->item_id, 0});
    } else if (auto* n =
                   std::get_if<protocol::ContactAnswerNotice>(&r.message)) {
      client.Send(protocol::ItemAck{n->item_id, 0});
    } else if (auto* n = std::get_if<protocol::DeliveryReceipt>(&r.message)) {
      client.Send(protocol::ItemAck{n->item_id, 0});
    }
  }
}

}  // namespace hail::conform
