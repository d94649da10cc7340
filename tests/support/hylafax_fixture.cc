#include "tests/support/hylafax_fixture.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <sstream>

#include "server/forward/subprocess.h"

extern char** environ;

namespace hail::testing {
namespace fs = std::filesystem;
namespace {

// The installed package's spool (its bin/ scripts) and configuration.
const fs::path kPackageSpool = "/var/spool/hylafax";
const fs::path kPackageConfig = "/etc/hylafax";
constexpr const char* kFaxq = "/usr/sbin/faxq";
constexpr const char* kHfaxd = "/usr/sbin/hfaxd";

// The spool directories faxsetup makes (all owned by uucp).
constexpr const char* kSpoolDirs[] = {
    "archive", "client", "config", "dev",   "docq",   "doneq", "info",
    "log",     "pollq",  "recvq",  "sendq", "status", "tmp"};

bool WriteFile(const fs::path& path, const std::string& text) {
  std::ofstream file(path, std::ios::binary);
  file << text;
  return static_cast<bool>(file);
}

void Pause(int milliseconds) {
  timespec pause{0, milliseconds * 1'000'000L};
  nanosleep(&pause, nullptr);
}

}  // namespace

HylaFaxFixture::HylaFaxFixture()
    : spool_(dir_.path() / "spool"), log_path_(dir_.path() / "daemons.log") {
  fs::create_directories(scratch());
  // faxstat's default job format cuts numbers to 12 characters.
  WriteFile(scratch() / ".hylarc", "JobFmt: \"%j|%J|%e|%a|%o\"\n");
}

HylaFaxFixture::~HylaFaxFixture() { Stop(); }

std::string HylaFaxFixture::Unavailable() {
  for (const char* program :
       {kFaxq, kHfaxd, "/usr/bin/sendfax", "/usr/bin/faxstat", "/usr/bin/paps",
        "/usr/bin/gs"}) {
    if (::access(program, X_OK) != 0) {
      return std::string(program) + " is not installed";
    }
  }
  if (::geteuid() != 0) return "faxq and hfaxd need root (they become uucp)";
  if (::getpwnam("uucp") == nullptr) return "there is no user uucp";
  return "";
}

bool HylaFaxFixture::BuildSpool() {
  const passwd* uucp = ::getpwnam("uucp");
  if (uucp == nullptr) {
    error_ = "no user uucp";
    return false;
  }
  std::error_code failed;
  // mkdtemp made the parent 0700; the daemons (as uucp) must get through.
  fs::permissions(dir_.path(), fs::perms(0755), failed);
  fs::create_directories(spool_ / "etc", failed);
  for (const char* name : kSpoolDirs) fs::create_directories(spool_ / name);
  fs::copy(kPackageSpool / "bin", spool_ / "bin",
           fs::copy_options::recursive | fs::copy_options::copy_symlinks,
           failed);
  if (failed) {
    error_ = "cannot copy " + (kPackageSpool / "bin").string() + ": " +
             failed.message();
    return false;
  }
  for (const fs::directory_entry& entry :
       fs::directory_iterator(kPackageConfig)) {
    if (entry.is_regular_file() && entry.path().filename() != "hosts.hfaxd") {
      fs::copy_file(entry.path(), spool_ / "etc" / entry.path().filename(),
                    failed);
    }
  }
  // Clients from loopback may log in as any user without a password.
  if (!WriteFile(spool_ / "etc" / "hosts.hfaxd", "127.0.0.1\n") ||
      !WriteFile(spool_ / "status" / "any.info", "Hail test spool\n")) {
    error_ = "cannot write the spool's etc";
    return false;
  }
  if (::mkfifo((spool_ / "FIFO").c_str(), 0600) != 0) {
    error_ = "mkfifo FIFO failed";
    return false;
  }
  // What faxsetup leaves: the spool and its queues owned by uucp, 0755
  // (tmp 1777), etc/ and bin/ root's, hosts.hfaxd uucp's and 0600.
  auto own = [&](const fs::path& path) {
    return ::chown(path.c_str(), uucp->pw_uid, uucp->pw_gid) == 0;
  };
  bool owned = own(spool_) && own(spool_ / "FIFO") &&
               own(spool_ / "etc" / "hosts.hfaxd") &&
               own(spool_ / "status" / "any.info");
  for (const char* name : kSpoolDirs) owned = owned && own(spool_ / name);
  fs::permissions(spool_, fs::perms(0755), failed);
  fs::permissions(spool_ / "tmp", fs::perms(01777), failed);
  fs::permissions(spool_ / "etc" / "hosts.hfaxd", fs::perms(0600), failed);
  if (!owned || failed) {
    error_ = "cannot give the spool to uucp";
    return false;
  }
  return true;
}

bool HylaFaxFixture::Spawn(bench::ChildProcess& daemon,
                           const std::vector<std::string>& argv) {
  // hfaxd forks a child per client: its own group, killed with it.
  bench::ChildProcess::Options options;
  options.own_process_group = true;
  return daemon.Start(argv, log_path_, options).ok();
}

bool HylaFaxFixture::Start() {
  if (!BuildSpool()) return false;
  if (!Spawn(faxq_, {kFaxq, "-D", "-q", spool_.string()})) {
    error_ = "cannot start faxq";
    return false;
  }
  // A port picked now may be taken before hfaxd binds it: try a few.
  for (int attempt = 0; attempt < 3; ++attempt) {
    port_ = FreeTcpPort();
    // -l must come before -i, or hfaxd listens on every address.
    if (!Spawn(hfaxd_, {kHfaxd, "-d", "-q", spool_.string(), "-l", "127.0.0.1",
                        "-i", std::to_string(port_)})) {
      error_ = "cannot start hfaxd";
      return false;
    }
    if (WaitUntilReady()) return true;
    hfaxd_.Stop(5000);
  }
  error_ += "\n" + log();
  return false;
}

bool HylaFaxFixture::WaitUntilReady() {
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(15);
  while (std::chrono::steady_clock::now() < deadline) {
    if (faxq_.Exited()) {
      error_ = "faxq exited";
      return false;
    }
    if (hfaxd_.Exited()) {
      error_ = "hfaxd exited";
      return false;
    }
    if (Faxstat({}).find(": Running") != std::string::npos) return true;
    Pause(50);
  }
  error_ = "hfaxd did not report a running scheduler within 15 s";
  return false;
}

void HylaFaxFixture::StopHfaxd() { hfaxd_.Stop(5000); }

void HylaFaxFixture::Stop() {
  hfaxd_.Stop(5000);
  faxq_.Stop(5000);
}

std::string HylaFaxFixture::Faxstat(
    const std::vector<std::string>& args) const {
  hail::server::forward::ProgramRun run;
  run.argv = {"faxstat", "-h", server()};
  run.argv.insert(run.argv.end(), args.begin(), args.end());
  run.environment = {"HOME=" + scratch().string(), "FAXUSER=hail-test"};
  run.timeout = std::chrono::seconds(10);
  return hail::server::forward::RunProgram(run).out;
}

bool HylaFaxFixture::RemoveJob(const std::string& job_id,
                               const std::string& user) const {
  hail::server::forward::ProgramRun run;
  run.argv = {"faxrm", "-h", server(), job_id};
  run.environment = {"HOME=" + scratch().string(), "FAXUSER=" + user};
  run.timeout = std::chrono::seconds(10);
  return hail::server::forward::RunProgram(run).Succeeded();
}

std::vector<std::string> HylaFaxFixture::SendQueue() const {
  std::vector<std::string> jobs;
  std::error_code failed;
  for (const fs::directory_entry& entry :
       fs::directory_iterator(spool_ / "sendq", failed)) {
    std::string name = entry.path().filename().string();
    if (name.size() > 1 && name[0] == 'q') jobs.push_back(name);
  }
  std::sort(jobs.begin(), jobs.end());
  return jobs;
}

std::optional<std::string> HylaFaxFixture::JobFile(
    const std::string& job_id) const {
  std::ifstream file(spool_ / "sendq" / ("q" + job_id), std::ios::binary);
  if (!file) return std::nullopt;
  std::ostringstream text;
  text << file.rdbuf();
  return text.str();
}

std::vector<fs::path> HylaFaxFixture::JobDocuments(
    const std::string& job_id) const {
  std::vector<fs::path> documents;
  std::optional<std::string> job = JobFile(job_id);
  if (!job) return documents;
  std::istringstream lines(*job);
  std::string line;
  // "tiff:<dirnum>:<page range>:docq/doc1.tif.1"; "!tiff:" once prepared.
  while (std::getline(lines, line)) {
    if (line.rfind("tiff:", 0) == 0 || line.rfind("!tiff:", 0) == 0) {
      documents.push_back(spool_ / line.substr(line.rfind(':') + 1));
    }
  }
  return documents;
}

std::string HylaFaxFixture::log() const {
  std::ifstream file(log_path_);
  std::ostringstream text;
  text << file.rdbuf();
  return text.str();
}

}  // namespace hail::testing
