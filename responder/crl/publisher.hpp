// The CRLs trustmon builds and signs itself, for the issuers configured with a CRL key:
// one thread that keeps each such issuer's complete CRL, its delta CRL and its shard CRLs
// current and publishes them through the Writer (storage/crls.hpp), where GET
// /crl/{issuer}.crl, /crl/{issuer}.delta.crl and /crl/{issuer}/{shard}.crl find them.
//
// Policy:
//  * a CRL is built from the status data of one read snapshot: every `certs` record of
//    the issuer that is revoked (on hold included), in key order, with its reason and
//    invalidity date; a certificate whose notAfter has passed leaves the CRL (records of
//    serials never ingested have no notAfter and stay) unless expired_certs_on_crl is set:
//    then expired entries stay and the CRL says so (expiredCertsOnCRL = the CA's notBefore);
//  * one number sequence per issuer (RFC 5280 §5.2.4): each CRL takes the issuer's last
//    stored number + 1, committed with the CRL, so numbers are never reused across
//    restarts or kill -9; thisUpdate is the build time;
//  * a complete build publishes, in one Writer job and in this order: the complete CRL
//    (nextUpdate + validity; with Freshest CRL naming the delta's URL when deltas are on),
//    each shard's CRL (`shards` > 0: a certificate's shard is FNV-1a of its serial modulo
//    shards; each carries an Issuing Distribution Point with its own URL and
//    onlyContainsUserCerts), and an empty delta against the new base. A complete build
//    happens at start, when half of its validity has passed, and after a status change of
//    the issuer (certificate.revoked or certificate.released event) once the last one is
//    `rebuild_after` old;
//  * a delta CRL (delta_interval > 0) lists what changed since the base complete CRL this
//    run built last: entries that are new or whose reason, date or invalidity date
//    changed, and removeFromCRL for entries that left (a released hold, an expiry). It is
//    built after a status change once the last delta is `delta_interval` old, and when
//    half its own validity (delta_validity) has passed. A revocation is on a delta at most
//    delta_interval + one tick after its acknowledgement; reads never wait for a build;
//  * building and signing happen on the publisher thread, outside any transaction; the
//    Writer job only stores the CRLs and their crl.published events ("source":"built",
//    "scope": complete, delta or shard);
//  * a failed build is logged, counted and tried again at the next tick.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.hpp"
#include "common/ossl.hpp"
#include "common/result.hpp"
#include "responder/crl/builder.hpp"
#include "responder/ocsp/signing_key.hpp"
#include "responder/pki/issuer_set.hpp"
#include "storage/crls.hpp"
#include "storage/lmdb.hpp"
#include "storage/writer.hpp"

namespace trustmon::crl {

// One issuer whose CRLs are built here.
struct CrlSigner {
  const pki::Issuer* issuer = nullptr;
  Bytes authority_key_id;  // the signer's subjectKeyIdentifier (empty: no AKI)
  std::unique_ptr<ocsp::SigningKey> key;
};

// Checks and prepares an issuer's CRL key: `signer_cert` (null: the CA signs its CRLs
// itself) must carry the CA's subject and be issued by the CA, and `key` must be its key.
// Errors: crl_key_mismatch, crl_signer_invalid, responder_key_unsupported.
Result<CrlSigner> make_signer(const pki::Issuer& issuer, EVP_PKEY* key, X509* signer_cert);

struct PublisherOptions {
  UnixTime validity = 86400;      // nextUpdate - thisUpdate of complete and shard CRLs
  UnixTime rebuild_after = 60;    // least time between two complete builds after changes
  UnixTime delta_interval = 4;    // least time between two delta CRLs after changes; 0 = no deltas
  UnixTime delta_validity = 3600; // nextUpdate - thisUpdate of a delta CRL
  unsigned shards = 0;            // shard CRLs per issuer (0 = none; at most kMaxShards)
  bool expired_certs_on_crl = false;
  std::string base_url;           // http://host[:port] under which /crl/ is served (Freshest CRL, IDP)
  std::chrono::milliseconds tick{500};
};

inline constexpr unsigned kMaxShards = 1024;

// The shard of a serial (big-endian magnitude) among `shards`: FNV-1a 32 modulo shards.
unsigned shard_of(ByteView serial, unsigned shards) noexcept;

struct PublisherStats {
  std::uint64_t builds = 0;        // complete builds (with their shards and delta)
  std::uint64_t delta_builds = 0;
  std::uint64_t failures = 0;
  std::uint64_t entries = 0;       // of the last CRL built
  std::uint64_t last_build_us = 0; // read, build and sign time of the last CRL
};

class Publisher {
 public:
  // All references must outlive the Publisher; `writer` must be started.
  Publisher(storage::Env& env, storage::Writer& writer, std::vector<CrlSigner> signers, const Clock& clock,
            PublisherOptions options = {});
  ~Publisher();  // stop()
  Publisher(const Publisher&) = delete;
  Publisher& operator=(const Publisher&) = delete;

  bool empty() const noexcept { return signers_.empty(); }
  // Builds every issuer's CRL at once, then keeps them current on its thread.
  void start();
  void stop();
  // One round on the calling thread (tests with a fixed clock): reads the new events and
  // builds what is due; returns the first error. Rounds never overlap.
  Status run_once();
  // Builds and stores issuer `index`'s complete CRL (with shards and delta) now.
  Status build(std::size_t index);
  // Builds and stores issuer `index`'s delta CRL now (after a complete build of this run).
  Status build_delta(std::size_t index);

  // The test bed's CRLs (docs/testbed.md), built on request and never stored: the complete
  // CRL of the issuer with id `issuer` as of `as_of` (revocations after it left out;
  // thisUpdate = as_of), or, with `expired`, one whose nextUpdate has passed. It carries the
  // issuer's latest published CRL number. Error codes: crl_not_found (no CRL is built here
  // for that issuer), and those of build_crl.
  Result<Bytes> build_special(storage::IssuerId issuer, UnixTime as_of, bool expired);

  PublisherStats stats() const;
  // Prometheus text: trustmon_crl_builds_total, trustmon_crl_delta_builds_total,
  // trustmon_crl_build_failures_total, trustmon_crl_entries, trustmon_crl_build_seconds.
  std::string metrics_text() const;

 private:
  // The revoked entries of one snapshot, in key order (the certs keys kept for merging).
  struct Revoked;
  struct State {
    bool changed = false;        // a status change since the last complete build started
    bool delta_changed = false;  // ... since the last delta build started
    UnixTime built = 0;          // thisUpdate of the complete CRL this run built last (0: none yet)
    UnixTime delta_built = 0;    // thisUpdate of the delta this run built last
    std::shared_ptr<const Revoked> base;  // what the last complete CRL listed
    Bytes base_number;
  };
  Result<std::shared_ptr<const Revoked>> read_revoked(const pki::Issuer& issuer, UnixTime now, Bytes* next_number);
  Status store(std::size_t index, std::vector<std::shared_ptr<const storage::CrlRecord>> records);
  Status count_failure(Error e, const char* what, const pki::Issuer& issuer);
  Result<CrlParams> params_of(const CrlSigner& signer, UnixTime this_update, UnixTime next_update) const;
  void loop();
  Status round();
  Status scan_events();

  storage::Env& env_;
  storage::Writer& writer_;
  std::vector<CrlSigner> signers_;
  std::vector<State> states_;
  const Clock& clock_;
  PublisherOptions options_;
  std::uint64_t seen_seq_ = 0;
  bool started_round_ = false;

  std::mutex round_mu_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
  PublisherStats stats_;
};

}  // namespace trustmon::crl
