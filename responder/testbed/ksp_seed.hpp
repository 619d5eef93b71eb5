// The cloud key store's keys at rest and their making (docs/testbed.md "Test cloud key
// store"): the master key file, the ksp_keys records, and the seeding step that gives each
// deterministic holder (ksp.hpp) its P-256 key and its certificate.
//
// Policy:
//  * the master key is `ksp.key` in the test bed's folder: 32 random octets made at the first
//    start, mode 0600; private keys are stored only sealed under it (AES-256-GCM, bound to
//    the holder), each with its certificate's DER beside it in one ksp_keys record;
//  * certificates are issued by the test CA test-ecdsa (profile ua-qes-natural, subject
//    serialNumber TINUA-<rnokpp>, CN "Тестовий Підписувач <NN>") through testbed::issue and
//    stored through the production ingest (revoked or held through the production
//    revocation), so trustmon's index and OCSP know them; 09's comes from the untrusted CA
//    and is not stored;
//  * seeding runs on the test bed's seed thread, after the server started: a holder whose
//    record opens under the master key, carries the current kKspIdentitiesVersion and whose
//    certificate the current CA signed over its key is loaded as it is; any other is made
//    again (new key, new certificate) and its record replaced. So later starts only load,
//    and a deleted test bed folder (new CAs, a new master key) heals itself;
//  * when the client secret is drawn at start (not configured), it is also written to
//    `ksp-client-secret` (0600) in the same folder, for relying parties outside the process
//    (integration tests, demos); it never reaches a log.
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "common/clock.hpp"
#include "common/result.hpp"
#include "responder/registry/registry.hpp"
#include "responder/testbed/ksp.hpp"
#include "responder/testbed/test_pki.hpp"
#include "storage/lmdb.hpp"
#include "storage/writer.hpp"

namespace trustmon::testbed {

inline constexpr const char* kKspMasterKeyFile = "ksp.key";
inline constexpr const char* kKspClientSecretFile = "ksp-client-secret";

// `dir`/ksp.key, made (32 random octets, 0600) when absent. Errors: ksp_master_key_invalid
// (not 32 octets), file_unreadable, file_unwritable, crypto_failed.
Result<Bytes> load_ksp_master_key(const std::string& dir);

// The key store of a test bed in `dir`: its master key loaded or made, the client secret
// drawn unless `options` has one (then written to `dir`/ksp-client-secret). Its holders
// come later, from seed_ksp.
Result<std::unique_ptr<Ksp>> open_ksp(const std::string& dir, KspOptions options, const Clock& clock);

// One ksp_keys record (key: the holder's RNOKPP): format 1 || u8 length || identity table
// version || be32 length || sealed key || certificate DER.
struct KspKeyRecord {
  std::string version;
  Bytes sealed_key;
  Bytes certificate;
};
Bytes encode_ksp_record(const KspKeyRecord& record);
// Error: storage_corrupt.
Result<KspKeyRecord> decode_ksp_record(ByteView value);

struct KspSeedReport {
  std::size_t loaded = 0;  // holders whose stored key and certificate were used as they were
  std::size_t made = 0;    // holders made by this run
};

// Loads or makes every holder, then installs them in `ksp`. `cancel` ends the run between
// holders. Errors: those of issuing, the registry and the Writer; cancelled.
Result<KspSeedReport> seed_ksp(Ksp& ksp, storage::Env& env, storage::Writer& writer, registry::Registry& registry,
                               const TestPki& pki, const std::string& base_url, const Clock& clock,
                               const std::atomic<bool>& cancel);

}  // namespace trustmon::testbed
