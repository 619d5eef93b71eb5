// A view of a DER certificate's fields without d2i_X509, and signature verification
// from that view. OpenSSL 3.0's d2i_X509 decodes the subject public key through the
// provider decoders, which costs about 0.2 ms per certificate on this project's machine:
// more than the RSA verification itself, and the ceiling of bulk ingest and search. The
// registry never needs the subject's key (only the SHA-256 of its SubjectPublicKeyInfo),
// so it walks the DER here and hands OpenSSL only the pieces it must decode (names,
// times, extensions), each with its own small d2i.
//
// Policy: the walk is strict about structure (definite lengths, the RFC 5280 field order,
// no trailing bytes) and lenient about contents (they are checked where used). Anything
// the fast verifier does not handle itself (RSA-PSS, algorithm parameters other than
// absent/NULL) is verified through d2i_X509 + X509_verify, so results never differ.
#pragma once

#include <optional>

#include "common/bytes.hpp"
#include "common/ossl.hpp"

namespace trustmon::registry {

struct DerTlv {
  std::uint8_t tag = 0;
  ByteView content;
  ByteView whole;
};
// One TLV from the front of `in` (single-octet tags, definite lengths of at most 4
// length octets); advances `in`. nullopt when malformed.
std::optional<DerTlv> read_der_tlv(ByteView& in);

struct CertView {
  ByteView tbs;         // the signed TBSCertificate TLV
  ByteView serial;      // INTEGER content octets (two's complement)
  ByteView tbs_sig_alg; // AlgorithmIdentifier TLV inside the TBS
  ByteView issuer;      // Name TLV
  ByteView not_before;  // Time TLV
  ByteView not_after;   // Time TLV
  ByteView subject;     // Name TLV
  ByteView spki;        // SubjectPublicKeyInfo TLV
  ByteView extensions;  // Extensions SEQUENCE TLV; empty when absent
  ByteView sig_alg;     // outer AlgorithmIdentifier TLV
  ByteView signature;   // BIT STRING value without the unused-bits octet
};
std::optional<CertView> parse_cert_view(ByteView der);

// Serial as storage keys use it (magnitude, no leading zeros); empty when negative or empty.
Bytes view_serial(const CertView& v);

enum class SignatureCheck { valid, invalid, unverifiable };
// Verifies `der`'s signature with `ca_key`. `unverifiable`: the algorithm is one OpenSSL
// cannot check (unknown signature OID, or no CA key).
SignatureCheck verify_signature(ByteView der, const CertView& v, EVP_PKEY* ca_key);

struct X509NameDeleter {
  void operator()(X509_NAME* n) const noexcept { X509_NAME_free(n); }
};
using OwnedName = std::unique_ptr<X509_NAME, X509NameDeleter>;
OwnedName decode_name(ByteView name_tlv);

struct ExtensionsDeleter {
  void operator()(STACK_OF(X509_EXTENSION) * s) const noexcept { sk_X509_EXTENSION_pop_free(s, X509_EXTENSION_free); }
};
using OwnedExtensions = std::unique_ptr<STACK_OF(X509_EXTENSION), ExtensionsDeleter>;
// nullptr when absent or malformed.
OwnedExtensions decode_extensions(ByteView extensions_tlv);

}  // namespace trustmon::registry
