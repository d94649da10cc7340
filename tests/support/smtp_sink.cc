#include "tests/support/smtp_sink.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <sstream>
#include <thread>

#include "server/forward/subprocess.h"
#include "tests/support/free_port.h"

namespace hail::testing {
namespace {

bool Accepts(uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(port);
  bool ok =
      connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  close(fd);
  return ok;
}

// Runs argv (no shell) and returns its stdout, or an error.
Result<std::string> Capture(const std::vector<std::string>& argv) {
  server::forward::ProgramRun run;
  run.argv = argv;
  run.timeout = std::chrono::seconds(30);
  server::forward::ProgramResult result = server::forward::RunProgram(run);
  if (!result.Succeeded()) {
    return Status::IoError(argv[0] + ": " + result.Describe());
  }
  return result.out;
}

std::string Unescape(const std::string& value) {
  std::string out;
  for (size_t i = 0; i < value.size(); ++i) {
    if (value[i] != '\\' || i + 1 == value.size()) {
      out += value[i];
      continue;
    }
    char c = value[++i];
    out += c == 'n' ? '\n' : c == 'r' ? '\r' : c;
  }
  return out;
}

}  // namespace

SmtpSink::SmtpSink(std::filesystem::path dir) : dir_(std::move(dir)) {
  // A Maildir aiosmtpd's Mailbox handler can write to at once.
  for (const char* sub : {"tmp", "new", "cur"}) {
    std::filesystem::create_directories(dir_ / "maildir" / sub);
  }
  port_ = FreeTcpPort();
}

SmtpSink::~SmtpSink() { Stop(); }

std::string SmtpSink::url() const {
  return "smtp://127.0.0.1:" + std::to_string(port_);
}

Status SmtpSink::Start(const Options& options) {
  std::vector<std::string> argv = {"/usr/bin/python3",
                                   "-m",
                                   "aiosmtpd",
                                   "-n",
                                   "-l",
                                   "127.0.0.1:" + std::to_string(port_),
                                   "-c",
                                   "aiosmtpd.handlers.Mailbox"};
  if (options.max_size > 0) {
    argv.insert(argv.end(), {"-s", std::to_string(options.max_size)});
  }
  if (options.starttls) {
    if (!std::filesystem::exists(certificate())) {
      Result<std::string> made = Capture(
          {"/usr/bin/openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
           "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
           "-days", "1", "-keyout", (dir_ / "key.pem").string(), "-out",
           certificate().string()});
      if (!made.ok()) return made.status();
    }
    argv.insert(argv.end(), {"--tlscert", certificate().string(), "--tlskey",
                             (dir_ / "key.pem").string()});
  }
  argv.push_back((dir_ / "maildir").string());
  if (Status s = process_.Start(argv, dir_ / "aiosmtpd.log"); !s.ok()) {
    return s;
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  while (std::chrono::steady_clock::now() < deadline) {
    if (process_.Exited()) return Status::IoError("aiosmtpd exited");
    if (Accepts(port_)) return Status::Ok();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return Status::IoError("aiosmtpd did not listen within 15 s");
}

void SmtpSink::Stop() {
  if (process_.pid() > 0) process_.Stop(5000);
}

std::vector<SmtpSink::Message> SmtpSink::Messages() const {
  std::vector<Message> messages;
  Result<std::string> out =
      Capture({"/usr/bin/python3",
               std::string(HAIL_SOURCE_DIR) + "/tests/support/read_maildir.py",
               (dir_ / "maildir").string()});
  if (!out.ok()) return messages;
  std::istringstream lines(*out);
  for (std::string line; std::getline(lines, line);) {
    if (line == "--message") {
      messages.emplace_back();
      continue;
    }
    size_t colon = line.find(": ");
    if (messages.empty() || colon == std::string::npos) continue;
    messages.back()[line.substr(0, colon)] = Unescape(line.substr(colon + 2));
  }
  return messages;
}

}  // namespace hail::testing
