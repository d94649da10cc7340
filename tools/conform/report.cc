#include "tools/conform/report.h"

#include <iostream>

#include "protocol/text.h"

namespace hail::conform {

namespace {

const char* VerdictName(Outcome::Verdict v) {
  switch (v) {
    case Outcome::Verdict::kPass:
      return "pass";
    case Outcome::Verdict::kFail:
      return "fail";
    case Outcome::Verdict::kSkip:
      return "skip";
  }
  return "?";
}

}  // namespace

Report::Report(std::string target, bool json)
    : target_(std::move(target)), json_(json) {}

void Report::Add(const std::string& section, const std::string& id,
                 const std::string& text, const Outcome& outcome, long ms) {
  switch (outcome.verdict) {
    case Outcome::Verdict::kPass:
      ++passed_;
      break;
    case Outcome::Verdict::kFail:
      ++failed_;
      break;
    case Outcome::Verdict::kSkip:
      ++skipped_;
      break;
  }
  if (json_) {
    if (!json_rules_.empty()) json_rules_ += ",\n";
    json_rules_ += fmt::format(
        "  {{\"section\":\"{}\",\"id\":\"{}\",\"rule\":\"{}\","
        "\"verdict\":\"{}\",\"detail\":\"{}\",\"ms\":{}}}",
        section, id, protocol::JsonEscape(text), VerdictName(outcome.verdict),
        protocol::JsonEscape(outcome.detail), ms);
    return;
  }
  std::string line = fmt::format(
      "{:<4} {:<7} {:<44} {}", VerdictName(outcome.verdict), section, id, text);
  if (!outcome.detail.empty()) line += "\n       " + outcome.detail;
  std::cout << line << std::endl;
}

int Report::Finish() {
  if (json_) {
    std::cout << fmt::format(
        "{{\"target\":\"{}\",\"passed\":{},\"failed\":{},\"skipped\":{},"
        "\"rules\":[\n{}\n]}}\n",
        protocol::JsonEscape(target_), passed_, failed_, skipped_, json_rules_);
  } else {
    std::cout << fmt::format("{} rules: {} passed, {} failed, {} skipped\n",
                             passed_ + failed_ + skipped_, passed_, failed_,
                             skipped_);
  }
  std::cout.flush();
  return failed_ == 0 ? 0 : 1;
}

}  // namespace hail::conform
