// Configuration → module options: the one place where a section of trustmon.toml (the flat
// config::Config, whose fields carry their section as a prefix) becomes the options struct
// of the module that uses it. Pure functions: no file is read and nothing is checked here;
// each module validates its own options (ocsp::validate, Server::start...) and config::load
// has already checked every key.
#pragma once

#include "common/log.hpp"
#include "responder/access/rate_limiter.hpp"
#include "responder/config/config.hpp"
#include "responder/crl/publisher.hpp"
#include "responder/csr/service.hpp"
#include "responder/http/server.hpp"
#include "responder/pki/issuer_set.hpp"
#include "responder/ocsp/options.hpp"
#include "responder/ocsp/refresher.hpp"
#include "responder/registry/registry.hpp"
#include "responder/watch/dispatcher.hpp"
#include "storage/lmdb.hpp"
#include "storage/writer.hpp"
#include "tsl/service.hpp"

namespace trustmon::daemon {

// [log]
LogOptions log_options(const config::Config& c);
// [storage]
storage::EnvOptions env_options(const config::Config& c);
storage::WriterOptions writer_options(const config::Config& c);
// [watch]
watch::DispatcherOptions dispatcher_options(const config::Config& c);
// [ocsp]
ocsp::OcspOptions ocsp_options(const config::Config& c);
ocsp::RefresherOptions refresher_options(const config::Config& c);
// [csr], with the ids of the [[issuer]]s that set allow_key_renewal.
csr::CsrPolicy csr_policy(const config::Config& c, const pki::IssuerSet& issuers);
// [[issuer]] accept_unverified_signatures and crl_key; the CSR hook is the daemon's to set.
registry::RegistryOptions registry_options(const config::Config& c);
// [server], and [log] access = "off"
http::ServerOptions server_options(const config::Config& c);
// [access]
access::RateLimit rate_limit(const config::Config& c);
// [crl] (the issuers' CRL keys and certificates are loaded by the daemon)
crl::PublisherOptions crl_options(const config::Config& c);
// [tl] (the signer's key and certificate are loaded by the daemon)
tsl::TlServiceOptions tl_options(const config::Config& c);

}  // namespace trustmon::daemon
