// How often `what` occurs in `text`: the conformance tests count verdicts
// in hail-conform's JSON output with it.
#ifndef HAIL_TESTS_CONFORM_COUNT_H_
#define HAIL_TESTS_CONFORM_COUNT_H_

#include <string>

namespace hail::testing {

inline int Count(const std::string& text, const std::string& what) {
  int n = 0;
  for (size_t at = text.find(what); at != std::string::npos;
       at = text.find(what, at + 1)) {
    ++n;
  }
  return n;
}

}  // namespace hail::testing

#endif  // HAIL_TESTS_CONFORM_COUNT_H_
