// Issue #3: the `hail` contact, presence and message commands against the
// real haild over loopback, as people and scripts use them: one-shot
// commands with their exit codes and --json, `hail listen` as a background
// process (also across a haild restart), and `hail chat` typed into through
// tmux.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <sstream>
#include <thread>

#include "protocol/enet_wire.h"
#include "tests/integration/haild_process.h"
#include "tests/integration/udp_relay.h"

namespace hail::testing {
namespace {

using Clock = std::chrono::steady_clock;

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

size_t CountOf(const std::string& text, const std::string& part) {
  size_t count = 0;
  for (size_t at = text.find(part); at != std::string::npos;
       at = text.find(part, at + part.size())) {
    ++count;
  }
  return count;
}

// A `hail` process running in the background with a pipe on its stdin and
// its stdout read line by line; killed on destruction if still running.
class BackgroundHail {
 public:
  BackgroundHail(const std::vector<std::string>& argv,
                 const std::map<std::string, std::string>& env) {
    int in_pipe[2];
    int out_pipe[2];
    if (pipe(in_pipe) != 0 || pipe(out_pipe) != 0) return;
    pid_ = fork();
    if (pid_ == 0) {
      dup2(in_pipe[0], 0);
      dup2(out_pipe[1], 1);
      int null_fd = open("/dev/null", O_WRONLY);
      dup2(null_fd, 2);
      close(in_pipe[1]);
      close(out_pipe[0]);
      setsid();
      for (const auto& [key, value] : env) {
        if (value.empty()) {
          unsetenv(key.c_str());
        } else {
          setenv(key.c_str(), value.c_str(), 1);
        }
      }
      std::vector<std::string> args = argv;
      std::vector<char*> cargs;
      for (std::string& a : args) cargs.push_back(a.data());
      cargs.push_back(nullptr);
      execv(cargs[0], cargs.data());
      _exit(127);
    }
    close(in_pipe[0]);
    close(out_pipe[1]);
    stdin_fd_ = in_pipe[1];
    stdout_fd_ = out_pipe[0];
  }

  ~BackgroundHail() {
    CloseStdin();
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    if (stdout_fd_ >= 0) close(stdout_fd_);
  }

  // Reads output until a line containing `part` appears after the lines
  // already consumed; returns that line, or "" on timeout.
  std::string WaitForLine(const std::string& part, int timeout_ms = 10000) {
    auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
    while (true) {
      size_t end;
      while ((end = output_.find('\n', consumed_)) != std::string::npos) {
        std::string line = output_.substr(consumed_, end - consumed_);
        consumed_ = end + 1;
        if (Contains(line, part)) return line;
      }
      if (Clock::now() >= deadline || !ReadSome(deadline)) return "";
    }
  }

  void CloseStdin() {
    if (stdin_fd_ >= 0) close(stdin_fd_);
    stdin_fd_ = -1;
  }
  void Signal(int signal_number) {
    if (pid_ > 0) kill(pid_, signal_number);
  }

  // Waits for the exit; returns the exit code, or -1 (killed) on timeout.
  int Wait(int timeout_ms = 10000) {
    auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
    int status = 0;
    while (pid_ > 0) {
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        while (ReadSome(Clock::now() + std::chrono::milliseconds(100))) {
        }
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      }
      if (Clock::now() >= deadline) return -1;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return -1;
  }

  const std::string& output() const { return output_; }

 private:
  // Appends what arrives before `deadline`; false at EOF or timeout.
  bool ReadSome(Clock::time_point deadline) {
    if (stdout_fd_ < 0) return false;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - Clock::now());
    pollfd fd{stdout_fd_, POLLIN, 0};
    if (poll(&fd, 1, static_cast<int>(std::max<int64_t>(left.count(), 0))) <=
        0) {
      return false;
    }
    char buffer[4096];
    ssize_t n = read(stdout_fd_, buffer, sizeof buffer);
    if (n <= 0) return false;
    output_.append(buffer, static_cast<size_t>(n));
    return true;
  }

  pid_t pid_ = -1;
  int stdin_fd_ = -1;
  int stdout_fd_ = -1;
  std::string output_;
  size_t consumed_ = 0;
};

class CliChatTest : public ::testing::Test {
 protected:
  void SetUp() override {
    haild_ =
        std::make_unique<HaildProcess>(dir_.path() / "data", FreeUdpPort());
    ASSERT_TRUE(haild_->Start(kHaildArgs)) << haild_->log();
  }

