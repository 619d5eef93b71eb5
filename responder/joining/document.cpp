// The joining document (see document.hpp).
#include "responder/joining/document.hpp"

#include <algorithm>
#include <functional>
#include <set>

#include <nlohmann/json.hpp>

#include "common/ossl.hpp"
#include "common/time.hpp"
#include "common/utf8.hpp"
#include "responder/registry/attributes.hpp"

namespace trustmon::joining {
namespace {

using nlohmann::json;

Error invalid(const std::string& member, const std::string& why) {
  return make_error(ErrorKind::invalid, "document_invalid", "\"" + member + "\" " + why);
}

bool digits(std::string_view s, std::size_t n) {
  return s.size() == n && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::string upper_ascii(std::string s) {
  for (char& c : s)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return s;
}

// Only the members listed may appear in `object`.
Status only(const json& object, const std::string& where, std::initializer_list<std::string_view> allowed) {
  for (const auto& [key, value] : object.items()) {
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end())
      return invalid(where.empty() ? key : where + "." + key, "is not a member of this document");
  }
  return {};
}

Result<std::string> text(const json& object, const std::string& key, const std::string& where, std::size_t max) {
  const auto it = object.find(key);
  const std::string member = where.empty() ? key : where + "." + key;
  if (it == object.end() || !it->is_string()) return invalid(member, "must be a string");
  std::string value = it->get<std::string>();
  if (value.empty()) return invalid(member, "must not be empty");
  if (value.size() > max) return invalid(member, "is longer than " + std::to_string(max) + " bytes");
  return value;
}

Result<Bytes> certificate(const json& value, const std::string& member) {
  if (!value.is_string()) return invalid(member, "must be base64 of a DER certificate");
  auto der = base64_decode(value.get<std::string>());
  if (!der || der->empty() || !x509_from_der(*der)) return invalid(member, "must be base64 of a DER certificate");
  return std::move(*der);
}

Status parse_grant(const json& item, std::size_t index, Document& doc, std::set<std::string>& seen) {
  const std::string where = "representatives[" + std::to_string(index) + "]";
  if (!item.is_object()) return invalid(where, "must be an object");
  if (Status s = only(item, where, {"name", "tin", "role", "certificate"}); !s) return s;
  Grant g;
  auto name = text(item, "name", where, kMaxNameBytes);
  if (!name) return std::move(name).error();
  g.name = std::move(*name);
  auto tin = text(item, "tin", where, 10);
  if (!tin) return std::move(tin).error();
  if (!digits(*tin, 10)) return invalid(where + ".tin", "must be an RNOKPP of 10 digits");
  if (!seen.insert(*tin).second) return invalid(where + ".tin", "names a person listed already");
  g.rnokpp = std::move(*tin);
  auto role = text(item, "role", where, 16);
  if (!role) return std::move(role).error();
  if (*role == "operator") {
    g.role = access::Role::operator_;
  } else if (*role == "viewer") {
    g.role = access::Role::viewer;
  } else {
    return invalid(where + ".role", "must be operator or viewer");
  }
  if (const auto c = item.find("certificate"); c != item.end()) {
    auto der = certificate(*c, where + ".certificate");
    if (!der) return std::move(der).error();
    const auto ids = person_identifiers(*der);
    if (std::find(ids.begin(), ids.end(), access::rnokpp_identifier(g.rnokpp)) == ids.end())
      return make_error(ErrorKind::invalid, "certificate_not_of_representative",
                        where + ".certificate does not carry TINUA-" + g.rnokpp);
    if (auto x = x509_from_der(*der)) g.certificate_subject = x509_name_text(X509_get_subject_name(x->get()));
    g.certificate = std::move(*der);
  }
  doc.representatives.push_back(std::move(g));
  return {};
}

}  // namespace

std::vector<std::string> Document::kinds() const {
  std::vector<std::string> k;
  if (join) k.emplace_back("join");
  if (grant) k.emplace_back("grant");
  if (block) k.emplace_back("block");
  return k;
}

Result<Document> parse_document(std::string_view text_in, std::optional<UnixTime> now) {
  if (text_in.size() > kMaxDocumentBytes)
    return make_error(ErrorKind::too_large, "document_too_large", "the document is larger than 64 KiB");
  if (!utf8_valid(text_in)) return make_error(ErrorKind::invalid, "document_not_canonical", "the document is not UTF-8");
  json j = json::parse(text_in, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    return make_error(ErrorKind::invalid, "document_invalid", "the document is not a JSON object");
  bool fractional = false;
  // Integers only: a float has no single canonical spelling.
  std::function<void(const json&)> walk = [&](const json& v) {
    if (v.is_number_float()) fractional = true;
    if (v.is_structured())
      for (const auto& child : v) walk(child);
  };
  walk(j);
  if (fractional || j.dump() != text_in)
    return make_error(ErrorKind::invalid, "document_not_canonical",
                      "the document is not in canonical form (members sorted, no whitespace, integers only)");
  if (Status s = only(j, "", {"format", "kinds", "organisation", "issuers", "representatives", "block", "date"}); !s)
    return std::move(s).error();
  auto format = text(j, "format", "", 64);
  if (!format) return std::move(format).error();
  if (*format != kFormat) return invalid("format", "must be " + std::string(kFormat));

  Document doc;
  const auto kinds = j.find("kinds");
  if (kinds == j.end() || !kinds->is_array() || kinds->empty() || kinds->size() > 2)
    return invalid("kinds", "must be [\"join\"], [\"join\",\"grant\"], [\"grant\"] or [\"block\"]");
  std::vector<std::string> k;
  for (const auto& v : *kinds) {
    if (!v.is_string()) return invalid("kinds", "must list strings");
    k.push_back(v.get<std::string>());
  }
  if (k == std::vector<std::string>{"join"}) {
    doc.join = true;
  } else if (k == std::vector<std::string>{"join", "grant"}) {
    doc.join = doc.grant = true;
  } else if (k == std::vector<std::string>{"grant"}) {
    doc.grant = true;
  } else if (k == std::vector<std::string>{"block"}) {
    doc.block = true;
  } else {
    return invalid("kinds", "must be [\"join\"], [\"join\",\"grant\"], [\"grant\"] or [\"block\"]");
  }

  const auto org = j.find("organisation");
  if (org == j.end() || !org->is_object()) return invalid("organisation", "must be an object");
  if (doc.join) {
    if (Status s = only(*org, "organisation", {"code", "name", "kind"}); !s) return std::move(s).error();
  } else if (Status s = only(*org, "organisation", {"code"}); !s) {
    return std::move(s).error();
  }
  auto code = text(*org, "code", "organisation", 8);
  if (!code) return std::move(code).error();
  if (!digits(*code, 8)) return invalid("organisation.code", "must be an EDRPOU code of 8 digits");
  doc.code = std::move(*code);
  if (doc.join) {
    auto name = text(*org, "name", "organisation", kMaxNameBytes);
    if (!name) return std::move(name).error();
    doc.name = std::move(*name);
    auto kind = text(*org, "kind", "organisation", 32);
    if (!kind) return std::move(kind).error();
    auto parsed = access::kind_from_name(*kind);
    if (!parsed || *parsed == access::ParticipantKind::central_body)
      return invalid("organisation.kind", "must be qtsp, tool_developer or system_owner");
    doc.kind = *parsed;
  }

  const auto issuers = j.find("issuers");
  const bool needs_issuers = doc.join && doc.kind == access::ParticipantKind::qtsp;
  if (needs_issuers) {
    if (issuers == j.end() || !issuers->is_array() || issuers->empty() || issuers->size() > kMaxIssuers)
      return invalid("issuers", "must list 1 to " + std::to_string(kMaxIssuers) + " CA certificates of the QTSP");
    for (std::size_t i = 0; i < issuers->size(); ++i) {
      auto der = certificate((*issuers)[i], "issuers[" + std::to_string(i) + "]");
      if (!der) return std::move(der).error();
      doc.issuers.push_back(std::move(*der));
    }
  } else if (issuers != j.end()) {
    return invalid("issuers", "belongs to the join of a QTSP only");
  }

  const auto reps = j.find("representatives");
  if (doc.grant) {
    if (reps == j.end() || !reps->is_array() || reps->empty() || reps->size() > kMaxRepresentatives)
      return invalid("representatives", "must list 1 to " + std::to_string(kMaxRepresentatives) + " representatives");
    std::set<std::string> seen;
    for (std::size_t i = 0; i < reps->size(); ++i)
      if (Status s = parse_grant((*reps)[i], i, doc, seen); !s) return std::move(s).error();
  } else if (reps != j.end()) {
    return invalid("representatives", "belongs to a grant only");
  }

  const auto block = j.find("block");
  if (doc.block) {
    if (block == j.end() || !block->is_object()) return invalid("block", "must be an object");
    if (Status s = only(*block, "block", {"tin", "reason"}); !s) return std::move(s).error();
    Block b;
    auto tin = text(*block, "tin", "block", 10);
    if (!tin) return std::move(tin).error();
    if (!digits(*tin, 10)) return invalid("block.tin", "must be an RNOKPP of 10 digits");
    auto reason = text(*block, "reason", "block", kMaxReasonBytes);
    if (!reason) return std::move(reason).error();
    b.rnokpp = std::move(*tin);
    b.reason = std::move(*reason);
    doc.blocked = std::move(b);
  } else if (block != j.end()) {
    return invalid("block", "belongs to a block only");
  }

  auto date = text(j, "date", "", 64);
  if (!date) return std::move(date).error();
  auto when = parse_rfc3339(*date);
  if (!when) return invalid("date", "must be an RFC 3339 time");
  doc.date = *when;
  if (now && (*when + kMaxAge < *now || *when > *now + kMaxAhead))
    return make_error(ErrorKind::invalid, "document_stale",
                      "the document's date must be within the last 30 days (and not ahead of the server's clock)");
  return doc;
}

namespace {

// The values `pick` takes from a certificate's attributes, each once, in order.
template <typename Pick>
std::vector<std::string> collect_identifiers(ByteView certificate_der, Pick pick) {
  std::vector<std::string> out;
  auto attributes = registry::extract_attributes(certificate_der);
  if (!attributes) return out;
  for (const auto& a : *attributes) {
    std::optional<std::string> v = pick(a);
    if (v && std::find(out.begin(), out.end(), *v) == out.end()) out.push_back(std::move(*v));
  }
  return out;
}

}  // namespace

std::vector<std::string> person_identifiers(ByteView certificate_der) {
  return collect_identifiers(certificate_der, [](const registry::Attribute& a) -> std::optional<std::string> {
    if (a.kind == registry::AttrKind::serial_number) {
      std::string v = upper_ascii(a.value);
      if (v.starts_with("TINUA-")) return v;
    } else if (a.kind == registry::AttrKind::sda && a.sda_suffix == registry::kSdaDrfo) {
      return access::rnokpp_identifier(a.value);
    }
    return std::nullopt;
  });
}

std::vector<std::string> organisation_codes(ByteView certificate_der) {
  return collect_identifiers(certificate_der, [](const registry::Attribute& a) -> std::optional<std::string> {
    if (a.kind == registry::AttrKind::organization_identifier) {
      std::string v = upper_ascii(a.value);
      if (v.starts_with("NTRUA-")) return v.substr(6);
    } else if (a.kind == registry::AttrKind::sda && a.sda_suffix == registry::kSdaEdrpou) {
      return a.value;
    }
    return std::nullopt;
  });
}

}  // namespace trustmon::joining
