// The certificate registry: ingest of issued certificates and of revocations.
//
// Policy: everything that costs CPU (parsing, signature verification against the issuer,
// signing the pre-signed OCSP response) happens on the registry's own preparation threads,
// outside any transaction and off the HTTP event loops (a batch of RSA pre-signatures takes
// hundreds of milliseconds, which would stall every OCSP client of that loop). One Writer job per batch then applies the items, each in its own child
// transaction: a refused item stores nothing, the others commit together, durably,
// before the callback runs. A status change stores the newly signed OCSP response in
// the same commit, so no stale `good` is served once a revocation is acknowledged.
// Every stored change appends an event to the hash-chained log.
#pragma once

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
#include "responder/ocsp/issuer_table.hpp"
#include "responder/ocsp/responder.hpp"
#include "storage/writer.hpp"

namespace trustmon::registry {

enum class ItemStatus { stored, duplicate, revoked, unchanged, refused };
const char* item_status_name(ItemStatus s);

struct ItemOutcome {
  ItemStatus status = ItemStatus::refused;
  std::string issuer;      // issuer name, when known
  std::string serial_hex;  // upper-case hex, when known
  std::string sha256_hex;  // certificates only
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
};

class Registry {
 public:
  // Called on the Writer thread once the batch is durable (or failed as a whole).
  using Callback = std::function<void(Result<BatchReport>)>;

  // `prepare_threads` == 0: half the cores, at least one.
  Registry(storage::Writer& writer, const ocsp::IssuerTable& issuers, ocsp::OcspOptions options,
           const Clock& clock, std::size_t prepare_threads = 0);
  // Finishes the batches being prepared (they are then handed to the Writer).
  ~Registry() = default;

  // Items for an issuer the actor may not write for are refused ("issuer_not_operated")
  // and recorded as an `access.denied` event in the same commit.
  void ingest(std::vector<Bytes> certificates, Actor actor, Callback done);
  void revoke(std::vector<RevocationInput> revocations, Actor actor, Callback done);

 private:
  struct PreparedCert;
  struct PreparedRevocation;
  void ingest_prepared(std::vector<Bytes> certificates, Actor actor, Callback done);
  void revoke_prepared(std::vector<RevocationInput> revocations, Actor actor, Callback done);
  PreparedCert prepare_cert(const Bytes& der, UnixTime now) const;
  PreparedRevocation prepare_revocation(const RevocationInput& in, UnixTime now) const;
  // Runs `job` on the Writer; `done` gets `report` once the commit is durable.
  void submit_batch(storage::Writer::Job job, std::shared_ptr<BatchReport> report, Callback done);

  storage::Writer& writer_;
  const ocsp::IssuerTable& issuers_;
  ocsp::OcspOptions options_;
  const Clock& clock_;
  ThreadPool prepare_;  // last: its destructor drains tasks that use the members above
};

}  // namespace trustmon::registry
