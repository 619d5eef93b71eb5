// A certificate's statistics profile (stats/codes.hpp): key algorithm and size, purpose
// (ETSI QcType), key storage (QcSSCD, else what the trusted list says of its issuer's
// service) and subject kind (from the identifiers it carries), read from the walked DER.
#pragma once

#include "responder/pki/cert_view.hpp"
#include "responder/stats/codes.hpp"

namespace trustmon::stats {

// `issuer_storage`: the key storage the trusted list states for every certificate of the
// issuer's service (Storage::unknown when it states none); a QcSSCD statement in the
// certificate itself says qscd whatever the list says.
Profile derive_profile(const pki::CertParts& parts, Storage issuer_storage = Storage::unknown);
// Same from the DER (the rebuild of a record stored before profiles); an unreadable
// certificate gives the unknown profile.
Profile derive_profile(ByteView der, Storage issuer_storage = Storage::unknown);

KeyAlg key_alg_of(ByteView spki_tlv);

}  // namespace trustmon::stats
