// trustmonctl's commands as plain functions, so main.cpp only wires the command line
// and tests can drive them (the networked ones through a fake HttpTransport).
//
// Exit-code policy shared by every command: 0 = done and nothing refused, 1 = done but
// the server refused some items, 2 = usage, file or transport error (kExit*).
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/result.hpp"
#include "responder/config/config.hpp"
#include "tools/demo_pki.hpp"
#include "tools/http_client.hpp"

namespace trustmon::tools {

inline constexpr int kExitOk = 0;
inline constexpr int kExitRefused = 1;
inline constexpr int kExitFailed = 2;

// ---- init --------------------------------------------------------------------------

struct InitOptions {
  std::string data_dir;
  std::string listen;                // "" = keep the example's default
  std::vector<std::string> issuers;  // NAME=CA_PEM,RESPONDER_CERT,RESPONDER_KEY
  bool force = false;                // overwrite the config and rotate the bootstrap token
};

struct InitSummary {
  std::string data_dir;  // absolute
  std::string config_path;
  std::string token_file;
  std::string storage_path;
  nlohmann::json to_json() const;
};


// "NAME=CA_PEM,RESPONDER_CERT,RESPONDER_KEY" with absolute paths; checks that the files
// load and that the key belongs to the responder certificate ("usage_invalid").
Result<config::IssuerConfig> parse_issuer_arg(std::string_view arg);
// The example config with the [server] listen line set to `listen` ("usage_invalid"
// for a malformed HOST:PORT).
Result<std::string> set_listen(const std::string& config_text, const std::string& listen);
// "tm_" + base64url of 32 random bytes.
Result<std::string> make_admin_token();
// Creates the data folder, config, LMDB environment and bootstrap token.
// Error codes: "usage_invalid", "already_initialized", "file_unwritable", storage codes.
Result<InitSummary> run_init(const InitOptions& options);

// ---- import ------------------------------------------------------------------------

// Opens one more connection to the same server, as the first one was opened.
using TransportFactory = std::function<Result<std::unique_ptr<HttpTransport>>()>;

inline constexpr std::size_t kImportMaxBatch = 10000;  // the server's per-request cap
inline constexpr std::size_t kImportMaxParallel = 16;

struct ImportSummary;

struct ImportOptions {
  std::vector<std::string> paths;  // files and folders (walked recursively)
  std::size_t batch = 2000;        // certificates per request (1..kImportMaxBatch)
  std::size_t parallel = 4;        // requests in flight, each on its own connection (1..16)
  std::size_t max_errors = 50;     // error entries kept in the summary
  std::string target = "/api/v1/certificates";
  // Connections beyond the transport given to run_import. Without it the import is
  // sequential on that transport whatever `parallel` says.
  TransportFactory connect;
  // Running counts: called with the summary so far after an accounted batch, in batch
  // order, at most once per `progress_interval` (0: after every batch); never after
  // the import failed. Runs on whichever thread accounted the batch; keep it short.
  std::function<void(const ImportSummary&)> on_progress;
  std::chrono::milliseconds progress_interval{2000};
  // Scales the pauses before a rate_limited batch is sent again (tests make them short).
  double retry_pause_scale = 1.0;
};

struct ImportErrorItem {
  std::string file;
  std::size_t index = 0;  // position of the certificate within its file
  std::string code;
  std::string message;
};

struct ImportSummary {
  std::size_t stored = 0;
  std::size_t duplicate = 0;
  std::size_t refused = 0;    // by the server, or locally unreadable
  std::size_t files = 0;      // files that held at least one certificate
  std::size_t skipped = 0;    // files in folders that held none
  std::size_t requests = 0;
  std::vector<ImportErrorItem> errors;  // first max_errors
  std::size_t errors_omitted = 0;
  std::optional<Error> fatal;  // the import stopped here (transport or request error)
  nlohmann::json to_json() const;
  int exit_code() const;
};

// Walks the paths, batching certificates as it goes, posts each batch and aggregates
// the per-item results. With `parallel` > 1 (and `connect`), up to that many batches are
// in flight at once, the first on `http` and the others on connections from `connect`;
// memory stays bounded by about parallel + 2 batches, and the summary (counts, error
// list and its order) is the one a sequential run gives.
ImportSummary run_import(HttpTransport& http, const ImportOptions& options);

// ---- revoke ------------------------------------------------------------------------

struct Revocation {
  std::string issuer;
  std::string serial;           // normalised: uppercase hex, even length
  std::string reason;
  std::string time;             // RFC 3339, "" = server's now
  std::string invalidity_date;  // RFC 3339, "" = none
  std::size_t line = 0;         // in the TSV file, 0 for the command line form
  nlohmann::json to_json() const;
};

// Checks and normalises one revocation ("usage_invalid").
Result<Revocation> make_revocation(std::string issuer, std::string serial, std::string reason,
                                   std::string time, std::string invalidity_date);
// One TSV line: ISSUER<TAB>SERIAL<TAB>REASON[<TAB>TIME[<TAB>INVALIDITY]]. Blank lines
// and '#' comments give nullopt.
Result<std::optional<Revocation>> parse_revocation_line(std::string_view line, std::size_t line_no);

struct RevokeOptions {
  std::optional<Revocation> single;  // the command-line form
  std::string file;                  // or a TSV file
  std::size_t batch = 500;
  std::string target = "/api/v1/revocations";
};

struct RevokeOutcome {
  nlohmann::json output;  // the server's reply (single) or the aggregate (file)
  std::size_t refused = 0;
  std::optional<Error> fatal;
  int exit_code() const;
};

// The file is checked completely before anything is sent, so a typo on line 9000 does
// not leave half a file applied.
RevokeOutcome run_revoke(HttpTransport& http, const RevokeOptions& options);

// ---- entry points ------------------------------------------------------------------

// Command-line entry points: each prints its JSON result to `out` and a one-line error
// to `err`, and returns the exit code. main.cpp only fills the options.
int cmd_init(const InitOptions& options, std::ostream& out, std::ostream& err);
int cmd_import(HttpTransport& http, const ImportOptions& options, std::ostream& out, std::ostream& err);
int cmd_revoke(HttpTransport& http, const RevokeOptions& options, std::ostream& out, std::ostream& err);
int cmd_demo_pki(const DemoPkiOptions& options, std::ostream& out, std::ostream& err);

// JSON as printed by every command (indented, invalid UTF-8 replaced, final newline).
std::string output_text(const nlohmann::json& j);
// "trustmonctl: CODE: MESSAGE" on `err`.
void print_error(std::ostream& err, const Error& e);
// A failed API call: the error on `err`; a refusal by the server (it answered with an error
// object) is also printed on `out` as {"error":{...}} and gives kExitRefused, no answer at
// all (connection, malformed reply) gives kExitFailed.
int report_call_error(const Error& e, std::ostream& out, std::ostream& err);
// Prints a command's summary (its to_json()) or its error; returns the exit code.
template <typename Summary>
int print_summary(const Result<Summary>& summary, std::ostream& out, std::ostream& err) {
  if (!summary) {
    print_error(err, summary.error());
    return kExitFailed;
  }
  out << output_text(summary->to_json());
  return kExitOk;
}

// Text helpers shared by the commands.
std::string_view trim(std::string_view s);
// j[key] as a count; 0 when absent or not an unsigned number.
std::size_t json_count(const nlohmann::json& j, const char* key);
// A path segment: RFC 3986 unreserved characters stay, everything else is %XX.
std::string percent_encode(const std::string& v);

}  // namespace trustmon::tools
