// One small demo PKI per test process (12 end-entity certificates), generated on first
// use: RSA key generation is the slow part, so tests share it read-only.
#pragma once

#include <cstdio>
#include <cstdlib>

#include "tests/support/scratch_dir.hpp"
#include "tools/demo_pki.hpp"

namespace trustmon::tools {

inline const DemoPkiSummary& shared_demo_pki() {
  static ScratchDir dir;
  static const DemoPkiSummary summary = [] {
    DemoPkiOptions o;
    o.out_dir = dir / "pki";
    o.count = 12;
    auto s = generate_demo_pki(o);
    if (!s) {
      std::fprintf(stderr, "demo PKI generation failed: %s\n", s.error().message.c_str());
      std::abort();
    }
    return *s;
  }();
  return summary;
}

}  // namespace trustmon::tools
