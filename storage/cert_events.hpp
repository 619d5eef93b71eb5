// The event log indexed by certificate for its status changes: cert_events holds
// cert_key (certs key) || be64 event sequence -> empty, one entry per certificate.revoked
// (revocations and holds) and certificate.released event, written in the job that appends
// the event. The certificate page reads a certificate's status history from here and the
// events table, without scanning the log. Issuance is not indexed (a bulk import would pay
// a second insert per certificate; the certs record has the ingest time). Events stored
// before schema 8 are not indexed.
#pragma once

#include <cstdint>
#include <vector>

#include "common/bytes.hpp"
#include "common/result.hpp"
#include "storage/lmdb.hpp"

namespace trustmon::storage {

inline constexpr std::size_t kMaxCertEvents = 1000;  // read at most this many per certificate

Status note_cert_event(WriteTxn& txn, ByteView cert_key, std::uint64_t seq);
// The sequences of `cert_key`'s indexed events, oldest first (at most kMaxCertEvents).
Result<std::vector<std::uint64_t>> cert_event_seqs(const ReadTxn& txn, ByteView cert_key);

}  // namespace trustmon::storage