  std::map<std::string, std::string> Env(const std::string& home,
                                         const std::string& password = "") {
    return {{"HAIL_HOME", (dir_.path() / home).string()},
            {"HAIL_PASSWORD", password},
            {"HAIL_USER", ""},
            {"HAIL_KEYLOGFILE", ""}};
  }

  std::vector<std::string> Argv(std::vector<std::string> args) {
    std::vector<std::string> argv = {HAIL_PATH, "--server", haild_->address(),
                                     "--timeout", "10"};
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
  }

  // `hail ARGS` with $HAIL_HOME = dir/home: logs in as the only user with
  // a token there.
  CommandResult Hail(const std::string& home, std::vector<std::string> args,
                     const std::string& password = "") {
    return RunCommand(Argv(std::move(args)), Env(home, password));
  }

  // Registers `name` and logs in once, so that a token is stored in the
  // home directory of the same name.
  void CreateUser(const std::string& name) {
    CommandResult reg = Hail(name, {"register", name}, name + "-password");
    ASSERT_EQ(reg.exit_code, 0) << reg.err;
    CommandResult login = Hail(name, {"login", name}, name + "-password");
    ASSERT_EQ(login.exit_code, 0) << login.err;
  }

  // `a` asks, `b` accepts: both are contacts.
  void Befriend(const std::string& a, const std::string& b) {
    CommandResult add = Hail(a, {"add", b});
    ASSERT_EQ(add.exit_code, 0) << add.err;
    CommandResult accept = Hail(b, {"accept", a});
    ASSERT_EQ(accept.exit_code, 0) << accept.err;
  }

  static inline const std::vector<std::string> kHaildArgs = {
      "--auth-burst-per-ip", "200", "--auth-rate-per-ip", "50"};

