// The client side for OCSP tests, built on OpenSSL's own OCSP API so that our
// responses are judged by an independent implementation: request building
// (OCSP_REQUEST_new / OCSP_request_add0_id / OCSP_request_add1_nonce) and response
// checking (d2i_OCSP_RESPONSE, OCSP_basic_verify, OCSP_resp_find_status, ...).
// Also a tiny forward DER builder for hand-made (mal)formed inputs.
#pragma once

#include <openssl/ocsp.h>

#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

#include "common/bytes.hpp"
#include "common/ossl.hpp"

namespace trustmon::testing {

// CertID for `serial` (magnitude octets) under `issuer`, hashed with `md`.
OcspCertIdPtr make_certid(const EVP_MD* md, const X509* issuer, ByteView serial);

struct RequestSpec {
  std::vector<std::pair<const EVP_MD*, const X509*>> ids{};  // (hash, issuer) per CertID
  std::vector<Bytes> serials{};                             // same length as ids
  std::optional<Bytes> nonce{};      // added with OCSP_request_add1_nonce (wrapped in an OCTET STRING)
  std::optional<Bytes> raw_nonce{};  // put directly in extnValue (lenient-client form)
};
// DER of the request; also returns the OCSP_REQUEST for OCSP_check_nonce.
Bytes build_request(const RequestSpec& spec, OcspRequestPtr* keep = nullptr);

// The parsed and verified basic response (nullptr + a message on failure).
struct VerifiedResponse {
  OcspResponsePtr response;
  OcspBasicRespPtr basic;
  std::string error;  // empty when verified
};
// Parses `der`, requires responseStatus successful, verifies the signature and the
// responder's authority with `root` as the only trust anchor and `intermediates` as
// untrusted certificates.
VerifiedResponse verify_response(ByteView der, const X509* root, const std::vector<const X509*>& intermediates);

struct SingleResult {
  bool found = false;
  int status = -1;   // V_OCSP_CERTSTATUS_GOOD / REVOKED / UNKNOWN
  int reason = -1;   // -1 = absent
  long revocation_time = -1;
  long this_update = -1;
  long next_update = -1;
  int hash_nid = 0;  // the response CertID's hash algorithm
  std::optional<long> invalidity_date;
};
SingleResult find_status(OCSP_BASICRESP* basic, OCSP_CERTID* id);

bool has_extended_revoke(OCSP_BASICRESP* basic);
// ResponderID is byKey and matches `responder`'s key.
bool responder_id_by_key(OCSP_BASICRESP* basic, const X509* responder);
int embedded_cert_count(OCSP_BASICRESP* basic);

// Forward DER: tlv(0x30, {a, b}) = SEQUENCE { a, b }.
Bytes tlv(std::uint8_t tag, std::initializer_list<Bytes> parts);
Bytes tlv(std::uint8_t tag, ByteView content);
Bytes cat(std::initializer_list<Bytes> parts);

}  // namespace trustmon::testing
