#include "server/config.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace hail::server {
namespace {

ParsedCommandLine Parse(std::vector<std::string> args) {
  args.insert(args.begin(), "haild");
  std::vector<const char*> argv;
  for (const std::string& a : args) argv.push_back(a.c_str());
  return ParseCommandLine(static_cast<int>(argv.size()), argv.data());
}

class ConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = std::filesystem::temp_directory_path() /
            ("hail-config-" + std::to_string(::getpid()) + ".ini");
  }
  void TearDown() override { std::filesystem::remove(path_); }
  std::filesystem::path path_;
};

TEST_F(ConfigTest, DefaultsServePort4000OnHailData) {
  ParsedCommandLine parsed = Parse({});
  ASSERT_EQ(parsed.action, ParsedCommandLine::Action::kRun);
  EXPECT_EQ(parsed.config.listen.ToString(), "0.0.0.0:4000");
  EXPECT_EQ(parsed.config.data_dir, "hail-data");
  EXPECT_EQ(parsed.config.loop_threads, 1u);
  EXPECT_EQ(parsed.config.log_format, Logger::Format::kText);
}

TEST_F(ConfigTest, ConfigFileSetsValuesAndFlagsWin) {
  std::ofstream(path_) << "listen = 127.0.0.1:5000\n"
                       << "data-dir = /tmp/from-file\n"
                       << "log-format = json\n"
                       << "max-peers-per-ip = 8\n";
  ParsedCommandLine parsed =
      Parse({"--config", path_.string(), "--listen", "127.0.0.1:6000"});
  ASSERT_EQ(parsed.action, ParsedCommandLine::Action::kRun) << parsed.output;
  EXPECT_EQ(parsed.config.listen.ToString(), "127.0.0.1:6000");  // flag wins
  EXPECT_EQ(parsed.config.data_dir, "/tmp/from-file");
  EXPECT_EQ(parsed.config.log_format, Logger::Format::kJson);
  EXPECT_EQ(parsed.config.max_peers_per_ip, 8u);
}

TEST_F(ConfigTest, TcpPortDefaultsToTheUdpPortAndZeroDisablesIt) {
  EXPECT_FALSE(Parse({}).config.tcp_port.has_value());
  ParsedCommandLine tls_port = Parse({"--tcp-port", "443"});
  ASSERT_EQ(tls_port.action, ParsedCommandLine::Action::kRun);
  EXPECT_EQ(tls_port.config.tcp_port, 443);
  EXPECT_EQ(Parse({"--tcp-port", "0"}).config.tcp_port, 0);
  EXPECT_EQ(Parse({"--tcp-port", "70000"}).action,
            ParsedCommandLine::Action::kExitUsage);
  std::ofstream(path_) << "tcp-port = 8443\n";
  EXPECT_EQ(Parse({"--config", path_.string()}).config.tcp_port, 8443);
}

TEST_F(ConfigTest, StunAltPortDefaultsToListenPortPlusOneAndZeroDisables) {
  EXPECT_EQ(Parse({}).config.stun_alt_port, Config::kStunAltPortDefault);
  ParsedCommandLine off = Parse({"--stun-alt-port", "0"});
  ASSERT_EQ(off.action, ParsedCommandLine::Action::kRun) << off.output;
  EXPECT_EQ(off.config.stun_alt_port, 0);
  ParsedCommandLine set = Parse({"--stun-alt-port", "4100"});
  ASSERT_EQ(set.action, ParsedCommandLine::Action::kRun) << set.output;
  EXPECT_EQ(set.config.stun_alt_port, 4100);
  std::ofstream(path_) << "stun-alt-port = 4200\n";
  EXPECT_EQ(Parse({"--config", path_.string()}).config.stun_alt_port, 4200);
  EXPECT_EQ(Parse({"--stun-alt-port", "70000"}).action,
            ParsedCommandLine::Action::kExitUsage);
  EXPECT_EQ(Parse({"--stun-alt-port", "4000"}).action,
            ParsedCommandLine::Action::kExitUsage);
  EXPECT_NE(Parse({"--help"}).output.find("--stun-alt-port"),
            std::string::npos);
}

