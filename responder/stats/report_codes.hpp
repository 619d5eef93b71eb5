// The providers' reports' vocabulary beyond the derived metrics: the report-only metrics
// (what a certificate cannot tell: registrations by channel, remote signatures, time
// stamps, complaints, incidents with ENISA's dimensions, ...) with their dimensions and
// the closed code lists of those dimensions. They are data, not code: a JSON file
// (conf/stats_code_lists.json, embedded as the default; `[stats] code_lists` names
// another), so a new indicator needs no code change. The derived metrics and their
// dimensions stay stats/codes.hpp and may not be redefined here.
//
// File: {"version": "...", "dimensions": {"name": ["code", ...]},
//        "metrics": {"name": {"kind": "flow"|"stock", "dims": ["dim", ...],
//                             "additive": true|false, "definition": "..."}}}
// A metric's dims may name `issuer` (the provider's issuers), a derived dimension
// (key_alg, purpose, storage, subject_kind, validity) or one of the file's dimensions.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace trustmon::stats {

struct ReportMetric {
  std::string name;
  bool stock = false;
  bool additive = true;  // a breakdown's cells sum to their total
  std::vector<std::string> dims;
  std::string definition;
};

struct CodeLists {
  std::string version;
  std::map<std::string, std::vector<std::string>, std::less<>> dimensions;
  std::map<std::string, ReportMetric, std::less<>> metrics;

  // code_lists_invalid (with what is wrong) for a file that breaks the shape above.
  static Result<CodeLists> parse(std::string_view json_text);
  // The embedded conf/stats_code_lists.json.
  static const CodeLists& builtin();
  static std::string_view builtin_text();

  const ReportMetric* metric(std::string_view name) const;
  // Is `code` in the list of the report-only dimension `dim`? (false for unknown dims)
  bool has_code(std::string_view dim, std::string_view code) const;
};

// At most this large a code-list file, this many metrics, dimensions or codes per list.
inline constexpr std::size_t kMaxCodeListBytes = 256 * 1024;
inline constexpr std::size_t kMaxCodeListEntries = 1000;

}  // namespace trustmon::stats
