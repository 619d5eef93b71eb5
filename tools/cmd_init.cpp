// `trustmonctl init`: an offline command that prepares a data folder for trustmond —
// the config file, the LMDB environment and the bootstrap admin token.
//
// Policy: the folder is 0700 and the token file 0600; only the token's SHA-256 is
// stored (meta/bootstrap_token_sha256), in one write transaction; the token itself is
// written to the file and never printed. An existing config is kept unless --force,
// which also rotates the token.
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <sys/stat.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <ostream>
#include <optional>
#include <sstream>

#include "common/bytes.hpp"
#include "common/ossl.hpp"
#include "storage/lmdb.hpp"
#include "storage/records.hpp"
#include "tools/commands.hpp"

namespace trustmon::tools {
namespace {

namespace fs = std::filesystem;

bool valid_issuer_name(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    bool ok = std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '_' || c == '.';
    if (!ok) return false;
  }
  return true;
}

std::string absolute_path(const std::string& p) {
  std::error_code ec;
  fs::path a = fs::absolute(p, ec);
  if (ec) return p;
  a = a.lexically_normal();
  std::string s = a.string();
  while (s.size() > 1 && s.back() == '/') s.pop_back();
  return s;
}

// HOST:PORT with HOST a name, an IPv4 address or a bracketed IPv6 address. The value
// goes into a TOML string, so quotes and backslashes are rejected here.
bool valid_listen(const std::string& listen) {
  auto colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == listen.size()) return false;
  std::string host = listen.substr(0, colon);
  std::string port = listen.substr(colon + 1);
  if (port.size() > 5) return false;
  for (char c : port)
    if (c < '0' || c > '9') return false;
  int p = std::stoi(port);
  if (p < 1 || p > 65535) return false;
  if (host.front() == '[') {
    if (host.back() != ']' || host.size() < 3) return false;
    for (char c : host.substr(1, host.size() - 2))
      if (std::isxdigit(static_cast<unsigned char>(c)) == 0 && c != ':' && c != '.') return false;
    return true;
  }
  for (char c : host)
    if (std::isalnum(static_cast<unsigned char>(c)) == 0 && c != '.' && c != '-' && c != '_') return false;
  return true;
}

Status make_private_dir(const std::string& dir) {
  std::error_code ec;
  fs::path p(dir);
  if (p.has_parent_path()) {
    fs::create_directories(p.parent_path(), ec);
    if (ec) return make_error(ErrorKind::internal, "file_unwritable", "cannot create " + p.parent_path().string() + ": " + ec.message());
  }
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
    return make_error(ErrorKind::internal, "file_unwritable", "cannot create " + dir + ": " + std::strerror(errno));
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    return make_error(ErrorKind::internal, "file_unwritable", dir + " is not a directory");
  // It will hold the admin token: nobody else may list or read it (umask may have
  // widened a fresh folder; an existing one is narrowed too).
  if (::chmod(dir.c_str(), 0700) != 0)
    return make_error(ErrorKind::internal, "file_unwritable", "cannot chmod " + dir + ": " + std::strerror(errno));
  return {};
}

}  // namespace

nlohmann::json InitSummary::to_json() const {
  return {{"data", data_dir}, {"config", config_path}, {"token_file", token_file}, {"storage", storage_path}};
}

