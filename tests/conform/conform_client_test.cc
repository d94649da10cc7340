// hail-conform --client: the reference `hail` CLI connects to the scripted
// server three times and passes every client rule. (The third and second
// connections are meant to fail: a bad signature, a changed identity.)
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "tests/conform/count.h"
#include "tests/integration/haild_process.h"
#include "tests/support/temp_dir.h"

namespace hail::testing {
namespace {

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// hail-conform --client in the background, its output in files.
class ScriptedServer {
 public:
  ScriptedServer(const std::filesystem::path& dir, uint16_t port)
      : out_(dir / "conform.out"), err_(dir / "conform.err") {
    pid_ = fork();
    if (pid_ == 0) {
      int out = open(out_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      int err = open(err_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      dup2(out, 1);
      dup2(err, 2);
      std::string listen = "127.0.0.1:" + std::to_string(port);
      execl(HAIL_CONFORM_PATH, HAIL_CONFORM_PATH, "--client", listen.c_str(),
            "--json", "--client-time-ms", "60000", static_cast<char*>(nullptr));
      _exit(127);
    }
  }
  ~ScriptedServer() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  bool WaitListening() {
    for (int i = 0; i < 500; ++i) {
      if (ReadFile(err_).find("listens on") != std::string::npos) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }
  // Waits for the exit; its code, or -1 after `timeout_ms`.
  int Wait(int timeout_ms) {
    for (int waited = 0; waited < timeout_ms; waited += 20) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return -1;
  }
  std::string out() const { return ReadFile(out_); }

 private:
  std::filesystem::path out_, err_;
  pid_t pid_ = -1;
};

TEST(ConformClientTest, ReferenceClientPassesEveryClientRule) {
  TempDir dir;
  const uint16_t port = FreeUdpPort();
  ScriptedServer server(dir.path(), port);
  ASSERT_TRUE(server.WaitListening());
  auto hail = [&] {
    return RunCommand(
        {HAIL_PATH, "--server", "127.0.0.1:" + std::to_string(port),
         "--timeout", "5", "--transport", "udp", "--user", "alice", "--json",
         "inbox"},
        {{"HAIL_HOME", (dir.path() / "home").string()},
         {"HAIL_PASSWORD", "alice-password"},
         {"HAIL_KEYLOGFILE", ""}});
  };
  CommandResult first = hail();
  EXPECT_EQ(first.exit_code, 0) << first.err;
  EXPECT_NE(first.out.find("hello from hail-conform"), std::string::npos)
      << first.out;
  CommandResult bad_signature = hail();
  EXPECT_NE(bad_signature.exit_code, 0) << bad_signature.out;
  CommandResult other_identity = hail();
  EXPECT_NE(other_identity.exit_code, 0) << other_identity.out;
  EXPECT_EQ(server.Wait(20000), 0) << server.out();
  const std::string report = server.out();
  EXPECT_EQ(Count(report, "\"verdict\":\"pass\""), 10) << report;
}

}  // namespace
}  // namespace hail::testing
