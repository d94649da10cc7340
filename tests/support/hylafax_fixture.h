// A real HylaFAX server for tests: a private spool in a temporary
// directory (what faxsetup and the Debian package would lay out), faxq
// (the scheduler) and hfaxd (the client protocol server) running on it,
// hfaxd bound to 127.0.0.1 on a free port. Without a modem every job stays
// in the send queue, so tests can look at what was queued.
//
// Needs root: the daemons switch to the user uucp, which must own the
// spool. One test thread; stops both daemons by PID (SIGTERM, then
// SIGKILL) and removes the spool when it goes away.
#ifndef HAIL_TESTS_SUPPORT_HYLAFAX_FIXTURE_H_
#define HAIL_TESTS_SUPPORT_HYLAFAX_FIXTURE_H_

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "tests/support/free_port.h"
#include "tests/support/temp_dir.h"
#include "tools/bench/child_process.h"

namespace hail::testing {

class HylaFaxFixture {
 public:
  HylaFaxFixture();  // starts nothing
  ~HylaFaxFixture();
  HylaFaxFixture(const HylaFaxFixture&) = delete;
  HylaFaxFixture& operator=(const HylaFaxFixture&) = delete;

  // Empty when the HylaFAX daemons and client tools are installed and this
  // process may run them (root); otherwise why not.
  static std::string Unavailable();

  // Builds the spool, starts faxq and hfaxd and polls faxstat until hfaxd
  // answers and reports the scheduler running. False (see error()) when
  // they do not within 15 seconds.
  bool Start();
  // Stops hfaxd only (faxq keeps running): the server is unreachable.
  void StopHfaxd();
  // Stops both daemons; the spool stays until destruction.
  void Stop();

  uint16_t port() const { return port_; }
  std::string server() const { return "127.0.0.1:" + std::to_string(port_); }
  const std::filesystem::path& spool() const { return spool_; }
  // A directory outside the spool for the test's own files.
  std::filesystem::path scratch() const { return dir_.path() / "scratch"; }
  const std::string& error() const { return error_; }

  // Runs faxstat against this server with `args` (e.g. {"-s"}); stdout.
  // Jobs are listed as "id|tag|number|state|owner".
  std::string Faxstat(const std::vector<std::string>& args) const;
  // Removes a job as its owner `user` would (faxrm): HylaFAX moves it to
  // doneq. True when faxrm says it did.
  bool RemoveJob(const std::string& job_id, const std::string& user) const;
  // The job files in sendq (q<jobid>), sorted.
  std::vector<std::string> SendQueue() const;
  // The contents of sendq/q<job_id>; nullopt if there is none.
  std::optional<std::string> JobFile(const std::string& job_id) const;
  // The document files a job refers to (its "tiff:" lines), spool-relative
  // paths resolved.
  std::vector<std::filesystem::path> JobDocuments(
      const std::string& job_id) const;
  // The daemons' stdout and stderr.
  std::string log() const;

 private:
  bool BuildSpool();
  bool Spawn(bench::ChildProcess& daemon, const std::vector<std::string>& argv);
  bool WaitUntilReady();

  TempDir dir_;
  std::filesystem::path spool_;
  std::filesystem::path log_path_;
  uint16_t port_ = 0;
  bench::ChildProcess faxq_;
  bench::ChildProcess hfaxd_;
  std::string error_;
};

}  // namespace hail::testing

#endif  // HAIL_TESTS_SUPPORT_HYLAFAX_FIXTURE_H_
