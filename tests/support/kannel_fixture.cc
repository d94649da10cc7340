#include "tests/support/kannel_fixture.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <thread>

#include "server/forward/sms_text.h"
#include "server/forward/url_coding.h"
#include "tests/support/free_port.h"

namespace hail::testing {
namespace {

constexpr char kBearerbox[] = "/usr/sbin/bearerbox";
constexpr char kSmsbox[] = "/usr/sbin/smsbox";
constexpr char kFakesmsc[] = "/usr/lib/kannel/test/fakesmsc";
constexpr char kStatusPassword[] = "hail-status";
constexpr auto kStepTimeout = std::chrono::seconds(20);
constexpr auto kPollInterval = std::chrono::milliseconds(50);

size_t AppendBody(char* data, size_t size, size_t count, void* user) {
  static_cast<std::string*>(user)->append(data, size * count);
  return size * count;
}

// GET `url` on loopback; the body of a 200 answer, else empty.
std::string HttpGet(const std::string& url) {
  CURL* curl = curl_easy_init();
  if (curl == nullptr) return "";
  std::string body;
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 2000L);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, AppendBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
  long status = 0;
  if (curl_easy_perform(curl) == CURLE_OK) {
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  }
  curl_easy_cleanup(curl);
  return status == 200 ? body : "";
}

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string LastLines(const std::string& text, size_t count) {
  size_t start = text.size();
  for (size_t seen = 0; start > 0 && seen <= count;) {
    --start;
    if (text[start] == '\n') ++seen;
  }
  return text.substr(start);
}

std::vector<std::string_view> SplitSpaces(std::string_view text) {
  std::vector<std::string_view> fields;
  while (!text.empty()) {
    const size_t space = text.find(' ');
    fields.push_back(text.substr(0, space));
    if (space == std::string_view::npos) break;
    text.remove_prefix(space + 1);
  }
  return fields;
}

}  // namespace

std::optional<FakeSmscMessage> ParseFakeSmscLine(std::string_view line) {
  constexpr std::string_view kMarker = "Got message ";
  const size_t marker = line.find(kMarker);
  if (marker == std::string_view::npos) return std::nullopt;
  const size_t open = line.find(": <", marker);
  const size_t close = line.rfind('>');
  if (open == std::string_view::npos || close == std::string_view::npos ||
      close < open + 3) {
    return std::nullopt;
  }
  const std::vector<std::string_view> fields =
      SplitSpaces(line.substr(open + 3, close - open - 3));
  if (fields.size() < 4) return std::nullopt;
  FakeSmscMessage message;
  message.sender = fields[0];
  message.receiver = fields[1];
  message.type = fields[2];
  std::optional<std::string> data;
  if (message.type == "udh") {
    if (fields.size() != 6 || fields[4] != "data") return std::nullopt;
    std::optional<std::string> udh = server::forward::PercentDecode(fields[3]);
    if (!udh) return std::nullopt;
    message.udh = std::move(*udh);
    data = server::forward::PercentDecode(fields[5]);
  } else if (message.type == "text") {
    // Printable ASCII as is (spaces included).
    data = std::string(line.substr(
        open + 3 + fields[0].size() + fields[1].size() + 7,
        close - (open + 3 + fields[0].size() + fields[1].size() + 7)));
  } else {
    if (fields.size() != 4) return std::nullopt;
    data = server::forward::PercentDecode(fields[3]);
  }
  if (!data) return std::nullopt;
  message.data = std::move(*data);
  return message;
}

std::optional<std::string> Utf16BeToUtf8(std::string_view bytes) {
  if (bytes.size() % 2 != 0) return std::nullopt;
  std::string out;
  for (size_t i = 0; i < bytes.size(); i += 2) {
    char32_t unit = (static_cast<unsigned char>(bytes[i]) << 8) |
                    static_cast<unsigned char>(bytes[i + 1]);
    if (unit >= 0xD800 && unit <= 0xDBFF) {
      if (i + 3 >= bytes.size()) return std::nullopt;
      const char32_t low = (static_cast<unsigned char>(bytes[i + 2]) << 8) |
                           static_cast<unsigned char>(bytes[i + 3]);
      if (low < 0xDC00 || low > 0xDFFF) return std::nullopt;
      unit = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00);
      i += 2;
    } else if (unit >= 0xDC00 && unit <= 0xDFFF) {
      return std::nullopt;
    }
    server::forward::AppendUtf8(unit, out);
  }
  return out;
}

