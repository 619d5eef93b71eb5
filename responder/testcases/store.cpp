// See store.hpp.
#include "responder/testcases/store.hpp"

#include <algorithm>
#include <set>
#include <unordered_map>

#include "common/time.hpp"

namespace trustmon::testcases {
namespace {

using nlohmann::json;

Error corrupt(const char* what) { return make_error(ErrorKind::storage, "storage_corrupt", std::string("testcase: ") + what); }

std::optional<Outcome> outcome_from(std::string_view s) {
  if (s == "agree") return Outcome::agree;
  if (s == "disagree") return Outcome::disagree;
  if (s == "indeterminate") return Outcome::indeterminate;
  return std::nullopt;
}

// Walks the latest version of every case with id > after, in id order; fn(const
// CaseRecord&) returns false to stop. Versions of one case are adjacent (key id||version),
// so the latest is the last entry before the id changes.
template <class Fn>
Status for_each_latest(const storage::ReadTxn& txn, std::uint64_t after, Fn&& fn) {
  std::optional<Bytes> pending;
  std::uint64_t pending_id = 0;
  bool stopped = false;
  Status error;
  auto flush = [&]() -> bool {
    if (!pending) return true;
    auto r = decode_case(*pending);
    pending.reset();
    if (!r) {
      error = std::move(r).error();
      return false;
    }
    if (!fn(static_cast<const CaseRecord&>(*r))) {
      stopped = true;
      return false;
    }
    return true;
  };
  Status walked = storage::for_each_from(txn, storage::Table::testcase_cases, case_key(after + 1, 0),
                                         [&](ByteView key, ByteView value) -> bool {
                                           if (key.size() != 12) {
                                             error = corrupt("case key");
                                             return false;
                                           }
                                           const std::uint64_t id = get_be64(key.data());
                                           if (pending && id != pending_id && !flush()) return false;
                                           pending = to_bytes(value);
                                           pending_id = id;
                                           return true;
                                         });
  if (!walked) return walked;
  if (!error) return error;
  if (!stopped) flush();
  return error;
}

}  // namespace

std::string tally_key(std::uint64_t case_id, std::uint32_t version) {
  return "testcase_tally/" + std::to_string(case_id) + "/" + std::to_string(version);
}

Bytes encode_tally(const Tally& t) {
  json j = json::object();
  for (const auto& [product, e] : t)
    j[std::to_string(product)] = {
        {"sub", e.submission}, {"vendor", e.vendor}, {"key", e.key}, {"outcome", outcome_name(e.outcome)}, {"at", e.at}};
  const std::string text = j.dump(-1, ' ', false, json::error_handler_t::replace);
  Bytes out;
  out.reserve(text.size() + 1);
  out.push_back(kRecordFormat);
  out.insert(out.end(), text.begin(), text.end());
  return out;
}

Result<Tally> decode_tally(ByteView v) {
  if (v.empty() || v[0] != kRecordFormat) return corrupt("tally format");
  const std::string_view body = as_chars(v.subspan(1));
  json j = json::parse(body.begin(), body.end(), nullptr, false);
  if (!j.is_object()) return corrupt("tally");
  Tally t;
  try {
    for (const auto& [k, e] : j.items()) {
      TallyEntry entry;
      entry.submission = e.at("sub").get<std::uint64_t>();
      entry.vendor = e.at("vendor").get<std::string>();
      entry.key = e.at("key").get<std::string>();
      auto o = outcome_from(e.at("outcome").get<std::string>());
      if (!o) return corrupt("tally outcome");
      entry.outcome = *o;
      entry.at = e.at("at").get<UnixTime>();
      t[std::stoull(k)] = std::move(entry);
    }
  } catch (const std::exception&) {
    return corrupt("tally fields");
  }
  return t;
}

std::optional<Contradiction> contradiction(const Tally& t, std::size_t min_products, std::size_t min_vendors) {
  std::map<std::string, Contradiction> groups;
  std::map<std::string, std::set<std::string>> vendors;
  for (const auto& [product, e] : t) {
    if (e.outcome == Outcome::agree) continue;
    Contradiction& g = groups[e.key];
    g.key = e.key;
    g.products.push_back(product);
    vendors[e.key].insert(e.vendor);
  }
  std::optional<Contradiction> best;
  for (auto& [key, g] : groups) {
    g.vendors = vendors[key].size();
    if (g.products.size() < min_products || g.vendors < min_vendors) continue;
    if (!best || g.products.size() > best->products.size()) best = g;
  }
  return best;
}

Result<std::optional<Bytes>> get_blob(const storage::ReadTxn& txn, std::string_view sha256_hex) {
  auto sha = hex_decode(sha256_hex);
  if (!sha || sha->size() != 32) return std::optional<Bytes>();
  auto v = txn.get(storage::Table::testcase_blobs, *sha);
  if (!v) return std::move(v).error();
  if (!*v) return std::optional<Bytes>();
  return std::optional<Bytes>(to_bytes(**v));
}

Result<bool> blob_readable(const storage::ReadTxn& txn, const Reader& reader, std::string_view sha256_hex) {
  std::string needle(sha256_hex);
  std::transform(needle.begin(), needle.end(), needle.begin(), [](unsigned char c) { return std::tolower(c); });
  bool found = false;
  std::size_t walked = 0;
  Status s = storage::for_each(txn, storage::Table::testcase_cases, [&](ByteView, ByteView value) -> Result<bool> {
    if (++walked > kMaxScan) return false;
    // Most records do not name the blob: look for its hex before decoding.
    if (as_chars(value).find(needle) == std::string_view::npos) return true;
    auto c = decode_case(value);
    if (!c) return std::move(c).error();
    bool names = false;
    for (const Input& i : c->inputs) names |= i.sha256 == needle;
    if (names && may_read(reader, *c)) {
      found = true;
      return false;
    }
    return true;
  });
  if (!s) return std::move(s).error();
  if (found || reader.anonymous) return found;
  // A submission's raw report: its participant and the central body.
  walked = 0;
  s = storage::for_each(txn, storage::Table::testcase_submissions, [&](ByteView, ByteView value) -> Result<bool> {
    if (++walked > kMaxScan) return false;
    if (as_chars(value).find(needle) == std::string_view::npos) return true;
    auto sub = decode_submission(value);
    if (!sub) return std::move(sub).error();
    if (sub->report_sha256 == needle && (reader.central || sub->participant == reader.participant)) {
      found = true;
      return false;
    }
    return true;
  });
  if (!s) return std::move(s).error();
  return found;
}

bool passes(const CaseFilter& f, const CaseRecord& c) {
  if (f.kind && *f.kind != c.kind) return false;
  if (f.polarity && *f.polarity != c.polarity) return false;
  if (f.state && *f.state != c.state) return false;
  if (f.owner && *f.owner != c.owner) return false;
  if (!f.tag.empty() && std::find(c.tags.begin(), c.tags.end(), f.tag) == c.tags.end()) return false;
  if (!f.clause.empty() && std::find(c.refs.begin(), c.refs.end(), f.clause) == c.refs.end()) return false;
  return true;
}

Result<Page<CaseRecord>> list_cases(const storage::ReadTxn& txn, const Reader& reader, const CaseFilter& f,
                                    std::uint64_t after, std::size_t limit) {
  Page<CaseRecord> page;
  std::size_t walked = 0;
  std::uint64_t last_seen = after;
  Status s = for_each_latest(txn, after, [&](const CaseRecord& c) {
    if (page.items.size() == limit || ++walked > kMaxListScan) {
      page.next = last_seen;
      return false;
    }
    last_seen = c.id;
    if (may_read(reader, c) && passes(f, c)) page.items.push_back(c);
    return true;
  });
  if (!s) return std::move(s).error();
  return page;
}

Result<Page<ProductRecord>> list_products(const storage::ReadTxn& txn, std::optional<std::uint32_t> participant,
                                          std::uint64_t after, std::size_t limit) {
  Page<ProductRecord> page;
  std::size_t walked = 0;
  std::uint64_t last_seen = after;
  Status s = storage::for_each_from(txn, storage::Table::testcase_products, id_key(after + 1),
                                    [&](ByteView, ByteView value) -> Result<bool> {
                                      if (page.items.size() == limit || ++walked > kMaxListScan) {
                                        page.next = last_seen;
                                        return false;
                                      }
                                      auto p = decode_product(value);
                                      if (!p) return std::move(p).error();
                                      last_seen = p->id;
                                      if (!participant || p->participant == *participant) page.items.push_back(std::move(*p));
                                      return true;
                                    });
  if (!s) return std::move(s).error();
  return page;
}

Result<Page<SubmissionRecord>> list_submissions(const storage::ReadTxn& txn, const Reader& reader,
                                                const SubmissionFilter& f, std::uint64_t after, std::size_t limit) {
  Page<SubmissionRecord> page;
  std::size_t walked = 0;
  std::uint64_t last_seen = after;
  std::unordered_map<std::uint64_t, bool> readable;  // case id -> may the reader read it
  Status s = storage::for_each_from(
      txn, storage::Table::testcase_submissions, id_key(after + 1), [&](ByteView, ByteView value) -> Result<bool> {
        if (page.items.size() == limit || ++walked > kMaxListScan) {
          page.next = last_seen;
          return false;
        }
        auto sub = decode_submission(value);
        if (!sub) return std::move(sub).error();
        last_seen = sub->id;
        if ((f.case_id && *f.case_id != sub->case_id) || (f.product && *f.product != sub->product)) return true;
        auto it = readable.find(sub->case_id);
        if (it == readable.end()) {
          auto c = get_case(txn, sub->case_id, std::nullopt);
          if (!c) return std::move(c).error();
          const bool may = *c && (may_read(reader, **c) || (!reader.anonymous && reader.participant == sub->participant));
          it = readable.emplace(sub->case_id, may).first;
        }
        if (it->second) page.items.push_back(std::move(*sub));
        return true;
      });
  if (!s) return std::move(s).error();
  return page;
}

Result<Matrix> compute_matrix(const storage::ReadTxn& txn, const Reader& reader, const CaseFilter& f) {
  Matrix m;
  std::map<std::pair<std::uint64_t, std::uint64_t>, MatrixCell> cells;
  std::size_t walked = 0;
  Status error;
  Status s = for_each_latest(txn, 0, [&](const CaseRecord& c) {
    if (++walked > kMaxMatrixCases) {
      m.truncated = true;
      return false;
    }
    if (c.state == State::deprecated || !may_read(reader, c) || !passes(f, c)) return true;
    auto tally = get_tally(txn, c.id, c.version);
    if (!tally) {
      error = std::move(tally).error();
      return false;
    }
    if (tally->empty()) return true;
    ++m.cases;
    for (const auto& [product, e] : *tally) {
      MatrixCell& cell = cells[{c.producer_product, product}];
      cell.producer = c.producer_product;
      cell.validator = product;
      switch (e.outcome) {
        case Outcome::agree: ++cell.agree; break;
        case Outcome::disagree: ++cell.disagree; break;
        case Outcome::indeterminate: ++cell.indeterminate; break;
      }
    }
    return true;
  });
  if (!s) return std::move(s).error();
  if (!error) return std::move(error).error();
  for (auto& [k, cell] : cells) {
    for (std::uint64_t id : {cell.producer, cell.validator}) {
      if (id == 0 || m.products.count(id)) continue;
      auto p = get_product(txn, id);
      if (!p) return std::move(p).error();
      if (*p) m.products.emplace(id, std::move(**p));
    }
    m.cells.push_back(cell);
  }
  return m;
}

namespace {
std::string product_label(const Matrix& m, std::uint64_t id) {
  if (id == 0) return "";
  auto it = m.products.find(id);
  if (it == m.products.end()) return "";
  return it->second.vendor + " " + it->second.name + " " + it->second.version;
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}
}  // namespace

json matrix_json(const Matrix& m) {
  json cells = json::array();
  for (const MatrixCell& c : m.cells)
    cells.push_back({{"producer", c.producer == 0 ? json(nullptr) : json(c.producer)},
                     {"validator", c.validator},
                     {"agree", c.agree},
                     {"disagree", c.disagree},
                     {"indeterminate", c.indeterminate}});
  json products = json::object();
  for (const auto& [id, p] : m.products) products[std::to_string(id)] = product_json(p);
  return json{{"cells", std::move(cells)}, {"products", std::move(products)}, {"cases", m.cases}, {"truncated", m.truncated}};
}

std::string matrix_csv(const Matrix& m) {
  std::string out = "producer,producer_name,validator,validator_name,agree,disagree,indeterminate\r\n";
  for (const MatrixCell& c : m.cells) {
    out += (c.producer == 0 ? std::string() : std::to_string(c.producer)) + "," + csv_field(product_label(m, c.producer)) +
           "," + std::to_string(c.validator) + "," + csv_field(product_label(m, c.validator)) + "," +
           std::to_string(c.agree) + "," + std::to_string(c.disagree) + "," + std::to_string(c.indeterminate) + "\r\n";
  }
  return out;
}

const char* disposition_name(Disposition d) {
  switch (d) {
    case Disposition::passed: return "passed";
    case Disposition::fail: return "fail";
    case Disposition::unreceived: return "unreceived";
    case Disposition::expired: return "expired";
  }
  return "unreceived";
}

Disposition disposition_of(const std::vector<SubmissionRecord>& submissions, UnixTime expires, UnixTime now,
                           const SubmissionRecord** chosen) {
  const SubmissionRecord* latest = nullptr;
  for (const SubmissionRecord& s : submissions)
    if (s.submitted <= expires && (!latest || s.id > latest->id)) latest = &s;
  if (chosen) *chosen = latest;
  if (latest) return latest->agrees ? Disposition::passed : Disposition::fail;
  return now > expires ? Disposition::expired : Disposition::unreceived;
}

Result<std::vector<CaseDisposition>> dispositions(const storage::ReadTxn& txn, const CampaignRecord& campaign,
                                                  UnixTime now) {
  std::map<std::pair<std::uint64_t, std::uint32_t>, std::vector<SubmissionRecord>> by_case;
  for (const CampaignCase& c : campaign.cases) by_case[{c.id, c.version}];
  std::size_t walked = 0;
  // Submissions made after the campaign was created, in id order: walk from the end back.
  Status s = storage::for_each(txn, storage::Table::testcase_submissions, [&](ByteView, ByteView value) -> Result<bool> {
    if (++walked > kMaxScan) return false;
    auto sub = decode_submission(value);
    if (!sub) return std::move(sub).error();
    if (sub->product != campaign.product) return true;
    auto it = by_case.find({sub->case_id, sub->case_version});
    if (it != by_case.end()) it->second.push_back(std::move(*sub));
    return true;
  });
  if (!s) return std::move(s).error();
  std::vector<CaseDisposition> out;
  for (const CampaignCase& c : campaign.cases) {
    CaseDisposition d;
    d.c = c;
    const SubmissionRecord* chosen = nullptr;
    d.disposition = disposition_of(by_case[{c.id, c.version}], campaign.expires, now, &chosen);
    if (chosen) d.submission = *chosen;
    out.push_back(std::move(d));
  }
  return out;
}

json case_json(const CaseRecord& c, bool show_expected) {
  json inputs = json::array();
  for (const Input& i : c.inputs)
    inputs.push_back({{"role", i.role}, {"media_type", i.media_type}, {"sha256", i.sha256}, {"size", i.size}});
  json params = {{"trust_anchor", c.params.trust_anchor}};
  params["validation_time"] = c.params.validation_time ? json(format_rfc3339(*c.params.validation_time)) : json(nullptr);
  params["policy_oid"] = c.params.policy_oid.empty() ? json(nullptr) : json(c.params.policy_oid);
  json j = {{"id", c.id},
            {"version", c.version},
            {"kind", kind_name(c.kind)},
            {"polarity", polarity_name(c.polarity)},
            {"refs", c.refs},
            {"title", c.title},
            {"inputs", std::move(inputs)},
            {"params", std::move(params)},
            {"owner", c.owner},
            {"visibility", visibility_name(c.visibility)},
            {"tags", c.tags},
            {"state", state_name(c.state)},
            {"producer_product", c.producer_product == 0 ? json(nullptr) : json(c.producer_product)},
            {"created", format_rfc3339(c.created)},
            {"created_by", c.actor},
            {"state_changed", format_rfc3339(c.state_changed)}};
  if (show_expected) j["expected"] = verdict_json(c.expected);
  return j;
}

json product_json(const ProductRecord& p) {
  return {{"id", p.id},
          {"participant", p.participant},
          {"vendor", p.vendor},
          {"name", p.name},
          {"version", p.version},
          {"created", format_rfc3339(p.created)}};
}

json submission_json(const SubmissionRecord& s) {
  return {{"id", s.id},
          {"product", s.product},
          {"participant", s.participant},
          {"case", s.case_id},
          {"case_version", s.case_version},
          {"observed", verdict_json(s.observed)},
          {"agrees", s.agrees},
          {"report_sha256", s.report_sha256.empty() ? json(nullptr) : json(s.report_sha256)},
          {"submitted", format_rfc3339(s.submitted)},
          {"submitted_by", s.actor}};
}

}  // namespace trustmon::testcases
