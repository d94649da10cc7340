#include "tools/chat_load.h"

#include <sodium.h>

#include <chrono>
#include <map>
#include <memory>
#include <thread>
#include <vector>

#include "client/client.h"
#include "protocol/byte_io.h"

namespace hail::tools {
namespace {

using Clock = std::chrono::steady_clock;

double MsSince(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start)
      .count();
}

struct User {
  std::string name;
  std::unique_ptr<client::Client> client;
  std::vector<client::Event> events;
  int sent = 0;
  int accepted = 0;
  int received = 0;
};

// Polls every user once; collects events.
void PollAll(std::vector<User>& users) {
  for (User& u : users) {
    while (std::optional<client::Event> e = u.client->Poll(0)) {
      u.events.push_back(std::move(*e));
    }
  }
}

// Waits until `done` holds for the events of `u`, polling everyone.
template <typename Done>
bool WaitFor(std::vector<User>& users, User& u, Done done, int timeout_ms) {
  auto start = Clock::now();
  while (MsSince(start) < timeout_ms) {
    PollAll(users);
    for (auto it = u.events.begin(); it != u.events.end(); ++it) {
      if (done(*it)) {
        u.events.erase(it);
        return true;
      }
    }
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  return false;
}

template <typename E>
auto Is() {
  return [](const client::Event& e) { return std::holds_alternative<E>(e); };
}

}  // namespace

Result<ChatLoadResult> RunChatLoad(const ChatLoadOptions& options) {
  std::array<uint8_t, 4> tag;
  randombytes_buf(tag.data(), tag.size());
  std::string prefix = "bench" + protocol::ToHex(tag);
  std::vector<User> users(static_cast<size_t>(options.pairs * 2));
  for (size_t i = 0; i < users.size(); ++i) {
    User& u = users[i];
    u.name = prefix + "u" + std::to_string(i);
    client::ClientOptions c;
    c.server_host = options.host;
    c.server_port = options.port;
    c.home = options.home / u.name;
    c.client_version = "hail-bench/0.1";
    u.client = std::make_unique<client::Client>(c);
    if (Status st = u.client->Connect(); !st.ok()) return st;
  }
  const std::string password = "bench-password-1";
  for (User& u : users) {
    if (!WaitFor(users, u, Is<client::Connected>(), 10000)) {
      return Status::IoError("cannot connect " + u.name);
    }
    if (!u.client->Register(u.name, password).ok() ||
        !WaitFor(users, u, Is<client::Registered>(), 10000) ||
        !u.client->Login(u.name, password).ok() ||
        !WaitFor(
            users, u,
            [](const client::Event& e) {
              auto* r = std::get_if<client::LoginResult>(&e);
              return r && r->error == protocol::ErrorCode::kOk;
            },
            10000) ||
        !WaitFor(users, u, Is<client::MailboxEnd>(), 10000)) {
      return Status::IoError("cannot register and log in " + u.name +
                             " (is the server throttling this IP?)");
    }
  }
  for (size_t i = 0; i < users.size(); i += 2) {
    User& a = users[i];
    User& b = users[i + 1];
    if (!a.client->AddContact(b.name, "bench").ok() ||
        !WaitFor(users, b, Is<client::ContactRequest>(), 10000) ||
        !b.client->AnswerContact(a.name, true).ok() ||
        !WaitFor(users, a, Is<client::ContactAnswered>(), 10000)) {
      return Status::IoError("cannot make contacts of " + a.name);
    }
  }
  for (User& u : users) u.events.clear();

  // Send: each user keeps `window` messages in flight to its partner.
  std::map<protocol::ItemId, Clock::time_point> sent_at;
  std::vector<double> accept_ms, delivery_ms;
  ChatLoadResult result;
  int total = options.messages_per_user * static_cast<int>(users.size());
  int delivered = 0, accepted = 0;
  auto start = Clock::now();
  while ((delivered < total || accepted < total) && MsSince(start) < 120000) {
    for (size_t i = 0; i < users.size(); ++i) {
      User& u = users[i];
      const User& partner = users[i ^ 1];
      while (u.sent < options.messages_per_user &&
             u.sent - u.accepted < options.window) {
        Result<protocol::ItemId> id = u.client->SendMessage(
            partner.name, "bench message " + std::to_string(u.sent));
        if (!id.ok()) return id.status();
        sent_at[*id] = Clock::now();
        ++u.sent;
      }
    }
    PollAll(users);
    for (User& u : users) {
      for (client::Event& e : u.events) {
        if (auto* a = std::get_if<client::MessageAccepted>(&e)) {
          ++u.accepted;
          ++accepted;
          if (a->error != protocol::ErrorCode::kOk) {
            return Status::IoError(
                std::string("server refused a message: ") +
                std::string(protocol::ErrorCodeName(a->error)));
          }
          (a->route == protocol::Route::kLive ? result.live : result.stored)++;
          auto it = sent_at.find(a->message_id);
          if (it != sent_at.end()) {
            accept_ms.push_back(std::chrono::duration<double, std::milli>(
                                    Clock::now() - it->second)
                                    .count());
          }
        } else if (auto* m = std::get_if<client::MessageReceived>(&e)) {
          ++delivered;
          auto it = sent_at.find(m->message_id);
          if (it != sent_at.end()) {
            delivery_ms.push_back(std::chrono::duration<double, std::milli>(
                                      Clock::now() - it->second)
                                      .count());
          }
        }
      }
      u.events.clear();
    }
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  result.seconds = MsSince(start) / 1000.0;
  result.messages = delivered;
  result.accept_ms = Summarize(accept_ms);
  result.delivery_ms = Summarize(delivery_ms);
  for (User& u : users) u.client->Close();
  for (int i = 0; i < 50; ++i) PollAll(users);
  if (delivered < total || accepted < total) {
    return Status::IoError("timed out: " + std::to_string(delivered) + " of " +
                           std::to_string(total) + " delivered");
  }
  return result;
}

}  // namespace hail::tools
