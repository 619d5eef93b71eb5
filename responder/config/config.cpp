// The schema table below is the single description of every setting: parse() walks the
// TOML document against it (unknown keys are errors), example() prints it as a commented
// file, and defaults come from the Config struct itself so the two cannot drift.
#include "responder/config/config.hpp"

#include <filesystem>
#include <functional>
#include <sstream>
#include <toml++/toml.h>

#include "common/ossl.hpp"
#include "common/time.hpp"

namespace trustmon::config {
namespace {

namespace fs = std::filesystem;

enum class Kind { string, integer, boolean, duration, path };

struct Setting {
  const char* section;
  const char* key;
  Kind kind;
  const char* help;
  // Reads a validated value into the config; returns "" or a message saying what is wrong.
  std::function<std::string(Config&, const toml::node&, const std::string& base_dir)> apply;
  // The default, as TOML text.
  std::function<std::string(const Config&)> show;
};

std::string quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out + "\"";
}

std::string resolve(const std::string& base_dir, const std::string& p) {
  if (p.empty() || fs::path(p).is_absolute() || base_dir.empty()) return p;
  return (fs::path(base_dir) / p).lexically_normal().string();
}

std::string duration_text(UnixTime s) {
  if (s != 0 && s % 86400 == 0) return quote(std::to_string(s / 86400) + "d");
  if (s != 0 && s % 3600 == 0) return quote(std::to_string(s / 3600) + "h");
  if (s != 0 && s % 60 == 0) return quote(std::to_string(s / 60) + "m");
  return quote(std::to_string(s) + "s");
}

template <typename T>
Setting integer(const char* section, const char* key, T Config::*field, std::int64_t min, std::int64_t max,
                const char* help) {
  return Setting{section, key, Kind::integer, help,
                 [=](Config& c, const toml::node& n, const std::string&) -> std::string {
                   auto v = n.value<std::int64_t>();
                   if (!n.is_integer() || !v) return "must be an integer";
                   if (*v < min || *v > max)
                     return "must be between " + std::to_string(min) + " and " + std::to_string(max);
                   c.*field = static_cast<T>(*v);
                   return "";
                 },
                 [=](const Config& c) { return std::to_string(c.*field); }};
}

Setting string(const char* section, const char* key, std::string Config::*field, std::vector<std::string> allowed,
               const char* help) {
  return Setting{section, key, Kind::string, help,
                 [=](Config& c, const toml::node& n, const std::string&) -> std::string {
                   auto v = n.value<std::string>();
                   if (!n.is_string() || !v) return "must be a string";
                   if (!allowed.empty()) {
                     bool ok = false;
                     for (const auto& a : allowed) ok = ok || a == *v;
                     if (!ok) {
                       std::string list;
                       for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
                       return "must be one of: " + list;
                     }
                   }
                   c.*field = *v;
                   return "";
                 },
                 [=](const Config& c) { return quote(c.*field); }};
}

Setting path(const char* section, const char* key, std::string Config::*field, const char* help) {
  return Setting{section, key, Kind::path, help,
                 [=](Config& c, const toml::node& n, const std::string& base) -> std::string {
                   auto v = n.value<std::string>();
                   if (!n.is_string() || !v) return "must be a string (a path)";
                   c.*field = resolve(base, *v);
                   return "";
                 },
                 [=](const Config& c) { return quote(c.*field); }};
}

Setting boolean(const char* section, const char* key, bool Config::*field, const char* help) {
  return Setting{section, key, Kind::boolean, help,
                 [=](Config& c, const toml::node& n, const std::string&) -> std::string {
                   auto v = n.value<bool>();
                   if (!n.is_boolean() || !v) return "must be true or false";
                   c.*field = *v;
                   return "";
                 },
                 [=](const Config& c) { return std::string(c.*field ? "true" : "false"); }};
}

Setting duration(const char* section, const char* key, UnixTime Config::*field, UnixTime min, UnixTime max,
                 const char* help) {
  return Setting{section, key, Kind::duration, help,
                 [=](Config& c, const toml::node& n, const std::string&) -> std::string {
                   std::optional<UnixTime> v;
                   if (n.is_integer()) v = n.value<std::int64_t>();
                   else if (n.is_string()) v = parse_duration(*n.value<std::string>());
                   if (!v) return "must be a duration such as \"90s\", \"15m\", \"12h\", \"7d\"";
                   if (*v < min || *v > max)
                     return "must be between " + std::to_string(min) + "s and " + std::to_string(max) + "s";
                   c.*field = *v;
                   return "";
                 },
                 [=](const Config& c) { return duration_text(c.*field); }};
}

const std::vector<Setting>& schema() {
  static const std::vector<Setting> settings = {
      string("server", "listen", &Config::listen, {},
             "Address to listen on, host:port. Keep it on loopback unless a proxy or firewall fronts it."),
      integer("server", "workers", &Config::workers, 0, 256, "Worker threads (event loops); 0 = number of cores."),
      integer("server", "max_body_bytes", &Config::max_body_bytes, 1024, std::int64_t{1} << 30,
              "Largest request body of bulk uploads (certificate ingest, CRLs, trusted lists); 413 above it."),
      integer("server", "max_json_body_bytes", &Config::max_json_body_bytes, 1024, std::int64_t{1} << 30,
              "Largest request body of the JSON API routes (413 above it)."),
      integer("server", "max_small_body_bytes", &Config::max_small_body_bytes, 1024, std::int64_t{1} << 30,
              "Largest request body of OCSP and every other route (413 above it)."),
      integer("server", "max_header_bytes", &Config::max_header_bytes, 1024, 1 << 20,
              "Largest request header block accepted."),
      duration("server", "read_timeout", &Config::read_timeout, 1, 3600,
               "Idle (keep-alive) and body read timeout of a client connection."),
      duration("server", "head_timeout", &Config::head_timeout, 1, 3600,
               "A request head must be complete this long after its first byte (after the accept for a connection's first request)."),
      duration("server", "linger_timeout", &Config::linger_timeout, 0, 60,
               "After a refusal that closes the connection (413 before the body, bad framing), read and drop what the client still sends for this long, so it can read the answer; 0 = close at once."),
      integer("server", "max_connections", &Config::max_connections, 0, 1 << 24,
              "Most open client connections in all; 0 = the descriptor limit less 128. Past it: 503 and close."),
      integer("server", "max_connections_per_address", &Config::max_connections_per_address, 0, 1 << 24,
              "Most open connections from one client address; 0 = no cap. Past it: 503 and close."),
      integer("server", "reserved_connections", &Config::reserved_connections, 0, 1 << 24,
              "The last connections below max_connections serve only OCSP and /healthz."),
      boolean("server", "metrics", &Config::metrics, "Serve Prometheus metrics at GET /metrics."),
      string("server", "tls_listen", &Config::tls_listen, {},
             "HTTPS listener (host:port) beside the plain one, for TLS client certificates; empty = none."),
      path("server", "tls_cert", &Config::tls_cert, "PEM server certificate (and chain) of the HTTPS listener."),
      path("server", "tls_key", &Config::tls_key, "PEM private key of the HTTPS listener."),
      path("server", "tls_client_ca", &Config::tls_client_ca,
           "PEM CA certificates whose client certificates the HTTPS listener asks for and verifies."),
      integer("access", "rate_per_second", &Config::access_rate_per_second, 0, 1000000,
              "Requests per second allowed per credential on the API (429 beyond); 0 = unlimited.\n"
              "# A credential may carry its own rate (token issue --rate)."),
      integer("access", "rate_burst", &Config::access_rate_burst, 1, 1000000,
              "Requests a credential may make at once before the rate applies."),
      path("storage", "path", &Config::storage_path, "LMDB environment directory (created if missing)."),
      integer("storage", "map_size_mb", &Config::map_size_mb, 1, std::int64_t{1} << 22,
              "Initial LMDB map size in MiB; it doubles by itself when full."),
      integer("storage", "writer_max_batch", &Config::writer_max_batch, 1, 65536,
              "Most write jobs group-committed in one LMDB transaction."),
      integer("storage", "writer_max_delay_us", &Config::writer_max_delay_us, 0, 100000,
              "How long the writer waits to gather a batch before committing (microseconds)."),
      string("log", "level", &Config::log_level, {"trace", "debug", "info", "warn", "error", "off"},
             "Server log level."),
      path("log", "file", &Config::log_file, "Server log file; empty = standard error."),
      string("log", "access", &Config::access_log, {},
             "Access log: empty = standard error, \"off\" = none, otherwise a file path."),
      duration("ocsp", "validity", &Config::ocsp_validity, 300, 366 * 86400,
               "nextUpdate - thisUpdate of OCSP responses (pre-signed and live)."),
      duration("ocsp", "refresh_margin", &Config::ocsp_refresh_margin, 60, 365 * 86400,
               "Re-sign a pre-signed response when its nextUpdate is this close."),
      duration("ocsp", "expired_validity", &Config::ocsp_expired_validity, 300, 366 * 86400,
               "nextUpdate - thisUpdate of responses for certificates past their notAfter; they carry\n"
               "# ArchiveCutoff (RFC 6960 section 4.4.4) = the CA's notBefore, and are re-signed this rarely."),
      duration("ocsp", "refresh_interval", &Config::ocsp_refresh_interval, 1, 86400,
               "Pause between passes of the background re-signer."),
      integer("ocsp", "refresh_rate", &Config::ocsp_refresh_rate, 1, 1000000,
              "Most signatures per second the background re-signer makes (spreads the load)."),
      string("ocsp", "nonce", &Config::ocsp_nonce, {"echo", "ignore"},
             "echo: a request nonce is echoed (live signing); ignore: nonces are ignored and pre-signed\n"
             "# responses are served."),
      string("ocsp", "unknown_serial", &Config::ocsp_unknown, {"unknown", "revoked"},
             "Answer for a serial this server never saw: \"unknown\", or \"revoked\" (RFC 6960 section 2.2,\n"
             "# certificateHold at 1970-01-01 with the extended-revoke extension). Never \"good\"."),
      integer("ocsp", "max_certids", &Config::ocsp_max_certids, 1, 1000,
              "Most CertIDs in one OCSP request (more = malformedRequest)."),
      integer("ocsp", "max_request_bytes", &Config::ocsp_max_request_bytes, 64, 1 << 20,
              "Largest OCSP request accepted (POST body or decoded GET path)."),
      integer("ocsp", "live_rate", &Config::ocsp_live_rate, 0, 10000000,
              "Live signatures per second per issuer (nonce, several CertIDs, unknown serials); beyond\n"
              "# it such requests get tryLater while pre-signed answers go on. 0 = unlimited."),
      duration("csr", "default_ttl", &Config::csr_default_ttl, 1, 365 * 86400,
               "Lifetime of a CSR reservation when the request names none."),
      duration("csr", "max_ttl", &Config::csr_max_ttl, 1, 365 * 86400, "Longest reservation lifetime a request may ask."),
      duration("csr", "sweep_interval", &Config::csr_sweep_interval, 1, 86400,
               "How often reservations past their lifetime are stored as expired."),
      integer("watch", "max_failures", &Config::watch_max_failures, 1, 1000,
              "Consecutive failed webhook deliveries after which a watch enters dead_letter (replay resumes it)."),
      integer("watch", "backoff_initial_ms", &Config::watch_backoff_initial_ms, 1, 3600000,
              "Delay before the first webhook retry, in milliseconds; it doubles per failure (with jitter)."),
      duration("watch", "backoff_max", &Config::watch_backoff_max, 1, 86400, "Longest delay between webhook retries."),
      duration("watch", "timeout", &Config::watch_timeout, 1, 300,
               "Time allowed for one webhook POST (connect, send, response headers)."),
      path("watch", "ca_file", &Config::watch_ca_file,
           "PEM file of the CA certificates trusted for https:// webhook receivers (only these);\n"
           "# empty = the system trust store."),
      integer("watch", "dispatchers", &Config::watch_dispatchers, 1, 64,
              "Webhook delivery threads; a slow receiver holds up only the watches of its thread."),
      integer("watch", "max_per_participant", &Config::watch_max_per_participant, 1, 1000000,
              "Most watches one participant may hold."),
      string("stats", "time_zone", &Config::stats_time_zone, {},
             "IANA time zone whose local days the statistics count (a figure for a day or month covers\n"
             "# that zone's midnights); read from the system tz database."),
      integer("stats", "public_threshold", &Config::stats_public_threshold, 1, 1000,
              "Public statistics: a cell under this many certificates is suppressed."),
      integer("stats", "anomaly_factor", &Config::stats_anomaly_factor, 2, 1000,
              "A stats.anomaly event when an issuer's issuance on a day exceeds this multiple of its\n"
              "# trailing daily median ..."),
      integer("stats", "anomaly_minimum", &Config::stats_anomaly_minimum, 1, 1000000,
              "... and is at least this many certificates."),
      integer("stats", "anomaly_window", &Config::stats_anomaly_window, 7, 366,
              "Trailing days of the median the anomaly check compares with."),
      path("stats", "code_lists", &Config::stats_code_lists,
           "JSON file of the report-only metrics of providers' reports, their dimensions and code lists\n"
           "# (docs/statistics.md); empty = the built-in conf/stats_code_lists.json."),
      string("tl", "name", &Config::tl_name, {},
             "Name of the trusted list served at /tl/{name}.xml (the CA certificates under /certs come from it)."),
      path("tl", "signer_cert", &Config::tl_signer_cert,
           "PEM certificate of the trusted-list signer (EKU 0.4.0.2231.3.0). Empty = no signer: stored lists\n"
           "# are served, publishing refuses with tl_signer_not_configured."),
      string("tl", "signer_key", &Config::tl_signer_key, {},
             "Its private key: a PEM file (relative to this file), or a pkcs11: URI with pkcs11_module and pin_file."),
      path("tl", "pkcs11_module", &Config::tl_pkcs11_module, "PKCS#11 module of the token holding a pkcs11: key."),
      path("tl", "pin_file", &Config::tl_pin_file, "File holding the token's user PIN (read at start, never logged)."),
      integer("tl", "version", &Config::tl_version, 5, 6, "TSLVersionIdentifier of published lists: 6 (TS 119 612 v2.4.1) or 5."),
      duration("tl", "next_update", &Config::tl_next_update, 3600, 181 * 86400,
               "NextUpdate - ListIssueDateTime of a published list (at most 6 months: 181 days)."),
      duration("tl", "reissue_margin", &Config::tl_reissue_margin, 1, 180 * 86400,
               "Publish the list again automatically when its NextUpdate is this close."),
      duration("tl", "reissue_interval", &Config::tl_reissue_interval, 1, 86400,
               "How often the automatic re-issue check runs."),
      path("tl", "schema_dir", &Config::tl_schema_dir, "Folder of the ETSI schemas; empty = the built-in copy."),
      duration("crl", "validity", &Config::crl_validity, 300, 366 * 86400,
               "nextUpdate - thisUpdate of the CRLs built here (issuers with a crl_key); a CRL is built\n"
               "# again when half of it has passed."),
      duration("crl", "rebuild_after", &Config::crl_rebuild_after, 1, 86400,
               "A revocation is on the issuer's CRL at most this long after it was acknowledged."),
      duration("crl", "delta_interval", &Config::crl_delta_interval, 0, 3600,
               "Delta CRLs: a revocation is on the issuer's delta CRL at most this long (plus half a second)\n"
               "# after it was acknowledged; 0 = no delta CRLs."),
      duration("crl", "delta_validity", &Config::crl_delta_validity, 60, 7 * 86400,
               "nextUpdate - thisUpdate of a delta CRL; a delta is built again when half of it has passed."),
      integer("crl", "shards", &Config::crl_shards, 0, 1024,
              "Shard CRLs per issuer besides the complete one (0 = none): a certificate's shard is stable,\n"
              "# derived from its serial; each shard CRL carries its own Issuing Distribution Point."),
      boolean("crl", "expired_certs_on_crl", &Config::crl_expired_certs_on_crl,
              "Keep revoked certificates on the CRL after they expire (and say so: expiredCertsOnCRL)."),
      string("crl", "base_url", &Config::crl_base_url, {},
             "URL under which this server's /crl/ is reachable, for the Freshest CRL and Issuing Distribution\n"
             "# Point extensions; empty = http://<server.listen>."),
      path("crl", "pkcs11_module", &Config::crl_pkcs11_module, "PKCS#11 module of the token holding pkcs11: CRL keys."),
      path("crl", "pin_file", &Config::crl_pin_file, "File holding that token's user PIN (read at start, never logged)."),
      boolean("testbed", "enabled", &Config::testbed_enabled,
              "The test bed: test CAs (created at the first start), their OCSP, CRLs and time stamps, fault\n"
              "# injection and the test-case exchange (docs/testbed.md). Never on a production server."),
      path("testbed", "dir", &Config::testbed_dir,
           "Folder of the test CAs' keys and certificates; empty = \"testbed\" beside the storage folder."),
      boolean("web", "enabled", &Config::web_enabled,
              "Serve the electronic cabinet (the web interface) at / and its session login (docs/cabinet.md)."),
      path("web", "dir", &Config::web_dir,
           "Folder of the cabinet's built files (index.html, assets/); empty = $TRUSTMON_WEB_DIR, else the\n"
           "# source tree's web/dist when it is there, else the installed share/trustmon/web."),
      duration("web", "session_lifetime", &Config::web_session_lifetime, 300, 7 * 86400,
               "How long a cabinet session lasts after its login (absolute; no sliding renewal)."),
      duration("login", "qr_lifetime", &Config::login_qr_lifetime, 10, 600,
               "How long a cloud-key login through a QR link may take (docs/login.md); cloud key stores\n"
               "# are [[login.provider]] tables: name, title, adapter = \"csc2\", authorize_url, token_url,\n"
               "# csc_url, client_id, client_secret_file, ca_file."),
      boolean("joining", "test_issuers", &Config::joining_test_issuers,
              "Accept signed applications (docs/joining.md) whose signer's certificate a test-bed CA issued.\n"
              "# Only for demonstrations and tests: a test certificate can name any organisation."),
  };
  return settings;
}

const char* kIssuerKeys[] = {"name", "ca_cert", "responder_cert", "responder_key"};

Error invalid(const std::string& source, const std::string& what) {
  return make_error(ErrorKind::invalid, "config_invalid", source + ": " + what);
}

bool provider_name_ok(const std::string& n) {
  if (n.empty() || n.size() > 32) return false;
  for (char ch : n)
    if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' || ch == '_')) return false;
  return true;
}

Result<std::vector<LoginProviderConfig>> parse_login_providers(const toml::node& node, const std::string& base_dir,
                                                               const std::string& source) {
  const toml::array* arr = node.as_array();
  if (!arr) return invalid(source, "login.provider must be an array of tables ([[login.provider]])");
  std::vector<LoginProviderConfig> out;
  for (std::size_t i = 0; i < arr->size(); ++i) {
    const toml::table* t = (*arr)[i].as_table();
    if (!t) return invalid(source, "login.provider must be an array of tables ([[login.provider]])");
    LoginProviderConfig p;
    const std::string at = "login.provider[" + std::to_string(i) + "].";
    for (auto&& [k, v] : *t) {
      const std::string key(k.str());
      auto s = v.value<std::string>();
      if (!s || !v.is_string()) return invalid(source, at + key + " must be a string");
      if (key == "name") p.name = *s;
      else if (key == "title") p.title = *s;
      else if (key == "adapter") p.adapter = *s;
      else if (key == "authorize_url") p.authorize_url = *s;
      else if (key == "token_url") p.token_url = *s;
      else if (key == "csc_url") p.csc_url = *s;
      else if (key == "client_id") p.client_id = *s;
      else if (key == "client_secret_file") p.client_secret_file = resolve(base_dir, *s);
      else if (key == "ca_file") p.ca_file = resolve(base_dir, *s);
      else return invalid(source, "unknown key " + at + key);
    }
    if (!provider_name_ok(p.name)) return invalid(source, at + "name must be 1..32 of a-z 0-9 - _");
    if (p.adapter != "csc2") return invalid(source, at + "adapter must be \"csc2\"");
    for (const std::string* url : {&p.authorize_url, &p.token_url, &p.csc_url})
      if (!url->starts_with("http://") && !url->starts_with("https://"))
        return invalid(source, at + "authorize_url, token_url and csc_url must be http:// or https:// URLs");
    if (p.client_id.empty() || p.client_secret_file.empty())
      return invalid(source, at + "needs client_id and client_secret_file");
    if (p.title.empty()) p.title = p.name;
    for (const auto& other : out)
      if (other.name == p.name) return invalid(source, at + "name \"" + p.name + "\" is used twice");
    out.push_back(std::move(p));
  }
  return out;
}

}  // namespace

