// A scratch folder under /tmp, removed with its contents when the test ends.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <string>

namespace trustmon::testing {

class ScratchDir {
 public:
  ScratchDir() {
    std::string tmpl = "/tmp/trustmon-test-XXXXXX";
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
  std::string file(const std::string& name) const { return path_ + "/" + name; }
  std::string operator/(const std::string& name) const { return file(name); }

 private:
  std::string path_;
};

}  // namespace trustmon::testing

namespace trustmon::tools {
using testing::ScratchDir;  // the tools tests' name for it
}  // namespace trustmon::tools
