// trustmonctl: command-line wiring only. Every command lives in trustmon_tools
// (commands.hpp); exit codes: 0 ok, 1 some items refused, 2 usage/file/transport error.
#include <CLI/CLI.hpp>
#include <unistd.h>

#include <chrono>
#include <iostream>
#include <memory>

#include "common/ossl.hpp"
#include "tools/cmd_admin.hpp"
#include "tools/cmd_crl.hpp"
#include "tools/cmd_joining.hpp"
#include "tools/cmd_login.hpp"
#include "tools/cmd_testbed.hpp"
#include "tools/cmd_testca.hpp"
#include "tools/cmd_tl.hpp"
#include "tools/commands.hpp"
#include "tools/demo_pki.hpp"
#include "tools/http_client.hpp"

using namespace trustmon;
using namespace trustmon::tools;

namespace {

Result<HttpClientOptions> client_options(const std::string& server, const std::string& token_file, int timeout) {
  HttpClientOptions options;
  options.base_url = server;
  options.timeout_seconds = timeout;
  if (!token_file.empty()) {
    auto token = read_token_file(token_file);
    if (!token) return std::move(token).error();
    options.bearer_token = std::move(*token);
  }
  return options;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"trustmonctl: administration client for trustmond"};
  app.require_subcommand(1);

  std::string server = "http://127.0.0.1:8080";
  std::string token_file;
  int timeout = 120;
  app.add_option("--server", server, "trustmond base URL")->envname("TRUSTMON_SERVER")->capture_default_str();
  app.add_option("--token-file", token_file, "file holding the bearer token (never printed)")
      ->envname("TRUSTMON_TOKEN_FILE");
  app.add_option("--timeout", timeout, "seconds to wait for connect, and each read or write")
      ->check(CLI::Range(1, 3600))
      ->capture_default_str();

  InitOptions init;
  auto* init_cmd = app.add_subcommand("init", "create a data folder: config, storage, bootstrap admin token");
  init_cmd->add_option("--data", init.data_dir, "data folder (created 0700)")->required();
  init_cmd->add_option("--listen", init.listen, "HOST:PORT for the server to listen on");
  init_cmd->add_option("--issuer", init.issuers, "NAME=CA_PEM,RESPONDER_CERT,RESPONDER_KEY (repeatable)")
      ->allow_extra_args(false);
  init_cmd->add_flag("--force", init.force, "overwrite the config and rotate the admin token");

  ImportOptions import;
  auto* import_cmd = app.add_subcommand("import", "send certificates from files and folders to the server");
  import_cmd->add_option("paths", import.paths, "PEM/DER files or folders (walked recursively)")->required();
  import_cmd->add_option("--batch", import.batch, "certificates per request (a request also closes at 8 MiB of PEM)")
      ->check(CLI::Range(std::size_t{1}, kImportMaxBatch))
      ->capture_default_str();
  import_cmd
      ->add_option("--parallel", import.parallel,
                   "requests in flight at once, each on its own connection; the summary is the same as with 1")
      ->check(CLI::Range(std::size_t{1}, kImportMaxParallel))
      ->capture_default_str();
  bool import_progress = false;
  import_cmd->add_flag("--progress", import_progress,
                       "running counts on stderr every 2 s (the default when stderr is a terminal)");

  RevokeOptions revoke;
  std::string rv_issuer, rv_serial, rv_reason, rv_time, rv_invalidity;
  auto* revoke_cmd = app.add_subcommand("revoke", "revoke one certificate, or a TSV file of them");
  auto* rv_issuer_opt = revoke_cmd->add_option("--issuer", rv_issuer, "issuer name as configured");
  revoke_cmd->add_option("--serial", rv_serial, "serial number in hex")->needs(rv_issuer_opt);
  revoke_cmd->add_option("--reason", rv_reason, "RFC 5280 reason, e.g. keyCompromise")->needs(rv_issuer_opt);
  revoke_cmd->add_option("--time", rv_time, "revocation time, RFC 3339 (default: now)")->needs(rv_issuer_opt);
  revoke_cmd->add_option("--invalidity-date", rv_invalidity, "invalidity date, RFC 3339")->needs(rv_issuer_opt);
  auto* rv_file_opt = revoke_cmd->add_option(
      "--file", revoke.file, "TSV: ISSUER<TAB>SERIAL<TAB>REASON<TAB>TIME[<TAB>INVALIDITY], # comments");
  rv_file_opt->excludes(rv_issuer_opt);
  revoke_cmd->add_option("--batch", revoke.batch, "revocations per request (with --file)")
      ->check(CLI::Range(1, 10000))
      ->capture_default_str();

