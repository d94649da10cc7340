// hail-conform's output: one line per rule ("pass 6.7 id text", a failure's
// detail indented below it) and a summary, or one JSON document.
#ifndef HAIL_TOOLS_CONFORM_REPORT_H_
#define HAIL_TOOLS_CONFORM_REPORT_H_

#include <string>

#include "tools/conform/rule.h"

namespace hail::conform {

class Report {
 public:
  // `target`: what was checked, for the JSON document.
  Report(std::string target, bool json);
  // Text mode prints the line at once.
  void Add(const std::string& section, const std::string& id,
           const std::string& text, const Outcome& outcome, long ms);
  // Prints the summary (text) or the document (JSON); returns the exit
  // code: 0 when nothing failed, 1 otherwise.
  int Finish();

 private:
  std::string target_;
  bool json_;
  int passed_ = 0, failed_ = 0, skipped_ = 0;
  std::string json_rules_;
};

}  // namespace hail::conform

#endif  // HAIL_TOOLS_CONFORM_REPORT_H_
