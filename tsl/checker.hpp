// Checks a signed trusted list before anyone may see it: the signature verifies with the
// expected signer certificate pinned (never the one the document carries), it has the
// XAdES shape TS 119 612 asks for, and the document is valid against the ETSI schema of
// its TSLVersionIdentifier. No network access: schemas come from a local directory
// (tsl/schemas/ in the source tree by default: TRUSTMON_TSL_SCHEMA_DIR).
//
// Signature rules (all must hold): exactly one ds:Signature, the last child of the
// root; xmlsec verification succeeds with the pinned public key, references limited to
// URI="" and same-document fragments; a reference URI="" carrying the enveloped-signature
// transform; a reference of Type ...#SignedProperties to the xades:SignedProperties
// inside this signature; SigningTime present; SigningCertificate(V2) digest equal to the
// pinned certificate's; a certificate in KeyInfo, if any, equal to the pinned one.
//
// Schemas: libxml2 parses the ETSI schemas slowly, so a TlChecker parses the v5 and v6
// driver schemas once; the parsed schemas are shared read-only and each check() uses
// its own validation context, so one TlChecker serves every thread. Version 5 works
// around libxml2's 24-digit xs:integer limit (see tsl/schemas/README.md): the XAdES
// QualifyingProperties are left out of the schema pass and checked here instead.
//
// Errors: "tl_malformed", "tl_signature_missing", "tl_signature_invalid",
// "tl_schema_invalid", "tl_unsupported_version", "tl_schema_unavailable" (create()).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "common/ossl.hpp"
#include "common/result.hpp"
#include "tsl/xml.hpp"

namespace trustmon::tsl {

#ifdef TRUSTMON_TSL_SCHEMA_DIR
inline constexpr const char* kDefaultSchemaDir = TRUSTMON_TSL_SCHEMA_DIR;
#else
inline constexpr const char* kDefaultSchemaDir = "/usr/share/trustmon/schemas";
#endif
#ifdef TRUSTMON_TSL_INSTALLED_SCHEMA_DIR
inline constexpr const char* kInstalledSchemaDir = TRUSTMON_TSL_INSTALLED_SCHEMA_DIR;
#else
inline constexpr const char* kInstalledSchemaDir = "/usr/share/trustmon/schemas";
#endif
// The schema folder to use when none is configured: the source tree's copy when it is
// there (builds, tests), else the installed copy.
std::string default_schema_dir();

class TlChecker {
 public:
  // Parses tl-v5-all.xsd and tl-v6-all.xsd from `schema_dir`.
  static Result<TlChecker> create(const std::string& schema_dir = kDefaultSchemaDir);

  // Full check of published bytes: well-formed, signature (pinned signer), schema.
  Status check(std::string_view signed_xml, X509* signer) const;

  // The two halves, on a document parsed with blanks kept (parse_xml(bytes, true)).
  // verify_signature must run before validate_schema on the same document (schema
  // validation registers xs:ID attributes as IDs).
  Status verify_signature(xmlDoc* doc, X509* signer) const;
  Status validate_schema(xmlDoc* doc) const;

 private:
  std::shared_ptr<xmlSchema> v5_;
  std::shared_ptr<xmlSchema> v6_;
};

}  // namespace trustmon::tsl