std::optional<std::string> ReassembledUcs2Text(
    std::vector<FakeSmscMessage> parts) {
  if (parts.empty()) return std::nullopt;
  if (parts.size() == 1 && parts[0].udh.empty()) {
    return Utf16BeToUtf8(parts[0].data);
  }
  // 05 00 03 <reference> <total> <sequence>
  for (const FakeSmscMessage& part : parts) {
    const std::string& udh = part.udh;
    if (udh.size() != 6 || udh[0] != 5 || udh[1] != 0 || udh[2] != 3 ||
        udh[3] != parts[0].udh[3] ||
        static_cast<size_t>(udh[4]) != parts.size()) {
      return std::nullopt;
    }
  }
  std::sort(parts.begin(), parts.end(),
            [](const FakeSmscMessage& a, const FakeSmscMessage& b) {
              return a.udh[5] < b.udh[5];
            });
  std::string joined;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (static_cast<size_t>(parts[i].udh[5]) != i + 1) return std::nullopt;
    joined += parts[i].data;
  }
  return Utf16BeToUtf8(joined);
}

KannelFixture::KannelFixture(Options options) : options_(std::move(options)) {}

KannelFixture::~KannelFixture() { Stop(); }

std::string KannelFixture::sendsms_url() const {
  return "http://127.0.0.1:" + std::to_string(sendsms_port_) +
         "/cgi-bin/sendsms";
}

void KannelFixture::WriteConfig() const {
  const std::string dir = dir_.path().string();
  std::ofstream conf(dir_.path() / "kannel.conf");
  conf << "group = core\n"
       << "admin-port = " << admin_port_ << "\n"
       << "admin-interface = 127.0.0.1\n"
       << "admin-password = " << kStatusPassword << "\n"
       << "status-password = " << kStatusPassword << "\n"
       << "admin-allow-ip = \"127.0.0.1\"\n"
       << "smsbox-port = " << smsbox_port_ << "\n"
       << "smsbox-interface = 127.0.0.1\n"
       << "box-allow-ip = \"127.0.0.1\"\n"
       << "log-file = \"" << dir << "/bearerbox.log\"\n"
       << "log-level = 0\n"
       << "access-log = \"" << dir << "/bearerbox-access.log\"\n"
       << "dlr-storage = internal\n"
       << "\n"
       << "group = smsc\n"
       << "smsc = fake\n"
       << "smsc-id = fake\n"
       << "port = " << smsc_port_ << "\n"
       << "our-host = 127.0.0.1\n"
       << "connect-allow-ip = \"127.0.0.1\"\n"
       << "\n"
       << "group = smsbox\n"
       << "bearerbox-host = 127.0.0.1\n"
       << "bearerbox-port = " << smsbox_port_ << "\n"
       << "sendsms-port = " << sendsms_port_ << "\n"
       << "sendsms-interface = 127.0.0.1\n"
       << "log-file = \"" << dir << "/smsbox.log\"\n"
       << "log-level = 0\n"
       << "access-log = \"" << dir << "/smsbox-access.log\"\n"
       << "\n"
       << "group = sendsms-user\n"
       << "username = " << options_.username << "\n"
       << "password = " << options_.password << "\n"
       << "max-messages = " << options_.max_messages << "\n"
       << "concatenation = true\n";
}

bool KannelFixture::Spawn(Child& child, const std::vector<std::string>& argv,
                          int stdin_fd) {
  bench::ChildProcess::Options options;
  options.stdin_fd = stdin_fd;
  options.working_dir = dir_.path();
  if (!child.process
           .Start(argv, dir_.path() / (std::string(child.name) + ".out"),
                  options)
           .ok()) {
    failure_ = std::string("cannot start ") + child.name;
    return false;
  }
  return true;
}