  DemoPkiOptions demo;
  auto* demo_cmd = app.add_subcommand("demo-pki", "generate a demo PKI (root, two issuing CAs, responders, certificates)");
  demo_cmd->add_option("--out", demo.out_dir, "output folder")->required();
  demo_cmd->add_option("--count", demo.count, "end-entity certificates")->capture_default_str();
  demo_cmd->add_option("--revoked-percent", demo.revoked_percent, "share listed in revocations.tsv")
      ->check(CLI::Range(0.0, 100.0))
      ->capture_default_str();
  demo_cmd->add_option("--ocsp-url", demo.ocsp_url, "OCSP URL in the certificates' AIA")->capture_default_str();
  demo_cmd->add_flag("--force", demo.force, "replace an existing demo PKI in the folder");

  // Administration (central body): each command is one admin API call.
  std::optional<AdminCall> admin_call;
  std::uint32_t id = 0;
  std::string a_kind, a_name, a_code, a_reason, a_role, a_issuer, a_expires, a_label, a_cert_file;
  double a_rate = 0;
  auto* participant_cmd = app.add_subcommand("participant", "participants (organisations)")->require_subcommand(1);
  auto* p_add = participant_cmd->add_subcommand("add", "add a participant; prints {\"id\": N}");
  p_add->add_option("--kind", a_kind, "central_body | qtsp | tool_developer | system_owner")->required();
  p_add->add_option("--name", a_name, "organisation name")->required();
  p_add->add_option("--code", a_code, "registration code (e.g. EDRPOU)")->required();
  p_add->callback([&] { admin_call = participant_add(a_kind, a_name, a_code); });
  participant_cmd->add_subcommand("list", "list participants")->callback([&] { admin_call = participant_list(); });
  auto* p_show = participant_cmd->add_subcommand("show", "one participant with its representatives");
  p_show->add_option("participant", id, "participant id")->required();
  p_show->callback([&] { admin_call = participant_show(id); });
  auto* p_update = participant_cmd->add_subcommand("update", "change a participant's name or registration code");
  p_update->add_option("participant", id, "participant id")->required();
  p_update->add_option("--name", a_name, "new name");
  p_update->add_option("--code", a_code, "new registration code");
  p_update->callback([&] { admin_call = participant_update(id, a_name, a_code); });
  auto* p_issuer = participant_cmd->add_subcommand("issuer-add", "attach an issuer (name as configured) to a QTSP");
  p_issuer->add_option("participant", id, "participant id")->required();
  p_issuer->add_option("issuer", a_issuer, "issuer name")->required();
  p_issuer->callback([&] { admin_call = participant_issuer_add(id, a_issuer); });
  auto* p_issuer_rm = participant_cmd->add_subcommand("issuer-remove", "detach an issuer from a QTSP");
  p_issuer_rm->add_option("participant", id, "participant id")->required();
  p_issuer_rm->add_option("issuer", a_issuer, "issuer name")->required();
  p_issuer_rm->callback([&] { admin_call = participant_issuer_remove(id, a_issuer); });
  auto* p_block = participant_cmd->add_subcommand("block", "block every credential of a participant at once");
  p_block->add_option("participant", id, "participant id")->required();
  p_block->add_option("--reason", a_reason, "why (recorded)")->required();
  p_block->callback([&] { admin_call = participant_block(id, a_reason); });
  auto* p_unblock = participant_cmd->add_subcommand("unblock", "unblock a participant");
  p_unblock->add_option("participant", id, "participant id")->required();
  p_unblock->callback([&] { admin_call = participant_unblock(id); });

