// Publishing a version of a trusted list: load the model, number it, date it, build,
// sign, check, and only if the check passes store the signed bytes, all under one
// Writer job that also appends the event "tl.published" (actor label, list, sequence,
// SHA-256, dates).
//
// Policies:
//  * TSLSequenceNumber = max(last published, sequence of the imported model) + 1; the
//    Writer job refuses ("tl_publish_conflict") if another publish took that number
//    meanwhile, so numbers strictly increase and survive restarts (they live in LMDB).
//  * ListIssueDateTime = clock now; NextUpdate = now + period; the period must be
//    positive and at most 6 calendar months (TS 119 612 clause 5.3.15), else
//    "tl_next_update_too_far" / "tl_invalid_period".
//  * A list that fails the checker (signature with the signer pinned, ETSI schema) is
//    never stored: "tl_check_failed" with the checker's reason; nothing is written.
//  * publish() blocks on the Writer: call it from a worker thread or tool, never from an
//    event loop, and never while holding a ReadScope.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "common/actor.hpp"
#include "common/clock.hpp"
#include "common/result.hpp"
#include "storage/lmdb.hpp"
#include "storage/writer.hpp"
#include "tsl/checker.hpp"
#include "tsl/signer.hpp"
#include "tsl/store.hpp"

namespace trustmon::tsl {

inline constexpr UnixTime kDefaultPublishPeriod = 90 * 86400;

struct PublishOptions {
  int version = 6;                         // TSLVersionIdentifier to emit (5 or 6)
  UnixTime period = kDefaultPublishPeriod;  // NextUpdate - ListIssueDateTime, seconds
  std::string event_actor;                  // actor of the tl.published event; "" = actor.label()
  // Certificates no published list may name (the test bed's CAs and TSA): a list whose
  // service or history names one is refused with "tl_test_certificate".
  std::vector<Bytes> excluded_certificates;
};

// The latest NextUpdate TS 119 612 allows for a list issued at `issue`: 6 calendar
// months later (day clamped to the month's length), same time of day.
UnixTime max_next_update(UnixTime issue);

class Publisher {
 public:
  // Everything is borrowed and must outlive the Publisher; signer and checker are
  // shared read-only (publish() may run on several threads).
  Publisher(storage::Env& env, storage::Writer& writer, const TlSigner& signer, const TlChecker& checker,
            const Clock& clock)
      : env_(env), writer_(writer), signer_(signer), checker_(checker), clock_(clock) {}

  // Errors: "tl_invalid_name", "tl_not_found" (no model), "tl_invalid_period",
  // "tl_next_update_too_far", "tl_unsupported_version", "tl_sign_failed",
  // "tl_check_failed", "tl_publish_conflict", "tl_test_certificate", "storage_*".
  Result<PublishedVersion> publish(std::string_view name, const Actor& actor, const PublishOptions& options = {});

  // Publishing with a change of the model (an approved change notice): `change` maps the
  // stored model to the new one (outside any transaction); the new list is built, signed
  // and checked; then one Writer job stores the new model and the version, appends
  // tl.published and runs `also` (e.g. to mark the notice approved). The job refuses
  // with "tl_publish_conflict" if the stored model changed since it was read; if `also`
  // or anything else fails, nothing is stored. Either may be empty.
  using ModelChange = std::function<Result<TrustedList>(const TrustedList&)>;
  using AlsoInJob = std::function<Status(storage::WriteTxn&, const PublishedVersion&)>;
  Result<PublishedVersion> publish_change(std::string_view name, const Actor& actor, const PublishOptions& options,
                                          const ModelChange& change, const AlsoInJob& also);

  const TlSigner& signer() const noexcept { return signer_; }

 private:
  storage::Env& env_;
  storage::Writer& writer_;
  const TlSigner& signer_;
  const TlChecker& checker_;
  const Clock& clock_;
};

}  // namespace trustmon::tsl
