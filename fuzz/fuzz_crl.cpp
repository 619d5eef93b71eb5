// A CRL upload as POST /api/v1/crls receives it (DER or PEM), read into its entries the
// way the registry reads it before finding the issuer, then the same entries built into
// a CRL of our own (crl::build_crl, as the publisher does) and read back by OpenSSL.
// Properties: no crash; every entry without an error has a 1..32-octet serial and an
// invalidity date not after its time; a CRL number normalizes to at most 20 octets and
// its decimal text reads back to it; the CRL we build from the accepted entries parses
// with d2i_X509_CRL and lists the same serials in the same order.
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <cstdint>
#include <cstdlib>
#include <memory>

#include "common/ossl.hpp"
#include "responder/crl/builder.hpp"
#include "responder/registry/crl_reader.hpp"
#include "storage/crls.hpp"

using namespace trustmon;

namespace {

// One P-256 signing key for the whole run.
const ocsp::SigningKey& signing_key() {
  static std::unique_ptr<ocsp::SigningKey> key = [] {
    EvpPkeyPtr pkey(EVP_EC_gen("P-256"));
    if (!pkey) std::abort();
    auto k = ocsp::SigningKey::create(pkey.get());
    if (!k) std::abort();
    return std::move(*k);
  }();
  return *key;
}

// A Name: SEQUENCE { SET { SEQUENCE { id-at-commonName, UTF8String "Fuzz CA" } } }.
constexpr std::uint8_t kIssuerName[] = {0x30, 0x12, 0x31, 0x10, 0x30, 0x0e, 0x06, 0x03, 0x55, 0x04, 0x03, 0x0c,
                                        0x07, 'F',  'u',  'z',  'z',  ' ',  'C',  'A'};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  constexpr UnixTime kNow = 1767225600;
  auto upload = registry::read_crl(Bytes(data, data + size), kNow, 300);
  if (!upload) return 0;
  std::vector<crl::Entry> entries;
  for (const auto& e : upload->entries) {
    if (e.error) continue;
    if (e.serial.empty() || e.serial.size() > 32 || e.invalidity_date > e.time || e.time > kNow + 300) std::abort();
    if (entries.size() < 1000) entries.push_back({e.serial, e.time, e.reason, e.invalidity_date});
  }
  if (upload->number) {
    auto n = storage::normalize_crl_number(*upload->number);
    if (n) {
      if (n->empty() || n->size() > storage::kMaxCrlNumberBytes) std::abort();
      if (storage::parse_crl_number_decimal(storage::crl_number_decimal(*n)) != n) std::abort();
    } else if (upload->number->size() <= storage::kMaxCrlNumberBytes) {
      std::abort();  // a number that fits must normalize
    }
  }
  crl::CrlParams params;
  params.issuer_name = ByteView(kIssuerName, sizeof kIssuerName);
  params.number = Bytes{1};
  params.this_update = kNow;
  params.next_update = kNow + 86400;
  auto built = crl::build_crl(params, entries, signing_key());
  if (!built) return 0;  // e.g. a date outside what the time types hold: refused, not mis-encoded
  const unsigned char* p = built->data();
  X509CrlPtr parsed(d2i_X509_CRL(nullptr, &p, static_cast<long>(built->size())));
  if (!parsed || p != built->data() + built->size()) std::abort();
  STACK_OF(X509_REVOKED)* revoked = X509_CRL_get_REVOKED(parsed.get());
  const int n = revoked ? sk_X509_REVOKED_num(revoked) : 0;
  if (static_cast<std::size_t>(n) != entries.size()) std::abort();
  for (int i = 0; i < n; ++i) {
    const ASN1_INTEGER* serial = X509_REVOKED_get0_serialNumber(sk_X509_REVOKED_value(revoked, i));
    BignumPtr got(ASN1_INTEGER_to_BN(serial, nullptr));
    BignumPtr want(BN_bin2bn(entries[static_cast<std::size_t>(i)].serial.data(),
                             static_cast<int>(entries[static_cast<std::size_t>(i)].serial.size()), nullptr));
    if (!got || !want || BN_cmp(got.get(), want.get()) != 0) std::abort();
  }
  ossl_errors();
  return 0;
}