  auto* rep_cmd = app.add_subcommand("representative", "authorised representatives")->require_subcommand(1);
  auto* r_add = rep_cmd->add_subcommand("add", "add a representative; prints {\"id\": N}");
  r_add->add_option("participant", id, "participant id")->required();
  r_add->add_option("--name", a_name, "person's name")->required();
  r_add->add_option("--role", a_role, "admin | operator | viewer")->required();
  r_add->callback([&] { admin_call = representative_add(id, a_name, a_role); });
  auto* r_list = rep_cmd->add_subcommand("list", "list representatives");
  r_list->add_option("--participant", id, "only this participant's");
  r_list->callback([&] { admin_call = representative_list(id); });
  auto* r_show = rep_cmd->add_subcommand("show", "one representative with its credentials");
  r_show->add_option("representative", id, "representative id")->required();
  r_show->callback([&] { admin_call = representative_show(id); });
  auto* r_update = rep_cmd->add_subcommand("update", "change a representative's name or role");
  r_update->add_option("representative", id, "representative id")->required();
  r_update->add_option("--name", a_name, "new name");
  r_update->add_option("--role", a_role, "admin | operator | viewer");
  r_update->callback([&] { admin_call = representative_update(id, a_name, a_role); });
  auto* r_block = rep_cmd->add_subcommand("block", "block one representative");
  r_block->add_option("representative", id, "representative id")->required();
  r_block->add_option("--reason", a_reason, "why (recorded)")->required();
  r_block->callback([&] { admin_call = representative_block(id, a_reason); });
  auto* r_unblock = rep_cmd->add_subcommand("unblock", "unblock one representative");
  r_unblock->add_option("representative", id, "representative id")->required();
  r_unblock->callback([&] { admin_call = representative_unblock(id); });

  auto* token_cmd = app.add_subcommand("token", "bearer tokens")->require_subcommand(1);
  auto* t_issue = token_cmd->add_subcommand("issue", "issue a token; prints {\"token\": ..., \"id\": N} once");
  t_issue->add_option("representative", id, "representative id")->required();
  t_issue->add_option("--expires", a_expires, "expiry, RFC 3339");
  t_issue->add_option("--rate", a_rate, "requests per second for this token (default: the server's)");
  t_issue->add_option("--label", a_label, "what the token is for");
  t_issue->callback([&] { admin_call = token_issue(id, a_expires, a_rate, a_label); });
  auto* t_revoke = token_cmd->add_subcommand("revoke", "revoke a credential (token or certificate)");
  t_revoke->add_option("credential", id, "credential id")->required();
  t_revoke->callback([&] { admin_call = credential_revoke(id); });

  auto* cert_cmd = app.add_subcommand("certificate", "TLS client certificates")->require_subcommand(1);
  auto* c_bind = cert_cmd->add_subcommand("bind", "bind a client certificate to a representative");
  c_bind->add_option("representative", id, "representative id")->required();
  c_bind->add_option("--cert", a_cert_file, "PEM certificate file")->required();
  c_bind->add_option("--expires", a_expires, "expiry of the binding, RFC 3339");
  int bind_error = 0;
  c_bind->callback([&] {
    auto pem = read_file(a_cert_file);
    if (!pem) {
      print_error(std::cerr, pem.error());
      bind_error = kExitFailed;
      return;
    }
    admin_call = certificate_bind(id, *pem, a_expires);
  });

  auto* audit_cmd = app.add_subcommand("audit", "the audit trail")->require_subcommand(1);
  AuditFilter audit_filter;
  auto* au_list = audit_cmd->add_subcommand("list", "events, filtered, one page");
  au_list->add_option("--actor", audit_filter.actor, "actor label or prefix, e.g. p3 or p3/r7");
  au_list->add_option("--action", audit_filter.action, "event type, or a family like participant.*");
  au_list->add_option("--since", audit_filter.since, "RFC 3339, inclusive");
  au_list->add_option("--until", audit_filter.until, "RFC 3339, exclusive");
  au_list->add_option("--after", audit_filter.after, "cursor: the previous page's next");
  au_list->add_option("--limit", audit_filter.limit, "events per page (1..1000)");
  au_list->callback([&] { admin_call = audit_list(audit_filter); });
  std::string verify_storage;
  auto* au_verify = audit_cmd->add_subcommand("verify", "recompute the event chain; exit 1 at the first broken link");
  au_verify->add_option("--storage", verify_storage, "check the LMDB folder directly instead of asking the server");

