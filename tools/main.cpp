// trustmonctl: command-line wiring only. Every command lives in trustmon_tools
// (commands.hpp); exit codes: 0 ok, 1 some items refused, 2 usage/file/transport error.
#include <CLI/CLI.hpp>

#include <iostream>
#include <memory>

#include "tools/commands.hpp"
#include "tools/demo_pki.hpp"
#include "tools/http_client.hpp"

using namespace trustmon;
using namespace trustmon::tools;

namespace {

Result<std::unique_ptr<HttpClient>> make_client(const std::string& server, const std::string& token_file,
                                                int timeout) {
  HttpClientOptions options;
  options.base_url = server;
  options.timeout_seconds = timeout;
  if (!token_file.empty()) {
    auto token = read_token_file(token_file);
    if (!token) return std::move(token).error();
    options.bearer_token = std::move(*token);
  }
  return HttpClient::create(options);
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
  import_cmd->add_option("--batch", import.batch, "certificates per request")
      ->check(CLI::Range(1, 10000))
      ->capture_default_str();

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

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? kExitOk : kExitFailed;
  }

  if (init_cmd->parsed()) return cmd_init(init, std::cout, std::cerr);
  if (demo_cmd->parsed()) return cmd_demo_pki(demo, std::cout, std::cerr);

  auto client = make_client(server, token_file, timeout);
  if (!client) {
    print_error(std::cerr, client.error());
    return kExitFailed;
  }
  if (import_cmd->parsed()) return cmd_import(**client, import, std::cout, std::cerr);
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