std::string default_storage_path(const std::string& data_dir) {
  return (fs::path(data_dir) / "db").lexically_normal().string();
}

Result<Config> parse(const std::string& text, const std::string& base_dir, const std::string& source) {
  toml::table doc;
  try {
    doc = toml::parse(text, source);
  } catch (const toml::parse_error& e) {
    std::ostringstream msg;
    msg << "line " << e.source().begin.line << ": " << e.description();
    return invalid(source, msg.str());
  }
  Config c;
  c.source_path = source;
  for (auto&& [section_key, section_node] : doc) {
    std::string section(section_key.str());
    if (section == "issuer") {
      const toml::array* arr = section_node.as_array();
      if (!arr) return invalid(source, "issuer must be an array of tables ([[issuer]])");
      for (std::size_t i = 0; i < arr->size(); ++i) {
        const toml::table* t = (*arr)[i].as_table();
        if (!t) return invalid(source, "issuer must be an array of tables ([[issuer]])");
        IssuerConfig ic;
        for (auto&& [k, v] : *t) {
          std::string key(k.str());
          auto s = v.value<std::string>();
          std::string where = "issuer[" + std::to_string(i) + "]." + key;
          if (key == "name" && s) ic.name = *s;
          else if (key == "ca_cert" && s) ic.ca_cert = resolve(base_dir, *s);
          else if (key == "responder_cert" && s) ic.responder_cert = resolve(base_dir, *s);
          else if (key == "responder_key" && s) ic.responder_key = resolve(base_dir, *s);
          else if (key == "crl_key" && s) ic.crl_key = s->rfind("pkcs11:", 0) == 0 ? *s : resolve(base_dir, *s);
          else if (key == "crl_cert" && s) ic.crl_cert = resolve(base_dir, *s);
          else if (key == "allow_key_renewal") {
            auto b = v.value<bool>();
            if (!b || !v.is_boolean()) return invalid(source, where + " must be true or false");
            ic.allow_key_renewal = *b;
          } else if (key == "accept_unverified_signatures") {
            auto b = v.value<bool>();
            if (!b || !v.is_boolean()) return invalid(source, where + " must be true or false");
            ic.accept_unverified_signatures = *b;
          } else if (key == "test") {
            auto b = v.value<bool>();
            if (!b || !v.is_boolean()) return invalid(source, where + " must be true or false");
            ic.test = *b;
          } else if (!s && (key == "name" || key == "ca_cert" || key == "responder_cert" || key == "responder_key" ||
                            key == "crl_key" || key == "crl_cert"))
            return invalid(source, where + " must be a string");
          else
            return invalid(source, "unknown key " + where);
        }
        for (const char* required : kIssuerKeys) {
          bool empty = (std::string(required) == "name" && ic.name.empty()) ||
                       (std::string(required) == "ca_cert" && ic.ca_cert.empty()) ||
                       (std::string(required) == "responder_cert" && ic.responder_cert.empty()) ||
                       (std::string(required) == "responder_key" && ic.responder_key.empty());
          if (empty) return invalid(source, "issuer[" + std::to_string(i) + "] needs " + required);
        }
        if (!ic.crl_cert.empty() && ic.crl_key.empty())
          return invalid(source, "issuer[" + std::to_string(i) + "].crl_cert needs crl_key");
        for (const auto& other : c.issuers)
          if (other.name == ic.name) return invalid(source, "issuer name \"" + ic.name + "\" is used twice");
        c.issuers.push_back(std::move(ic));
      }
      continue;
    }
    const toml::table* table = section_node.as_table();
    if (!table) return invalid(source, "unknown key " + section);
    for (auto&& [k, v] : *table) {
      std::string key(k.str());
      if (section == "login" && key == "provider") {
        auto parsed = parse_login_providers(v, base_dir, source);
        if (!parsed) return std::move(parsed).error();
        c.login_providers = std::move(*parsed);
        continue;
      }
      const Setting* found = nullptr;
      for (const auto& s : schema())
        if (section == s.section && key == s.key) found = &s;
      if (!found) return invalid(source, "unknown key " + section + "." + key);
      std::string problem = found->apply(c, v, base_dir);
      if (!problem.empty()) return invalid(source, section + "." + key + " " + problem);
    }
  }
  if (c.storage_path.empty()) return invalid(source, "storage.path is required");
  if (!c.crl_base_url.empty() && !c.crl_base_url.starts_with("http://") && !c.crl_base_url.starts_with("https://"))
    return invalid(source, "crl.base_url must start with http:// or https://");
  if (!c.tls_listen.empty() && (c.tls_cert.empty() || c.tls_key.empty()))
    return invalid(source, "server.tls_listen needs server.tls_cert and server.tls_key");
  if (c.tl_reissue_margin >= c.tl_next_update)
    return invalid(source, "tl.reissue_margin must be shorter than tl.next_update");
  if (!c.tl_signer_cert.empty() && c.tl_signer_key.empty())
    return invalid(source, "tl.signer_cert needs tl.signer_key");
  if (!c.tl_signer_key.empty() && c.tl_signer_key.rfind("pkcs11:", 0) != 0)
    c.tl_signer_key = resolve(base_dir, c.tl_signer_key);
  if (c.csr_default_ttl > c.csr_max_ttl)
    return invalid(source, "csr.default_ttl must not be longer than csr.max_ttl");
  if (c.ocsp_refresh_margin >= c.ocsp_expired_validity)
    return invalid(source, "ocsp.refresh_margin must be shorter than ocsp.expired_validity");
  if (c.ocsp_refresh_margin >= c.ocsp_validity)
    return invalid(source, "ocsp.refresh_margin must be shorter than ocsp.validity");
  return c;
}

