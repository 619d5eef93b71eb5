// Certificate DER walk and verification without d2i_X509 (see cert_view.hpp).
#include "responder/pki/cert_view.hpp"

#include <openssl/objects.h>
#include <openssl/rsa.h>

#include <algorithm>
#include <array>
#include <mutex>

#include "common/der.hpp"
#include "common/time.hpp"
#include "common/utf8.hpp"

namespace trustmon::pki {

std::optional<CertView> parse_cert_view(ByteView der) {
  der::Tlv cert, tbs, sig_alg, sig;
  if (!der::single(der, der::kSequence, cert)) return std::nullopt;
  der::Reader body(cert.content);
  if (!body.expect(der::kSequence, tbs) || !body.expect(der::kSequence, sig_alg) ||
      !body.expect(der::kBitString, sig) || !body.empty() || sig.content.empty() || sig.content[0] != 0)
    return std::nullopt;
  CertView v;
  v.tbs = tbs.whole;
  v.sig_alg = sig_alg.whole;
  v.signature = sig.content.subspan(1);
  der::Reader t(tbs.content);
  der::Tlv version, serial, alg, issuer, validity, subject, spki;
  bool has_version = false;
  if (!t.optional(der::context(0), version, has_version) || !t.expect(der::kInteger, serial) ||
      !t.expect(der::kSequence, alg) || !t.expect(der::kSequence, issuer) ||
      !t.expect(der::kSequence, validity) || !t.expect(der::kSequence, subject) ||
      !t.expect(der::kSequence, spki))
    return std::nullopt;
  v.serial = serial.content;
  v.tbs_sig_alg = alg.whole;
  v.issuer = issuer.whole;
  v.subject = subject.whole;
  v.spki = spki.whole;
  der::Reader times(validity.content);
  der::Tlv not_before, not_after;
  if (!times.next(not_before) || !times.next(not_after) || !times.empty()) return std::nullopt;
  v.not_before = not_before.whole;
  v.not_after = not_after.whole;
  while (!t.empty()) {  // [1] issuerUniqueID, [2] subjectUniqueID, [3] extensions
    der::Tlv opt;
    if (!t.next(opt)) return std::nullopt;
    if (opt.tag == der::context(3)) {
      der::Tlv seq;
      if (!der::single(opt.content, der::kSequence, seq)) return std::nullopt;
      v.extensions = seq.whole;
    }
  }
  return v;
}

Bytes view_serial(const CertView& v) {
  if (v.serial.empty() || (v.serial[0] & 0x80)) return {};
  std::size_t skip = 0;
  while (skip + 1 < v.serial.size() && v.serial[skip] == 0) ++skip;
  return to_bytes(v.serial.subspan(skip));
}

X509NamePtr decode_name(ByteView name_tlv) {
  const unsigned char* p = name_tlv.data();
  X509NamePtr n(d2i_X509_NAME(nullptr, &p, static_cast<long>(name_tlv.size())));
  if (!n) ossl_errors();
  return n;
}

// Extensions ::= SEQUENCE OF Extension;
// Extension ::= SEQUENCE { extnID OID, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING }.
std::optional<std::vector<ExtensionView>> parse_extensions(ByteView extensions_tlv) {
  std::vector<ExtensionView> out;
  if (extensions_tlv.empty()) return out;
  der::Tlv seq;
  if (!der::single(extensions_tlv, der::kSequence, seq)) return std::nullopt;
  der::Reader list(seq.content);
  out.reserve(10);
  while (!list.empty()) {
    der::Tlv ext, oid, field;
    if (!list.expect(der::kSequence, ext)) return std::nullopt;
    der::Reader body(ext.content);
    if (!body.expect(der::kOid, oid) || !der::valid_oid(oid.content)) return std::nullopt;
    ExtensionView e{oid.content, false, {}};
    bool has_critical = false;
    if (!body.optional(der::kBoolean, field, has_critical)) return std::nullopt;
    if (has_critical) {
      if (field.content.size() != 1) return std::nullopt;  // BOOLEAN is one octet
      e.critical = field.content[0] != 0;
    }
    if (!body.expect(der::kOctetString, field) || !body.empty()) return std::nullopt;
    e.value = field.content;
    out.push_back(e);
  }
  return out;
}

const ExtensionView* unique_extension(const std::vector<ExtensionView>& extensions, ByteView oid) {
  const ExtensionView* found = nullptr;
  for (const auto& e : extensions) {
    if (!std::ranges::equal(e.oid, oid)) continue;
    if (found != nullptr) return nullptr;
    found = &e;
  }
  return found;
}

namespace {

// An INTEGER's content octets as c2i_ASN1_INTEGER accepts them: not empty, no redundant
// leading 0x00 / 0xff octet.
bool valid_integer(ByteView c) {
  if (c.empty()) return false;
  if (c.size() >= 2 && ((c[0] == 0x00 && !(c[1] & 0x80)) || (c[0] == 0xff && (c[1] & 0x80)))) return false;
  return true;
}

}  // namespace

std::optional<std::vector<der::Tlv>> parse_general_names(ByteView content) {
  std::vector<der::Tlv> out;
  der::Reader names(content);
  while (!names.empty()) {
    der::Tlv g;
    if (!names.next(g)) return std::nullopt;
    switch (g.tag) {
      case 0xa0: {  // otherName: SEQUENCE { type-id OID, value [0] EXPLICIT ANY } (implicit tag)
        der::Reader body(g.content);
        der::Tlv type, value, any;
        if (!body.expect(der::kOid, type) || !der::valid_oid(type.content) ||
            !body.expect(der::context(0), value) || !body.empty())
          return std::nullopt;
        der::Reader inner(value.content);
        if (!inner.next(any) || !inner.empty()) return std::nullopt;
        break;
      }
      case 0x81:  // rfc822Name, dNSName, uniformResourceIdentifier (IA5String)
      case 0x82:
      case 0x86:
      case 0x87:  // iPAddress (OCTET STRING)
      case 0xa3:  // x400Address, ediPartyName (SEQUENCEs, kept as they are)
      case 0xa5:
        break;
      case 0xa4: {  // directoryName: [4] EXPLICIT Name
        der::Reader body(g.content);
        der::Tlv name;
        if (!body.next(name) || !body.empty() || !parse_name(name.whole)) return std::nullopt;
        break;
      }
      case 0x88:  // registeredID
        if (!der::valid_oid(g.content)) return std::nullopt;
        break;
      default:
        return std::nullopt;
    }
    out.push_back(g);
  }
  return out;
}

// AuthorityKeyIdentifier ::= SEQUENCE { keyIdentifier [0] IMPLICIT OCTET STRING OPTIONAL,
//   authorityCertIssuer [1] IMPLICIT GeneralNames OPTIONAL,
//   authorityCertSerialNumber [2] IMPLICIT INTEGER OPTIONAL }
// Octets after the SEQUENCE are ignored, as X509V3_get_d2i ignores them.
std::optional<ByteView> authority_key_id(ByteView aki_value) {
  der::Reader in(aki_value);
  der::Tlv seq;
  if (!in.expect(der::kSequence, seq)) return std::nullopt;
  der::Reader body(seq.content);
  std::optional<ByteView> keyid;
  int last = -1;  // the fields come in order, each at most once
  while (!body.empty()) {
    der::Tlv field;
    if (!body.next(field)) return std::nullopt;
    const int n = field.tag == 0x80 ? 0 : field.tag == 0xa1 ? 1 : field.tag == 0x82 ? 2 : -1;
    if (n <= last) return std::nullopt;
    last = n;
    if (n == 0) keyid = field.content;
    if (n == 1 && !parse_general_names(field.content)) return std::nullopt;
    if (n == 2 && !valid_integer(field.content)) return std::nullopt;
  }
  return keyid;
}

namespace {

// Tag numbers (universal class) that d2i_X509_NAME accepts as an AttributeValue: its
// DirectoryString-like choice (strings, BIT STRING, SEQUENCE) and the tags it keeps as
// "unknown". Times, INTEGER, OCTET STRING, VisibleString and the like are refused.
bool name_value_tag(std::uint8_t tag) {
  if (tag == 0x30) return true;                  // SEQUENCE (constructed)
  if (tag & 0xe0) return false;                  // other classes, constructed strings
  switch (tag) {
    case 0x03:                                   // BIT STRING
    case 0x07: case 0x08: case 0x09: case 0x0b:  // kept as unknown
    case 0x0d: case 0x0e: case 0x0f: case 0x1d:
    case 0x0c: case 0x12: case 0x13: case 0x14:  // UTF8, Numeric, Printable, T61
    case 0x16: case 0x1c: case 0x1e:             // IA5, Universal, BMP
      return true;
    default:
      return false;
  }
}

}  // namespace

std::optional<std::vector<NameAttribute>> parse_name(ByteView name_tlv) {
  der::Tlv seq;
  if (!der::single(name_tlv, der::kSequence, seq)) return std::nullopt;
  std::vector<NameAttribute> out;
  out.reserve(8);
  der::Reader rdns(seq.content);
  while (!rdns.empty()) {
    der::Tlv rdn;
    if (!rdns.expect(der::kSet, rdn)) return std::nullopt;
    der::Reader entries(rdn.content);
    while (!entries.empty()) {
      der::Tlv entry, oid, value;
      if (!entries.expect(der::kSequence, entry)) return std::nullopt;
      der::Reader body(entry.content);
      if (!body.expect(der::kOid, oid) || !der::valid_oid(oid.content)) return std::nullopt;
      if (!body.next(value) || !body.empty() || !name_value_tag(value.tag)) return std::nullopt;
      switch (value.tag) {
        case 0x03:  // BIT STRING: the unused-bits octet is required and at most 7
          if (value.content.empty() || value.content[0] > 7) return std::nullopt;
          break;
        case 0x0c:
        case 0x1c:
        case 0x1e:  // d2i_X509_NAME converts these to UTF-8 (its canonical form) and fails with them
          if (!directory_string_utf8(value.tag, value.content)) return std::nullopt;
          break;
        default:
          break;
      }
      out.push_back({oid.content, value});
    }
  }
  return out;
}

std::optional<CertParts> parse_cert_parts(ByteView der) {
  auto view = parse_cert_view(der);
  if (!view) return std::nullopt;
  auto subject = parse_name(view->subject);
  auto extensions = parse_extensions(view->extensions);
  if (!subject || !extensions) return std::nullopt;
  return CertParts{*view, std::move(*subject), std::move(*extensions)};
}

namespace {

bool valid_code_point(std::uint32_t cp) { return cp <= 0x10ffff && !(cp >= 0xd800 && cp <= 0xdfff); }

}  // namespace

std::optional<std::string> directory_string_utf8(std::uint8_t tag, ByteView content) {
  std::string out;
  switch (tag) {
    case 0x0c:  // UTF8String
      if (!utf8_valid(as_chars(content))) return std::nullopt;  // common/utf8.hpp
      return std::string(as_chars(content));
    case 0x12:  // NumericString
    case 0x13:  // PrintableString
    case 0x14:  // T61String
    case 0x16:  // IA5String
    case 0x17:  // UTCTime
    case 0x18:  // GeneralizedTime
    case 0x1a:  // VisibleString (ISO646String)
      out.reserve(content.size() + 8);
      for (std::uint8_t c : content) append_utf8(out, c);
      return out;
    case 0x1e:  // BMPString
      if (content.size() % 2) return std::nullopt;
      out.reserve(content.size() * 3 / 2);
      for (std::size_t i = 0; i < content.size(); i += 2) {
        const std::uint32_t cp = (std::uint32_t{content[i]} << 8) | content[i + 1];
        if (!valid_code_point(cp)) return std::nullopt;
        append_utf8(out, cp);
      }
      return out;
    case 0x1c:  // UniversalString
      if (content.size() % 4) return std::nullopt;
      out.reserve(content.size());
      for (std::size_t i = 0; i < content.size(); i += 4) {
        const std::uint32_t cp = (std::uint32_t{content[i]} << 24) | (std::uint32_t{content[i + 1]} << 16) |
                                 (std::uint32_t{content[i + 2]} << 8) | content[i + 3];
        if (!valid_code_point(cp)) return std::nullopt;
        append_utf8(out, cp);
      }
      return out;
    default:
      return std::nullopt;
  }
}

std::optional<UnixTime> der_time_to_unix(ByteView time_tlv) {
  der::Reader in(time_tlv);
  der::Tlv t;
  if (!in.next(t) || !in.empty()) return std::nullopt;
  const ByteView c = t.content;
  std::size_t year_digits;
  if (t.tag == der::kUtcTime && c.size() == 13)
    year_digits = 2;
  else if (t.tag == der::kGeneralizedTime && c.size() == 15)
    year_digits = 4;
  else
    return std::nullopt;
  if (c.back() != 'Z') return std::nullopt;
  for (std::size_t i = 0; i + 1 < c.size(); ++i)
    if (c[i] < '0' || c[i] > '9') return std::nullopt;
  const auto num = [&](std::size_t at, std::size_t n) {
    unsigned v = 0;
    for (std::size_t i = 0; i < n; ++i) v = v * 10 + static_cast<unsigned>(c[at + i] - '0');
    return v;
  };
  std::int64_t year = num(0, year_digits);
  if (year_digits == 2) year += year < 50 ? 2000 : 1900;
  const std::size_t at = year_digits;
  const unsigned month = num(at, 2), day = num(at + 2, 2), hour = num(at + 4, 2), minute = num(at + 6, 2),
                 second = num(at + 8, 2);
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return std::nullopt;
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  static constexpr unsigned kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (day > kDays[month - 1] + (month == 2 && leap ? 1 : 0)) return std::nullopt;
  return days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second;
}

namespace {

// Digests fetched once per process (EVP_MD_fetch per signature is a large part of
// X509_verify's overhead in OpenSSL 3.0).
const EVP_MD* fetched_digest(int nid) {
  struct Entry {
    int nid;
    EvpMdPtr md;
  };
  static std::mutex mu;
  static std::array<Entry, 8> cache{};
  std::lock_guard lock(mu);
  for (auto& e : cache)
    if (e.md && e.nid == nid) return e.md.get();
  for (auto& e : cache) {
    if (!e.md) {
      e.md.reset(EVP_MD_fetch(nullptr, OBJ_nid2sn(nid), nullptr));
      if (!e.md) {
        ossl_errors();
        return nullptr;
      }
      e.nid = nid;
      return e.md.get();
    }
  }
  return nullptr;
}

// The AlgorithmIdentifier's OID NID and whether its parameters are absent or NULL.
std::optional<std::pair<int, bool>> algorithm(ByteView alg_tlv) {
  der::Reader in(alg_tlv);
  der::Tlv seq, oid;
  if (!in.next(seq)) return std::nullopt;
  der::Reader body(seq.content);
  if (!body.expect(der::kOid, oid)) return std::nullopt;
  const ByteView params = body.rest();
  const bool simple = params.empty() || (params.size() == 2 && params[0] == der::kNull && params[1] == 0x00);
  const unsigned char* p = oid.whole.data();
  Asn1ObjectPtr obj(d2i_ASN1_OBJECT(nullptr, &p, static_cast<long>(oid.whole.size())));
  if (!obj) {
    ossl_errors();
    return std::nullopt;
  }
  return std::make_pair(OBJ_obj2nid(obj.get()), simple);
}

// Initialised verification contexts, per thread, per (CA key, digest): EVP_DigestVerifyInit
// fetches the signature implementation and duplicates the key into a provider context on
// every call, a quarter of a verification's cost. A context holds a reference on its key,
// so a cached key pointer cannot be freed and reused for another key while it is here.
EVP_PKEY_CTX* cached_verify_ctx(EVP_PKEY* key, const EVP_MD* md, bool rsa) {
  struct Entry {
    EVP_PKEY* key = nullptr;
    const EVP_MD* md = nullptr;
    EvpPkeyCtxPtr ctx;
  };
  thread_local std::array<Entry, 16> cache;
  thread_local std::size_t next = 0;
  for (auto& e : cache)
    if (e.ctx && e.key == key && e.md == md) return e.ctx.get();
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key, nullptr));
  if (!ctx || EVP_PKEY_verify_init(ctx.get()) != 1 ||
      (rsa && EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PADDING) != 1) ||
      EVP_PKEY_CTX_set_signature_md(ctx.get(), md) != 1) {
    ossl_errors();
    return nullptr;
  }
  Entry& slot = cache[next];
  next = (next + 1) % cache.size();
  slot.key = key;
  slot.md = md;
  slot.ctx = std::move(ctx);
  return slot.ctx.get();
}