  TempDir dir_;
  std::unique_ptr<HaildProcess> haild_;
};

TEST_F(CliChatTest, ContactRequestMessagesAndReceiptsThroughOneShotCommands) {
  CreateUser("alice");
  CreateUser("bob");

  CommandResult add =
      Hail("alice", {"--json", "add", "Bob", "hi", "bob,", "it's", "alice"});
  ASSERT_EQ(add.exit_code, 0) << add.err;
  EXPECT_EQ(add.out,
            "{\"command\":\"add\",\"ok\":true,\"username\":\"bob\"}\n");
  CommandResult unknown = Hail("alice", {"--json", "add", "nobody"});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_TRUE(Contains(unknown.out, "\"error\":\"USER_NOT_FOUND\""))
      << unknown.out;

  CommandResult asked = Hail("alice", {"--json", "who"});
  ASSERT_EQ(asked.exit_code, 0) << asked.err;
  EXPECT_TRUE(
      Contains(asked.out, "\"username\":\"bob\",\"relation\":\"requested\""))
      << asked.out;

  // Bob was offline: the request waited in his mailbox.
  CommandResult request = Hail("bob", {"--json", "inbox"});
  ASSERT_EQ(request.exit_code, 0) << request.err;
  EXPECT_TRUE(Contains(request.out, "\"event\":\"contact_request\""))
      << request.out;
  EXPECT_TRUE(Contains(request.out, "\"from\":\"alice\""));
  EXPECT_TRUE(Contains(request.out, "\"text\":\"hi bob, it's alice\""));
  EXPECT_TRUE(
      Contains(request.out, "{\"command\":\"inbox\",\"ok\":true,\"count\":1}"));
  CommandResult empty = Hail("bob", {"--json", "inbox"});
  EXPECT_EQ(empty.out, "{\"command\":\"inbox\",\"ok\":true,\"count\":0}\n")
      << "acknowledged items are gone";

  CommandResult accept = Hail("bob", {"accept", "alice"});
  ASSERT_EQ(accept.exit_code, 0) << accept.err;
  CommandResult again = Hail("bob", {"--json", "deny", "alice"});
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_TRUE(Contains(again.out, "NO_SUCH_REQUEST")) << again.out;

  CommandResult first = Hail("alice", {"--json", "send", "bob", "hello bob"});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_TRUE(Contains(first.out, "\"route\":\"stored\",\"seq\":1"))
      << first.out;
  CommandResult second = Hail("alice", {"send", "bob", "second", "one"});
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_TRUE(Contains(second.out, "stored offline")) << second.out;
  EXPECT_TRUE(Contains(second.out, "seq:")) << second.out;

  CommandResult messages = Hail("bob", {"--json", "inbox"});
  ASSERT_EQ(messages.exit_code, 0) << messages.err;
  size_t hello = messages.out.find("\"text\":\"hello bob\"");
  size_t later = messages.out.find("\"text\":\"second one\"");
  ASSERT_NE(hello, std::string::npos) << messages.out;
  ASSERT_NE(later, std::string::npos) << messages.out;
  EXPECT_LT(hello, later) << "delivered in seq order";
  EXPECT_EQ(CountOf(messages.out, "\"from_mailbox\":true"), 2u);
  EXPECT_TRUE(Contains(messages.out, "\"count\":2}"));

  CommandResult answers = Hail("alice", {"--json", "inbox"});
  ASSERT_EQ(answers.exit_code, 0) << answers.err;
  EXPECT_TRUE(
      Contains(answers.out, "\"event\":\"contact_answered\",\"item_id\""))
      << answers.out;
  EXPECT_TRUE(Contains(answers.out, "\"accepted\":true"));
  EXPECT_EQ(CountOf(answers.out, "\"event\":\"delivery_receipt\""), 2u)
      << answers.out;

  CommandResult who = Hail("alice", {"who"});
  ASSERT_EQ(who.exit_code, 0) << who.err;
  EXPECT_TRUE(Contains(who.out, "bob  offline")) << who.out;
  CommandResult human = Hail("bob", {"inbox"});
  EXPECT_EQ(human.out, "nothing waited for you\n");
}

// Issue 12: a line break in a message must not let the sender forge a
// line that looks like another message in `hail inbox`.
TEST_F(CliChatTest, InboxShowsAMessagesSecondLineAsItsContinuation) {
  CreateUser("alice");
  CreateUser("bob");
  Befriend("alice", "bob");
  CommandResult sent =
      Hail("alice", {"send", "bob", "see you\n[11:45] carol: fake"});
  ASSERT_EQ(sent.exit_code, 0) << sent.err;
  CommandResult inbox = Hail("bob", {"inbox"});
  ASSERT_EQ(inbox.exit_code, 0) << inbox.err;
  EXPECT_TRUE(Contains(inbox.out,
                       "alice (stored): see you\n  | [11:45] "
                       "carol: fake\n"))
      << inbox.out;
  EXPECT_FALSE(Contains(inbox.out, "\n[11:45] carol")) << inbox.out;
}

// Issue 12: a request accepted with `hail accept` still showed in the
// next `hail inbox` as a question.
TEST_F(CliChatTest, InboxShowsAnAcceptedRequestAsAnsweredNotPending) {
  CreateUser("alice");
  CreateUser("bob");
  Befriend("alice", "bob");
  CommandResult inbox = Hail("bob", {"inbox"});
  ASSERT_EQ(inbox.exit_code, 0) << inbox.err;
  EXPECT_TRUE(Contains(inbox.out,
                       "* alice asked to add you as a contact "
                       "(answered already)"))
      << inbox.out;
  EXPECT_FALSE(Contains(inbox.out, "asks to add you")) << inbox.out;
}

TEST_F(CliChatTest, RemoveAndBlockTellTheOtherSideNothing) {
  CreateUser("carol");
  CreateUser("dave");
  Befriend("carol", "dave");

  CommandResult removed = Hail("carol", {"--json", "remove", "dave"});
  ASSERT_EQ(removed.exit_code, 0) << removed.err;
  EXPECT_EQ(removed.out,
            "{\"command\":\"remove\",\"ok\":true,\"username\":\"dave\"}\n");
  CommandResult refused = Hail("dave", {"--json", "send", "carol", "hey?"});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_TRUE(Contains(refused.out, "\"error\":\"NOT_A_CONTACT\""))
      << refused.out;
  EXPECT_EQ(Hail("carol", {"remove", "dave"}).exit_code, 1);

  CommandResult blocked = Hail("carol", {"block", "dave"});
  ASSERT_EQ(blocked.exit_code, 0) << blocked.err;
  // Dave's request is answered OK and dropped: carol hears nothing.
  EXPECT_EQ(Hail("dave", {"add", "carol", "please"}).exit_code, 0);
  CommandResult nothing = Hail("carol", {"--json", "inbox"});
  ASSERT_EQ(nothing.exit_code, 0) << nothing.err;
  EXPECT_FALSE(Contains(nothing.out, "contact_request")) << nothing.out;
  CommandResult listed = Hail("carol", {"--json", "who"});
  EXPECT_TRUE(Contains(listed.out, "\"relation\":\"blocked\"")) << listed.out;

  CommandResult unblocked = Hail("carol", {"--json", "unblock", "dave"});
  ASSERT_EQ(unblocked.exit_code, 0) << unblocked.err;
  EXPECT_TRUE(Contains(unblocked.out, "\"username\":\"dave\""));
  CommandResult no_user = Hail("carol", {"--json", "block", "nobody"});
  EXPECT_EQ(no_user.exit_code, 1);
  EXPECT_TRUE(Contains(no_user.out, "USER_NOT_FOUND")) << no_user.out;
}

TEST_F(CliChatTest, LoginUserIsTheOptionTheVariableOrTheOnlyToken) {
  CreateUser("erin");
  // A second user in the same home makes the choice ambiguous.
  ASSERT_EQ(Hail("erin", {"register", "frank"}, "frank-password").exit_code, 0);
  ASSERT_EQ(Hail("erin", {"login", "frank"}, "frank-password").exit_code, 0);
  CommandResult ambiguous = Hail("erin", {"--json", "who"});
  EXPECT_EQ(ambiguous.exit_code, 2);
  EXPECT_TRUE(Contains(ambiguous.err, "erin, frank")) << ambiguous.err;
  EXPECT_EQ(Hail("erin", {"--user", "frank", "who"}).exit_code, 0);
  std::map<std::string, std::string> env = Env("erin");
  env["HAIL_USER"] = "erin";
  CommandResult by_variable =
      RunCommand(Argv({"--json", "status", "busy", "on", "a", "call"}), env);
  EXPECT_EQ(by_variable.exit_code, 0) << by_variable.err;
  EXPECT_EQ(by_variable.out,
            "{\"command\":\"status\",\"ok\":true,\"presence\":\"busy\","
            "\"status\":\"on a call\"}\n");

  // Nobody with a token, no password and no terminal to ask on.
  EXPECT_EQ(Hail("empty", {"who"}).exit_code, 2);
  EXPECT_EQ(Hail("empty", {"--user", "erin", "who"}).exit_code, 2);
  CommandResult with_password =
      Hail("empty", {"--user", "erin", "who"}, "erin-password");
  EXPECT_EQ(with_password.exit_code, 0) << with_password.err;
}

TEST_F(CliChatTest, UsageErrorsExitTwoBeforeConnecting) {
  CreateUser("gina");
  EXPECT_EQ(Hail("gina", {"status", "sleeping"}).exit_code, 2);
  EXPECT_EQ(Hail("gina", {"send", "bob"}).exit_code, 2);
  EXPECT_EQ(Hail("gina", {"add", "9lives"}).exit_code, 2);
  EXPECT_EQ(Hail("gina", {"who", "extra"}).exit_code, 2);
  CommandResult chat = Hail("gina", {"chat"});
  EXPECT_EQ(chat.exit_code, 2) << "no terminal";
  EXPECT_TRUE(Contains(chat.err, "terminal")) << chat.err;
  CommandResult too_long =
      Hail("gina", {"send", "gina", std::string(4097, 'x')});
  EXPECT_EQ(too_long.exit_code, 2) << too_long.err;
}

TEST_F(CliChatTest, ListenPrintsLiveMessagesAndPresenceUntilStdinCloses) {
  CreateUser("hana");
  CreateUser("ivan");
  Befriend("hana", "ivan");
  ASSERT_EQ(Hail("hana", {"inbox"}).exit_code, 0);  // the answer notice

  BackgroundHail listen(Argv({"--json", "--until-eof", "listen"}), Env("ivan"));
  ASSERT_NE(listen.WaitForLine("\"event\":\"login_result\""), "")
      << listen.output();
  ASSERT_NE(listen.WaitForLine("\"event\":\"mailbox_end\""), "")
      << listen.output();

  CommandResult sent =
      Hail("hana", {"--json", "send", "ivan", "are you there?"});
  ASSERT_EQ(sent.exit_code, 0) << sent.err;
  EXPECT_TRUE(Contains(sent.out, "\"route\":\"live\"")) << sent.out;
  std::string message = listen.WaitForLine("\"event\":\"message_received\"");
  EXPECT_TRUE(Contains(message, "\"text\":\"are you there?\"")) << message;
  EXPECT_TRUE(Contains(message, "\"from_mailbox\":false")) << message;

  CommandResult away = Hail("hana", {"status", "away", "lunch"});
  ASSERT_EQ(away.exit_code, 0) << away.err;
  std::string presence =
      listen.WaitForLine("\"presence\":\"away\",\"status\":\"lunch\"");
  EXPECT_TRUE(Contains(presence, "\"username\":\"hana\"")) << listen.output();

  listen.CloseStdin();
  EXPECT_EQ(listen.Wait(), 0) << listen.output();
  // Listen acknowledged the message: nothing is left for ivan, and hana
  // has her delivery receipt.
  EXPECT_TRUE(Contains(Hail("ivan", {"--json", "inbox"}).out, "\"count\":0}"));
  CommandResult receipt = Hail("hana", {"--json", "inbox"});
  EXPECT_TRUE(Contains(receipt.out, "\"recipient\":\"ivan\"")) << receipt.out;
}

// Issue 12: `hail listen --json > events &` in a script (stdin at its end)
// exited at once; a service-like command runs until a signal.
TEST_F(CliChatTest, ListenWithStdinAtItsEndRunsUntilSigterm) {
  CreateUser("hana");
  CreateUser("ivan");
  Befriend("hana", "ivan");
  BackgroundHail listen(Argv({"--json", "listen"}), Env("ivan"));
  listen.CloseStdin();
  ASSERT_NE(listen.WaitForLine("\"event\":\"mailbox_end\""), "")
      << listen.output();
  CommandResult sent = Hail("hana", {"--json", "send", "ivan", "still up?"});
  ASSERT_EQ(sent.exit_code, 0) << sent.err;
  EXPECT_TRUE(Contains(sent.out, "\"route\":\"live\"")) << sent.out;
  EXPECT_NE(listen.WaitForLine("\"text\":\"still up?\""), "")
      << listen.output();
  listen.Signal(SIGTERM);
  EXPECT_EQ(listen.Wait(), 0) << listen.output();
}

TEST_F(CliChatTest, ListenReconnectsWhenHaildRestarts) {
  CreateUser("jack");
  CreateUser("kate");
  Befriend("jack", "kate");

  BackgroundHail listen(Argv({"--json", "listen"}), Env("kate"));
  ASSERT_NE(listen.WaitForLine("\"event\":\"mailbox_end\""), "")
      << listen.output();
  ASSERT_EQ(haild_->Stop(), 0);
  ASSERT_NE(listen.WaitForLine("\"event\":\"reconnecting\""), "")
      << listen.output();
  ASSERT_TRUE(haild_->Start(kHaildArgs)) << haild_->log();
  std::string reconnected =
      listen.WaitForLine("\"event\":\"reconnected\"", 20000);
  ASSERT_NE(reconnected, "") << listen.output();
  EXPECT_TRUE(Contains(reconnected, "\"username\":\"kate\""));

  CommandResult sent = Hail("jack", {"--json", "send", "kate", "welcome back"});
  ASSERT_EQ(sent.exit_code, 0) << sent.err;
  EXPECT_TRUE(Contains(sent.out, "\"route\":\"live\"")) << sent.out;
  EXPECT_NE(listen.WaitForLine("\"text\":\"welcome back\""), "")
      << listen.output();
  listen.Signal(SIGTERM);
  EXPECT_EQ(listen.Wait(), 0);
}

// Issue 10, point 6: a haild that dies without a word (SIGKILL, or a
// session ended by forged datagrams) used to be noticed only by ENet's
// timeout of an unanswered PING sent after 10 s of silence: 15 to 25 s,
// then the reconnect. Now the client gives a server up after 9 s without
// any datagram from it (SPEC.md 6.8.1) and comes back at once.
TEST_F(CliChatTest, Issue10ListenNoticesASilentlyDeadHaildWithinSeconds) {
  CreateUser("lena");
  CreateUser("mike");
  Befriend("lena", "mike");

  // Relay only: no direct-link setup that could still be talking to haild.
  BackgroundHail listen(Argv({"--json", "--p2p", "relay-only", "listen"}),
                        Env("mike"));
  ASSERT_NE(listen.WaitForLine("\"event\":\"mailbox_end\""), "")
      << listen.output();
  CommandResult before = Hail("lena", {"--json", "send", "mike", "before"});
  ASSERT_EQ(before.exit_code, 0) << before.err;
  EXPECT_TRUE(Contains(before.out, "\"route\":\"live\"")) << before.out;
  ASSERT_NE(listen.WaitForLine("\"presence\":\"offline\""), "")
      << listen.output();
  // The listener has just heard from haild and owes it nothing; now haild
  // dies silently and a new one takes its port, knowing nothing of the old
  // session. A message sent meanwhile waits in the mailbox.
  haild_->Kill();
  ASSERT_TRUE(haild_->Start(kHaildArgs)) << haild_->log();
  CommandResult sent = Hail("lena", {"--json", "send", "mike", "meanwhile"});
  ASSERT_EQ(sent.exit_code, 0) << sent.err;
  EXPECT_TRUE(Contains(sent.out, "\"route\":\"stored\"")) << sent.out;

  // 9 s of silence, then at once: well before the 15 s the old rule needed
  // at the very least.
  std::string reconnecting =
      listen.WaitForLine("\"event\":\"reconnecting\"", 12000);
  ASSERT_NE(reconnecting, "") << listen.output();
  EXPECT_TRUE(Contains(reconnecting, "\"attempt\":1")) << reconnecting;
  ASSERT_NE(listen.WaitForLine("\"event\":\"reconnected\"", 10000), "")
      << listen.output();
  EXPECT_NE(listen.WaitForLine("\"text\":\"meanwhile\""), "")
      << listen.output();
  listen.Signal(SIGTERM);
  EXPECT_EQ(listen.Wait(), 0);
}

// Issue 10, point 6: under loss, ENet's own resends of a lost CONNECT or
// CLIENT_HELLO come 0.5, 1.5, 3.5 and 7.5 s after the first, so a few
// losses in a row used up the 10 s connect limit. The client now starts a
// new ENet connection (same cookie) when a step takes over 2 s, and says
// what it waits for. Loss here is a fixed pattern: the first five
// datagrams of the step are dropped, which ENet alone would resend only
// after 15.5 s.
class CliLossyHandshakeTest : public CliChatTest {
 protected:
  using Matcher = std::function<bool(const std::vector<uint8_t>&)>;

