#include "tests/integration/daemon.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <regex>
#include <sstream>
#include <thread>

namespace trustmon::itest {

std::string HttpReply::header(const std::string& name) const {
  std::string lower_headers = headers, lower_name = "\n" + name + ":";
  for (auto& c : lower_headers) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (auto& c : lower_name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const std::size_t at = lower_headers.find(lower_name);
  if (at == std::string::npos) return "";
  std::size_t begin = at + lower_name.size();
  while (begin < headers.size() && (headers[begin] == ' ' || headers[begin] == '\t')) ++begin;
  std::size_t end = headers.find('\r', begin);
  if (end == std::string::npos) end = headers.find('\n', begin);
  return headers.substr(begin, end == std::string::npos ? std::string::npos : end - begin);
}

HttpReply http_call(const std::string& method, const std::string& url, const std::string& token,
                    const std::string& body, const std::string& extra) {
  const std::string dir = make_temp_dir("trustmon-call");
  std::string cmd = "curl -s -o " + q(dir + "/body") + " -D " + q(dir + "/headers") + " -w '%{http_code}' -X " +
                    method + " " + extra + " ";
  if (!token.empty()) cmd += "-H " + q("Authorization: Bearer " + token) + " ";
  if (!body.empty()) cmd += "-H 'Content-Type: application/json' --data " + q(body) + " ";
  auto r = sh(cmd + q(url));
  HttpReply reply;
  reply.status = std::atoi(r.out.c_str());
  reply.raw = read_text(dir + "/body");
  reply.headers = read_text(dir + "/headers");
  reply.body = nlohmann::json::parse(reply.raw, nullptr, false);
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  return reply;
}

std::string error_code(const HttpReply& r) {
  if (!r.body.is_object() || !r.body.contains("error") || !r.body["error"].is_object()) return "";
  return r.body["error"].value("code", std::string());
}

bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds limit) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return done();
}

namespace fs = std::filesystem;

CommandResult sh(const std::string& command) {
  CommandResult r;
  std::string full = "( " + command + " ) 2>&1";
  FILE* p = ::popen(full.c_str(), "r");
  if (!p) return r;
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  int status = ::pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

std::string q(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') out += "'\\''";
    else out.push_back(c);
  }
  return out + "'";
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\r')) s.pop_back();
  return s;
}

std::string trustmond_path() { return std::string(TRUSTMON_BINARY_DIR) + "/responder/trustmond"; }
std::string trustmonctl_path() { return std::string(TRUSTMON_BINARY_DIR) + "/tools/trustmonctl"; }

namespace {

// Every folder make_temp_dir made, removed when the test process exits (each test runs in
// its own process under ctest) unless TRUSTMON_KEEP_TEMP is set, to look at them.
class TempDirs {
 public:
  ~TempDirs() {
    if (std::getenv("TRUSTMON_KEEP_TEMP") != nullptr) return;
    std::error_code ec;
    for (const auto& d : dirs_) fs::remove_all(d, ec);
  }
  void add(const std::string& dir) {
    std::lock_guard lock(mu_);
    dirs_.push_back(dir);
  }

 private:
  std::mutex mu_;
  std::vector<std::string> dirs_;
};

TempDirs& temp_dirs() {
  static TempDirs dirs;
  return dirs;
}

}  // namespace

std::string make_temp_dir(const std::string& prefix) {
  std::string tmpl = (fs::temp_directory_path() / (prefix + "-XXXXXX")).string();
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  char* dir = ::mkdtemp(buf.data());
  if (!dir) {
    ADD_FAILURE() << "mkdtemp failed";
    return {};
  }
  temp_dirs().add(dir);
  return dir;
}

int free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  int port = ntohs(addr.sin_port);
  ::close(fd);
  return port;
}

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::string> DemoPki::serials(const std::string& issuer) const {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir + "/" + issuer + "/certs")) out.push_back(e.path().stem().string());
  std::sort(out.begin(), out.end());
  return out;
}

