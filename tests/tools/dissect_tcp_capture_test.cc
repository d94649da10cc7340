// Issue #5: hail-dissect on a real capture of the TCP fallback (SPEC.md
// 3.8). haild runs with a key log; alice is forced onto TCP, bob stays on
// UDP; they register, log in, become contacts and alice sends bob a
// message, which crosses the TCP stream (SEND_MESSAGE) and bob's ENet
// connection (MESSAGE_DELIVER). tcpdump records both on lo; hail-dissect
// must decode every record and datagram without an error and decrypt the
// text. The capture stays in <build>/captures/ for inspection.
//
// Needs root (tcpdump on lo); CI runs as root.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <set>
#include <sstream>
#include <thread>

#include "protocol/error_code.h"
#include "tests/integration/haild_process.h"
#include "tests/integration/test_client.h"
#include "tests/tools/dissect_json.h"
#include "tests/tools/tcpdump.h"

namespace hail::testing {
namespace {

namespace fs = std::filesystem;
using protocol::ErrorCode;

constexpr char kText[] = "a message that took the TCP fallback";

#define SCENARIO_CHECK(condition)                           \
  do {                                                      \
    if (!(condition)) {                                     \
      return std::string("scenario step failed at line ") + \
             std::to_string(__LINE__) + ": " #condition;    \
    }                                                       \
  } while (false)

std::string RunScenario(uint16_t port, const fs::path& home) {
  auto log_in =
      [&](const std::string& name,
          client::TransportChoice transport) -> std::unique_ptr<TestClient> {
    client::ClientOptions options;
    options.server_host = "127.0.0.1";
    options.server_port = port;
    options.home = home / name;
    options.transport = transport;
    auto c = std::make_unique<TestClient>(options);
    if (!c->Connect(8000)) return nullptr;
    auto registered = c->Register(name, name + "-password-1");
    if (!registered || registered->error != ErrorCode::kOk) return nullptr;
    auto result = c->Login(name, name + "-password-1");
    if (!result || result->error != ErrorCode::kOk) return nullptr;
    if (!c->WaitFor<client::MailboxEnd>()) return nullptr;
    return c;
  };
  auto alice = log_in("alice", client::TransportChoice::kTcp);
  SCENARIO_CHECK(alice);
  SCENARIO_CHECK((*alice)->transport_kind() == client::TransportKind::kTcp);
  auto bob = log_in("bob", client::TransportChoice::kUdp);
  SCENARIO_CHECK(bob);

  SCENARIO_CHECK((*alice)->AddContact("bob", "").ok());
  SCENARIO_CHECK(alice->WaitFor<client::RequestDone>());
  SCENARIO_CHECK(bob->WaitUntil<client::ContactRequest>(
      [](const client::ContactRequest& r) { return r.from == "alice"; }));
  SCENARIO_CHECK((*bob)->AnswerContact("alice", true).ok());
  SCENARIO_CHECK(bob->WaitFor<client::RequestDone>());
  SCENARIO_CHECK(alice->WaitUntil<client::ContactAnswered>(
      [](const client::ContactAnswered& a) { return a.user == "bob"; }));

  SCENARIO_CHECK((*alice)->SendMessage("bob", kText).ok());
  SCENARIO_CHECK(bob->WaitUntil<client::MessageReceived>(
      [](const client::MessageReceived& m) { return m.text == kText; }));
  SCENARIO_CHECK(alice->WaitFor<client::MessageAccepted>());
  SCENARIO_CHECK((*alice)->Logout().ok());
  SCENARIO_CHECK(alice->WaitFor<client::LoggedOut>());
  alice->Drain(300);
  bob->Drain(300);
  return "";
}

class DissectTcpCaptureTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (geteuid() != 0) {
      setup_error_ =
          "this test needs root to run tcpdump on lo (CI runs as root); run "
          "it as root";
      return;
    }
    fs::create_directories(CaptureDir());
    fs::remove(Pcap());
    fs::remove(KeyLog());
    TempDir dir;
    uint16_t port = FreeUdpPort();
    HaildProcess haild(dir.path() / "data", port);
    // UDP and TCP share the port number.
    Tcpdump tcpdump(Pcap(), "port " + std::to_string(port));
    if (!tcpdump.Start()) {
      setup_error_ = "tcpdump did not start: " + tcpdump.output();
      return;
    }
    if (!haild.Start({"--auth-burst-per-ip", "200", "--auth-rate-per-ip", "50"},
                     {{"HAIL_KEYLOGFILE", KeyLog().string()}})) {
      setup_error_ = "haild did not start: " + haild.log();
      return;
    }
    setup_error_ = RunScenario(port, dir.path() / "homes");
    if (!setup_error_.empty()) {
      setup_error_ += "\nhaild log:\n" + haild.log();
      return;
    }
    haild.Stop();
    tcpdump.FlushAndStop();
    port_ = port;
  }