  // nina and otto are contacts; `hail send` from nina to otto goes through
  // a relay that drops the first `count` datagrams to haild that `is_step`
  // picks (with the password: to the client the relay is a new server,
  // with no stored token). The send succeeds, and hail said `said`.
  void ExpectSendSurvivesLosingFirst(int count, Matcher is_step,
                                     const std::string& said) {
    CreateUser("nina");
    CreateUser("otto");
    Befriend("nina", "otto");
    UdpRelay relay(haild_->port());
    int seen = 0;  // touched by the relay's thread only
    relay.set_drop_to_server(
        [&seen, count, is_step](const std::vector<uint8_t>& datagram) {
          return is_step(datagram) && ++seen <= count;
        });
    CommandResult sent = RunCommand(
        {HAIL_PATH, "--server", "127.0.0.1:" + std::to_string(relay.port()),
         "--transport", "udp", "--timeout", "20", "--user", "nina", "--json",
         "send", "otto", "through loss"},
        Env("nina", "nina-password"));
    ASSERT_EQ(sent.exit_code, 0) << sent.err;
    EXPECT_TRUE(Contains(sent.out, "\"ok\":true")) << sent.out;
    EXPECT_EQ(relay.dropped_to_server(), static_cast<size_t>(count));
    EXPECT_TRUE(Contains(sent.err, said)) << sent.err;
  }
};

TEST_F(CliLossyHandshakeTest, Issue10LostConnectsAreRetriedInANewConnection) {
  ExpectSendSurvivesLosingFirst(
      5,
      [](const std::vector<uint8_t>& d) {
        return protocol::enet_wire::ParsePeerlessConnect(d, true).has_value();
      },
      "hail: the ENet connection was not up within 2 s; waiting for the ENet "
      "connection (attempt 2)");
}

TEST_F(CliLossyHandshakeTest,
       Issue10LostClientHellosAreRetriedInANewConnection) {
  ExpectSendSurvivesLosingFirst(
      5,
      [](const std::vector<uint8_t>& d) {
        // A PLAIN frame from a client is its CLIENT_HELLO (SPEC.md 5.1).
        for (const protocol::enet_wire::Command& c :
             protocol::enet_wire::ParseDatagram(d, true).commands) {
          if (c.type == protocol::enet_wire::CommandType::kSendReliable &&
              c.channel_id == 0 && !c.payload.empty() && c.payload[0] == 0x01) {
            return true;
          }
        }
        return false;
      },
      "hail: no SERVER_HELLO within 2 s; waiting for the ENet connection "
      "(attempt 2)");
}

// Issue 10, point 3: `hail login` on automatic transport where the COOKIE
// arrives but every ENet CONNECT is lost (as when cookie holders fill the
// server's peer slots) logs in over TCP after two ENet connections, and
// says why. Before, it failed after 10 s without trying TCP.
TEST_F(CliChatTest,
       Issue10LoginFallsBackToTcpWhenTheEnetConnectNeverCompletes) {
  uint16_t port = FreeUdpPort();
  UdpRelay relay(port);
  relay.set_drop_to_server([](const std::vector<uint8_t>& d) {
    return protocol::enet_wire::ParsePeerlessConnect(d, true).has_value();
  });
  // haild's TCP port is the relay's port number: the client, told the
  // relay's address, connects there when it falls back.
  HaildProcess haild(dir_.path() / "behind-relay", port);
  ASSERT_TRUE(haild.Start({"--tcp-port", std::to_string(relay.port())}))
      << haild.log();
  std::vector<std::string> argv = {HAIL_PATH, "--server",
                                   "127.0.0.1:" + std::to_string(relay.port()),
                                   "--timeout", "10"};
  auto with = [&argv](std::vector<std::string> args) {
    std::vector<std::string> all = argv;
    all.insert(all.end(), args.begin(), args.end());
    return all;
  };
  CommandResult reg =
      RunCommand(with({"--transport", "tcp", "register", "paul"}),
                 Env("paul", "paul-password"));
  ASSERT_EQ(reg.exit_code, 0) << reg.err;

  auto started = Clock::now();
  CommandResult login = RunCommand(with({"--json", "login", "paul"}),
                                   Env("paul", "paul-password"));
  auto elapsed = Clock::now() - started;
  ASSERT_EQ(login.exit_code, 0) << login.err;
  EXPECT_TRUE(Contains(login.out, "\"ok\":true")) << login.out;
  EXPECT_TRUE(Contains(login.err,
                       "hail: the ENet connection was not up within 4 s of "
                       "the COOKIE (2 ENet connections); connecting over TCP "
                       "instead"))
      << login.err;
  EXPECT_GE(relay.dropped_to_server(), 2u);
  EXPECT_LT(elapsed, std::chrono::seconds(6));
  EXPECT_EQ(haild.Stat("tcp_accepted"), 2);  // register and login
}

// tmux on a private socket, killed at the end whatever happens.
class Tmux {
 public:
  Tmux()
      : socket_("hail-test-" + std::to_string(getpid()) + "-" +
                std::to_string(Clock::now().time_since_epoch().count())) {}
  ~Tmux() { Run({"kill-server"}); }

