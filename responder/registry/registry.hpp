// The certificate registry: ingest of issued certificates, of revocations and of CRLs,
// with the attribute index written alongside every certificate (attributes.hpp for the
// index keys and normalisation, search.hpp for the read side). The work is in ingest.cpp
// (certificates), revocation.cpp (revocations and CRL uploads) and event_payloads.hpp (the
// text of every event the registry appends).
//
// Policy:
//  * everything that costs CPU (parsing, signature verification against the issuer,
//    attribute extraction, hashing, signing OCSP responses for status changes) runs on
//    the registry's preparation threads (every core by default), outside any
//    transaction and off the HTTP event loops. A batch is cut into chunks prepared in
//    parallel; the last chunk to finish hands the batch to the Writer;
//  * revocations go ahead of ingest (common/lane.hpp): their preparation runs in the
//    pool's urgent lane (taken first by any free thread, and one more thread serves only
//    that lane, so a revocation never waits for an import's chunk), and their Writer job in
//    the Writer's urgent lane. Ingest and CRL uploads (bulk) are normal; an ingest job weighs
//    its certificates, which bounds how many share one commit (storage/writer.hpp);
//  * a Writer job applies its items in that job's child transaction, one job per
//    `items_per_job` items of a batch (so that an urgent job never waits for a whole
//    import batch or CRL; the batch's callback runs once all its jobs are durable). An item passes every check (refusal, duplicate,
//    serial conflict) before its first write, so a refused item stores nothing, neither
//    record nor index entry; a storage fault fails the job (the Writer reruns it after
//    growing the map) and the batch answers that error, its earlier jobs staying stored
//    (a retry finds them as duplicates). A certificate's record, DER, attr_index and
//    spki_index entries and its event are written together;
//  * a NEW good certificate gets no pre-signed OCSP response at ingest (an RSA
//    signature per certificate would cap bulk import near 2,000/s per core); it is marked
//    unsigned in ocsp_due, and the Refresher signs the marked ones in the background,
//    paced. Meanwhile the OCSP responder signs live and keeps that answer for the next
//    request (ocsp/answer_keeper.hpp). Every status change (revocation, CRL entry) still stores
//    its newly signed response in the same commit, so once a revocation is acknowledged
//    no `good` can be served for it;
//  * the issuer of a certificate or CRL is pki::IssuerSet::issuer_of: the configured CA
//    whose name (and key identifier) matches and whose key verifies the signature
//    ("issuer_unknown" when no name matches, "signature_invalid" when no key verifies).
//    A signature in an algorithm OpenSSL does not implement (e.g. DSTU 4145) is
//    "signature_unverifiable", unless the issuer is configured with
//    accept_unverified_signatures: then the certificate is stored with
//    signature_checked = false (and says so in its event and search results);
//  * a CRL upload must verify under its issuer's key ("crl_signature_invalid"), be a
//    complete CRL ("crl_delta_not_accepted") with a CRL number ("crl_number_missing")
//    greater than the issuer's published one ("crl_number_not_greater"; the published
//    CRL itself again is a replay and answers like the first upload). Its first Writer
//    job publishes it (storage/crls.hpp, event crl.published); its entries then become
//    revocations (reason and invalidity date extensions read) answered per entry like
//    revoke(), each job checking that its CRL is still the issuer's latest. For an
//    issuer whose CRLs are built here (crl_key) an upload is only applied, not published;
//  * once a complete CRL upload's jobs are durable, the CRL is compared with the status
//    data (crl_check.hpp, in a read snapshot on a preparation thread, never in a Writer
//    job: the walk covers every record of the issuer); when it does not agree, one more
//    Writer job appends `crl.discrepancy`, counted in trustmon_crl_discrepancies_total,
//    and only then is the upload answered;
//  * an ingest that closes an attr_index epoch starts the merge of closed epochs
//    (attr_index.hpp) if it is not running: a chain of small normal-lane Writer jobs, the
//    next submitted when the previous is durable, until nothing is left to merge;
//  * the derived statistics (stats/cube.hpp) change in the job that stores what they
//    count: a job gathers its cells' changes and writes them once at its end;
//  * the key registry (csr) hears of every stored and revoked certificate through the
//    KeyLedger interface (key_ledger.hpp), inside the same job;
//  * every stored change appends an event to the hash-chained log (payloads:
//    event_payloads.hpp); certificate.issued carries the issuer, serial, hashes and
//    attributes, so a watch can match a new certificate without parsing DER; refusals for issuers the actor does
//    not operate are recorded as access.denied.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/actor.hpp"
#include "common/bytes.hpp"
#include "common/clock.hpp"
#include "common/result.hpp"
#include "common/thread_pool.hpp"
#include "responder/ocsp/presign.hpp"
#include "responder/pki/issuer_set.hpp"
#include "responder/registry/attributes.hpp"
#include "responder/registry/crl_check.hpp"
#include "responder/registry/key_ledger.hpp"
#include "responder/stats/counting.hpp"
#include "storage/audited.hpp"
#include "storage/writer.hpp"

