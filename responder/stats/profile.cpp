// Reads the profile's four dimensions from a certificate's DER walk.
#include "responder/stats/profile.hpp"

#include <algorithm>

#include "common/der.hpp"

namespace trustmon::stats {
namespace {

// OBJECT IDENTIFIER content octets.
constexpr std::uint8_t kRsaEncryption[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01};
constexpr std::uint8_t kRsaPss[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a};
constexpr std::uint8_t kEcPublicKey[] = {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01};
constexpr std::uint8_t kP256[] = {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};
constexpr std::uint8_t kP384[] = {0x2b, 0x81, 0x04, 0x00, 0x22};
constexpr std::uint8_t kP521[] = {0x2b, 0x81, 0x04, 0x00, 0x23};
constexpr std::uint8_t kEd25519[] = {0x2b, 0x65, 0x70};
constexpr std::uint8_t kEd448[] = {0x2b, 0x65, 0x71};
// DSTU 4145 (1.2.804.2.1.1.1.1.3.1.1 polynomial basis, .3.1.2 optimal normal basis) and
// its named curves 1.2.804.2.1.1.1.1.3.1.1.2.{0..9} (m = 163 ... 431).
constexpr std::uint8_t kDstu4145Pb[] = {0x2a, 0x86, 0x24, 0x02, 0x01, 0x01, 0x01, 0x01, 0x03, 0x01, 0x01};
constexpr std::uint8_t kDstu4145Onb[] = {0x2a, 0x86, 0x24, 0x02, 0x01, 0x01, 0x01, 0x01, 0x03, 0x01, 0x02};
constexpr int kDstuCurveM[] = {163, 167, 173, 179, 191, 233, 257, 307, 367, 431};
// id-pe-qcStatements 1.3.6.1.5.5.7.1.3; QcSSCD 0.4.0.1862.1.4; QcType 0.4.0.1862.1.6 and
// its values .1 esign, .2 eseal, .3 web.
constexpr std::uint8_t kQcStatements[] = {0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x01, 0x03};
constexpr std::uint8_t kQcSscd[] = {0x04, 0x00, 0x8e, 0x46, 0x01, 0x04};
constexpr std::uint8_t kQcType[] = {0x04, 0x00, 0x8e, 0x46, 0x01, 0x06};
// Subject attributes: serialNumber 2.5.4.5, organizationIdentifier 2.5.4.97; the
// Ukrainian SubjectDirectoryAttributes DRFO 1.2.804.2.1.1.1.11.1.4.1.1 and EDRPOU .4.2.1.
constexpr std::uint8_t kSerialNumber[] = {0x55, 0x04, 0x05};
constexpr std::uint8_t kOrganizationIdentifier[] = {0x55, 0x04, 0x61};
constexpr std::uint8_t kSdaDrfo[] = {0x2a, 0x86, 0x24, 0x02, 0x01, 0x01, 0x01, 0x0b, 0x01, 0x04, 0x01, 0x01};
constexpr std::uint8_t kSdaEdrpou[] = {0x2a, 0x86, 0x24, 0x02, 0x01, 0x01, 0x01, 0x0b, 0x01, 0x04, 0x02, 0x01};

bool is(ByteView oid, std::span<const std::uint8_t> want) { return std::ranges::equal(oid, want); }

// Bits of a positive INTEGER's magnitude.
int integer_bits(ByteView content) {
  std::size_t i = 0;
  while (i < content.size() && content[i] == 0) ++i;
  if (i == content.size()) return 0;
  int bits = static_cast<int>(content.size() - i - 1) * 8;
  for (std::uint8_t top = content[i]; top != 0; top >>= 1) ++bits;
  return bits;
}

KeyAlg rsa_size(ByteView key_bits) {
  // BIT STRING content: the unused-bits octet, then RSAPublicKey SEQUENCE { n, e }.
  if (key_bits.empty() || key_bits[0] != 0) return KeyAlg::rsa_other;
  der::Reader r(key_bits.subspan(1));
  ByteView seq, n;
  if (!r.expect(der::kSequence, seq)) return KeyAlg::rsa_other;
  der::Reader body(seq);
  if (!body.expect(der::kInteger, n)) return KeyAlg::rsa_other;
  switch (integer_bits(n)) {
    case 2048: return KeyAlg::rsa_2048;
    case 3072: return KeyAlg::rsa_3072;
    case 4096: return KeyAlg::rsa_4096;
    default: return KeyAlg::rsa_other;
  }
}

KeyAlg dstu_size(ByteView params_tlv) {
  // DSTU4145Params ::= SEQUENCE { CHOICE { ECBinary, namedCurve OID }, dke OPTIONAL }.
  der::Tlv params;
  if (!der::single(params_tlv, der::kSequence, params)) return KeyAlg::dstu4145_other;
  der::Reader r(params.content);
  der::Tlv def;
  if (!r.next(def)) return KeyAlg::dstu4145_other;
  int m = 0;
  if (def.tag == der::kOid) {
    // A named curve: the DSTU arc (either basis) followed by 2.{index}.
    const ByteView oid = def.content;
    if (oid.size() == sizeof kDstu4145Pb + 2 && oid[sizeof kDstu4145Pb] == 0x02 &&
        std::equal(kDstu4145Pb, kDstu4145Pb + sizeof kDstu4145Pb - 1, oid.begin()) &&
        oid[sizeof kDstu4145Pb + 1] < std::size(kDstuCurveM))
      m = kDstuCurveM[oid[sizeof kDstu4145Pb + 1]];
  } else if (def.tag == der::kSequence) {
    // ECBinary ::= SEQUENCE { version [0] EXPLICIT INTEGER DEFAULT 0, f BinaryField, ... },
    // BinaryField ::= SEQUENCE { m INTEGER, ... }.
    der::Reader body(def.content);
    der::Tlv version;
    bool present = false;
    ByteView field, mv;
    if (body.optional(0xa0, version, present) && body.expect(der::kSequence, field)) {
      der::Reader f(field);
      if (f.expect(der::kInteger, mv) && mv.size() <= 2) {
        for (std::uint8_t b : mv) m = m << 8 | b;
      }
    }
  }
  switch (m) {
    case 257: return KeyAlg::dstu4145_257;
    case 307: return KeyAlg::dstu4145_307;
    case 431: return KeyAlg::dstu4145_431;
    default: return KeyAlg::dstu4145_other;
  }
}

struct QcFacts {
  bool sscd = false;
  Purpose purpose = Purpose::unknown;
};

QcFacts qc_facts(const std::vector<pki::ExtensionView>& extensions) {
  QcFacts out;
  const pki::ExtensionView* ext = pki::unique_extension(extensions, kQcStatements);
  if (!ext) return out;
  der::Reader outer(ext->value);
  ByteView statements;
  if (!outer.expect(der::kSequence, statements)) return out;
  der::Reader r(statements);
  while (!r.empty()) {
    ByteView statement, id;
    if (!r.expect(der::kSequence, statement)) return out;
    der::Reader s(statement);
    if (!s.expect(der::kOid, id)) continue;
    if (is(id, kQcSscd)) {
      out.sscd = true;
    } else if (is(id, kQcType) && out.purpose == Purpose::unknown) {
      // QcType-statementInfo ::= SEQUENCE OF OBJECT IDENTIFIER; the first known value counts.
      ByteView types;
      if (!s.expect(der::kSequence, types)) continue;
      der::Reader t(types);
      ByteView type;
      while (out.purpose == Purpose::unknown && t.expect(der::kOid, type)) {
        if (type.size() == sizeof kQcType + 1 && std::equal(kQcType, kQcType + sizeof kQcType, type.begin())) {
          const std::uint8_t v = type[sizeof kQcType];
          if (v >= 1 && v <= 3) out.purpose = static_cast<Purpose>(v);
        }
      }
    }
  }
  return out;
}

SubjectKind subject_kind_of(const pki::CertParts& parts) {
  bool person = false, organisation = false;
  for (const pki::NameAttribute& a : parts.subject) {
    if (is(a.oid, kOrganizationIdentifier)) {
      organisation = true;
    } else if (is(a.oid, kSerialNumber)) {
      // ETSI EN 319 412-1 natural-person semantics: TIN, PNO, PAS, IDC (+ country, '-').
      const ByteView v = a.value.content;
      if (v.size() >= 6 && v[5] == '-') {
        const std::string_view prefix(reinterpret_cast<const char*>(v.data()), 3);
        if (prefix == "TIN" || prefix == "PNO" || prefix == "PAS" || prefix == "IDC") person = true;
      }
    }
  }
  // The Ukrainian SubjectDirectoryAttributes: DRFO (a person's number), EDRPOU (an entity's).
  constexpr std::uint8_t kSda[] = {0x55, 0x1d, 0x09};
  if (const pki::ExtensionView* sda = pki::unique_extension(parts.extensions, kSda)) {
    der::Reader outer(sda->value);
    ByteView attrs;
    if (outer.expect(der::kSequence, attrs)) {
      der::Reader r(attrs);
      ByteView attr, type;
      while (r.expect(der::kSequence, attr)) {
        der::Reader a(attr);
        if (!a.expect(der::kOid, type)) continue;
        if (is(type, kSdaDrfo)) person = true;
        if (is(type, kSdaEdrpou)) organisation = true;
      }
    }
  }
  if (person && organisation) return SubjectKind::representative;
  if (person) return SubjectKind::natural_person;
  if (organisation) return SubjectKind::legal_entity;
  return SubjectKind::unknown;
}

}  // namespace

KeyAlg key_alg_of(ByteView spki_tlv) {
  // SubjectPublicKeyInfo ::= SEQUENCE { AlgorithmIdentifier, BIT STRING }.
  der::Tlv spki;
  if (!der::single(spki_tlv, der::kSequence, spki)) return KeyAlg::unknown;
  der::Reader r(spki.content);
  ByteView alg, oid, key_bits;
  if (!r.expect(der::kSequence, alg) || !r.expect(der::kBitString, key_bits)) return KeyAlg::unknown;
  der::Reader a(alg);
  if (!a.expect(der::kOid, oid)) return KeyAlg::unknown;
  der::Tlv params;
  const bool has_params = a.next(params);
  if (is(oid, kRsaEncryption) || is(oid, kRsaPss)) return rsa_size(key_bits);
  if (is(oid, kEcPublicKey)) {
    if (!has_params || params.tag != der::kOid) return KeyAlg::ecdsa_other;
    if (is(params.content, kP256)) return KeyAlg::ecdsa_p256;
    if (is(params.content, kP384)) return KeyAlg::ecdsa_p384;
    if (is(params.content, kP521)) return KeyAlg::ecdsa_p521;
    return KeyAlg::ecdsa_other;
  }
  if (is(oid, kEd25519)) return KeyAlg::ed25519;
  if (is(oid, kEd448)) return KeyAlg::ed448;
  if (is(oid, kDstu4145Pb) || is(oid, kDstu4145Onb))
    return has_params ? dstu_size(params.whole) : KeyAlg::dstu4145_other;
  return KeyAlg::other;
}

Profile derive_profile(const pki::CertParts& parts, Storage issuer_storage) {
  Profile p;
  p.key_alg = key_alg_of(parts.view.spki);
  const QcFacts qc = qc_facts(parts.extensions);
  p.purpose = qc.purpose;
  p.storage = qc.sscd ? Storage::qscd : issuer_storage;
  p.subject_kind = subject_kind_of(parts);
  return p;
}

Profile derive_profile(ByteView der, Storage issuer_storage) {
  const auto parts = pki::parse_cert_parts(der);
  return parts ? derive_profile(*parts, issuer_storage) : Profile{};
}

}  // namespace trustmon::stats
