// Turns the model into a TS 119 612 XML document (unsigned). TSLVersionIdentifier 6
// (TS 119 612 v2.4.1) by default, 5 on request. Both versions share the namespace
// http://uri.etsi.org/02231/v2#; what differs in the output:
//  * TSLVersionIdentifier;
//  * the `type` attribute of ServiceSupplyPoint exists only in v6 (dropped for v5);
//  * the XAdES signing-certificate property (SigningCertificateV2 for v6,
//    SigningCertificate for v5) is chosen by the signer from the same version number.
// The model's own `scheme.version` is what was imported; the writer emits the version
// asked for. Extension contents and unmodelled identities are copied back from their
// stored C14N fragments. Element-only content is indented (before signing, so the
// signature covers the indentation).
#pragma once

#include <string>

#include "common/result.hpp"
#include "tsl/model.hpp"
#include "tsl/xml.hpp"

namespace trustmon::tsl {

struct WriteOptions {
  int version = 6;      // 5 or 6; anything else is "tl_unsupported_version"
  bool indent = true;   // whitespace between elements for human readers
};

Result<XmlDocPtr> build_document(const TrustedList& list, const WriteOptions& options = {});
Result<std::string> write_trusted_list(const TrustedList& list, const WriteOptions& options = {});

}  // namespace trustmon::tsl