bool KannelFixture::WaitUntil(Child& child, const std::string& what,
                              bool (KannelFixture::*ready)() const) {
  const auto deadline = std::chrono::steady_clock::now() + kStepTimeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if ((this->*ready)()) return true;
    if (child.process.Exited()) {
      failure_ =
          std::string(child.name) + " exited before " + what + "\n" + LogTail();
      return false;
    }
    std::this_thread::sleep_for(kPollInterval);
  }
  failure_ = "timed out waiting for " + what + "\n" + LogTail();
  return false;
}

std::string KannelFixture::Status() const {
  return HttpGet("http://127.0.0.1:" + std::to_string(admin_port_) +
                 "/status.txt?password=" + kStatusPassword);
}

bool KannelFixture::StatusAnswers() const {
  return Status().find("Status: running") != std::string::npos;
}

bool KannelFixture::SmsboxConnected() const {
  const std::string status = Status();
  const size_t boxes = status.find("Box connections:");
  return boxes != std::string::npos &&
         status.find("smsbox:", boxes) != std::string::npos;
}

bool KannelFixture::FakeSmscOnline() const {
  return Status().find("FAKE:" + std::to_string(smsc_port_) + " (online") !=
         std::string::npos;
}

bool KannelFixture::Start() {
  curl_global_init(CURL_GLOBAL_DEFAULT);
  admin_port_ = FreeTcpPort();
  smsbox_port_ = FreeTcpPort();
  smsc_port_ = FreeTcpPort();
  sendsms_port_ = FreeTcpPort();
  if (admin_port_ == 0 || smsbox_port_ == 0 || smsc_port_ == 0 ||
      sendsms_port_ == 0) {
    failure_ = "no free loopback ports";
    return false;
  }
  WriteConfig();
  const std::string conf = (dir_.path() / "kannel.conf").string();
  // smsbox and fakesmsc give up at once if bearerbox does not answer yet,
  // so each starts only when the one before it is up.
  if (!Spawn(bearerbox_, {kBearerbox, conf}, -1) ||
      !WaitUntil(bearerbox_, "bearerbox's status page",
                 &KannelFixture::StatusAnswers)) {
    return false;
  }
  if (!Spawn(smsbox_, {kSmsbox, conf}, -1) ||
      !WaitUntil(smsbox_, "smsbox to connect",
                 &KannelFixture::SmsboxConnected)) {
    return false;
  }
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) {
    failure_ = "pipe failed";
    return false;
  }
  fakesmsc_stdin_ = pipe_fds[1];
  const bool spawned = Spawn(fakesmsc_,
                             {kFakesmsc, "-H", "127.0.0.1", "-r",
                              std::to_string(smsc_port_), "-m", "0"},
                             pipe_fds[0]);
  ::close(pipe_fds[0]);
  return spawned && WaitUntil(fakesmsc_, "the fake SMSC to be online",
                              &KannelFixture::FakeSmscOnline);
}

void KannelFixture::Stop() {
  if (fakesmsc_stdin_ >= 0) {
    ::close(fakesmsc_stdin_);
    fakesmsc_stdin_ = -1;
  }
  for (Child* child : {&fakesmsc_, &smsbox_, &bearerbox_}) {
    child->process.Stop(5000);
  }
}

std::vector<FakeSmscMessage> KannelFixture::Received() const {
  std::vector<FakeSmscMessage> messages;
  std::istringstream log(ReadFile(dir_.path() / "fakesmsc.out"));
  std::string line;
  while (std::getline(log, line)) {
    if (std::optional<FakeSmscMessage> message = ParseFakeSmscLine(line)) {
      messages.push_back(std::move(*message));
    }
  }
  return messages;
}

std::vector<FakeSmscMessage> KannelFixture::WaitForReceived(
    size_t count, std::chrono::milliseconds timeout) const {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::vector<FakeSmscMessage> messages = Received();
  while (messages.size() < count &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(kPollInterval);
    messages = Received();
  }
  return messages;
}

std::string KannelFixture::AccessLog() const {
  return ReadFile(dir_.path() / "bearerbox-access.log");
}

std::string KannelFixture::LogTail() const {
  std::string tail;
  for (const char* name : {"bearerbox.out", "smsbox.out", "fakesmsc.out"}) {
    tail += std::string("--- ") + name + "\n" +
            LastLines(ReadFile(dir_.path() / name), 12);
  }
  return tail;
}

}  // namespace hail::testing
