// trustmond's configuration: one schema table (section, key, type, default, help) drives
// parsing, defaults, validation and the commented example file that `trustmonctl init`
// writes. Unknown keys are errors; relative paths are resolved against the directory of
// the config file.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "common/clock.hpp"
#include "common/result.hpp"

namespace trustmon::config {

struct IssuerConfig {
  std::string name;            // label used by the API and trustmonctl (--issuer NAME)
  std::string ca_cert;         // PEM/DER path of the CA certificate
  std::string responder_cert;  // delegated OCSP responder certificate, or the CA's own
  std::string responder_key;   // its private key (PEM)
  // Store certificates whose signature algorithm OpenSSL cannot check (e.g. DSTU 4145),
  // marked signature_checked = false, instead of refusing them ("signature_unverifiable").
  bool accept_unverified_signatures = false;
  // CSR uniqueness: allow a renewal with the same key by the same subject and provider.
  bool allow_key_renewal = false;
  // CRLs built and signed here ([crl]): the signing key (PEM file or "pkcs11:" URI) and,
  // when it is not the CA's own key, the certificate of the CRL signer (same subject as
  // the CA). "" = the issuer's provider uploads its CRLs (POST /api/v1/crls).
  std::string crl_key;
  std::string crl_cert;
  // A test CA of the test bed: the test PKI's own CAs, or a configured one with `test = true`
  // (e.g. a DSTU 4145 test CA whose certificates are signed elsewhere and uploaded). Its
  // certificates stay out of the production statistics, trusted list and watches, and it may
  // be faulted.
  bool test = false;
};

// A cloud key store for QR logins ([[login.provider]]): CSC API v2 with OAuth2 codes.
struct LoginProviderConfig {
  std::string name;                // [a-z0-9_-]{1,32}
  std::string title;
  std::string adapter = "csc2";
  std::string authorize_url, token_url, csc_url;  // http:// or https://
  std::string client_id;
  std::string client_secret_file;  // read at start, never logged
  std::string ca_file;             // TLS trust for the provider ("" = the system's)
};

struct Config {
  std::string source_path;  // the file this was loaded from

  // [server]
  std::string listen = "127.0.0.1:8080";
  unsigned workers = 0;  // 0 = number of cores
  std::size_t max_body_bytes = 16u << 20;       // bulk uploads (ingest, CRLs, trusted lists)
  std::size_t max_json_body_bytes = 1u << 20;   // JSON API bodies
  std::size_t max_small_body_bytes = 64u << 10; // OCSP and every other route
  std::size_t max_header_bytes = 16u << 10;
  UnixTime read_timeout = 30;
  UnixTime head_timeout = 10;
  UnixTime linger_timeout = 5;
  std::size_t max_connections = 0;               // 0 = from the descriptor limit
  std::size_t max_connections_per_address = 256; // 0 = no cap
  std::size_t reserved_connections = 64;         // below max_connections, for OCSP and /healthz
  bool metrics = true;
  std::string tls_listen;     // "" = no HTTPS listener
  std::string tls_cert;
  std::string tls_key;
  std::string tls_client_ca;  // "" = client certificates not requested

  // [access]
  unsigned access_rate_per_second = 100;  // per credential; 0 = unlimited
  unsigned access_rate_burst = 200;

  // [storage]
  std::string storage_path;  // LMDB environment directory
  std::size_t map_size_mb = 1024;
  std::size_t writer_max_batch = 1024;
  unsigned writer_max_delay_us = 500;

  // [log]
  std::string log_level = "info";
  std::string log_file;     // "" = stderr
  std::string access_log;   // "" = stderr, "off" = none, else a file

  // [ocsp]
  UnixTime ocsp_validity = 86400;         // nextUpdate - thisUpdate
  UnixTime ocsp_refresh_margin = 6 * 3600;  // re-sign when nextUpdate is this close
  UnixTime ocsp_expired_validity = 30 * 86400;  // ... for certificates past notAfter (ArchiveCutoff)
  UnixTime ocsp_refresh_interval = 10;    // seconds between refresher passes
  unsigned ocsp_refresh_rate = 2000;      // signatures per second at most, for the refresher
  std::string ocsp_nonce = "echo";        // echo | ignore
  std::string ocsp_unknown = "unknown";   // unknown | revoked (RFC 6960 §2.2)
  std::size_t ocsp_max_certids = 16;
  std::size_t ocsp_max_request_bytes = 4096;
  unsigned ocsp_live_rate = 0;            // live signatures per second per issuer; 0 = unlimited

