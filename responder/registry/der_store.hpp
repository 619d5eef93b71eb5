// Where the registry keeps a stored certificate's DER, and how to read it back.
//
// cert_der holds each DER once, under be64(der_id) where der_id is the certificate's
// ordinal among stored certificates (1, 2, ...; the certs record carries it): ingest
// appends, so a bulk import writes the DER sequentially in full pages instead of
// inserting it at a random place of a tree keyed by hash. Records written before der
// ids existed (der_id 0) find their DER under the certificate's SHA-256. The SHA-256 of
// a certificate leads to its record through the attribute index (kind sha256).
#pragma once

#include <cstdint>
#include <optional>

#include "common/bytes.hpp"
#include "common/ossl.hpp"
#include "common/result.hpp"
#include "storage/lmdb.hpp"
#include "storage/records.hpp"

namespace trustmon::registry {

Bytes der_key(std::uint64_t der_id);

// The DER of `record` (nullopt when the record holds none). Works in read and write
// transactions.
template <class Txn>
Result<std::optional<ByteView>> stored_der(const Txn& txn, const storage::CertRecord& record) {
  if (!record.has_der) return std::optional<ByteView>{};
  if (record.der_id != 0) return txn.get(storage::Table::cert_der, der_key(record.der_id));
  return txn.get(storage::Table::cert_der, ByteView(record.cert_sha256.data(), record.cert_sha256.size()));
}

// The DER of the stored certificate whose SHA-256 is `sha` (nullopt when not held).
Result<std::optional<ByteView>> stored_der_by_sha256(const storage::ReadTxn& txn, const Sha256& sha);

}  // namespace trustmon::registry
