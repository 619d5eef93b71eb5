// Reading the test-case tables: cases (latest or a given version), pages of cases,
// artefacts and who may read them, products, submissions, the per-case-version tally, the
// interoperability matrix and a campaign's dispositions. Pure readers over a transaction
// (read or write), safe on any thread with its own snapshot.
//
// The tally: for each case version, the latest observation of every product that
// submitted for it (meta key "testcase_tally/<case>/<version>", JSON {"<product>":
// {"sub","vendor","key","outcome","at"}}). The Writer job of a submission updates it, so
// the dispute check and the matrix read one small record per case version instead of
// the submissions table (whose size grows with every run of every product).
//
// The matrix is computed on read from the tallies of the latest versions of the cases the
// reader may see (not deprecated), filtered by kind, polarity, tag and clause: the
// filters combine freely, so a precomputed cube would multiply by every filter value,
// while a read walks at most kMaxMatrixCases cases (then `truncated`) and one tally each.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/result.hpp"
#include "responder/testcases/model.hpp"
#include "storage/lmdb.hpp"
#include "storage/scan.hpp"

namespace trustmon::testcases {

inline constexpr std::size_t kMaxPage = 500;
inline constexpr std::size_t kDefaultPage = 100;
inline constexpr std::size_t kMaxMatrixCases = 100000;
inline constexpr std::size_t kMaxScan = 1000000;  // entries walked by a blob check or a campaign view
inline constexpr std::size_t kMaxListScan = 20000;  // entries one page of a listing walks (then `next`)

// One product's latest observation of a case version.
struct TallyEntry {
  std::uint64_t submission = 0;
  std::string vendor;
  std::string key;  // verdict_key(observed)
  Outcome outcome = Outcome::disagree;
  UnixTime at = 0;
  bool operator==(const TallyEntry&) const = default;
};
using Tally = std::map<std::uint64_t, TallyEntry>;  // product id -> entry

std::string tally_key(std::uint64_t case_id, std::uint32_t version);
Bytes encode_tally(const Tally& t);
Result<Tally> decode_tally(ByteView v);

// The dispute rule over a tally: the contradicting observation (verdict key) that at least
// kDisputeProducts products of at least kDisputeVendors vendors share, if any.
struct Contradiction {
  std::string key;
  std::vector<std::uint64_t> products;
  std::size_t vendors = 0;
};
std::optional<Contradiction> contradiction(const Tally& t, std::size_t min_products = kDisputeProducts,
                                           std::size_t min_vendors = kDisputeVendors);

template <storage::Transaction Txn>
Result<std::optional<CaseRecord>> get_case(const Txn& txn, std::uint64_t id, std::optional<std::uint32_t> version);
template <storage::Transaction Txn>
Result<Tally> get_tally(const Txn& txn, std::uint64_t case_id, std::uint32_t version);
template <storage::Transaction Txn>
Result<std::optional<ProductRecord>> get_product(const Txn& txn, std::uint64_t id);

Result<std::optional<Bytes>> get_blob(const storage::ReadTxn& txn, std::string_view sha256_hex);
// May `reader` read the blob: some version of a case it may read names it.
Result<bool> blob_readable(const storage::ReadTxn& txn, const Reader& reader, std::string_view sha256_hex);

struct CaseFilter {
  std::optional<Kind> kind;
  std::optional<Polarity> polarity;
  std::optional<State> state;
  std::string tag;     // "" = any
  std::string clause;  // a ref, exactly; "" = any
  std::optional<std::uint32_t> owner;
};
bool passes(const CaseFilter& f, const CaseRecord& c);

template <typename T>
struct Page {
  std::vector<T> items;
  std::optional<std::uint64_t> next;  // the `after` of the next page
};
// The latest versions of the cases after `after`, readable and passing the filter.
Result<Page<CaseRecord>> list_cases(const storage::ReadTxn& txn, const Reader& reader, const CaseFilter& f,
                                    std::uint64_t after, std::size_t limit);
Result<Page<ProductRecord>> list_products(const storage::ReadTxn& txn, std::optional<std::uint32_t> participant,
                                          std::uint64_t after, std::size_t limit);
struct SubmissionFilter {
  std::optional<std::uint64_t> case_id;
  std::optional<std::uint64_t> product;
};
// Submissions for cases the reader may read (latest version's visibility).
Result<Page<SubmissionRecord>> list_submissions(const storage::ReadTxn& txn, const Reader& reader,
                                                const SubmissionFilter& f, std::uint64_t after, std::size_t limit);

struct MatrixCell {
  std::uint64_t producer = 0;  // 0 = the case names no producing product
  std::uint64_t validator = 0;
  std::uint64_t agree = 0, disagree = 0, indeterminate = 0;
};
struct Matrix {
  std::vector<MatrixCell> cells;  // by (producer, validator)
  std::map<std::uint64_t, ProductRecord> products;
  std::uint64_t cases = 0;        // cases counted
  bool truncated = false;
};
Result<Matrix> compute_matrix(const storage::ReadTxn& txn, const Reader& reader, const CaseFilter& f);
nlohmann::json matrix_json(const Matrix& m);
std::string matrix_csv(const Matrix& m);

// passed | fail | unreceived | expired for each case of the campaign, from the product's
// latest submission for that case version made before the expiry.
enum class Disposition : std::uint8_t { passed, fail, unreceived, expired };
const char* disposition_name(Disposition d);
struct CaseDisposition {
  CampaignCase c;
  Disposition disposition = Disposition::unreceived;
  std::optional<SubmissionRecord> submission;
};
Result<std::vector<CaseDisposition>> dispositions(const storage::ReadTxn& txn, const CampaignRecord& campaign,
                                                  UnixTime now);
// Pure: the disposition of one case given the product's submissions for it (any order).
Disposition disposition_of(const std::vector<SubmissionRecord>& submissions, UnixTime expires, UnixTime now,
                           const SubmissionRecord** chosen = nullptr);

nlohmann::json case_json(const CaseRecord& c, bool show_expected = true);
nlohmann::json product_json(const ProductRecord& p);
nlohmann::json submission_json(const SubmissionRecord& s);

// ---- template definitions ---------------------------------------------------------

template <storage::Transaction Txn>
Result<std::optional<CaseRecord>> get_case(const Txn& txn, std::uint64_t id, std::optional<std::uint32_t> version) {
  if (version) {
    auto v = txn.get(storage::Table::testcase_cases, case_key(id, *version));
    if (!v) return std::move(v).error();
    if (!*v) return std::optional<CaseRecord>();
    auto r = decode_case(**v);
    if (!r) return std::move(r).error();
    return std::optional<CaseRecord>(std::move(*r));
  }
  std::optional<Bytes> last;
  const Bytes prefix = id_key(id);
  Status s = storage::for_each_prefix(txn, storage::Table::testcase_cases, prefix,
                                      [&last](ByteView, ByteView value) { last = to_bytes(value); });
  if (!s) return std::move(s).error();
  if (!last) return std::optional<CaseRecord>();
  auto r = decode_case(*last);
  if (!r) return std::move(r).error();
  return std::optional<CaseRecord>(std::move(*r));
}

template <storage::Transaction Txn>
Result<Tally> get_tally(const Txn& txn, std::uint64_t case_id, std::uint32_t version) {
  auto v = txn.get(storage::Table::meta, as_bytes(tally_key(case_id, version)));
  if (!v) return std::move(v).error();
  if (!*v) return Tally();
  return decode_tally(**v);
}

template <storage::Transaction Txn>
Result<std::optional<ProductRecord>> get_product(const Txn& txn, std::uint64_t id) {
  auto v = txn.get(storage::Table::testcase_products, id_key(id));
  if (!v) return std::move(v).error();
  if (!*v) return std::optional<ProductRecord>();
  auto r = decode_product(**v);
  if (!r) return std::move(r).error();
  return std::optional<ProductRecord>(std::move(*r));
}

}  // namespace trustmon::testcases
