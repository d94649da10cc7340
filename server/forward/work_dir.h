// A private working directory (mkdtemp, mode 0700) for one gateway call,
// removed with everything in it when the WorkDir goes away.
#ifndef HAIL_SERVER_FORWARD_WORK_DIR_H_
#define HAIL_SERVER_FORWARD_WORK_DIR_H_

#include <stdlib.h>

#include <filesystem>
#include <string>
#include <system_error>

namespace hail::server::forward {

class WorkDir {
 public:
  // `prefix` names the directory inside `parent` ("hail-fax" ->
  // "hail-fax-Ab12Cd"). ok() is false when it cannot be made.
  WorkDir(const std::filesystem::path& parent, const std::string& prefix) {
    std::string pattern = (parent / (prefix + "-XXXXXX")).string();
    if (::mkdtemp(pattern.data()) != nullptr) path_ = pattern;
  }
  ~WorkDir() {
    std::error_code ignored;
    if (!path_.empty()) std::filesystem::remove_all(path_, ignored);
  }
  WorkDir(const WorkDir&) = delete;
  WorkDir& operator=(const WorkDir&) = delete;

  bool ok() const { return !path_.empty(); }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace hail::server::forward

#endif  // HAIL_SERVER_FORWARD_WORK_DIR_H_
