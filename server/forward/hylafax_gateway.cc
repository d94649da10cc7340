#include "server/forward/hylafax_gateway.h"

#include <stdio.h>

#include <array>
#include <string_view>
#include <utility>
#include <vector>

#include "server/forward/subprocess.h"
#include "server/forward/work_dir.h"

namespace hail::server::forward {
namespace {

// What the listing prints per job: id and tag (job_key has no '|').
constexpr std::string_view kJobFormat = "%j|%J";

// Error texts of the HylaFAX client library that mean "the server is not
// there or went away", which is worth another try; every other failure of
// sendfax is hfaxd (or sendfax) refusing the job.
constexpr std::array<std::string_view, 7> kTransientErrors = {
    "Can not reach service", "Connection refused", "timed out",
    "Service not available", "Lost connection",    "Connection reset",
    "No route to host"};

bool IsTransient(std::string_view error) {
  for (std::string_view pattern : kTransientErrors) {
    if (error.find(pattern) != std::string_view::npos) return true;
  }
  return false;
}

GatewayAnswer Answer(GatewayAnswer::Kind kind, std::string detail,
                     bool cut = false) {
  GatewayAnswer answer;
  answer.kind = kind;
  answer.detail = std::move(detail);
  answer.cut = cut;
  return answer;
}

bool WriteFile(const std::filesystem::path& path, std::string_view bytes) {
  FILE* file = fopen(path.c_str(), "wb");
  if (file == nullptr) return false;
  bool written = fwrite(bytes.data(), 1, bytes.size(), file) == bytes.size();
  return fclose(file) == 0 && written;
}

// "request id is 17 (group id 17) for host ..." -> "17".
std::optional<std::string> SubmittedJobId(std::string_view out) {
  constexpr std::string_view kPrefix = "request id is ";
  size_t at = out.find(kPrefix);
  if (at == std::string_view::npos) return std::nullopt;
  at += kPrefix.size();
  size_t end = at;
  while (end < out.size() && out[end] >= '0' && out[end] <= '9') ++end;
  if (end == at) return std::nullopt;
  return std::string(out.substr(at, end - at));
}

}  // namespace

HylaFaxGateway::HylaFaxGateway(HylaFaxConfig config)
    : config_(std::move(config)), renderer_(config_.render) {}

bool HylaFaxGateway::IsE164(const std::string& number) {
  if (number.size() < 2 || number.size() > 16 || number[0] != '+') {
    return false;
  }
  for (size_t i = 1; i < number.size(); ++i) {
    if (number[i] < '0' || number[i] > '9') return false;
  }
  return true;
}

bool HylaFaxGateway::IsValidJobKey(const std::string& job_key) {
  if (job_key.empty() || job_key.size() > 64) return false;
  for (char c : job_key) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
              (c >= '0' && c <= '9') || c == '.' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::string HylaFaxGateway::ServerArgument() const {
  return config_.host + ":" + std::to_string(config_.port);
}

HylaFaxGateway::Lookup HylaFaxGateway::FindJob(const std::string& job_key,
                                               const std::string& home) const {
  ProgramRun run;
  run.argv = {config_.faxstat_program, "-s", "-d", "-h", ServerArgument()};
  run.environment = {"HOME=" + home, "FAXUSER=" + config_.user};
  run.timeout = config_.timeout;
  ProgramResult faxstat = RunProgram(run);
  Lookup lookup;
  // faxstat exits 0 even when it cannot reach hfaxd, and says so on stderr.
  if (!faxstat.Succeeded() || !faxstat.err.empty()) {
    lookup.error = "faxstat: " + faxstat.Describe();
    return lookup;
  }
  lookup.reachable = true;
  std::string_view rest = faxstat.out;
  while (!rest.empty()) {
    size_t newline = rest.find('\n');
    std::string_view line = rest.substr(0, newline);
    rest.remove_prefix(newline == std::string_view::npos ? rest.size()
                                                         : newline + 1);
    while (!line.empty() && (line.back() == ' ' || line.back() == '\r')) {
      line.remove_suffix(1);
    }
    size_t bar = line.find('|');
    if (bar == std::string_view::npos) continue;
    std::string_view id = line.substr(0, bar);
    while (!id.empty() && id.front() == ' ') id.remove_prefix(1);
    if (line.substr(bar + 1) == job_key && !id.empty()) {
      lookup.job_id = std::string(id);
      return lookup;
    }
  }
  return lookup;
}

GatewayAnswer HylaFaxGateway::Send(const ForwardJob& job) {
  using Kind = GatewayAnswer::Kind;
  if (!IsValidJobKey(job.job_key)) {
    return Answer(Kind::kRejected, "job key is not [A-Za-z0-9.-]{1,64}");
  }
  if (!IsE164(job.address)) {
    return Answer(Kind::kRejected, "fax number is not E.164: " + job.address);
  }
  WorkDir work(config_.render.temp_dir, "hail-hylafax");
  if (!work.ok()) {
    return Answer(Kind::kRetry, "cannot make a working directory in " +
                                    config_.render.temp_dir.string());
  }
  const std::string home = work.path().string();
  if (!WriteFile(work.path() / ".hylarc",
                 "JobFmt: \"" + std::string(kJobFormat) + "\"\n")) {
    return Answer(Kind::kRetry, "cannot write " + home + "/.hylarc");
  }

  Lookup existing = FindJob(job.job_key, home);
  if (!existing.reachable) {
    return Answer(Kind::kRetry, "hfaxd at " + ServerArgument() +
                                    " not reachable: " + existing.error);
  }
  if (existing.job_id) return Answer(Kind::kAccepted, *existing.job_id);

  RenderedFax fax = renderer_.Render(job);
  if (fax.status == RenderedFax::Status::kTimedOut) {
    return Answer(Kind::kRetry, "render: " + fax.error);
  }
  if (fax.status != RenderedFax::Status::kOk) {
    return Answer(Kind::kRejected, "render: " + fax.error);
  }
  const std::filesystem::path document = work.path() / "message.tif";
  if (!WriteFile(document, fax.tiff)) {
    return Answer(Kind::kRetry, "cannot write " + document.string());
  }

  ProgramRun run;
  // Options before -d apply to that destination: no cover page, fine
  // resolution (the TIFF is 196 lpi), job_key as the job tag.
  run.argv = {config_.sendfax_program,
              "-n",
              "-m",
              "-h",
              ServerArgument(),
              "-i",
              job.job_key,
              "-f",
              job.sender,
              "-d",
              job.address,
              document.string()};
  run.environment = {"HOME=" + home, "FAXUSER=" + config_.user};
  run.timeout = config_.timeout;
  ProgramResult sendfax = RunProgram(run);
  if (sendfax.outcome == ProgramResult::Outcome::kTimedOut) {
    return Answer(Kind::kRetry, "sendfax timed out", fax.cut);
  }
  std::optional<std::string> job_id = SubmittedJobId(sendfax.out);
  if (sendfax.Succeeded() && job_id) {
    return Answer(Kind::kAccepted, *job_id, fax.cut);
  }
  std::string why = "sendfax: " + sendfax.Describe();
  if (sendfax.outcome == ProgramResult::Outcome::kNotStarted ||
      IsTransient(sendfax.err)) {
    return Answer(Kind::kRetry, why, fax.cut);
  }
  return Answer(Kind::kRejected, why, fax.cut);
}

}  // namespace hail::server::forward