  // Trusted list, change notices, applications (cmd_tl.hpp).
  int tl_error = 0;
  auto tl_result = [&](Result<AdminCall> call) {
    if (!call) {
      print_error(std::cerr, call.error());
      tl_error = kExitFailed;
      return;
    }
    admin_call = std::move(*call);
  };
  std::string tl_name = "ua", tl_file;
  std::uint64_t item_id = 0;
  auto* tl_cmd = app.add_subcommand("tl", "the trusted list")->require_subcommand(1);
  auto* tl_import = tl_cmd->add_subcommand("import", "replace the list's model by an XML trusted list");
  tl_import->add_option("file", tl_file, "TS 119 612 XML file")->required();
  tl_import->add_option("--name", tl_name, "list name")->capture_default_str();
  auto* tl_pub = tl_cmd->add_subcommand("publish", "sign, check and publish the list now");
  tl_pub->add_option("--name", tl_name, "list name")->capture_default_str();
  tl_pub->callback([&] { admin_call = tl_publish(tl_name); });
  auto* tl_vers = tl_cmd->add_subcommand("versions", "published versions");
  tl_vers->add_option("--name", tl_name, "list name")->capture_default_str();
  tl_vers->callback([&] { admin_call = tl_versions(tl_name); });
  auto* tl_iss = tl_cmd->add_subcommand("issuers", "the list's CA certificates against the configured issuers");
  tl_iss->add_option("--name", tl_name, "list name")->capture_default_str();
  tl_iss->callback([&] { admin_call = tl_issuers(tl_name); });

  NoticeArgs notice_args;
  std::string n_reason;
  auto* notice_cmd = app.add_subcommand("notice", "change notices about trusted-list entries")->require_subcommand(1);
  auto* n_file = notice_cmd->add_subcommand("file", "file a change notice");
  n_file->add_option("--kind", notice_args.kind, "new_service | new_certificate | status_change | update | termination")
      ->required();
  n_file->add_option("--provider", notice_args.provider, "the provider's TSPTradeName (e.g. NTRUA-12345678) or name")
      ->required();
  n_file->add_option("--service", notice_args.service, "hex SHA-256 of a certificate of the service");
  n_file->add_option("--values", notice_args.values_json, "the new values as a JSON object");
  n_file->add_option("--comment", notice_args.comment, "free text");
  n_file->add_option("--list", notice_args.list, "list name (default: the server's)");
  n_file->callback([&] { tl_result(notice_file(notice_args)); });
  notice_cmd->add_subcommand("list", "notices (own, or all for the central body)")->callback([&] {
    admin_call = notice_list();
  });
  auto* n_show = notice_cmd->add_subcommand("show", "one notice with its state and history");
  n_show->add_option("id", item_id, "notice id")->required();
  n_show->callback([&] { admin_call = notice_show(item_id); });
  auto* n_approve = notice_cmd->add_subcommand("approve", "approve: change the list, sign and publish it");
  n_approve->add_option("id", item_id, "notice id")->required();
  n_approve->callback([&] { admin_call = notice_approve(item_id); });
  auto* n_reject = notice_cmd->add_subcommand("reject", "reject with a reason");
  n_reject->add_option("id", item_id, "notice id")->required();
  n_reject->add_option("--reason", n_reason, "why (shown to the filer)")->required();
  n_reject->callback([&] { admin_call = notice_reject(item_id, n_reason); });

  ApplicationArgs app_args;
  std::string ap_state, ap_note, ap_cert;
  auto* app_cmd = app.add_subcommand("application", "applications to the central body")->require_subcommand(1);
  auto* ap_submit = app_cmd->add_subcommand("submit", "submit an application");
  ap_submit->add_option("--service", app_args.service, "what is applied for, e.g. ca_certificate")->required();
  ap_submit->add_option("--text", app_args.text, "free text");
  ap_submit->add_option("--csr", app_args.csr_file, "PEM certificate request to attach");
  ap_submit->add_option("--attach", app_args.attach_files, "text file to attach (repeatable)");
  ap_submit->callback([&] { tl_result(application_submit(app_args)); });
  app_cmd->add_subcommand("list", "applications (own, or all for the central body)")->callback([&] {
    admin_call = application_list();
  });
  auto* ap_show = app_cmd->add_subcommand("show", "one application");
  ap_show->add_option("id", item_id, "application id")->required();
  ap_show->callback([&] { admin_call = application_show(item_id); });
  auto* ap_status = app_cmd->add_subcommand("set-status", "move an application to its next state (central body)");
  ap_status->add_option("id", item_id, "application id")->required();
  ap_status->add_option("--state", ap_state, "in_review | approved | rejected | completed")->required();
  ap_status->add_option("--note", ap_note, "note (required to reject)");
  ap_status->add_option("--certificate", ap_cert, "PEM file of the result (to complete)");
  ap_status->callback([&] { tl_result(application_set_status(item_id, ap_state, ap_note, ap_cert)); });

