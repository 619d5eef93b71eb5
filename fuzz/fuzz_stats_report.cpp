// Providers' statistics reports (responder/stats/report.hpp): every input is read as a
// JSON report and as an SDMX-CSV report and validated, without and with history (the
// same report as the previous period's, so the stock-flow rule runs). Properties: no
// crash, no exception escapes; every check gives either a report with no error or a
// non-empty problem list (capped at kMaxProblems + 1), each problem with a code, a
// message and a location; an accepted report survives its stored form, and an accepted
// CSV report is accepted again from the CSV trustmon writes for it.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "responder/stats/report.hpp"

using namespace trustmon;
using namespace trustmon::stats;

namespace {

const Calendar& calendar() {
  static const Calendar cal = *Calendar::load("Europe/Kyiv");
  return cal;
}

ReportContext context(bool history) {
  ReportContext ctx;
  ctx.calendar = &calendar();
  ctx.today = *parse_date("2026-12-06");
  ctx.code_lists = &CodeLists::builtin();
  ctx.issuers = {{"ca-a", true}, {"ca-b", false}};
  ctx.provider_name = "Provider A";
  ctx.history_known = history;
  return ctx;
}

void check(const ReportCheck& c) {
  if (c.errors.size() > kMaxProblems + 1 || c.warnings.size() > kMaxProblems + 1) std::abort();
  for (const auto* list : {&c.errors, &c.warnings})
    for (const Problem& p : *list) {
      if (p.code.empty() || p.message.empty()) std::abort();
      (void)p.to_json().dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    }
  if (!c.ok()) return;
  if (c.report.observations.empty() || c.report.revision == 0) std::abort();  // accepted means complete
  auto back = report_from_stored_json(report_to_json(c.report));
  if (!back || report_to_json(*back) != report_to_json(c.report)) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  for (bool history : {false, true}) {
    ReportContext ctx = context(history);
    const ReportCheck j = check_report_json(text, ctx);
    check(j);
    if (history && j.ok()) {
      ctx.previous_period = &j.report;
      check(check_report_json(text, ctx));
    }
    ctx = context(history);
    const ReportCheck c = check_report_csv(text, 1, ctx);
    check(c);
    if (c.ok()) {
      const ReportCheck again = check_report_csv(report_to_csv(c.report), 1, ctx);
      if (!again.ok() || report_to_json(again.report)["observations"] != report_to_json(c.report)["observations"])
        std::abort();
    }
  }
  return 0;
}
