// The registry's hook into the key registry (responder/csr implements it): what the
// registry tells about a certificate's key INSIDE its own Writer job, so the key's use is
// recorded in the same commit that stores or revokes the certificate.
//
// Policy: the registry depends on this interface only, never on csr; main wires the
// implementation in (RegistryOptions::key_ledger). A returned Error is a storage fault
// and fails the registry's whole batch (the Writer reruns it after growing the map).
#pragma once

#include <cstdint>
#include <string_view>

#include "common/clock.hpp"
#include "common/ossl.hpp"
#include "common/result.hpp"
#include "storage/lmdb.hpp"
#include "storage/records.hpp"

namespace trustmon::registry {

// A certificate the ingest job is storing.
struct StoredKey {
  Sha256 spki_sha256{};  // the key fingerprint (pki/key_fingerprint.hpp)
  Sha256 cert_sha256{};
  std::uint32_t participant = 0;  // who stored it
  storage::IssuerId issuer = 0;
  Sha256 subject_sha256{};  // SHA-256 of the subject Name DER (key-renewal policy)
  ByteView cert_key{};      // its certs key (issuer id, serial), valid during the call
};

struct KeyReuse {
  bool key_reused = false;  // another request or certificate already used the key
  bool renewal = false;     // ... but only as a renewal its issuer allows
};

class KeyLedger {
 public:
  virtual ~KeyLedger() = default;
  // The certificate's key is now in use by it; says whether it was used before (the
  // registry then appends `certificate.key_reused`).
  virtual Result<KeyReuse> certificate_stored(storage::WriteTxn& txn, const StoredKey& key, UnixTime now,
                                              std::string_view actor_label) const = 0;
  // The certificate with this key and hash was revoked.
  virtual Status certificate_revoked(storage::WriteTxn& txn, const Sha256& spki_sha256,
                                     const Sha256& cert_sha256, UnixTime now,
                                     std::string_view actor_label) const = 0;
  // The certificate with this key and hash was on hold and is released (good again).
  virtual Status certificate_released(storage::WriteTxn& txn, const Sha256& spki_sha256,
                                      const Sha256& cert_sha256, UnixTime now,
                                      std::string_view actor_label) const = 0;
};

}  // namespace trustmon::registry
