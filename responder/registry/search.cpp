// Certificate search (see search.hpp for the plan).
#include "responder/registry/search.hpp"

#include <algorithm>
#include <cstring>

#include "common/enum_names.hpp"
#include "common/time.hpp"
#include "responder/pki/cert_view.hpp"
#include "responder/registry/attr_index.hpp"
#include "responder/registry/der_store.hpp"
#include "storage/records.hpp"

namespace trustmon::registry {

namespace {

constexpr std::uint8_t kCursorVersion = 1;

Error query_invalid(const std::string& why) { return make_error(ErrorKind::invalid, "query_invalid", why); }

bool equal(ByteView a, ByteView b) { return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size()) == 0; }

std::string dn_text(const X509_NAME* name) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio) return {};
  // RFC 2253 order and escaping, multi-byte UTF-8 left readable.
  const unsigned long flags = XN_FLAG_RFC2253 & ~static_cast<unsigned long>(ASN1_STRFLGS_ESC_MSB);
  if (X509_NAME_print_ex(bio.get(), name, 0, flags) < 0) {
    ossl_errors();
    return {};
  }
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return n > 0 ? std::string(data, static_cast<std::size_t>(n)) : std::string();
}

// The first commonName of `name` as UTF-8 ("" when none or not convertible).
std::string common_name(const X509_NAME* name) {
  const int at = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
  if (at < 0) return {};
  const ASN1_STRING* value = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, at));
  unsigned char* utf8 = nullptr;
  const int n = value ? ASN1_STRING_to_UTF8(&utf8, value) : -1;
  const OsslBytesPtr owned(utf8);
  if (n < 0) {
    ossl_errors();
    return {};
  }
  return std::string(reinterpret_cast<const char*>(utf8), static_cast<std::size_t>(n));
}

std::string encode_cursor(ByteView cert_key) {
  Bytes raw;
  raw.reserve(1 + cert_key.size());
  raw.push_back(kCursorVersion);
  raw.insert(raw.end(), cert_key.begin(), cert_key.end());
  return base64url_encode(raw);
}

std::optional<Bytes> decode_cursor(std::string_view text) {
  auto raw = base64_decode(text);
  if (!raw || raw->size() < 2 || (*raw)[0] != kCursorVersion) return std::nullopt;
  Bytes key(raw->begin() + 1, raw->end());
  if (!storage::decode_cert_key(key)) return std::nullopt;
  return key;
}

const char* status_at(const storage::CertRecord& r, UnixTime at) {
  if (r.status == storage::CertStatus::revoked && r.revocation_time <= at) return "revoked";
  if (r.not_after < at) return "expired";
  if (at < r.not_before) return "not_yet_valid";
  return "valid";
}

bool status_matches(StatusFilter f, const char* status) {
  switch (f) {
    case StatusFilter::any: return true;
    case StatusFilter::valid: return std::strcmp(status, "valid") == 0;
    case StatusFilter::revoked: return std::strcmp(status, "revoked") == 0;
    case StatusFilter::expired: return std::strcmp(status, "expired") == 0;
    case StatusFilter::not_yet_valid: return std::strcmp(status, "not_yet_valid") == 0;
  }
  return false;
}

}  // namespace

std::optional<StatusFilter> status_filter_from_name(std::string_view name) {
  static constexpr EnumNames<StatusFilter, 5> kNames({{{StatusFilter::any, "any"},
                                                       {StatusFilter::valid, "valid"},
                                                       {StatusFilter::revoked, "revoked"},
                                                       {StatusFilter::expired, "expired"},
                                                       {StatusFilter::not_yet_valid, "not_yet_valid"}}});
  return name.empty() ? StatusFilter::any : kNames.parse(name);
}

nlohmann::json to_json(const CertificateSummary& s) {
  nlohmann::json j = {{"subject", s.subject},
                      {"issuer", s.issuer},
                      {"issuer_dn", s.issuer_dn},
                      {"serial", s.serial_hex},
                      {"sha256", s.sha256_hex},
                      {"not_before", format_rfc3339(s.not_before)},
                      {"not_after", format_rfc3339(s.not_after)},
                      {"status", s.status},
                      {"revocation", nullptr},
                      {"participant", s.participant},
                      {"signature_checked", s.signature_checked},
                      {"matched", s.matched}};
  nlohmann::json ids = nlohmann::json::object();
  for (const auto& [kind, value] : s.identifiers) ids[kind] = value;
  j["identifiers"] = std::move(ids);
  if (s.revoked) {
    nlohmann::json r = {{"time", format_rfc3339(s.revocation_time)},
                        {"reason", storage::reason_name(s.reason)},
                        {"invalidity_date", nullptr}};
    if (s.invalidity_date != 0) r["invalidity_date"] = format_rfc3339(s.invalidity_date);
    j["revocation"] = std::move(r);
  }
  return j;
}

CertificateSearch::CertificateSearch(const pki::IssuerSet& issuers, const Clock& clock)
    : issuers_(issuers), clock_(clock) {}

