// OpenSSL-based OCSP client helpers for tests (see ocsp_client.hpp).
#include "tests/support/ocsp_client.hpp"

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include <cstring>
#include <stdexcept>

namespace trustmon::testing {
namespace {

long to_unix(const ASN1_GENERALIZEDTIME* t) {
  if (t == nullptr) return -1;
  auto r = asn1_time_to_unix(t);
  return r ? static_cast<long>(*r) : -2;
}

}  // namespace

OcspCertIdPtr make_certid(const EVP_MD* md, const X509* issuer, ByteView serial) {
  BignumPtr bn(BN_bin2bn(serial.data(), static_cast<int>(serial.size()), nullptr));
  Asn1IntegerPtr n(BN_to_ASN1_INTEGER(bn.get(), nullptr));
  OcspCertIdPtr id(OCSP_cert_id_new(md, X509_get_subject_name(issuer), X509_get0_pubkey_bitstr(issuer), n.get()));
  if (!id) throw std::runtime_error("OCSP_cert_id_new: " + ossl_errors());
  return id;
}

Bytes build_request(const RequestSpec& spec, OcspRequestPtr* keep) {
  OcspRequestPtr req(OCSP_REQUEST_new());
  for (std::size_t i = 0; i < spec.ids.size(); ++i) {
    OcspCertIdPtr id = make_certid(spec.ids[i].first, spec.ids[i].second, spec.serials.at(i));
    if (OCSP_request_add0_id(req.get(), id.get()) == nullptr) throw std::runtime_error("OCSP_request_add0_id");
    id.release();  // owned by the request now
  }
  if (spec.nonce &&
      OCSP_request_add1_nonce(req.get(), const_cast<unsigned char*>(spec.nonce->data()),  // NOLINT
                              static_cast<int>(spec.nonce->size())) != 1)
    throw std::runtime_error("OCSP_request_add1_nonce");
  if (spec.raw_nonce) {
    Asn1OctetStringPtr os(ASN1_OCTET_STRING_new());
    ASN1_OCTET_STRING_set(os.get(), spec.raw_nonce->data(), static_cast<int>(spec.raw_nonce->size()));
    X509ExtPtr ext(X509_EXTENSION_create_by_NID(nullptr, NID_id_pkix_OCSP_Nonce, 0, os.get()));
    if (!ext || OCSP_REQUEST_add_ext(req.get(), ext.get(), -1) != 1) throw std::runtime_error("raw nonce");
  }
  unsigned char* buf = nullptr;
  const int len = i2d_OCSP_REQUEST(req.get(), &buf);
  if (len <= 0) throw std::runtime_error("i2d_OCSP_REQUEST");
  Bytes out(buf, buf + len);
  OPENSSL_free(buf);
  if (keep != nullptr) *keep = std::move(req);
  return out;
}

VerifiedResponse verify_response(ByteView der, const X509* root, const std::vector<const X509*>& intermediates) {
  VerifiedResponse v;
  const unsigned char* p = der.data();
  v.response.reset(d2i_OCSP_RESPONSE(nullptr, &p, static_cast<long>(der.size())));
  if (!v.response) {
    v.error = "d2i_OCSP_RESPONSE failed: " + ossl_errors();
    return v;
  }
  if (p != der.data() + der.size()) {
    v.error = "trailing bytes after OCSPResponse";
    return v;
  }
  const int status = OCSP_response_status(v.response.get());
  if (status != OCSP_RESPONSE_STATUS_SUCCESSFUL) {
    v.error = "response status " + std::to_string(status);
    return v;
  }
  v.basic.reset(OCSP_response_get1_basic(v.response.get()));
  if (!v.basic) {
    v.error = "no basic response";
    return v;
  }
  X509StorePtr store(X509_STORE_new());
  X509_STORE_add_cert(store.get(), const_cast<X509*>(root));  // NOLINT: OpenSSL API
  X509StackPtr untrusted(sk_X509_new_null());
  for (const X509* c : intermediates) {
    X509* copy = X509_dup(c);
    sk_X509_push(untrusted.get(), copy);
  }
  if (OCSP_basic_verify(v.basic.get(), untrusted.get(), store.get(), 0) != 1) {
    v.error = "OCSP_basic_verify failed: " + ossl_errors();
    return v;
  }
  ERR_clear_error();
  return v;
}

SingleResult find_status(OCSP_BASICRESP* basic, OCSP_CERTID* id) {
  SingleResult r;
  const int idx = OCSP_resp_find(basic, id, -1);
  if (idx < 0) return r;
  OCSP_SINGLERESP* single = OCSP_resp_get0(basic, idx);
  ASN1_GENERALIZEDTIME *rev = nullptr, *thisupd = nullptr, *nextupd = nullptr;
  r.status = OCSP_single_get0_status(single, &r.reason, &rev, &thisupd, &nextupd);
  r.found = true;
  r.revocation_time = to_unix(rev);
  r.this_update = to_unix(thisupd);
  r.next_update = to_unix(nextupd);
  ASN1_OBJECT* alg = nullptr;
  OCSP_id_get0_info(nullptr, &alg, nullptr, nullptr, const_cast<OCSP_CERTID*>(OCSP_SINGLERESP_get0_id(single)));
  r.hash_nid = OBJ_obj2nid(alg);
  int crit = 0;
  auto* inv = static_cast<ASN1_GENERALIZEDTIME*>(OCSP_SINGLERESP_get1_ext_d2i(single, NID_invalidity_date, &crit, nullptr));
  if (inv != nullptr) {
    r.invalidity_date = to_unix(inv);
    ASN1_GENERALIZEDTIME_free(inv);
  }
  return r;
}

bool has_extended_revoke(OCSP_BASICRESP* basic) {
  Asn1ObjectPtr oid(OBJ_txt2obj("1.3.6.1.5.5.7.48.1.9", 1));
  const int idx = OCSP_BASICRESP_get_ext_by_OBJ(basic, oid.get(), -1);
  if (idx < 0) return false;
  X509_EXTENSION* ext = OCSP_BASICRESP_get_ext(basic, idx);
  const ASN1_OCTET_STRING* value = X509_EXTENSION_get_data(ext);
  // extnValue must be the DER of NULL.
  return ASN1_STRING_length(value) == 2 && ASN1_STRING_get0_data(value)[0] == 0x05 &&
         ASN1_STRING_get0_data(value)[1] == 0x00;
}

bool responder_id_by_key(OCSP_BASICRESP* basic, const X509* responder) {
  const ASN1_OCTET_STRING* key_id = nullptr;
  const X509_NAME* name = nullptr;
  if (OCSP_resp_get0_id(basic, &key_id, &name) != 1 || key_id == nullptr || name != nullptr) return false;
  // byKey is the SHA-1 of the subjectPublicKey BIT STRING value (RFC 6960 §4.2.1).
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (X509_pubkey_digest(responder, EVP_sha1(), md, &len) != 1) return false;
  return ASN1_STRING_length(key_id) == static_cast<int>(len) &&
         std::memcmp(ASN1_STRING_get0_data(key_id), md, len) == 0;
}

int embedded_cert_count(OCSP_BASICRESP* basic) {
  const STACK_OF(X509)* certs = OCSP_resp_get0_certs(basic);
  return certs == nullptr ? 0 : sk_X509_num(certs);
}

Bytes tlv(std::uint8_t tag, ByteView content) {
  Bytes out{tag};
  const std::size_t n = content.size();
  if (n < 0x80) {
    out.push_back(static_cast<std::uint8_t>(n));
  } else if (n < 0x100) {
    out.push_back(0x81);
    out.push_back(static_cast<std::uint8_t>(n));
  } else {
    out.push_back(0x82);
    out.push_back(static_cast<std::uint8_t>(n >> 8));
    out.push_back(static_cast<std::uint8_t>(n));
  }
  out.insert(out.end(), content.begin(), content.end());
  return out;
}

Bytes cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

Bytes tlv(std::uint8_t tag, std::initializer_list<Bytes> parts) { return tlv(tag, cat(parts)); }

}  // namespace trustmon::testing
