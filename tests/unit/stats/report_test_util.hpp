// Shared by the report tests: a context with two issuers (ca-a operated by the provider,
// ca-b by another), Kyiv calendar, today 2026-12-06, the built-in code lists.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "responder/stats/report.hpp"

namespace trustmon::stats::testing {

inline const Calendar& kyiv() {
  static const Calendar cal = *Calendar::load("Europe/Kyiv");
  return cal;
}

inline ReportContext context() {
  ReportContext ctx;
  ctx.calendar = &kyiv();
  ctx.today = *parse_date("2026-12-06");
  ctx.code_lists = &CodeLists::builtin();
  ctx.issuers = {{"ca-a", true}, {"ca-b", false}};
  ctx.provider_name = "Provider A";
  return ctx;
}

inline bool has(const std::vector<Problem>& ps, const std::string& code, const std::string& pointer) {
  return std::any_of(ps.begin(), ps.end(), [&](const Problem& p) { return p.code == code && p.pointer == pointer; });
}
inline bool has_cell(const std::vector<Problem>& ps, const std::string& code, std::size_t row, const std::string& column) {
  return std::any_of(ps.begin(), ps.end(),
                     [&](const Problem& p) { return p.code == code && p.row == row && p.column == column; });
}
inline std::string dump(const std::vector<Problem>& ps) {
  std::string s;
  for (const Problem& p : ps) s += p.to_json().dump() + "\n";
  return s;
}

}  // namespace trustmon::stats::testing
