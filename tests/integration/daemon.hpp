// Test harness for integration tests: runs shell commands (real clients: openssl, curl,
// trustmonctl), and starts/stops the real trustmond on a free loopback port with a
// temporary data folder made by `trustmonctl init`.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace trustmon::itest {

struct CommandResult {
  int exit_code = -1;
  std::string out;  // stdout and stderr, interleaved
};

// Runs `command` with /bin/sh, capturing stdout+stderr.
CommandResult sh(const std::string& command);
// Single-quotes a string for the shell.
std::string q(const std::string& s);

std::string trustmond_path();
std::string trustmonctl_path();
std::string make_temp_dir(const std::string& prefix);
int free_port();
std::string read_text(const std::string& path);
// `s` without trailing spaces and line ends (command output, token files).
std::string trim(std::string s);

// What curl got: the status, the body (as JSON when it parses), the raw text and the
// header block.
struct HttpReply {
  int status = 0;
  nlohmann::json body;
  std::string raw;
  std::string headers;
  // The first header `name` (case-insensitive), without surrounding spaces; "" if absent.
  std::string header(const std::string& name) const;
};

// curl -X METHOD `url` with `extra` curl options (already quoted), a bearer `token` when not
// empty and a JSON `body` when not empty.
HttpReply http_call(const std::string& method, const std::string& url, const std::string& token = "",
                    const std::string& body = "", const std::string& extra = "");
// The stable code of an API error reply ("" when the body is not one).
std::string error_code(const HttpReply& r);

// Polls `done` every 20 ms until it holds or `limit` has passed; its last answer.
bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds limit);

// A demo PKI made once per test binary with `trustmonctl demo-pki` (count certificates).
struct DemoPki {
  std::string dir;
  std::string root;
  std::string ca(const std::string& issuer) const { return dir + "/" + issuer + "/ca.pem"; }
  std::string cert(const std::string& issuer, const std::string& serial_hex) const {
    return dir + "/" + issuer + "/certs/" + serial_hex + ".pem";
  }
  // Serial numbers (upper-case hex, file names) of an issuer's end-entity certificates.
  std::vector<std::string> serials(const std::string& issuer) const;
};
const DemoPki& demo_pki();

class Daemon {
 public:
  // Creates a data folder with `trustmonctl init` for the demo PKI's two issuers.
  // `extra_config` is appended to trustmon.toml (TOML sections are merged by name, so
  // only use keys not already present in the example, or sections that are absent).
  explicit Daemon(const std::string& extra_config = "");
  ~Daemon();
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  void start();           // starts and waits for /healthz (fails the test otherwise)
  void stop();            // SIGTERM, waits; expects exit code 0
  void kill9();           // SIGKILL, reaps
  bool running() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::string ctl() const;  // "trustmonctl --server URL --token-file FILE"
  const std::string& data_dir() const { return data_; }
  const std::string& token_file() const { return token_file_; }
  std::string token() const { return trim(read_text(token_file_)); }  // the bootstrap token
  std::string log() const { return read_text(data_ + "/trustmond.log"); }
  // Replaces `key = ...` in the config text.
  void set_config(const std::string& key, const std::string& value);
  // Replaces every occurrence of `from` in the config text.
  void replace_in_config(const std::string& from, const std::string& to);

 private:
  std::string data_;
  std::string config_;
  std::string token_file_;
  int port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace trustmon::itest
