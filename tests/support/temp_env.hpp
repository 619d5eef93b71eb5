// Test helper: a fresh directory under /tmp per test, removed at the end, and a
// shortcut to open an Env in it.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>

#include "storage/lmdb.hpp"

namespace trustmon::storage::testing {

class TempDir {
 public:
  TempDir() {
    std::string tmpl = "/tmp/trustmon-storage-test-XXXXXX";
    char* made = mkdtemp(tmpl.data());
    if (made != nullptr) path_ = made;
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

inline std::unique_ptr<Env> open_env(const std::string& path,
                                     std::size_t map_size = std::size_t{16} << 20) {
  EnvOptions o;
  o.path = path;
  o.initial_map_size = map_size;
  auto env = Env::open(o);
  EXPECT_TRUE(env.ok()) << (env.ok() ? "" : env.error().code + ": " + env.error().message);
  if (!env.ok()) return nullptr;
  return std::move(env).value();
}

inline std::string str(ByteView v) { return std::string(as_chars(v)); }

}  // namespace trustmon::storage::testing