Result<std::optional<CertificateSummary>> CertificateSearch::summarise(const storage::ReadTxn& txn, ByteView cert_key,
                                                                       ByteView record_value,
                                                                       const SearchQuery& query, UnixTime at,
                                                                       Bytes* der_out) const {
  auto record = storage::decode_cert(record_value);
  if (!record) return std::move(record).error();
  if (!record->has_der) return std::optional<CertificateSummary>{};
  if (query.issued_after && record->not_before < *query.issued_after) return std::optional<CertificateSummary>{};
  if (query.issued_before && record->not_before >= *query.issued_before) return std::optional<CertificateSummary>{};
  const char* status = status_at(*record, at);
  if (!status_matches(query.status, status)) return std::optional<CertificateSummary>{};

  auto key = storage::decode_cert_key(cert_key);
  if (!key) return make_error(ErrorKind::storage, "storage_corrupt", "attribute index entry is not a certificate key");
  auto der = stored_der(txn, *record);
  if (!der) return std::move(der).error();
  if (!*der) return make_error(ErrorKind::storage, "storage_corrupt", "certificate DER missing for a stored certificate");
  // One walk for the names and the identifiers: no d2i_X509 (it would decode the public
  // key; pki/cert_view.hpp).
  auto parts = pki::parse_cert_parts(**der);
  X509NamePtr subject = parts ? pki::decode_name(parts->view.subject) : nullptr;
  X509NamePtr issuer_dn = parts ? pki::decode_name(parts->view.issuer) : nullptr;
  if (!subject || !issuer_dn) return make_error(ErrorKind::storage, "storage_corrupt", "stored certificate DER does not parse");

  CertificateSummary s;
  s.subject = dn_text(subject.get());
  s.common_name = common_name(subject.get());
  s.issuer_dn = dn_text(issuer_dn.get());
  const pki::Issuer* issuer = issuers_.find_by_id(key->issuer);
  s.issuer = issuer ? issuer->name : "#" + std::to_string(key->issuer);
  s.serial_hex = hex_encode(key->serial, true);
  s.sha256_hex = hex_encode(record->cert_sha256);
  s.not_before = record->not_before;
  s.not_after = record->not_after;
  s.status = status;
  s.revoked = record->status == storage::CertStatus::revoked;
  if (s.revoked) {
    s.revocation_time = record->revocation_time;
    s.reason = record->reason;
    s.invalidity_date = record->invalidity_date;
  }
  s.participant = record->participant;
  s.signature_checked = record->signature_checked;
  if (query.attribute) s.matched = attribute_name(*query.attribute) + "=" + query.attribute->value;
  for (const Attribute& a : extract_attributes(parts->subject, parts->extensions, record->cert_sha256)) {
    const bool identifier = a.kind == AttrKind::serial_number || a.kind == AttrKind::organization_identifier ||
                            (a.kind == AttrKind::sda &&
                             (a.sda_suffix == kSdaDrfo || a.sda_suffix == kSdaEdrpou || a.sda_suffix == kSdaUnzr));
    if (!identifier) continue;
    std::string name = attribute_name(a);
    const bool seen = std::any_of(s.identifiers.begin(), s.identifiers.end(), [&](const auto& p) { return p.first == name; });
    if (!seen) s.identifiers.emplace_back(std::move(name), a.value);
  }
  if (der_out) *der_out = to_bytes(**der);
  return std::optional<CertificateSummary>(std::move(s));
}