Result<Config> load(const std::string& file) {
  auto text = read_file(file);
  if (!text) return std::move(text).error();
  std::string base = fs::path(file).parent_path().string();
  if (base.empty()) base = ".";
  base = fs::absolute(base).lexically_normal().string();
  return parse(*text, base, file);
}

std::string example(const std::string& data_dir, const std::vector<IssuerConfig>& issuers) {
  Config defaults;
  defaults.storage_path = default_storage_path(data_dir);
  std::ostringstream out;
  out << "# trustmond configuration (TOML). Every key is shown at its default.\n"
         "# Relative paths are resolved against the folder of this file. Unknown keys are errors.\n";
  std::string section;
  for (const auto& s : schema()) {
    if (section != s.section) {
      section = s.section;
      out << "\n[" << section << "]\n";
    }
    out << "# " << s.help << "\n";
    out << s.key << " = " << s.show(defaults) << "\n";
  }
  out << "\n# One [[issuer]] table per CA this server answers for. responder_cert/responder_key are a\n"
         "# delegated OCSP responder (EKU OCSPSigning, id-pkix-ocsp-nocheck) issued by the CA, or the CA's\n"
         "# own certificate and key.\n";
  if (issuers.empty()) {
    out << "# [[issuer]]\n# name = \"my-ca\"\n# ca_cert = \"pki/ca.pem\"\n# responder_cert = \"pki/ocsp.pem\"\n"
           "# responder_key = \"pki/ocsp.key\"\n"
           "# accept_unverified_signatures = false  # true: store certificates in algorithms OpenSSL cannot\n"
           "#                                       # check (e.g. DSTU 4145), marked signature_checked = false\n"
           "# allow_key_renewal = false  # true: a renewal may reuse a key for the same subject and provider\n"
           "# crl_key = \"pki/ca.key\"   # CRLs built and signed here ([crl]); without it the provider uploads them\n"
           "# crl_cert = \"pki/crl.pem\" # the CRL signer's certificate when crl_key is not the CA's own key\n"
           "# test = false  # true: a test CA of the test bed ([testbed]; e.g. a DSTU 4145 test CA whose certificates\n"
           "#               # are signed elsewhere): kept out of statistics, the trusted list and production watches\n";
  }
  for (const auto& i : issuers) {
    out << "\n[[issuer]]\nname = " << quote(i.name) << "\nca_cert = " << quote(i.ca_cert)
        << "\nresponder_cert = " << quote(i.responder_cert) << "\nresponder_key = " << quote(i.responder_key)
        << "\naccept_unverified_signatures = " << (i.accept_unverified_signatures ? "true" : "false")
        << "\nallow_key_renewal = " << (i.allow_key_renewal ? "true" : "false") << "\n";
    if (!i.crl_key.empty()) out << "crl_key = " << quote(i.crl_key) << "\n";
    if (!i.crl_cert.empty()) out << "crl_cert = " << quote(i.crl_cert) << "\n";
  }
  return out.str();
}

}  // namespace trustmon::config
