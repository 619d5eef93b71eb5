// Test helper: a fresh directory under /tmp per test, removed at the end, and a
// shortcut to open an Env in it.
#pragma once

#include <gtest/gtest.h>
#include <filesystem>
#include <memory>
#include <string>

#include "storage/lmdb.hpp"
#include "tests/support/scratch_dir.hpp"

namespace trustmon::storage::testing {

// A fresh directory under /tmp, removed with its contents at the end of the test.
using TempDir = trustmon::testing::ScratchDir;

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
