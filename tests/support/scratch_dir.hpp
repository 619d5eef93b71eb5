// A scratch folder under /tmp, removed with its contents when the test ends.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <string>

namespace trustmon::tools {

class ScratchDir {
 public:
  ScratchDir() {
    std::string tmpl = "/tmp/trustmon-tools-XXXXXX";
    char* p = ::mkdtemp(tmpl.data());
    if (p != nullptr) path_ = p;
  }
  ~ScratchDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

}  // namespace trustmon::tools
