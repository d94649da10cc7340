// A real SMTP server for the extended-delivery tests: aiosmtpd (Debian
// python3-aiosmtpd) on 127.0.0.1 writing what it receives to a Maildir,
// optionally offering STARTTLS with a fresh self-signed certificate (and
// then requiring it). Started by the test, stopped by its PID.
#ifndef HAIL_TESTS_SUPPORT_SMTP_SINK_H_
#define HAIL_TESTS_SUPPORT_SMTP_SINK_H_

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "protocol/status.h"
#include "tools/bench/child_process.h"

namespace hail::testing {

class SmtpSink {
 public:
  struct Options {
    bool starttls = false;  // offer STARTTLS and require it
    uint64_t max_size = 0;  // SIZE limit in bytes; 0: aiosmtpd's default
  };
  // A message as Python's email package decodes it: lower-case header
  // names ("subject", "from", "message-id", ...) and "body".
  using Message = std::map<std::string, std::string>;

  explicit SmtpSink(std::filesystem::path dir);
  ~SmtpSink();

  // Starts aiosmtpd and waits until it accepts connections. The port
  // stays the same across Stop and Start.
  Status Start(const Options& options);
  void Stop();
  uint16_t port() const { return port_; }
  std::string url() const;  // smtp://127.0.0.1:PORT
  // The self-signed certificate (PEM) when started with starttls.
  std::filesystem::path certificate() const { return dir_ / "cert.pem"; }
  std::vector<Message> Messages() const;

 private:
  std::filesystem::path dir_;
  uint16_t port_ = 0;
  bench::ChildProcess process_;
};

}  // namespace hail::testing

#endif  // HAIL_TESTS_SUPPORT_SMTP_SINK_H_