namespace trustmon::registry {

enum class ItemStatus { stored, duplicate, revoked, unchanged, refused, released };
const char* item_status_name(ItemStatus s);

struct ItemOutcome {
  ItemStatus status = ItemStatus::refused;
  std::string issuer;      // issuer name, when known
  std::string serial_hex;  // upper-case hex, when known
  std::string sha256_hex;  // certificates only
  bool signature_checked = true;  // certificates only: false when stored unverified
  std::optional<Error> error;
};

struct BatchReport {
  std::vector<ItemOutcome> items;
  std::size_t count(ItemStatus s) const;
};

struct RevocationInput {
  std::string issuer;           // issuer name as configured
  std::string serial_hex;       // hex, optional ':' separators, leading zeros allowed
  std::string reason;           // RFC 5280 name
  std::string time;             // RFC 3339; empty = now
  std::string invalidity_date;  // RFC 3339; empty = none
  // Release a hold ("скасування блокування"): the serial, revoked with certificateHold, is
  // good again (reason, time and invalidity date are ignored). Refused as not_on_hold
  // when the serial is not on hold.
  bool release = false;
};

struct RegistryOptions {
  std::size_t prepare_threads = 0;  // 0 = every core
  // Names of the issuers whose certificates may be stored although their signature
  // cannot be checked (config [[issuer]] accept_unverified_signatures = true).
  std::vector<std::string> accept_unverified_issuers;
  // CSR and key uniqueness (csr::CsrService): when set, an ingest commits the provider's
  // reservation for the certificate's key (or records the key as used) in the same
  // commit, and raises a `certificate.key_reused` event when another certificate or
  // request already used the key; a revocation marks the certificate's reservation revoked.
  const KeyLedger* key_ledger = nullptr;
  // Names of the issuers whose CRLs trustmon builds itself (config [[issuer]] crl_key): an
  // uploaded CRL of theirs is applied as revocations but not published or ordered.
  std::vector<std::string> crl_built_issuers;
  // Compares every accepted complete CRL upload with the status data once its entries are
  // stored (crl/compare.hpp wired in by the daemon); a CRL that does not agree raises a
  // `crl.discrepancy` event before the upload is answered. Null: no comparison.
  const CrlChecker* crl_checker = nullptr;
  // Items per Writer job of an ingest batch or CRL upload: a batch of 2,000 certificates
  // is written as several jobs, so that a revocation arriving meanwhile waits for at most
  // one of them (storage/writer.hpp) rather than for the whole batch.
  std::size_t items_per_job = 256;
  // The derived statistics (stats/counting.hpp): when set, every stored certificate,
  // revocation, hold and release changes the stats_cells counters in its own job, and
  // certificates are stored with their statistics profile. Null: no counting.
  const stats::Counting* stats = nullptr;
};

class Registry {
 public:
  // Called on the Writer thread once the batch is durable (or failed as a whole).
  using Callback = std::function<void(Result<BatchReport>)>;

  // `responders` signs the OCSP responses of status changes (revocations, CRL entries)
  // for the issuers of `issuers`.
  Registry(storage::Writer& writer, const pki::IssuerSet& issuers, const ocsp::ResponderTable& responders,
           ocsp::OcspOptions options, const Clock& clock, RegistryOptions registry_options = {});
  // Finishes the batches being prepared (they are then handed to the Writer).
  ~Registry() = default;

  // Items for an issuer the actor may not write for are refused ("issuer_not_operated")
  // and recorded as an `access.denied` event in the same commit.
  // Item errors: certificate_malformed, issuer_unknown, signature_invalid,
  // signature_unverifiable, serial_invalid, serial_conflict, issuer_not_operated.
  void ingest(std::vector<Bytes> certificates, Actor actor, Callback done);
  // The same for a request body as sent (certificate_body.hpp), decoded on a preparation
  // thread so that an event loop never walks a bulk body. A body that does not decode
  // answers `done` with that Error, on that thread: unsupported_media_type,
  // json_malformed, pem_malformed, certificate_malformed, batch_too_large.
  void ingest_body(std::string content_type, Bytes body, Actor actor, Callback done);
  // Item errors: issuer_unknown, serial_invalid, reason_invalid, time_invalid,
  // issuer_not_operated; for a release, not_on_hold. A release answers `released`.
  void revoke(std::vector<RevocationInput> revocations, Actor actor, Callback done);
  // A CRL (DER, or PEM "X509 CRL"). Whole-upload errors (the callback's Error):
  // crl_malformed, issuer_unknown, crl_signature_invalid, issuer_not_operated (recorded
  // as access.denied), crl_delta_not_accepted, crl_number_missing, crl_number_invalid,
  // crl_number_not_greater. Otherwise one item per revoked entry, in CRL order, answered like
  // revoke(): revoked, unchanged, or refused (serial_invalid, time_invalid,
  // reason_invalid for removeFromCRL).
  // A complete CRL that does not agree with the status data once its entries are stored
  // (RegistryOptions::crl_checker) appends one `crl.discrepancy` event, after the upload's
  // jobs and before `done` runs.
  void upload_crl(Bytes crl, Actor actor, Callback done);