TEST_F(ConfigTest, HelpAndVersionExitZeroWithText) {
  ParsedCommandLine help = Parse({"--help"});
  EXPECT_EQ(help.action, ParsedCommandLine::Action::kExitOk);
  EXPECT_NE(help.output.find("--data-dir"), std::string::npos);
  ParsedCommandLine version = Parse({"--version"});
  EXPECT_EQ(version.action, ParsedCommandLine::Action::kExitOk);
  EXPECT_EQ(version.output.rfind("haild ", 0), 0u);
}

TEST_F(ConfigTest, ForwardingGatewaysComeFromTheConfigFileToo) {
  std::ofstream(path_) << "forward-smtp-url = smtp://127.0.0.1:2525\n"
                       << "forward-smtp-from = hail@example.org\n"
                       << "forward-kannel-url = "
                          "http://127.0.0.1:13013/cgi-bin/sendsms\n"
                       << "forward-kannel-max-messages = 4\n"
                       << "forward-hylafax-port = 4559\n"
                       << "forward-retry-seconds = 5\n";
  ParsedCommandLine parsed = Parse(
      {"--config", path_.string(), "--forward-server-name", "hail.example"});
  ASSERT_EQ(parsed.action, ParsedCommandLine::Action::kRun) << parsed.output;
  const ForwardConfig& f = parsed.config.forward;
  EXPECT_EQ(f.smtp_url, "smtp://127.0.0.1:2525");
  EXPECT_EQ(f.smtp_from, "hail@example.org");
  EXPECT_EQ(f.kannel_url, "http://127.0.0.1:13013/cgi-bin/sendsms");
  EXPECT_EQ(f.kannel_max_messages, 4);
  EXPECT_EQ(f.hylafax_port, 4559);
  EXPECT_EQ(f.retry_seconds, 5u);
  EXPECT_EQ(f.server_name, "hail.example");
  EXPECT_EQ(f.clock_skew_seconds, 0u);
}

TEST_F(ConfigTest, NoGatewayIsConfiguredByDefault) {
  const ForwardConfig& f = Parse({}).config.forward;
  EXPECT_TRUE(f.smtp_url.empty());
  EXPECT_TRUE(f.kannel_url.empty());
  EXPECT_EQ(f.hylafax_port, 0);
}

TEST_F(ConfigTest, BadValuesAreUsageErrors) {
  EXPECT_EQ(Parse({"--listen", "nowhere"}).action,
            ParsedCommandLine::Action::kExitUsage);
  EXPECT_EQ(Parse({"--log-format", "xml"}).action,
            ParsedCommandLine::Action::kExitUsage);
  EXPECT_EQ(Parse({"--loop-threads", "0"}).action,
            ParsedCommandLine::Action::kExitUsage);
  EXPECT_EQ(Parse({"--no-such-flag"}).action,
            ParsedCommandLine::Action::kExitUsage);
  EXPECT_EQ(Parse({"--config", "/nonexistent/haild.ini"}).action,
            ParsedCommandLine::Action::kExitUsage);
  EXPECT_EQ(Parse({"--forward-retry-seconds", "0"}).action,
            ParsedCommandLine::Action::kExitUsage);
  EXPECT_EQ(Parse({"--forward-hylafax-port", "70000"}).action,
            ParsedCommandLine::Action::kExitUsage);
}

// Issue 9: past ENet's 4,095 peers per host.
TEST(HostPlanTest, FiftyThousandClientsOnTwoLoopsGetSevenHostsEach) {
  HostPlan plan = PlanHosts(50000, 2);
  EXPECT_EQ(plan.hosts_per_loop, 7u);
  EXPECT_LE(plan.peers_per_host, 4095u);
  EXPECT_GE(plan.peers_per_host * plan.hosts_per_loop * 2, 50000u);
}

TEST(HostPlanTest, EveryLoopHasAHostEvenForFewClients) {
  HostPlan plan = PlanHosts(100, 4);
  EXPECT_EQ(plan.hosts_per_loop, 1u);
  EXPECT_EQ(plan.peers_per_host, 25u + 6u + 64u);
}

TEST(HostPlanTest, DefaultFillsFourFullHostsOnOneLoop) {
  HostPlan plan = PlanHosts(Parse({}).config.max_clients, 1);
  EXPECT_EQ(plan.hosts_per_loop, 4u);
  EXPECT_EQ(plan.peers_per_host, 4095u);
}

}  // namespace
}  // namespace hail::server