  void SetUp() override { ASSERT_TRUE(setup_error_.empty()) << setup_error_; }

  static fs::path CaptureDir() { return HAIL_CAPTURE_DIR; }
  static fs::path Pcap() { return CaptureDir() / "tcp-fallback.pcap"; }
  static fs::path KeyLog() { return CaptureDir() / "tcp-fallback.keys"; }

  static CommandResult Dissect(std::vector<std::string> extra) {
    return DissectCapture(Pcap(), port_, extra);
  }

  static std::vector<Json> ParseLines(const std::string& out) {
    std::vector<Json> lines;
    std::istringstream in(out);
    std::string line;
    while (std::getline(in, line)) lines.push_back(Json::Parse(line));
    return lines;
  }

  static inline std::string setup_error_;
  static inline uint16_t port_ = 0;
};

TEST_F(DissectTcpCaptureTest, EveryRecordDecodesAndTheMessageDecrypts) {
  CommandResult r = Dissect({"--json", "--keylog", KeyLog().string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<Json> lines = ParseLines(r.out);
  int segments = 0, syns = 0, records = 0, sealed_tcp = 0;
  std::set<std::string> tcp_kinds;
  int text_over_tcp = 0, text_over_enet = 0;
  for (const Json& line : lines) {
    std::string cls = line["class"].text;
    ASSERT_TRUE(cls == "presession" || cls == "enet" || cls == "tcp") << cls;
    EXPECT_TRUE(line["errors"].array.empty()) << line["errors"].array[0].text;
    if (cls == "tcp") {
      ++segments;
      if (line["tcp"]["flags"].text.starts_with("SYN")) ++syns;
      records += static_cast<int>(line["tcp"]["records"].array.size());
    }
    for (const Json& hail : line["hail"].array) {
      ASSERT_FALSE(hail["kind"].is_null());
      if (cls == "tcp") tcp_kinds.insert(hail["kind"].text);
      if (hail["frame"].text == "SEALED") {
        EXPECT_TRUE(hail["decrypted"].boolean);
        if (cls == "tcp") ++sealed_tcp;
      }
      const Json& fields = hail["fields"];
      if (fields.has("text") && fields["text"].text == kText) {
        ++(cls == "tcp" ? text_over_tcp : text_over_enet);
      }
    }
  }
  EXPECT_EQ(syns, 2);  // SYN and SYN,ACK of alice's one connection
  EXPECT_GT(segments, 10);
  EXPECT_GT(records, 8);
  EXPECT_GT(sealed_tcp, 5);
  for (const char* kind :
       {"CLIENT_HELLO", "SERVER_HELLO", "REGISTER_REQUEST", "LOGIN_REQUEST",
        "SEND_MESSAGE", "LOGOUT_REQUEST", "LOGOUT_RESULT"}) {
    EXPECT_TRUE(tcp_kinds.count(kind)) << "never seen over TCP: " << kind;
  }
  EXPECT_GE(text_over_tcp, 1);   // SEND_MESSAGE from alice
  EXPECT_GE(text_over_enet, 1);  // MESSAGE_DELIVER to bob
}

TEST_F(DissectTcpCaptureTest, WithoutKeyLogTheTextStaysHidden) {
  CommandResult r = Dissect({});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find(" TCP [SYN] seq=0"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("> ch0 CLIENT_HELLO"), std::string::npos);
  EXPECT_EQ(r.out.find(kText), std::string::npos);
}

}  // namespace
}  // namespace hail::testing
