// The CA certificates a trusted list announces, as relying parties and the monitoring
// side need them: each with its provider, service type and status and the service's
// supply points sorted by kind; and a PKCS#7 certs-only bundle (DER) of them.
// Supply point kinds come from the v6 `type` attribute when present
// (.../Certstatus/OCSP..., .../Certstatus/CRL...), else from the URI where recognisable.
#pragma once

#include <string>
#include <vector>

#include "common/bytes.hpp"
#include "common/ossl.hpp"
#include "common/result.hpp"
#include "tsl/model.hpp"

namespace trustmon::tsl {

struct CaCertificate {
  std::string provider_name;  // first English TSPName (else the first name)
  std::string service_name;   // first English ServiceName (else the first name)
  std::string service_type;   // ServiceTypeIdentifier URI
  std::string status;         // ServiceStatus URI
  UnixTime status_starting_time = 0;
  Bytes der;
  std::vector<std::string> ocsp;   // supply points recognised as OCSP responders
  std::vector<std::string> crl;    // ... as CRL distribution points
  std::vector<std::string> tsp;    // ... as time-stamping endpoints
  std::vector<std::string> other;  // everything else (information pages, ...)
};

// Current service entries whose X509Certificate is a CA certificate (basicConstraints
// CA:TRUE), in list order; the same certificate in two services appears twice.
std::vector<CaCertificate> ca_certificates(const TrustedList& list);

// The entries of `cas` that announce `ca`: the same certificate, or the same subject and
// key (a re-issued CA certificate). How "this CA is on the list" is decided everywhere.
std::vector<const CaCertificate*> entries_of(const std::vector<CaCertificate>& cas, X509* ca);
// Whether an entry's service status is an active one (granted, or the older
// recognisedatnationallevel / accredited / undersupervision of TS 119 612 v1).
bool status_active(const CaCertificate& entry);

// PKCS#7 SignedData with no signers holding each distinct certificate once (DER).
Result<Bytes> certs_only_p7b(const std::vector<CaCertificate>& certs);

// CAs.json (the czo.gov.ua / Diia file beside CACertificates.p7b): {"list","sequence","issued",
// "cas":[{"sha256","href","provider","service","service_type","status","status_starting_time",
// "ocsp","crl","tsp","other","subject","not_before","not_after"},…]}; each href is
// `href_prefix` + the certificate's hex SHA-256 + ".cer".
std::string cas_json(std::string_view list, std::uint64_t sequence, UnixTime issued,
                     const std::vector<CaCertificate>& cas, std::string_view href_prefix);

}  // namespace trustmon::tsl
