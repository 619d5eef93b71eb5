// Start-up binding of the configured issuers to stable ids in the `issuers` table.
//
// Policy: an issuer's identity is its CA's subject and public key (IssuerRecord.identity),
// not its file name or label, so a re-issued CA certificate with the same key and name
// keeps its id and its certificates; a label change in the config renames the record.
// New issuers get the next free id, recorded with an `issuer.added` event. Any problem
// with an issuer's files or keys is a start-up error (fatal), never a silent skip.
#pragma once

#include <vector>

#include "common/clock.hpp"
#include "common/result.hpp"
#include "responder/config/config.hpp"
#include "responder/ocsp/issuer_table.hpp"
#include "storage/writer.hpp"

namespace trustmon::registry {

Result<ocsp::IssuerTable> load_issuers(const std::vector<config::IssuerConfig>& issuers, storage::Env& env,
                                       storage::Writer& writer, UnixTime now);

}  // namespace trustmon::registry
