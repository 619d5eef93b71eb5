// Providers' reports in the store: the record in Table::stats_reports, the readers, and
// the filing service (one audited Writer job per filing).
//
// Policy:
//  * Record: format byte kReportRecordFormat || JSON {id, participant, provider,
//    filed_at, actor, format ("json" | "csv"), report (report_to_json), warnings,
//    source (the report text as filed, when not signed), signature? {cms (base64 of the
//    CMS as received: it holds the content), signer_sha256, signer_subject,
//    signing_time?}}. Key: be64 id, last id + 1, allocated in the Writer job.
//  * Every revision is its own record; nothing is overwritten. A filing's revision must
//    be the provider's last revision for the period + 1 (checked inside the Writer job,
//    so two concurrent filings cannot both be revision n).
//  * Filing is one storage::AuditedWrite: event `stats.report.filed` {action
//    stats.report.file, outcome ok, target {report, participant, period, revision},
//    details {format, observations, warnings, signed}}; a refused report is recorded as
//    `stats.report.refused` with code report_invalid and the problems' codes (at most 20).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/actor.hpp"
#include "common/clock.hpp"
#include "common/result.hpp"
#include "responder/stats/report.hpp"
#include "storage/audited.hpp"
#include "storage/lmdb.hpp"
#include "storage/writer.hpp"

namespace trustmon::stats {

inline constexpr std::uint8_t kReportRecordFormat = 1;

// Evidence of a signed report (responder/pki/cms.hpp verified it).
struct ReportSignature {
  Bytes cms;                   // the CMS SignedData as received (DER)
  std::string signer_sha256;   // hex of the signer certificate's DER
  std::string signer_subject;  // RFC 2253
  std::optional<UnixTime> signing_time;
};

struct StoredReport {
  std::uint64_t id = 0;
  std::uint32_t participant = 0;
  std::string provider;  // the participant's name when filed
  UnixTime filed_at = 0;
  std::string actor;
  Report report;
  std::vector<Problem> warnings;
  std::string source;
  std::optional<ReportSignature> signature;
};

Bytes encode_report_record(const StoredReport& r);
Result<StoredReport> decode_report_record(ByteView value);
Result<std::optional<StoredReport>> get_report(const storage::ReadTxn& txn, std::uint64_t id);
// participant nullopt = every provider's; in id order.
Result<std::vector<StoredReport>> list_reports(const storage::ReadTxn& txn, std::optional<std::uint32_t> participant);

// {id, participant, provider, period, freq, start, revision, filed_at, format,
// observations, warnings, signed}; full = also report, warnings' list, signature.
nlohmann::json stored_report_json(const StoredReport& r, bool full);

struct Filing {
  Actor actor;
  std::string provider;               // the participant's name
  ReportFormat format = ReportFormat::json;
  std::string text;                   // the report (the CMS content when signed)
  std::optional<std::uint32_t> csv_revision;
  std::optional<ReportSignature> signature;
};

struct FilingOutcome {
  std::uint64_t id = 0;
  std::uint32_t revision = 0;
  std::vector<Problem> warnings;
  std::vector<Problem> errors;  // set when refused (report_invalid)
};

class ReportService {
 public:
  // Runs on the Writer thread: the outcome, or report_invalid (422; the problems are in
  // `*problems`), or a fault.
  using Done = std::function<void(Result<FilingOutcome>, std::vector<Problem> problems)>;

  // `issuers`: every configured issuer name -> id.
  ReportService(storage::Writer& writer, const Clock& clock, const Calendar& calendar, const CodeLists& code_lists,
                std::map<std::string, std::uint32_t, std::less<>> issuers);

  // Parses and checks (on the calling thread), then files in one audited Writer job.
  void file(Filing filing, Done done);
  // The same, waiting for the commit (tests, tools).
  std::pair<Result<FilingOutcome>, std::vector<Problem>> file_sync(Filing filing);

  // The check context of `actor` without history (route and fuzz use).
  ReportContext context(const Actor& actor, const std::string& provider) const;
  const Calendar& calendar() const { return calendar_; }
  const CodeLists& code_lists() const { return code_lists_; }

 private:
  struct Prepared;
  std::shared_ptr<Prepared> prepare(Filing filing) const;
  storage::AuditEvent event_of(const Prepared& p) const;
  static storage::AuditedWrite::Apply<FilingOutcome> apply_of(std::shared_ptr<Prepared> p);

  storage::AuditedWrite audited_;
  const Clock& clock_;
  const Calendar& calendar_;
  const CodeLists& code_lists_;
  std::map<std::string, std::uint32_t, std::less<>> issuers_;
};

}  // namespace trustmon::stats