SignatureCheck slow_verify(ByteView der, EVP_PKEY* ca_key) {
  auto cert = x509_from_der(der);
  if (!cert) return SignatureCheck::invalid;
  const int rc = X509_verify(cert->get(), ca_key);
  ossl_errors();
  return rc == 1 ? SignatureCheck::valid : SignatureCheck::invalid;
}

}  // namespace

SignatureCheck verify_signature(ByteView der, const CertView& v, EVP_PKEY* ca_key) {
  if (ca_key == nullptr) return SignatureCheck::unverifiable;
  auto alg = algorithm(v.sig_alg);
  if (!alg) return SignatureCheck::invalid;
  int md_nid = NID_undef, pk_nid = NID_undef;
  if (alg->first == NID_undef || OBJ_find_sigid_algs(alg->first, &md_nid, &pk_nid) != 1)
    return SignatureCheck::unverifiable;
  // RFC 5280 §4.1.1.2: the signed and the outer algorithm must be the same.
  if (!std::ranges::equal(v.sig_alg, v.tbs_sig_alg)) return SignatureCheck::invalid;
  if (!alg->second || pk_nid == NID_rsassaPss) return slow_verify(der, ca_key);
  const int key_type = EVP_PKEY_get_base_id(ca_key);
  const bool key_fits = (pk_nid == NID_rsaEncryption && key_type == EVP_PKEY_RSA) ||
                        (pk_nid == NID_X9_62_id_ecPublicKey && key_type == EVP_PKEY_EC) ||
                        (pk_nid == NID_ED25519 && key_type == EVP_PKEY_ED25519) ||
                        (pk_nid == NID_ED448 && key_type == EVP_PKEY_ED448);
  if (!key_fits) return slow_verify(der, ca_key);  // let OpenSSL decide the unusual pairs
  const EVP_MD* md = nullptr;
  if (md_nid != NID_undef) {
    md = fetched_digest(md_nid);
    if (md == nullptr) return slow_verify(der, ca_key);
  }
  // RSA PKCS#1 v1.5 and ECDSA: the digest of the TBS, verified with a cached context
  // (the same provider operation EVP_DigestVerify ends in).
  if (md != nullptr && (key_type == EVP_PKEY_RSA || key_type == EVP_PKEY_EC)) {
    if (EVP_PKEY_CTX* pctx = cached_verify_ctx(ca_key, md, key_type == EVP_PKEY_RSA)) {
      unsigned char digest[EVP_MAX_MD_SIZE];
      unsigned int digest_len = 0;
      if (EVP_Digest(v.tbs.data(), v.tbs.size(), digest, &digest_len, md, nullptr) != 1) {
        ossl_errors();
        return SignatureCheck::invalid;
      }
      const int rc = EVP_PKEY_verify(pctx, v.signature.data(), v.signature.size(), digest, digest_len);
      if (rc != 1) ossl_errors();
      return rc == 1 ? SignatureCheck::valid : SignatureCheck::invalid;
    }
  }
  // Ed25519 / Ed448 (no separate digest), or a context that could not be set up.
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, md, nullptr, ca_key) != 1) {
    ossl_errors();
    return SignatureCheck::invalid;
  }
  const int rc = EVP_DigestVerify(ctx.get(), v.signature.data(), v.signature.size(), v.tbs.data(), v.tbs.size());
  if (rc != 1) ossl_errors();
  return rc == 1 ? SignatureCheck::valid : SignatureCheck::invalid;
}

}  // namespace trustmon::pki
