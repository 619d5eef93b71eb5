// The test bed's own cases, registered once at the first start of a test-enabled server
// (docs/testbed.md "Seeded cases"): the certificates it can make (valid, revoked, on hold,
// expired, wrong key usage, untrusted issuer) stored and revoked through the production
// registry, each OCSP fault as a protocol case, the CSR-uniqueness outcomes, and a valid and
// a tampered test trusted list. Each becomes a public, accepted central-body case tagged
// seed:<name> (testcases::seed_case), with the expected verdict in ETSI TS 119 102-2 terms
// or, for protocols, the status a client must see.
//
// Policy: runs on its own thread after the server started (it waits for commits); the
// meta key `testbed_seeded` (one commit after the last case) makes later starts skip it, and
// seed_case skips a case already present, so an interrupted run completes on the next start.
#pragma once

#include <atomic>
#include <string>

#include "common/clock.hpp"
#include "common/result.hpp"
#include "responder/registry/registry.hpp"
#include "responder/testbed/test_list.hpp"
#include "responder/testbed/test_pki.hpp"
#include "storage/lmdb.hpp"
#include "storage/writer.hpp"

namespace trustmon::testbed {

inline constexpr const char* kMetaSeeded = "testbed_seeded";

struct SeedReport {
  std::size_t cases = 0;    // seed cases known after the run
  std::size_t created = 0;  // of them, created by this run
  bool skipped = false;     // already seeded (meta testbed_seeded)
};

// `cancel` ends the run between steps (shutdown). Errors: those of the registry, the Writer
// and the case service; `cancelled`.
Result<SeedReport> seed_test_cases(storage::Env& env, storage::Writer& writer, registry::Registry& registry,
                                   const TestPki& pki, const TestListFiles& list, const std::string& base_url,
                                   const Clock& clock, const std::atomic<bool>& cancel);

}  // namespace trustmon::testbed