  // Prometheus text: trustmon_crl_discrepancies_total.
  std::string metrics_text() const;

 private:
  struct PreparedCert;
  struct PreparedRevocation;
  struct IngestBatch;
  struct RevocationBatch;
  // The attr_index merge (attr_index.hpp): one chain of Writer jobs at a time.
  struct IndexCompactor;
  static std::shared_ptr<IndexCompactor> make_index_compactor(storage::Writer& writer);
  static void start_compaction(const std::shared_ptr<IndexCompactor>& compactor);
  void prepare_ingest_chunk(const std::shared_ptr<IngestBatch>& batch, std::size_t begin, std::size_t end) const;
  void submit_ingest(const std::shared_ptr<IngestBatch>& batch);
  static void sort_index_entries(IngestBatch& batch, std::size_t job_items);
  // The Writer job storing items [begin, end) of the batch (its job-th).
  storage::Writer::Job ingest_job(const std::shared_ptr<IngestBatch>& batch, const std::shared_ptr<BatchReport>& report,
                                  std::size_t job, std::size_t begin, std::size_t end, UnixTime now) const;
  storage::Writer::Job revocation_job(const std::shared_ptr<RevocationBatch>& batch,
                                      const std::shared_ptr<BatchReport>& report, std::size_t begin,
                                      std::size_t end) const;
  void prepare_revocation_chunk(const std::shared_ptr<RevocationBatch>& batch, std::size_t begin,
                                std::size_t end) const;
  void submit_revocations(const std::shared_ptr<RevocationBatch>& batch);
  // Cuts [0, n) into chunks on the preparation threads (in `lane`); `finish` runs once,
  // after the last.
  void parallel(std::size_t n, std::function<void(std::size_t, std::size_t)> chunk, std::function<void()> finish,
                Lane lane);
  void crl_prepared(Bytes crl, Actor actor, Callback done);
  struct CrlCheckInput;
  // `done` preceded, once the upload's jobs are durable, by the comparison (on a
  // preparation thread) and, when it does not agree, the crl.discrepancy job.
  Callback compared_after(std::shared_ptr<const CrlCheckInput> check, std::string actor_label, Callback done);
  void report_discrepancy(const CrlCheckInput& check, const std::string& actor_label,
                          std::shared_ptr<BatchReport> report, Callback done);
  PreparedCert prepare_cert(const Bytes& der) const;
  PreparedRevocation prepare_revocation(const RevocationInput& in, UnixTime now) const;
  bool accepts_unverified(storage::IssuerId id) const;
  // Items [0, n) written as Writer jobs of at most items_per_job items (make_job(job,
  // begin, end) builds the job-th); `done` gets `report` once every job is durable, or the
  // first failed job's error (the jobs before it stay stored).
  using MakeJob = std::function<storage::Writer::Job(std::size_t, std::size_t, std::size_t)>;
  // `first`, when set, is submitted before the item jobs and counts like them.
  void submit_jobs(std::size_t n, const MakeJob& make_job, std::shared_ptr<BatchReport> report, Callback done,
                   Lane lane, storage::Writer::Job first = nullptr);

  storage::Writer& writer_;
  storage::AuditedWrite audited_;  // refusals of a whole upload
  const pki::IssuerSet& issuers_;
  const ocsp::ResponderTable& responders_;
  ocsp::OcspOptions options_;
  const Clock& clock_;
  std::vector<storage::IssuerId> unverified_ok_;
  std::vector<storage::IssuerId> crl_built_;
  const KeyLedger* key_ledger_ = nullptr;
  std::size_t items_per_job_ = 256;
  const CrlChecker* crl_checker_ = nullptr;
  const stats::Counting* stats_ = nullptr;
  std::atomic<std::uint64_t> crl_discrepancies_{0};
  std::shared_ptr<IndexCompactor> compactor_;  // shared with its jobs' callbacks
  ThreadPool prepare_;  // last: its destructor drains tasks that use the members above
};

}  // namespace trustmon::registry
