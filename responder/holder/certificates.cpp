// A holder's certificates (see certificates.hpp).
#include "responder/holder/certificates.hpp"

#include "common/csv.hpp"

#include <algorithm>
#include <set>

#include "common/time.hpp"
#include "responder/registry/attributes.hpp"
#include "storage/records.hpp"

namespace trustmon::holder {
namespace {

int group_rank(const char* group) {
  const std::string_view g(group);
  if (g == "valid") return 0;
  if (g == "held") return 1;
  if (g == "revoked") return 2;
  return 3;
}

Result<std::optional<CertName>> lineage(const storage::ReadTxn& txn, const pki::IssuerSet& issuers, IndexKind kind,
                                        ByteView cert_key) {
  auto got = txn.get(storage::Table::holder_index, index_key(kind, cert_key));
  if (!got) return std::move(got).error();
  if (!*got) return std::optional<CertName>{};
  auto other = storage::decode_cert_key(**got);
  if (!other) return make_error(ErrorKind::storage, "storage_corrupt", "holder lineage entry is not a certificate key");
  const pki::Issuer* issuer = issuers.find_by_id(other->issuer);
  return std::optional<CertName>(
      CertName{issuer ? issuer->name : "#" + std::to_string(other->issuer), hex_encode(other->serial, true)});
}

Result<std::optional<RequestNumber>> open_request(const storage::ReadTxn& txn, IndexKind kind, ByteView key) {
  auto got = txn.get(storage::Table::holder_index, index_key(kind, key));
  if (!got) return std::move(got).error();
  if (!*got) return std::optional<RequestNumber>{};
  return decode_number_key(**got);
}


}  // namespace

const char* group_of(const registry::CertificateSummary& s) {
  if (s.revoked && std::string_view(s.status) == "revoked")
    return s.reason == storage::kReasonCertificateHold ? "held" : "revoked";
  if (std::string_view(s.status) == "expired") return "expired";
  return "valid";
}

Result<HolderCertificates> holder_certificates(const storage::ReadTxn& txn, const registry::CertificateSearch& search,
                                               const pki::IssuerSet& issuers,
                                               const std::vector<HolderIdentifier>& identifiers, std::size_t cap) {
  HolderCertificates out;
  std::set<std::string> seen;  // by SHA-256
  for (const HolderIdentifier& id : identifiers) {
    auto attribute = registry::parse_attribute_query(id.kind, id.value);
    if (!attribute) continue;  // a kind the registry does not search: nothing carries it
    registry::SearchQuery q;
    q.attribute = std::move(*attribute);
    q.limit = registry::kMaxSearchLimit;
    do {
      auto page = search.search(txn, q);
      if (!page) return std::move(page).error();
      for (registry::CertificateSummary& s : page->items) {
        if (!seen.insert(s.sha256_hex).second) continue;
        if (out.items.size() == cap) {
          out.truncated = true;
          break;
        }
        HolderCertificate c;
        c.group = group_of(s);
        c.summary = std::move(s);
        out.items.push_back(std::move(c));
      }
      q.cursor = page->next_cursor;
    } while (!q.cursor.empty() && !out.truncated);
    if (out.truncated) break;
  }
  for (HolderCertificate& c : out.items) {
    const pki::Issuer* issuer = issuers.find_by_name(c.summary.issuer);
    auto serial = hex_decode(c.summary.serial_hex);
    auto sha = hex_decode(c.summary.sha256_hex);
    if (issuer == nullptr || !serial || !sha) continue;
    const Bytes key = storage::encode_cert_key(issuer->id, *serial);
    auto replaced_by = lineage(txn, issuers, kReplacedBy, key);
    if (!replaced_by) return std::move(replaced_by).error();
    c.replaced_by = std::move(*replaced_by);
    auto replaces = lineage(txn, issuers, kReplaces, key);
    if (!replaces) return std::move(replaces).error();
    c.replaces = std::move(*replaces);
    auto renewal = open_request(txn, kRenewalByCurrent, key);
    if (!renewal) return std::move(renewal).error();
    c.open_renewal = *renewal;
    auto request = open_request(txn, kRequestByTarget, *sha);
    if (!request) return std::move(request).error();
    c.open_revocation_request = *request;
  }
  std::stable_sort(out.items.begin(), out.items.end(), [](const HolderCertificate& a, const HolderCertificate& b) {
    const int ra = group_rank(a.group), rb = group_rank(b.group);
    if (ra != rb) return ra < rb;
    return a.summary.not_before > b.summary.not_before;
  });
  return out;
}

std::string holder_certificates_csv(const HolderCertificates& list) {
  std::string out =
      "group,issuer,serial,common_name,subject,identifiers,not_before,not_after,status,revocation_time,"
      "revocation_reason,replaces,replaced_by\r\n";
  for (const HolderCertificate& c : list.items) {
    const registry::CertificateSummary& s = c.summary;
    std::string ids;
    for (const auto& [kind, value] : s.identifiers) {
      if (!ids.empty()) ids += ';';
      ids += kind + "=" + value;
    }
    const auto name = [](const std::optional<CertName>& n) { return n ? n->issuer + ":" + n->serial : std::string(); };
    const std::string fields[] = {c.group,
                                  s.issuer,
                                  s.serial_hex,
                                  s.common_name,
                                  s.subject,
                                  ids,
                                  format_rfc3339(s.not_before),
                                  format_rfc3339(s.not_after),
                                  std::string_view(c.group) == "held" ? "held" : s.status,
                                  s.revoked ? format_rfc3339(s.revocation_time) : std::string(),
                                  s.revoked ? storage::reason_name(s.reason) : "",
                                  name(c.replaces),
                                  name(c.replaced_by)};
    append_csv_row(out, fields);
  }
  return out;
}

}  // namespace trustmon::holder
