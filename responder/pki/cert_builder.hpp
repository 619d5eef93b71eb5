// Making keys and certificates with OpenSSL: the one place trustmon builds X.509
// certificates (the demo PKI of trustmonctl and the test bed's CAs both use it).
//
// Policy:
//  * certificates are built field by field; extensions OpenSSL knows go through
//    X509V3_EXT_conf_nid (OpenSSL's own encoding), others (QcStatements,
//    SubjectDirectoryAttributes) are given as DER and added as they are;
//  * serial numbers are 16 random octets with the top bit clear (positive, always 32 hex
//    characters);
//  * every failure is an Error (code crypto_failed) carrying OpenSSL's queue.
#pragma once

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/bytes.hpp"
#include "common/ossl.hpp"
#include "common/result.hpp"
#include "common/time.hpp"

namespace trustmon::pki {

enum class KeyAlgorithm : std::uint8_t { ec_p256, rsa_2048 };
// "ec-p256" / "rsa-2048".
const char* key_algorithm_name(KeyAlgorithm a) noexcept;
std::optional<KeyAlgorithm> parse_key_algorithm(std::string_view name) noexcept;

// One key-generation context per algorithm, reused (setting one up costs more than making
// a P-256 key). Not thread-safe: one factory per thread.
class KeyFactory {
 public:
  static Result<KeyFactory> create();
  Result<EvpPkeyPtr> generate(KeyAlgorithm a);

 private:
  EvpPkeyCtxPtr ec_;
  EvpPkeyCtxPtr rsa_;
};

struct NameEntry {
  int nid = NID_undef;
  std::string value;  // UTF-8; OpenSSL picks the string type per attribute
};
Result<X509NamePtr> make_name(const std::vector<NameEntry>& entries);

// An extension given as its DER value (the content of extnValue).
struct RawExtension {
  std::string oid;  // dotted
  bool critical = false;
  Bytes value;
};

struct CertSpec {
  const X509_NAME* subject = nullptr;
  EVP_PKEY* subject_key = nullptr;  // its public part goes into the certificate
  X509* issuer = nullptr;           // nullptr: self-signed
  EVP_PKEY* issuer_key = nullptr;
  Bytes serial;
  UnixTime not_before = 0;
  UnixTime not_after = 0;
  // Extensions in OpenSSL's config syntax, in order (SKI before AKI), then the raw ones.
  std::vector<std::pair<int, std::string>> extensions;
  std::vector<RawExtension> raw_extensions;
};

Result<X509Ptr> build_cert(const CertSpec& spec);
Result<Bytes> random_serial();

Result<std::string> cert_pem(const X509* cert);
Result<std::string> key_pem(EVP_PKEY* key);  // unencrypted PKCS#8
Result<Bytes> cert_der(const X509* cert);

}  // namespace trustmon::pki
