// Owners for OpenSSL handles (move-only std::unique_ptr with deleter structs) and
// the few helpers every module needs: digests, error-queue draining, PEM/DER loading.
// Every function that fails drains the OpenSSL error queue into the returned Error.
#pragma once

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/ocsp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <array>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/bytes.hpp"
#include "common/clock.hpp"
#include "common/result.hpp"

namespace trustmon {

#define TRUSTMON_OSSL_OWNER(Name, Type, FreeFn)          \
  struct Name##Deleter {                                 \
    void operator()(Type* p) const noexcept { FreeFn(p); } \
  };                                                     \
  using Name = std::unique_ptr<Type, Name##Deleter>

TRUSTMON_OSSL_OWNER(X509Ptr, X509, X509_free);
TRUSTMON_OSSL_OWNER(X509CrlPtr, X509_CRL, X509_CRL_free);
TRUSTMON_OSSL_OWNER(X509StorePtr, X509_STORE, X509_STORE_free);
TRUSTMON_OSSL_OWNER(X509StoreCtxPtr, X509_STORE_CTX, X509_STORE_CTX_free);
TRUSTMON_OSSL_OWNER(X509ReqPtr, X509_REQ, X509_REQ_free);
TRUSTMON_OSSL_OWNER(X509NamePtr, X509_NAME, X509_NAME_free);
TRUSTMON_OSSL_OWNER(X509ExtPtr, X509_EXTENSION, X509_EXTENSION_free);
TRUSTMON_OSSL_OWNER(EvpPkeyPtr, EVP_PKEY, EVP_PKEY_free);
TRUSTMON_OSSL_OWNER(EvpPkeyCtxPtr, EVP_PKEY_CTX, EVP_PKEY_CTX_free);
TRUSTMON_OSSL_OWNER(EvpMdPtr, EVP_MD, EVP_MD_free);  // fetched (EVP_MD_fetch), not EVP_sha256()
TRUSTMON_OSSL_OWNER(EvpMdCtxPtr, EVP_MD_CTX, EVP_MD_CTX_free);
TRUSTMON_OSSL_OWNER(EvpCipherCtxPtr, EVP_CIPHER_CTX, EVP_CIPHER_CTX_free);
TRUSTMON_OSSL_OWNER(BioPtr, BIO, BIO_free_all);
TRUSTMON_OSSL_OWNER(Asn1IntegerPtr, ASN1_INTEGER, ASN1_INTEGER_free);
TRUSTMON_OSSL_OWNER(Asn1TimePtr, ASN1_TIME, ASN1_TIME_free);
TRUSTMON_OSSL_OWNER(Asn1OctetStringPtr, ASN1_OCTET_STRING, ASN1_OCTET_STRING_free);
TRUSTMON_OSSL_OWNER(Asn1ObjectPtr, ASN1_OBJECT, ASN1_OBJECT_free);
TRUSTMON_OSSL_OWNER(Asn1StringPtr, ASN1_STRING, ASN1_STRING_free);  // also ENUMERATED, GENERALIZEDTIME
TRUSTMON_OSSL_OWNER(AuthorityKeyIdPtr, AUTHORITY_KEYID, AUTHORITY_KEYID_free);
TRUSTMON_OSSL_OWNER(BignumPtr, BIGNUM, BN_free);
TRUSTMON_OSSL_OWNER(OcspRequestPtr, OCSP_REQUEST, OCSP_REQUEST_free);
TRUSTMON_OSSL_OWNER(OcspResponsePtr, OCSP_RESPONSE, OCSP_RESPONSE_free);
TRUSTMON_OSSL_OWNER(OcspBasicRespPtr, OCSP_BASICRESP, OCSP_BASICRESP_free);
TRUSTMON_OSSL_OWNER(OcspCertIdPtr, OCSP_CERTID, OCSP_CERTID_free);

struct X509StackDeleter {
  void operator()(STACK_OF(X509) * s) const noexcept { sk_X509_pop_free(s, X509_free); }
};
using X509StackPtr = std::unique_ptr<STACK_OF(X509), X509StackDeleter>;

#undef TRUSTMON_OSSL_OWNER

// Buffers OpenSSL allocates for the caller (PEM_read_bio's name, header and data; i2d_*
// into a null buffer): released with OPENSSL_free.
struct OpensslFreeDeleter {
  void operator()(void* p) const noexcept { OPENSSL_free(p); }
};
using OsslCharsPtr = std::unique_ptr<char, OpensslFreeDeleter>;
using OsslBytesPtr = std::unique_ptr<unsigned char, OpensslFreeDeleter>;

using Sha256 = std::array<std::uint8_t, 32>;

// Drains the thread's OpenSSL error queue into one line ("" if empty).
std::string ossl_errors();
// Error{kind, code, context + ": " + drained OpenSSL errors}.
Error ossl_error(ErrorKind kind, std::string code, std::string_view context);

Sha256 sha256(ByteView data);
// HMAC-SHA256 of `data` under `key` (webhook signatures, login links).
Sha256 hmac_sha256(ByteView key, ByteView data);
// Digest with the named algorithm ("SHA1", "SHA256", ...).
Result<Bytes> digest(const EVP_MD* md, ByteView data);

// DER of an X509 (i2d); empty on failure.
Bytes x509_der(const X509* cert);
// RFC 5035 IssuerSerial of `cert`: SEQUENCE { issuer GeneralNames { [4] directoryName },
// serialNumber } (XAdES SigningCertificateV2 and CMS ESSCertID/ESSCertIDv2 both carry it).
// Error: certificate_invalid.
Result<Bytes> issuer_serial_der(const X509* cert);
Result<X509Ptr> x509_from_der(ByteView der);
// A distinguished name as RFC 2253 text with UTF-8 kept as is ("CN=Name,O=Org").
std::string x509_name_text(const X509_NAME* name);
// The first entry of `nid` in `name` as UTF-8 (as issued), or "" when there is none.
std::string x509_name_entry_utf8(const X509_NAME* name, int nid);
// All certificates in a PEM text, in order (empty vector is not an error).
Result<std::vector<X509Ptr>> x509s_from_pem(std::string_view pem);
Result<EvpPkeyPtr> private_key_from_pem(std::string_view pem);

Result<std::string> read_file(const std::string& path);
enum class Durability {
  synced,  // temp file, fsync, rename: the file is either old or new, and on disk
  none,    // written in place, no fsync: for cheap regenerable output (demo data)
};
// Writes `data` with exactly `mode` (umask does not apply).
Status write_file(const std::string& path, std::string_view data, unsigned mode = 0644,
                  Durability durability = Durability::synced);

// Loads the first certificate from a PEM or DER file.
Result<X509Ptr> load_cert_file(const std::string& path);
Result<EvpPkeyPtr> load_key_file(const std::string& path);

// Serial number as big-endian magnitude bytes (no sign byte, no leading zeros; zero is {0}).
Bytes serial_bytes(const ASN1_INTEGER* serial);
// Time as Unix seconds; nullopt-like failure reported as Error.
Result<UnixTime> asn1_time_to_unix(const ASN1_TIME* t);

}  // namespace trustmon