  // [csr]
  UnixTime csr_default_ttl = 3600;        // reservation lifetime when the request names none
  UnixTime csr_max_ttl = 7 * 86400;
  UnixTime csr_sweep_interval = 60;       // how often expired reservations are stored as such

  // [watch] certificate watches and their webhook delivery
  unsigned watch_max_failures = 8;          // consecutive failed POSTs before dead_letter
  unsigned watch_backoff_initial_ms = 1000; // first retry delay (doubles, capped, jittered)
  UnixTime watch_backoff_max = 300;         // longest retry delay
  UnixTime watch_timeout = 5;               // one webhook POST exchange
  std::string watch_ca_file;                // PEM CAs trusted for https:// webhooks; empty = system store
  unsigned watch_dispatchers = 2;           // webhook delivery threads
  unsigned watch_max_per_participant = 1000;

  // [tl] the trusted list published by this server
  std::string tl_name = "ua";             // served as /tl/{name}.xml; /certs/* come from it
  std::string tl_signer_cert;             // PEM certificate of the list signer ("" = no signer)
  std::string tl_signer_key;              // PEM key file, or a "pkcs11:" URI
  std::string tl_pkcs11_module;           // PKCS#11 module for a pkcs11: key
  std::string tl_pin_file;                // file holding the token PIN (never logged)
  int tl_version = 6;                     // TSLVersionIdentifier: 6 or 5
  UnixTime tl_next_update = 90 * 86400;   // NextUpdate - ListIssueDateTime
  UnixTime tl_reissue_margin = 14 * 86400;  // re-issue when NextUpdate is this close
  UnixTime tl_reissue_interval = 60;      // how often the re-issue check runs
  std::string tl_schema_dir;              // ETSI schemas; "" = the built-in directory

  // [stats] statistics (docs/statistics.md)
  std::string stats_time_zone = "Europe/Kyiv";  // the zone whose local days the figures count
  int stats_public_threshold = 5;   // public aggregate: cells below this are suppressed
  int stats_anomaly_factor = 5;     // stats.anomaly: a day's issuance above factor x trailing median
  int stats_anomaly_minimum = 20;   // ... and at least this many certificates
  int stats_anomaly_window = 28;    // trailing days of the median
  std::string stats_code_lists;     // report-only metrics and code lists (JSON); "" = the built-in file

  // [crl] CRLs built and signed here, for issuers with a crl_key
  UnixTime crl_validity = 86400;     // nextUpdate - thisUpdate
  UnixTime crl_rebuild_after = 60;   // a change is on the CRL at most this long after it
  std::string crl_pkcs11_module;     // PKCS#11 module for pkcs11: CRL keys
  std::string crl_pin_file;          // file holding the token PIN (never logged)
  UnixTime crl_delta_interval = 4;   // least time between delta CRLs after changes; 0 = no deltas
  UnixTime crl_delta_validity = 3600;
  unsigned crl_shards = 0;           // shard CRLs per issuer; 0 = none
  bool crl_expired_certs_on_crl = false;
  std::string crl_base_url;          // "" = http://<server.listen> (0.0.0.0 and :: read as 127.0.0.1)

  // [testbed] the test CAs, their faults and the test-case exchange (docs/testbed.md)
  bool testbed_enabled = false;
  std::string testbed_dir;           // "" = "testbed" beside the storage directory

  // [web] the electronic cabinet (web/) and its sessions (docs/cabinet.md)
  bool web_enabled = true;
  std::string web_dir;               // "" = $TRUSTMON_WEB_DIR, the source tree's web/dist, or the installed copy
  UnixTime web_session_lifetime = 8 * 3600;

  // [login] login by qualified signature (docs/login.md)
  UnixTime login_qr_lifetime = 120;  // how long a cloud-key QR login may take
  std::vector<LoginProviderConfig> login_providers;  // [[login.provider]]

  // [joining] joining by signed applications (docs/joining.md)
  bool joining_test_issuers = false;  // may heads sign with test-bed certificates (demo, tests)

  std::vector<IssuerConfig> issuers;
};

// Parses and validates a TOML file. Errors name the file, the key and what is wrong
// (code "config_invalid").
Result<Config> load(const std::string& path);
// Same, from text (tests); `base_dir` resolves relative paths.
Result<Config> parse(const std::string& text, const std::string& base_dir, const std::string& source = "<text>");

// A commented TOML file with every key at its default, storage under `data_dir`, and
// one [[issuer]] table per entry of `issuers` (paths written as given).
std::string example(const std::string& data_dir, const std::vector<IssuerConfig>& issuers = {});

// The LMDB directory for a data folder created by `trustmonctl init` (DIR/db).
std::string default_storage_path(const std::string& data_dir);

}  // namespace trustmon::config
