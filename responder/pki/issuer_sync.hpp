// Start-up binding of the configured issuers to stable ids in the `issuers` table.
//
// Policy: an issuer's identity is its CA's subject and public key (IssuerRecord.identity),
// not its file name or label, so a re-issued CA certificate with the same key and name
// keeps its id and its certificates; a label change in the config renames the record.
// New issuers get the next free id, recorded with an `issuer.registered` event. Any
// problem with an issuer's files or keys is a start-up error (fatal), never a silent skip,
// and it stops the load before anything is stored.
//
// Each [[issuer]] also names its OCSP responder certificate and key. They are loaded here
// with the CA (one section, one set of files) and handed to `responders` as they are:
// ocsp::ResponderTable::add checks and prepares them, and its refusal is a load error too.
#pragma once

#include <functional>
#include <vector>

#include "common/clock.hpp"
#include "common/ossl.hpp"
#include "common/result.hpp"
#include "responder/config/config.hpp"
#include "responder/pki/issuer_set.hpp"
#include "storage/writer.hpp"

namespace trustmon::pki {

// Receives an issuer with its responder certificate (null: the CA signs its own
// responses) and the responder's private key. An empty sink loads the CAs only.
using ResponderSink =
    std::function<Status(const Issuer& issuer, X509Ptr responder_cert, EvpPkeyPtr responder_key)>;

Result<IssuerSet> load_issuers(const std::vector<config::IssuerConfig>& issuers, storage::Env& env,
                               storage::Writer& writer, UnixTime now, const ResponderSink& responders);

}  // namespace trustmon::pki