Result<SearchPage> CertificateSearch::search(const storage::ReadTxn& txn, const SearchQuery& query) const {
  const std::size_t limit = query.limit == 0 ? kDefaultSearchLimit : query.limit;
  if (limit > kMaxSearchLimit) return query_invalid("limit must be at most " + std::to_string(kMaxSearchLimit));
  const UnixTime at = query.at != 0 ? query.at : clock_.now();

  Bytes issuer_prefix;
  if (query.issuer) {
    const pki::Issuer* k = issuers_.find_by_name(*query.issuer);
    if (!k) return query_invalid("no configured issuer is named \"" + *query.issuer + "\"");
    issuer_prefix.resize(4);
    put_be32(issuer_prefix.data(), k->id);
  }
  std::optional<Bytes> resume;
  if (!query.cursor.empty()) {
    resume = decode_cursor(query.cursor);
    if (!resume) return query_invalid("the cursor is not one this server issued");
  }
  const auto in_issuer = [&](ByteView cert_key) {
    return issuer_prefix.empty() || (cert_key.size() >= 4 && std::memcmp(cert_key.data(), issuer_prefix.data(), 4) == 0);
  };

  SearchPage page;
  // issuer_serial: one certs key, no walk.
  if (query.attribute && query.attribute->kind == AttrKind::issuer_serial) {
    const std::string& v = query.attribute->value;
    const std::size_t colon = v.find(':');
    const pki::Issuer* k = issuers_.find_by_name(v.substr(0, colon));
    auto serial = hex_decode(v.substr(colon + 1).size() % 2 ? "0" + v.substr(colon + 1) : v.substr(colon + 1));
    if (!k || !serial) return page;  // no such issuer: nothing matches
    const Bytes key = storage::encode_cert_key(k->id, *serial);
    if (key.empty() || !in_issuer(key) || (resume && !(*resume < key))) return page;
    auto rec = txn.get(storage::Table::certs, key);
    if (!rec) return std::move(rec).error();
    if (!*rec) return page;
    auto s = summarise(txn, key, **rec, query, at, nullptr);
    if (!s) return std::move(s).error();
    if (*s) page.items.push_back(std::move(**s));
    return page;
  }

  // The walk: the certs table itself, or an attribute's certificates merged across
  // the attr_index epochs (attr_index.hpp).
  const bool listing = !query.attribute;
  Bytes index_k;
  if (!listing) {
    index_k = index_key(*query.attribute);
    if (index_k.empty()) return query_invalid("the attribute cannot be searched");
  }

  // Position on the first candidate: just after the cursor, or at the issuer's first
  // key, whichever is later.
  std::optional<Bytes> from = resume;
  bool skip_equal = resume.has_value();
  if (!issuer_prefix.empty() && (!from || std::lexicographical_compare(from->begin(), from->end(),
                                                                       issuer_prefix.begin(), issuer_prefix.end()))) {
    from = issuer_prefix;
    skip_equal = false;
  }
  // Not a storage::for_each walk: the candidates come from the certs table or from an
  // index walk, and a page looks one candidate past its end (is there a next page?).
  std::optional<storage::Cursor> cur;
  std::optional<IndexWalk> walk;
  Result<bool> at_candidate = false;
  if (listing) {
    auto opened = storage::Cursor::open(txn, storage::Table::certs);
    if (!opened) return std::move(opened).error();
    cur.emplace(std::move(*opened));
    at_candidate = from ? cur->seek(*from) : cur->first();
    if (at_candidate && *at_candidate && skip_equal && equal(cur->key(), *from)) at_candidate = cur->next();
  } else {
    auto opened = from ? IndexWalk::open(txn, index_k, ByteView(*from), skip_equal) : IndexWalk::open(txn, index_k);
    if (!opened) return std::move(opened).error();
    walk.emplace(std::move(*opened));
    at_candidate = !walk->done();
  }
  if (!at_candidate) return std::move(at_candidate).error();
  const auto candidate = [&]() -> ByteView { return walk ? walk->cert_key() : cur->key(); };
  const auto advance = [&]() -> Result<bool> {
    if (walk) {
      if (Status s = walk->next(); !s) return std::move(s).error();
      return !walk->done();
    }
    return cur->next();
  };

  std::size_t scanned = 0;
  Bytes last;
  bool more = *at_candidate;
  while (more) {
    const ByteView cert_key = candidate();
    if (!in_issuer(cert_key)) {
      // Keys are ordered by issuer first: past the issuer's range (or before it, when a
      // listing starts below it) there is nothing more for this issuer.
      if (cert_key.size() >= 4 && !issuer_prefix.empty() &&
          std::memcmp(cert_key.data(), issuer_prefix.data(), 4) > 0) {
        more = false;
        break;
      }
    } else {
      ByteView value;
      if (listing) {
        value = cur->value();
      } else {
        auto rec = txn.get(storage::Table::certs, cert_key);
        if (!rec) return std::move(rec).error();
        if (*rec) value = **rec;
      }
      if (!value.empty()) {
        auto s = summarise(txn, cert_key, value, query, at, nullptr);
        if (!s) return std::move(s).error();
        if (*s) page.items.push_back(std::move(**s));
      }
    }
    last = to_bytes(cert_key);
    ++scanned;
    auto next = advance();
    if (!next) return std::move(next).error();
    more = *next;
    if (page.items.size() >= limit || scanned >= kMaxScan) break;
  }
  if (more && !last.empty()) {
    // The next candidate is past the issuer: the walk is complete.
    if (!issuer_prefix.empty() && !in_issuer(candidate())) return page;
    page.next_cursor = encode_cursor(last);
  }
  return page;
}

Result<std::optional<CertificateDetail>> CertificateSearch::get_by_sha256(const storage::ReadTxn& txn,
                                                                          const Sha256& sha) const {
  Attribute a{AttrKind::sha256, {}, hex_encode(sha)};
  auto walk = IndexWalk::open(txn, index_key(a));
  if (!walk) return std::move(walk).error();
  if (walk->done()) return std::optional<CertificateDetail>{};
  const Bytes cert_key = to_bytes(walk->cert_key());
  auto rec = txn.get(storage::Table::certs, cert_key);
  if (!rec) return std::move(rec).error();
  if (!*rec) return make_error(ErrorKind::storage, "storage_corrupt", "attribute index points at a missing certificate");
  SearchQuery q;
  CertificateDetail d;
  auto s = summarise(txn, cert_key, **rec, q, clock_.now(), &d.der);
  if (!s) return std::move(s).error();
  if (!*s) return std::optional<CertificateDetail>{};
  d.summary = std::move(**s);
  d.cert_key = cert_key;
  return std::optional<CertificateDetail>(std::move(d));
}

}  // namespace trustmon::registry
