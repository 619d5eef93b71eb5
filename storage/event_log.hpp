// The append-only event log: sequence-numbered events, each carrying the SHA-256 of the
// previous event's stored bytes (its key and value), so editing or removing any stored
// event breaks the chain at a nameable place. Events are appended only inside the
// Writer's transactions; sequence numbers start at 1 and have no gaps.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "common/bytes.hpp"
#include "common/clock.hpp"
#include "common/ossl.hpp"
#include "common/result.hpp"
#include "storage/lmdb.hpp"

namespace trustmon::storage {

struct EventIn {
  std::string type;     // e.g. "certificate.issued", "certificate.revoked", "issuer.added"
  std::string actor;    // e.g. "bootstrap-admin"; never a secret
  std::string payload;  // JSON text
  UnixTime time = 0;
};

struct EventRecord {
  std::uint64_t seq = 0;
  UnixTime time = 0;
  Sha256 prev_hash{};  // all zero for seq 1
  std::string type;
  std::string actor;
  std::string payload;
};

// Appends after the current last event; returns the new sequence number.
Result<std::uint64_t> append_event(WriteTxn& txn, const EventIn& event);
// The newest event's sequence (0 when the log is empty). Reading what follows a
// position: storage/event_tail.hpp.
Result<std::uint64_t> last_event_seq(const ReadTxn& txn);
Result<std::uint64_t> last_event_seq(const WriteTxn& txn);
Result<EventRecord> decode_event(ByteView key, ByteView value);
// SHA-256 over key || value of a stored event (what the next event's prev_hash holds).
Sha256 event_hash(ByteView key, ByteView value);

struct ChainCheck {
  bool ok = true;
  std::uint64_t events = 0;        // events read
  std::uint64_t first_broken = 0;  // sequence of the first event whose link fails (0 if ok)
  std::string reason;              // "prev_hash mismatch", "sequence gap", "undecodable"
};
Result<ChainCheck> verify_event_chain(const ReadTxn& txn);

}  // namespace trustmon::storage
