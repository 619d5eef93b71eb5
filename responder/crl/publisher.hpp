// The CRLs trustmon builds and signs itself, for the issuers configured with a CRL key:
// one thread that keeps each such issuer's full CRL current and publishes it through the
// Writer (storage/crls.hpp), where GET /crl/{issuer}.crl finds it.
//
// Policy:
//  * a CRL is built from the status data of one read snapshot: every `certs` record of
//    the issuer that is revoked (on hold included), in serial order, with its reason and
//    invalidity date; a certificate whose notAfter has passed leaves the CRL (records of
//    serials never ingested have no notAfter and stay);
//  * numbers go up by one from the issuer's latest stored CRL, committed with the CRL, so
//    they are never reused across restarts or kill -9; thisUpdate is the build time,
//    nextUpdate thisUpdate + validity;
//  * a build happens at start, when half of the current CRL's validity has passed, and
//    after a status change of the issuer (a certificate.revoked or certificate.released
//    event): at once when
//    the last build is at least `rebuild_after` old, otherwise when it becomes so. A
//    revocation is therefore on the CRL at most `rebuild_after` (plus one tick) after
//    its acknowledgement; reads never wait for a build (they serve the stored CRL);
//  * building and signing happen on the publisher thread, outside any transaction; the
//    Writer job only stores the CRL and its crl.published event ("source":"built");
//  * a failed build is logged, counted and tried again at the next tick.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.hpp"
#include "common/ossl.hpp"
#include "common/result.hpp"
#include "responder/ocsp/signing_key.hpp"
#include "responder/pki/issuer_set.hpp"
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
  UnixTime validity = 86400;      // nextUpdate - thisUpdate
  UnixTime rebuild_after = 60;    // least time between two builds after changes
  std::chrono::milliseconds tick{1000};
};

struct PublisherStats {
  std::uint64_t builds = 0;
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
  // Builds and stores issuer `index`'s CRL now, whatever is due.
  Status build(std::size_t index);

  PublisherStats stats() const;
  // Prometheus text: trustmon_crl_builds_total, trustmon_crl_build_failures_total,
  // trustmon_crl_entries, trustmon_crl_build_seconds.
  std::string metrics_text() const;

 private:
  struct State {
    bool changed = false;  // a status change of the issuer since its last build started
    UnixTime built = 0;    // thisUpdate of the CRL this run built last (0: none yet)
  };
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