  // Statistics: the derived counters recomputed from the event log (prints the report:
  // events replayed, cells, and how many the rebuild changed).
  auto* stats_cmd = app.add_subcommand("stats", "statistics")->require_subcommand(1);
  stats_cmd->add_subcommand("rebuild", "recompute the statistics counters from the event log (admin)")
      ->callback([&] { admin_call = AdminCall{"POST", "/api/v1/admin/stats/rebuild", nlohmann::json::object()}; });

  // CRLs (cmd_crl.hpp).
  CrlCheckOptions crl_check;
  auto* crl_cmd = app.add_subcommand("crl", "CRLs")->require_subcommand(1);
  auto* crl_check_cmd =
      crl_cmd->add_subcommand("check", "compare the issuer's published CRL with the status data; exit 3 when they differ");
  crl_check_cmd->add_option("--issuer", crl_check.issuer, "issuer name as configured")->required();
  crl_check_cmd->add_flag("--json", crl_check.json, "print the server's JSON answer instead of the summary");

  LoginOptions login;
  auto* login_cmd = app.add_subcommand("login", "log in to the cabinet by signing a challenge with a key file (docs/login.md)");
  login_cmd->add_option("--key", login.key_file, "the private key (PEM, unencrypted)")->required();
  login_cmd->add_option("--cert", login.cert_file, "its certificate (PEM or DER)")->required();
  login_cmd->add_option("--cookie-jar", login.cookie_jar, "write the session cookie here (curl -b) instead of printing it");

