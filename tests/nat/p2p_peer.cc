// A line-driven Hail client for the NAT tests: runs one real
// hail::client::Client (in whatever network namespace it was started in),
// prints every event as a JSON line (client/event_json.h) and takes
// commands on stdin, one per line:
//   add NAME | accept NAME | p2p NAME
//   send NAME COUNT PREFIX WINDOW   texts PREFIX-0.., at most WINDOW unanswered
//   path NAME | counters | quit
// Replies to commands are JSON lines too ("event":"path", "counters",
// "sent_all", "error"). With --hook FILE every decrypted message and PROBE
// the client receives is appended to FILE as a hex line.
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <cstdio>
#include <deque>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include "client/client.h"
#include "client/event_json.h"
#include "client/json_line.h"
#include "client/server_address.h"

namespace {

using hail::client::Client;
using hail::client::JsonLine;

void Print(const std::string& line) {
  std::fwrite(line.data(), 1, line.size(), stdout);
  std::fflush(stdout);
}

void PrintError(const std::string& what) {
  JsonLine line;
  line.AddString("event", "error");
  line.AddString("message", what);
  Print(line.str());
}

struct Sending {
  std::string to;
  std::string prefix;
  int total = 0;
  int next = 0;
  int window = 1;
};

int Run(int argc, char** argv) {
  std::string server, home, user, password, hook, p2p = "auto";
  bool do_register = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&]() -> std::string {
      return i + 1 < argc ? argv[++i] : std::string();
    };
    if (arg == "--server")
      server = value();
    else if (arg == "--home")
      home = value();
    else if (arg == "--user")
      user = value();
    else if (arg == "--password")
      password = value();
    else if (arg == "--hook")
      hook = value();
    else if (arg == "--p2p")
      p2p = value();
    else if (arg == "--register")
      do_register = true;
  }
  auto address = hail::client::ParseServerAddress(server);
  if (!address.ok()) {
    PrintError("bad --server");
    return 2;
  }
  hail::client::ClientOptions options;
  options.server_host = address->host;
  options.server_port = address->port;
  options.home = home;
  options.client_version = "hail-p2p-peer/1";
  options.auto_reconnect = true;
  options.p2p = p2p == "relay-only" ? hail::client::P2pPolicy::kRelayOnly
                                    : hail::client::P2pPolicy::kAuto;
  std::ofstream hook_file;
  if (!hook.empty()) {
    hook_file.open(hook, std::ios::app);
    options.received_hook = [&hook_file](hail::protocol::ByteSpan bytes) {
      static const char kDigits[] = "0123456789abcdef";
      std::string hex;
      for (uint8_t b : bytes) {
        hex += kDigits[b >> 4];
        hex += kDigits[b & 15];
      }
      hook_file << hex << '\n';
      hook_file.flush();
    };
  }
  Client client(options);
  if (!client.Connect().ok()) {
    PrintError("connect failed");
    return 1;
  }
  enum class Step { kConnecting, kRegistering, kLoggingIn, kReady };
  Step step = Step::kConnecting;
  std::deque<Sending> sending;
  std::map<std::string, int> unanswered;  // by recipient
  std::string input;
  fcntl(0, F_SETFL, fcntl(0, F_GETFL) | O_NONBLOCK);
  auto handle = [&](const hail::client::Event& ev) -> bool {
    const hail::client::Event* event = &ev;
    Print(hail::client::EventJson(*event));
    if (std::holds_alternative<hail::client::Connected>(*event)) {
      if (do_register) {
        client.Register(user, password);
        step = Step::kRegistering;
      } else {
        client.Login(user, password);
        step = Step::kLoggingIn;
      }
    } else if (std::holds_alternative<hail::client::Registered>(*event) &&
               step == Step::kRegistering) {
      client.Login(user, password);
      step = Step::kLoggingIn;
    } else if (auto* login = std::get_if<hail::client::LoginResult>(&*event)) {
      if (login->error == hail::protocol::ErrorCode::kOk) step = Step::kReady;
    } else if (auto* accepted =
                   std::get_if<hail::client::MessageAccepted>(&*event)) {
      // A refusal for now is not an answer: the client sends it again.
      if (!accepted->kept_for_retry && unanswered[accepted->recipient] > 0) {
        --unanswered[accepted->recipient];
      }
    } else if (std::holds_alternative<hail::client::ConnectFailed>(*event) ||
               std::holds_alternative<hail::client::Disconnected>(*event)) {
      return false;
    }
    return true;
  };
  bool quit = false;
  while (!quit) {
    while (auto event = client.Poll(0)) {
      if (!handle(*event)) return 1;
    }
    // Keep each running send within its window.
    for (Sending& s : sending) {
      while (s.next < s.total && unanswered[s.to] < s.window) {
        std::string text = s.prefix + "-" + std::to_string(s.next);
        if (!client.SendMessage(s.to, text).ok()) break;
        ++unanswered[s.to];
        ++s.next;
      }
    }
    while (!sending.empty() && sending.front().next == sending.front().total) {
      JsonLine line;
      line.AddString("event", "sent_all");
      line.AddString("to", sending.front().to);
      line.AddUnsigned("count", static_cast<uint64_t>(sending.front().total));
      Print(line.str());
      sending.pop_front();
    }
    pollfd fd{0, POLLIN, 0};
    if (poll(&fd, 1, 0) > 0) {
      char buffer[4096];
      ssize_t n = read(0, buffer, sizeof buffer);
      if (n == 0) quit = true;
      if (n > 0) input.append(buffer, static_cast<size_t>(n));
    }
    for (size_t end; (end = input.find('\n')) != std::string::npos;) {
      std::istringstream words(input.substr(0, end));
      input.erase(0, end + 1);
      std::string command, name;
      words >> command >> name;
      if (command == "quit") {
        quit = true;
      } else if (step != Step::kReady) {
        PrintError("not logged in yet: " + command);
      } else if (command == "add") {
        client.AddContact(name, "");
      } else if (command == "accept") {
        client.AnswerContact(name, true);
      } else if (command == "p2p") {
        if (auto status = client.RequestDirectLink(name); !status.ok()) {
          PrintError(status.message());
        }
      } else if (command == "send") {
        Sending s;
        s.to = name;
        words >> s.total >> s.prefix >> s.window;
        if (s.window < 1) s.window = 1;
        sending.push_back(s);
      } else if (command == "path") {
        JsonLine line;
        line.AddString("event", "path");
        line.AddString("username", name);
        line.AddString("path", PathName(client.PathTo(name)));
        Print(line.str());
      } else if (command == "counters") {
        const Client::Counters& c = client.counters();
        JsonLine line;
        line.AddString("event", "counters");
        line.AddUnsigned("direct_links_up", c.direct_links_up);
        line.AddUnsigned("direct_links_failed", c.direct_links_failed);
        line.AddUnsigned("direct_messages_sent", c.direct_messages_sent);
        line.AddUnsigned("direct_messages_received",
                         c.direct_messages_received);
        line.AddUnsigned("direct_fallbacks", c.direct_fallbacks);
        line.AddUnsigned("duplicate_deliveries", c.duplicate_deliveries);
        line.AddUnsigned("probes_invalid", c.probes_invalid);
        Print(line.str());
      } else {
        PrintError("unknown command: " + command);
      }
    }
    // Waits for the network a little.
    if (auto event = client.Poll(2); event && !handle(*event)) return 1;
  }
  client.Close();
  for (int i = 0; i < 100 && client.state() != Client::State::kClosed; ++i) {
    if (auto event = client.Poll(10)) Print(hail::client::EventJson(*event));
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return Run(argc, argv); }