const DemoPki& demo_pki() {
  static DemoPki pki = [] {
    DemoPki p;
    p.dir = make_temp_dir("trustmon-pki");
    auto r = sh(q(trustmonctl_path()) + " demo-pki --out " + q(p.dir) + " --count 60 --revoked-percent 10");
    if (r.exit_code != 0) ADD_FAILURE() << "demo-pki failed: " << r.out;
    p.root = p.dir + "/root.pem";
    return p;
  }();
  return pki;
}

Daemon::Daemon(const std::string& extra_config) {
  const DemoPki& pki = demo_pki();
  data_ = make_temp_dir("trustmon-data");
  port_ = free_port();
  std::string issuers;
  std::istringstream lines(read_text(pki.dir + "/issuers.txt"));
  for (std::string line; std::getline(lines, line);)
    if (!line.empty()) issuers += " --issuer " + q(line);
  auto r = sh(q(trustmonctl_path()) + " init --force --data " + q(data_) + " --listen 127.0.0.1:" +
              std::to_string(port_) + issuers);
  if (r.exit_code != 0) ADD_FAILURE() << "trustmonctl init failed: " << r.out;
  config_ = data_ + "/trustmon.toml";
  token_file_ = data_ + "/admin.token";
  // Logs go to files in the data folder so a failing test can show them.
  set_config("file", "\"" + data_ + "/trustmond.log\"");
  set_config("access", "\"" + data_ + "/access.log\"");
  if (!extra_config.empty()) {
    std::ofstream out(config_, std::ios::app);
    out << "\n" << extra_config << "\n";
  }
}

Daemon::~Daemon() {
  if (pid_ > 0) kill9();
  std::error_code ec;
  fs::remove_all(data_, ec);
}

void Daemon::set_config(const std::string& key, const std::string& value) {
  std::string text = read_text(config_);
  std::regex line("(^|\\n)" + key + " = [^\\n]*");
  text = std::regex_replace(text, line, "$1" + key + " = " + value, std::regex_constants::format_first_only);
  std::ofstream(config_, std::ios::trunc) << text;
}

void Daemon::replace_in_config(const std::string& from, const std::string& to) {
  std::string text = read_text(config_);
  for (std::size_t pos = text.find(from); pos != std::string::npos; pos = text.find(from, pos + to.size()))
    text.replace(pos, from.size(), to);
  std::ofstream(config_, std::ios::trunc) << text;
}

std::string Daemon::ctl() const {
  return q(trustmonctl_path()) + " --server " + url() + " --token-file " + q(token_file_);
}

void Daemon::start() {
  const pid_t test_pid = ::getpid();
  pid_ = ::fork();
  if (pid_ == 0) {
    // A test binary killed by a timeout (or a crash) takes its daemon with it: a daemon
    // left behind would hold its port and spin on the shared machine.
    if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || ::getppid() != test_pid) ::_exit(126);
    std::string out = data_ + "/stdout.log";
    FILE* f = std::freopen(out.c_str(), "a", stdout);
    FILE* g = std::freopen(out.c_str(), "a", stderr);
    (void)f;
    (void)g;
    std::string bin = trustmond_path();
    ::execl(bin.c_str(), bin.c_str(), "--config", config_.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  for (int i = 0; i < 200; ++i) {
    auto r = sh("curl -s -o /dev/null -w '%{http_code}' " + url() + "/healthz");
    if (r.out == "200") return;
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      FAIL() << "trustmond exited during start: " << read_text(data_ + "/stdout.log") << log();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  FAIL() << "trustmond did not become healthy: " << read_text(data_ + "/stdout.log") << log();
}

void Daemon::stop() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  int status = 0;
  for (int i = 0; i < 300; ++i) {
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "exit status " << status << "\n" << log();
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ADD_FAILURE() << "trustmond did not stop within 6 s of SIGTERM\n" << log();
  kill9();
}

void Daemon::kill9() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
}

}  // namespace trustmon::itest