  // The test bed (cmd_testca.hpp): test CAs, issuing, faults.
  auto* testbed_cmd = app.add_subcommand("testbed", "the test bed: test CAs, faults, test cases, the key store's phone")->require_subcommand(1);
  testbed_cmd->add_subcommand("cas", "the test CAs (names, algorithms, certificates)")
      ->callback([&] { admin_call = AdminCall{"GET", "/api/v1/testca/cas", std::nullopt}; });
  testbed_cmd->add_subcommand("identities", "the deterministic test identities and their outcomes")
      ->callback([&] { admin_call = AdminCall{"GET", "/api/v1/testca/identities", std::nullopt}; });
  TestcaIssueOptions tc_issue;
  auto* tc_issue_cmd = testbed_cmd->add_subcommand("issue", "issue a test certificate (ingested like any other)");
  tc_issue_cmd->add_option("--ca", tc_issue.ca, "test CA: test-ecdsa | test-rsa")->required();
  tc_issue_cmd->add_option("--profile", tc_issue.profile, "ua-qes-natural | ua-qes-representative | ua-qseal")
      ->capture_default_str();
  tc_issue_cmd->add_option("--rnokpp", tc_issue.rnokpp, "taxpayer number (10 digits)");
  tc_issue_cmd->add_option("--edrpou", tc_issue.edrpou, "legal entity code (8 digits)");
  tc_issue_cmd->add_option("--unzr", tc_issue.unzr, "demographic register number YYYYMMDD-NNNNN");
  tc_issue_cmd->add_option("--cn", tc_issue.cn, "subject common name");
  tc_issue_cmd->add_option("--key", tc_issue.key, "key to generate: ec-p256 | rsa-2048")->capture_default_str();
  tc_issue_cmd->add_option("--csr", tc_issue.csr_file, "PEM certificate request whose key to certify instead");
  tc_issue_cmd->add_option("--scenario", tc_issue.scenario,
                           "valid | revoked | on_hold | expired | not_yet_valid | wrong_key_usage | no_qcstatements | "
                           "duplicate_key | untrusted_issuer");
  tc_issue_cmd->add_option("--out", tc_issue.out_dir, "write cert.pem, chain.pem and key.pem (0600) here");
  TestcaFaultOptions tc_fault;
  auto* tc_fault_cmd = testbed_cmd->add_subcommand("fault", "put a fault in force on a test issuer (or one serial)");
  tc_fault_cmd->add_option("--target", tc_fault.target, "ocsp | crl | tsa")->capture_default_str();
  tc_fault_cmd->add_option("--issuer", tc_fault.issuer, "test CA name")->required();
  tc_fault_cmd->add_option("--fault", tc_fault.fault, "the fault's name (docs/testbed.md)")->required();
  tc_fault_cmd->add_option("--serial", tc_fault.serial, "one certificate only (hex)");
  tc_fault_cmd->add_option("--count", tc_fault.count, "requests it applies to");
  tc_fault_cmd->add_option("--seconds", tc_fault.seconds, "how long it stays in force");
  tc_fault_cmd->add_option("--ms", tc_fault.ms, "delay: milliseconds");
  tc_fault_cmd->add_option("--skew-seconds", tc_fault.skew_seconds, "time_skew: seconds (may be negative)");
  tc_fault_cmd->callback([&] { admin_call = testca_fault(tc_fault); });
  testbed_cmd->add_subcommand("faults", "the faults in force")
      ->callback([&] { admin_call = AdminCall{"GET", "/api/v1/testca/faults", std::nullopt}; });
  std::uint64_t tc_fault_id = 0;
  auto* tc_remove = testbed_cmd->add_subcommand("fault-remove", "end a fault before its time");
  tc_remove->add_option("id", tc_fault_id, "fault id")->required();
  tc_remove->callback(
      [&] { admin_call = AdminCall{"DELETE", "/api/v1/testca/faults/" + std::to_string(tc_fault_id), std::nullopt}; });
  // The test-case exchange (cmd_testbed.hpp).
  TestbedCaseFilter tb_filter;
  std::vector<std::string> tb_artefacts;
  std::string tb_file, tb_state, tb_vendor, tb_name, tb_version;
  std::uint64_t tb_id = 0;
  std::uint32_t tb_case_version = 0;
  bool tb_csv = false;
  std::optional<std::string> tb_matrix_csv;
  auto* tb_cases = testbed_cmd->add_subcommand("cases", "test cases")->require_subcommand(1);
  auto* tbc_list = tb_cases->add_subcommand("list", "latest versions of the cases you may read");
  tbc_list->add_option("--kind", tb_filter.kind, "certificate | csr | ocsp_response | crl | tsl | cades | ...");
  tbc_list->add_option("--state", tb_filter.state, "draft | proposed | accepted | disputed | deprecated");
  tbc_list->add_option("--tag", tb_filter.tag, "a tag");
  tbc_list->add_option("--limit", tb_filter.limit, "cases per page (1..500)");
  tbc_list->add_option("--after", tb_filter.after, "cursor: the previous page's next");
  tbc_list->callback([&] { admin_call = testbed_cases_list(tb_filter); });
  auto* tbc_show = tb_cases->add_subcommand("show", "one case (latest, or --version N)");
  tbc_show->add_option("id", tb_id, "case id")->required();
  tbc_show->add_option("--version", tb_case_version, "a version");
  tbc_show->callback([&] { admin_call = testbed_case_show(tb_id, tb_case_version); });
  auto* tbc_create = tb_cases->add_subcommand("create", "register a case (JSON file) with its artefacts");
  tbc_create->add_option("file", tb_file, "the case as JSON")->required();
  tbc_create->add_option("--artefact", tb_artefacts, "ROLE:MEDIA_TYPE:PATH (repeatable)");
  tbc_create->callback([&] { tl_result(testbed_case_create(tb_file, tb_artefacts)); });
  auto* tbc_edit = tb_cases->add_subcommand("edit", "a new version of a case");
  tbc_edit->add_option("id", tb_id, "case id")->required();
  tbc_edit->add_option("file", tb_file, "the case as JSON")->required();
  tbc_edit->add_option("--artefact", tb_artefacts, "ROLE:MEDIA_TYPE:PATH (repeatable)");
  tbc_edit->callback([&] { tl_result(testbed_case_edit(tb_id, tb_file, tb_artefacts)); });
  auto* tbc_state = tb_cases->add_subcommand("state", "move a case to another state");
  tbc_state->add_option("id", tb_id, "case id")->required();
  tbc_state->add_option("state", tb_state, "proposed | draft | accepted | disputed | deprecated")->required();
  tbc_state->callback([&] { admin_call = testbed_case_state(tb_id, tb_state); });
  auto* tb_products = testbed_cmd->add_subcommand("products", "products under test")->require_subcommand(1);
  auto* tbp_add = tb_products->add_subcommand("add", "register one of your products");
  tbp_add->add_option("--vendor", tb_vendor, "vendor")->required();
  tbp_add->add_option("--name", tb_name, "product name")->required();
  tbp_add->add_option("--version", tb_version, "product version")->required();
  tbp_add->callback([&] { admin_call = testbed_product_add(tb_vendor, tb_name, tb_version); });
  tb_products->add_subcommand("list", "products")->callback([&] { admin_call = testbed_products_list(); });
  TestbedSubmitArgs tb_submit;
  auto* tb_sub = testbed_cmd->add_subcommand("submit", "a product's observed verdict for a case");
  tb_sub->add_option("--product", tb_submit.product, "product id")->required();
  tb_sub->add_option("--case", tb_submit.case_id, "case id")->required();
  tb_sub->add_option("--version", tb_submit.version, "case version (default: the latest)");
  tb_sub->add_option("--main", tb_submit.main, "urn:etsi:019102:mainindication:...");
  tb_sub->add_option("--sub", tb_submit.sub, "urn:etsi:019102:subindication:...");
  tb_sub->add_option("--observed", tb_submit.observed_json, "the observed verdict as JSON (protocol cases)");
  tb_sub->add_option("--report", tb_submit.report_file, "the raw validation report to attach");
  tb_sub->callback([&] { tl_result(testbed_submit(tb_submit)); });
  auto* tb_matrix = testbed_cmd->add_subcommand("matrix", "the interoperability matrix");
  tb_matrix->add_option("--kind", tb_filter.kind, "only cases of this kind");
  tb_matrix->add_option("--polarity", tb_filter.polarity, "positive | negative");
  tb_matrix->add_option("--tag", tb_filter.tag, "only cases with this tag");
  tb_matrix->add_option("--clause", tb_filter.clause, "only cases citing this clause");
  tb_matrix->add_flag("--csv", tb_csv, "CSV instead of JSON");
  tb_matrix->callback([&] {
    if (tb_csv) tb_matrix_csv = testbed_matrix_target(tb_filter, true);
    else admin_call = AdminCall{"GET", testbed_matrix_target(tb_filter, false), std::nullopt};
  });

