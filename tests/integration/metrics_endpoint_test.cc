// Issue 10, "what operators see": haild's Prometheus endpoint, scraped over
// HTTP from a real haild while a real client is connected.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <regex>
#include <string>

#include "tests/integration/haild_process.h"
#include "tests/integration/test_client.h"

namespace hail::testing {
namespace {

// GET `path` from 127.0.0.1:`port`; the whole reply.
std::string HttpGet(uint16_t port, const std::string& path) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(port);
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string reply;
  if (connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to) == 0) {
    std::string request = "GET " + path +
                          " HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: "
                          "test\r\nAccept: */*\r\n\r\n";
    send(fd, request.data(), request.size(), MSG_NOSIGNAL);
    char buf[65536];
    pollfd in{fd, POLLIN, 0};
    while (poll(&in, 1, 3000) > 0) {
      ssize_t n = recv(fd, buf, sizeof buf, 0);
      if (n <= 0) break;
      reply.append(buf, static_cast<size_t>(n));
    }
  }
  close(fd);
  return reply;
}

int64_t Sample(const std::string& text, const std::string& name) {
  std::smatch m;
  if (!std::regex_search(text, m, std::regex("\n" + name + " (-?[0-9]+)\n"))) {
    return -1;
  }
  return std::stoll(m[1]);
}

TEST(MetricsEndpointTest, PrometheusScrapeShowsSessionsAndDrops) {
  TempDir dir;
  HaildProcess haild(dir.path() / "data", FreeUdpPort());
  ASSERT_TRUE(haild.Start({"--metrics-listen=127.0.0.1:0"})) << haild.log();
  std::smatch m;
  std::string log = haild.log();
  ASSERT_TRUE(std::regex_search(
      log, m, std::regex(R"(metrics on http://127\.0\.0\.1:([0-9]+)/metrics)")))
      << log;
  uint16_t port = static_cast<uint16_t>(std::stoi(m[1]));

  TestClient client(dir.path() / "client", haild.port());
  ASSERT_TRUE(client.Connect());
  ASSERT_EQ(haild.WaitForStat("sessions", 1), 1);
  std::string reply = HttpGet(port, "/metrics");
  ASSERT_EQ(reply.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << reply;
  EXPECT_NE(reply.find("Content-Type: text/plain; version=0.0.4"),
            std::string::npos);
  std::string body = reply.substr(reply.find("\r\n\r\n") + 3);
  EXPECT_EQ(Sample(body, "hail_sessions"), 1);
  EXPECT_EQ(Sample(body, "hail_peers_current"), 1);
  EXPECT_EQ(Sample(body, "hail_cookies_sent_total"),
            haild.Stat("cookies_sent"));
  EXPECT_GT(Sample(body, "hail_data_dir_free_bytes"), 0);
  EXPECT_EQ(Sample(body, "hail_mailbox_items"), 0);  // the depth, a gauge
  // Every figure of `haild --stats` is there, under the same value source.
  for (const auto& [name, value] : haild.Stats()) {
    bool found = Sample(body, "hail_" + name) >= 0 ||
                 Sample(body, "hail_" + name + "_total") >= 0;
    EXPECT_TRUE(found) << name << " missing from /metrics";
  }
  EXPECT_EQ(HttpGet(port, "/").rfind("HTTP/1.1 404", 0), 0u);
}

}  // namespace
}  // namespace hail::testing