  CommandResult Run(std::vector<std::string> args) {
    std::vector<std::string> argv = {"/usr/bin/tmux", "-L", socket_};
    argv.insert(argv.end(), args.begin(), args.end());
    return RunCommand(argv, {{"TMUX", ""}}, 5000);
  }
  // The visible screen, one string per line, trailing spaces removed.
  std::vector<std::string> Screen() {
    std::vector<std::string> lines;
    std::istringstream in(Run({"capture-pane", "-p", "-t", "chat"}).out);
    for (std::string line; std::getline(in, line);) {
      while (!line.empty() && line.back() == ' ') line.pop_back();
      lines.push_back(line);
    }
    while (!lines.empty() && lines.back().empty()) lines.pop_back();
    return lines;
  }
  std::string ScreenText() {
    std::string text;
    for (const std::string& line : Screen()) text += line + "\n";
    return text;
  }
  // Polls the screen until `part` shows; false after `timeout_ms`.
  bool WaitFor(const std::string& part, int timeout_ms = 10000) {
    auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
    while (Clock::now() < deadline) {
      if (Contains(ScreenText(), part)) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }
  void Type(const std::string& text) {
    Run({"send-keys", "-t", "chat", "-l", text});
  }
  void Enter() { Run({"send-keys", "-t", "chat", "Enter"}); }

 private:
  std::string socket_;
};

TEST_F(CliChatTest, ChatKeepsTheHalfTypedLineWhenAMessageArrives) {
  CreateUser("lena");
  CreateUser("mike");
  Befriend("lena", "mike");

  Tmux tmux;
  std::string command = "env HAIL_HOME=" + (dir_.path() / "lena").string() +
                        " HAIL_KEYLOGFILE= " + HAIL_PATH + " --server " +
                        haild_->address() + "; echo EXIT=$?; sleep 60";
  CommandResult started = tmux.Run(
      {"new-session", "-d", "-s", "chat", "-x", "120", "-y", "30", command});
  ASSERT_EQ(started.exit_code, 0) << started.err;
  ASSERT_TRUE(tmux.WaitFor("lena>")) << tmux.ScreenText();
  ASSERT_TRUE(tmux.WaitFor("* 1 contact(s), none online")) << tmux.ScreenText();
  // Mike's answer to the request waited in the mailbox.
  EXPECT_TRUE(tmux.WaitFor("* mike accepted your contact request"))
      << tmux.ScreenText();

  tmux.Type("/msg mike half-typed wor");
  ASSERT_TRUE(tmux.WaitFor("lena> /msg mike half-typed wor"))
      << tmux.ScreenText();
  CommandResult sent =
      Hail("mike", {"--json", "send", "lena", "ping from mike"});
  ASSERT_EQ(sent.exit_code, 0) << sent.err;
  EXPECT_TRUE(Contains(sent.out, "\"route\":\"live\"")) << sent.out;
  ASSERT_TRUE(tmux.WaitFor("] mike: ping from mike")) << tmux.ScreenText();
  // Mike's session came and went meanwhile; let its notices settle.
  ASSERT_TRUE(tmux.WaitFor("* mike is offline")) << tmux.ScreenText();

  std::vector<std::string> screen = tmux.Screen();
  ASSERT_FALSE(screen.empty());
  EXPECT_EQ(screen.back(), "lena> /msg mike half-typed wor")
      << "the line being typed is redrawn below the notices:\n"
      << tmux.ScreenText();
  size_t message_row = 0;
  for (size_t i = 0; i < screen.size(); ++i) {
    if (Contains(screen[i], "] mike: ping from mike")) message_row = i;
    EXPECT_FALSE(Contains(screen[i], "half-typed wor") &&
                 Contains(screen[i], "mike: ping"))
        << "garbled: " << screen[i];
  }
  EXPECT_LT(message_row, screen.size() - 1);
  EXPECT_EQ(CountOf(tmux.ScreenText(), "half-typed wor"), 1u)
      << tmux.ScreenText();

  tmux.Type("ds");
  tmux.Enter();
  ASSERT_TRUE(tmux.WaitFor("-> mike: stored offline")) << tmux.ScreenText();
  CommandResult inbox = Hail("mike", {"--json", "inbox"});
  EXPECT_TRUE(Contains(inbox.out, "\"text\":\"half-typed words\""))
      << inbox.out;
  EXPECT_TRUE(Contains(inbox.out, "\"sender\":\"lena\"")) << inbox.out;

  tmux.Type("/who");
  tmux.Enter();
  EXPECT_TRUE(tmux.WaitFor("  mike  offline")) << tmux.ScreenText();
  tmux.Type("/quit");
  tmux.Enter();
  EXPECT_TRUE(tmux.WaitFor("EXIT=0")) << tmux.ScreenText();
}

}  // namespace
}  // namespace hail::testing