  // The test key store's scripted phone (cmd_testbed.hpp).
  // Joining by signed applications (docs/joining.md).
  JoiningFileOptions j_file;
  std::string j_number, j_secret, j_state, j_reason;
  auto* joining_cmd = app.add_subcommand("joining", "signed applications to join trustmon (docs/joining.md)")->require_subcommand(1);
  auto* j_file_cmd = joining_cmd->add_subcommand("file", "sign an application document with a key file and file it (no token needed)");
  j_file_cmd->add_option("--doc", j_file.doc_file, "the document (JSON; made canonical, \"format\" and \"date\" added)")->required();
  j_file_cmd->add_option("--key", j_file.key_file, "the head's private key (PEM, unencrypted)")->required();
  j_file_cmd->add_option("--cert", j_file.cert_file, "its certificate (PEM or DER)")->required();
  j_file_cmd->add_option("--out", j_file.out_file, "also write the signed bytes (CMS, DER) here");
  auto* j_status_cmd = joining_cmd->add_subcommand("status", "an application's state by its number and secret (no token needed)");
  j_status_cmd->add_option("number", j_number, "JA-000001")->required();
  j_status_cmd->add_option("--secret", j_secret, "the secret shown when it was filed")->required();
  auto* j_list = joining_cmd->add_subcommand("list", "the central body's queue");
  j_list->add_option("--state", j_state, "pending | approved | rejected");
  j_list->callback([&] { admin_call = joining_list(j_state); });
  auto* j_show = joining_cmd->add_subcommand("show", "one application, with its signer's standing now");
  j_show->add_option("number", j_number, "JA-000001")->required();
  j_show->callback([&] { admin_call = joining_show(j_number); });
  auto* j_approve = joining_cmd->add_subcommand("approve", "approve: the register changes in one commit");
  j_approve->add_option("number", j_number, "JA-000001")->required();
  j_approve->callback([&] { admin_call = joining_decide(j_number, "approve", ""); });
  auto* j_reject = joining_cmd->add_subcommand("reject", "reject with a reason the applicant reads");
  j_reject->add_option("number", j_number, "JA-000001")->required();
  j_reject->add_option("--reason", j_reason, "why")->required();
  j_reject->callback([&] { admin_call = joining_decide(j_number, "reject", j_reason); });