Result<config::IssuerConfig> parse_issuer_arg(std::string_view arg) {
  auto eq = arg.find('=');
  if (eq == std::string_view::npos)
    return make_error(ErrorKind::invalid, "usage_invalid", "--issuer wants NAME=CA_PEM,RESPONDER_CERT,RESPONDER_KEY, got '" +
                                           std::string(arg) + "'");
  config::IssuerConfig ic;
  ic.name = std::string(arg.substr(0, eq));
  if (!valid_issuer_name(ic.name))
    return make_error(ErrorKind::invalid, "usage_invalid", "issuer name '" + ic.name + "' must be 1-64 of A-Z a-z 0-9 - _ .");
  std::vector<std::string> parts;
  std::string_view rest = arg.substr(eq + 1);
  for (;;) {
    auto comma = rest.find(',');
    parts.emplace_back(rest.substr(0, comma));
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  if (parts.size() != 3)
    return make_error(ErrorKind::invalid, "usage_invalid", "--issuer " + ic.name + " wants three comma-separated paths (CA, responder certificate, responder key)");
  for (const auto& p : parts)
    if (p.empty()) return make_error(ErrorKind::invalid, "usage_invalid", "--issuer " + ic.name + " has an empty path");
  ic.ca_cert = absolute_path(parts[0]);
  ic.responder_cert = absolute_path(parts[1]);
  ic.responder_key = absolute_path(parts[2]);

  auto ca = load_cert_file(ic.ca_cert);
  if (!ca) return make_error(ErrorKind::invalid, "usage_invalid", "issuer " + ic.name + ": CA certificate: " + ca.error().message);
  auto resp = load_cert_file(ic.responder_cert);
  if (!resp) return make_error(ErrorKind::invalid, "usage_invalid", "issuer " + ic.name + ": responder certificate: " + resp.error().message);
  auto key = load_key_file(ic.responder_key);
  if (!key) return make_error(ErrorKind::invalid, "usage_invalid", "issuer " + ic.name + ": responder key: " + key.error().message);
  if (X509_check_private_key(resp->get(), key->get()) != 1) {
    ossl_errors();  // drop the queue; the message below says it all
    return make_error(ErrorKind::invalid, "usage_invalid", "issuer " + ic.name + ": the responder key does not match the responder certificate");
  }
  return ic;
}

Result<std::string> set_listen(const std::string& config_text, const std::string& listen) {
  if (!valid_listen(listen)) return make_error(ErrorKind::invalid, "usage_invalid", "--listen wants HOST:PORT, got '" + listen + "'");
  std::vector<std::string> lines;
  std::istringstream in(config_text);
  for (std::string l; std::getline(in, l);) lines.push_back(l);

  // The first `listen =` line inside [server], set or commented out, is replaced; with
  // none, the line goes right after the [server] header.
  std::optional<std::size_t> header, target;
  bool in_server = false;
  for (std::size_t i = 0; i < lines.size() && !target; ++i) {
    std::string_view t(lines[i]);
    t.remove_prefix(std::min(t.size(), t.find_first_not_of(" \t")));
    if (!t.empty() && t.front() == '[') {
      in_server = t.rfind("[server]", 0) == 0;
      if (in_server) header = i;
      continue;
    }
    if (!in_server) continue;
    if (!t.empty() && t.front() == '#') {
      t.remove_prefix(1);
      t.remove_prefix(std::min(t.size(), t.find_first_not_of(" \t")));
    }
    if (t.rfind("listen", 0) != 0) continue;
    t.remove_prefix(6);
    t.remove_prefix(std::min(t.size(), t.find_first_not_of(" \t")));
    if (!t.empty() && t.front() == '=') target = i;
  }
  const std::string line = "listen = \"" + listen + "\"";
  if (target) {
    lines[*target] = line;
  } else if (header) {
    lines.insert(lines.begin() + static_cast<std::ptrdiff_t>(*header) + 1, line);
  } else {
    return make_error(ErrorKind::internal, "internal_error", "the example config has no [server] table");
  }
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

Result<std::string> make_admin_token() {
  Bytes raw(32);
  if (RAND_bytes(raw.data(), static_cast<int>(raw.size())) != 1) return ossl_error(ErrorKind::internal, "crypto_failed", "RAND_bytes");
  std::string token = "tm_" + base64url_encode(raw);
  OPENSSL_cleanse(raw.data(), raw.size());
  return token;
}

Result<InitSummary> run_init(const InitOptions& options) {
  if (options.data_dir.empty()) return make_error(ErrorKind::invalid, "usage_invalid", "--data is required");
  InitSummary s;
  s.data_dir = absolute_path(options.data_dir);
  s.config_path = (fs::path(s.data_dir) / "trustmon.toml").string();
  s.token_file = (fs::path(s.data_dir) / "admin.token").string();
  s.storage_path = config::default_storage_path(s.data_dir);

  // Check everything the user gave before touching the disk.
  std::vector<config::IssuerConfig> issuers;
  for (const auto& arg : options.issuers) {
    auto ic = parse_issuer_arg(arg);
    if (!ic) return std::move(ic).error();
    for (const auto& other : issuers)
      if (other.name == ic->name) return make_error(ErrorKind::invalid, "usage_invalid", "issuer " + ic->name + " given twice");
    issuers.push_back(std::move(*ic));
  }
  std::string text = config::example(s.data_dir, issuers);
  if (!options.listen.empty()) {
    auto t = set_listen(text, options.listen);
    if (!t) return std::move(t).error();
    text = std::move(*t);
  }
  std::error_code ec;
  if (fs::exists(s.config_path, ec) && !options.force)
    return make_error(ErrorKind::invalid, "already_initialized", s.config_path + " exists (use --force to overwrite it and rotate the admin token)");

  if (auto st = make_private_dir(s.data_dir); !st) return std::move(st).error();
  if (auto st = write_file(s.config_path, text, 0600); !st) return std::move(st).error();

  storage::EnvOptions env_options;
  env_options.path = s.storage_path;
  auto env = storage::Env::open(env_options);
  if (!env) return std::move(env).error();

  auto token = make_admin_token();
  if (!token) return std::move(token).error();
  Sha256 digest = sha256(as_bytes(*token));
  // Should the commit below fail, the file and the stored hash disagree until
  // `init --force` is run again, which writes both anew.
  Status written = write_file(s.token_file, *token, 0600);
  OPENSSL_cleanse(token->data(), token->size());
  if (!written) return std::move(written).error();

  auto txn = storage::WriteTxn::begin(**env);
  if (!txn) return std::move(txn).error();
  if (auto st = txn->put(storage::Table::meta, as_bytes(storage::kMetaBootstrapTokenSha256), digest); !st) return std::move(st).error();
  if (auto st = txn->commit(); !st) return std::move(st).error();
  return s;
}

int cmd_init(const InitOptions& options, std::ostream& out, std::ostream& err) {
  return print_summary(run_init(options), out, err);
}

}  // namespace trustmon::tools