  TestbedApproveOptions tb_approve;
  bool tb_no_follow = false;
  auto* tb_approve_cmd =
      testbed_cmd->add_subcommand("approve", "the test key store's phone: decide the holder's newest pending approval");
  tb_approve_cmd->add_option("--rnokpp", tb_approve.rnokpp, "the holder (a key store identity, 55500000NN)")->required();
  tb_approve_cmd->add_flag("--refuse", tb_approve.refuse, "refuse instead of approving");
  tb_approve_cmd->add_option("--vc", tb_approve.vc, "the verification code the user types (default: the one shown)");
  tb_approve_cmd->add_option("--pin", tb_approve.pin, "the PIN (the test store accepts any)")->capture_default_str();
  tb_approve_cmd->add_flag("--no-follow", tb_no_follow, "do not GET the redirect (the relying party's callback)");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? kExitOk : kExitFailed;
  }

  if (init_cmd->parsed()) return cmd_init(init, std::cout, std::cerr);
  if (demo_cmd->parsed()) return cmd_demo_pki(demo, std::cout, std::cerr);

  if (bind_error) return bind_error;
  if (au_verify->parsed() && !verify_storage.empty())
    return cmd_audit_verify_offline(verify_storage, std::cout, std::cerr);

  if (tl_error) return tl_error;
  auto http_options = client_options(server, token_file, timeout);
  if (!http_options) {
    print_error(std::cerr, http_options.error());
    return kExitFailed;
  }
  auto client = HttpClient::create(*http_options);
  if (!client) {
    print_error(std::cerr, client.error());
    return kExitFailed;
  }
  if (tl_import->parsed()) return cmd_tl_import(**client, tl_name, tl_file, std::cout, std::cerr);
  if (crl_check_cmd->parsed()) return cmd_crl_check(**client, crl_check, std::cout, std::cerr);
  if (login_cmd->parsed()) return cmd_login(**client, login, (*client)->host(), std::cout, std::cerr);
  if (j_file_cmd->parsed()) return cmd_joining_file(**client, j_file, std::cout, std::cerr);
  if (j_status_cmd->parsed()) return cmd_joining_status(**client, j_number, j_secret, std::cout, std::cerr);
  if (tc_issue_cmd->parsed()) return cmd_testca_issue(**client, tc_issue, std::cout, std::cerr);
  if (tb_approve_cmd->parsed()) {
    tb_approve.follow = !tb_no_follow;
    // The redirect goes to the relying party: its own connection, without our token.
    const OpenTransport open = [timeout](const std::string& base) -> Result<std::unique_ptr<HttpTransport>> {
      HttpClientOptions o;
      o.base_url = base;
      o.timeout_seconds = timeout;
      auto c = HttpClient::create(o);
      if (!c) return std::move(c).error();
      return std::unique_ptr<HttpTransport>(std::move(*c));
    };
    return cmd_testbed_approve(**client, tb_approve, open, std::cout, std::cerr);
  }
  if (admin_call) return cmd_admin(**client, *admin_call, std::cout, std::cerr);
  if (tb_matrix_csv) return cmd_testbed_matrix_csv(**client, *tb_matrix_csv, std::cout, std::cerr);
  if (au_verify->parsed()) return cmd_audit_verify(**client, std::cout, std::cerr);
  if (import_cmd->parsed()) {
    // Connections for --parallel, opened like the first one.
    import.connect = [&http_options]() -> Result<std::unique_ptr<HttpTransport>> {
      auto c = HttpClient::create(*http_options);
      if (!c) return std::move(c).error();
      return std::unique_ptr<HttpTransport>(std::move(*c));
    };
    if (import_progress || ::isatty(STDERR_FILENO) == 1) {
      const auto started = std::chrono::steady_clock::now();
      import.on_progress = [started](const ImportSummary& s) {
        const double seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        const std::size_t done = s.stored + s.duplicate + s.refused;
        std::cerr << "import: " << done << " certificates (stored " << s.stored << ", duplicate " << s.duplicate
                  << ", refused " << s.refused << ") in " << static_cast<long>(seconds) << " s, "
                  << static_cast<long>(seconds > 0 ? static_cast<double>(done) / seconds : 0.0) << "/s" << std::endl;
      };
    }
    return cmd_import(**client, import, std::cout, std::cerr);
  }
  if (revoke_cmd->parsed()) {
    if (revoke.file.empty() && !rv_issuer.empty()) {
      auto r = make_revocation(rv_issuer, rv_serial, rv_reason, rv_time, rv_invalidity);
      if (!r) {
        print_error(std::cerr, r.error());
        return kExitFailed;
      }
      revoke.single = std::move(*r);
    }
    return cmd_revoke(**client, revoke, std::cout, std::cerr);
  }
  return kExitFailed;
}
