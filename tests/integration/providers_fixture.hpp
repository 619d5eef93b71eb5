// A daemon with two QTSPs (QTSP A operates demo-ec, QTSP B demo-rsa), an operator token for
// each, and curl helpers: what the statistics suites share. Certificates with chosen
// validity come from python3-cryptography (make_certs.py) and are pushed with curl.
#pragma once

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/integration/daemon.hpp"

namespace trustmon::itest {

struct Reply {
  int status = 0;
  std::string body;
  nlohmann::json json_body() const { return nlohmann::json::parse(body, nullptr, false); }
};

class ProvidersTest : public ::testing::Test {
 protected:
  // Config changes before the daemon starts (set_config on daemon_).
  virtual void configure() {}

  void SetUp() override {
    configure();
    daemon_.start();
    qtsp_a_ = id_of(ctl("participant add --kind qtsp --name 'QTSP A' --code 11111111"));
    qtsp_b_ = id_of(ctl("participant add --kind qtsp --name 'QTSP B' --code 22222222"));
    EXPECT_EQ(ctl("participant issuer-add " + std::to_string(qtsp_a_) + " demo-ec").second, 0);
    EXPECT_EQ(ctl("participant issuer-add " + std::to_string(qtsp_b_) + " demo-rsa").second, 0);
    token_a_ = token_for(qtsp_a_, "operator", &rep_a_);
    token_b_ = token_for(qtsp_b_, "operator", &rep_b_);
    dir_ = make_temp_dir("trustmon-providers");
  }
  void TearDown() override {
    if (daemon_.running()) daemon_.stop();
  }
  // trustmonctl with the bootstrap token: {parsed stdout, exit code}.
  std::pair<nlohmann::json, int> ctl(const std::string& args) {
    auto r = sh(daemon_.ctl() + " " + args + " 2>/dev/null");
    return {nlohmann::json::parse(r.out, nullptr, false), r.exit_code};
  }
  static std::uint32_t id_of(const std::pair<nlohmann::json, int>& r) {
    EXPECT_EQ(r.second, 0) << r.first.dump();
    return r.first.value("id", 0U);
  }
  // A new representative with `role` and a token for it.
  std::string token_for(std::uint32_t participant, const std::string& role, std::uint32_t* rep_out = nullptr) {
    const auto rep = id_of(ctl("representative add " + std::to_string(participant) + " --name " + q(role) +
                               " --role " + role));
    if (rep_out) *rep_out = rep;
    return ctl("token issue " + std::to_string(rep)).first.value("token", std::string());
  }
  // GET with a bearer token (empty: none).
  Reply get(const std::string& path, const std::string& token) {
    const std::string out = dir_ + "/reply";
    std::string cmd = "curl -s -o " + q(out) + " -w '%{http_code}' ";
    if (!token.empty()) cmd += "-H " + q("Authorization: Bearer " + token) + " ";
    auto r = sh(cmd + q(daemon_.url() + path));
    return Reply{std::atoi(r.out.c_str()), read_text(out)};
  }
  Reply post_file(const std::string& path, const std::string& token, const std::string& file, const std::string& type) {
    const std::string out = dir_ + "/reply";
    auto r = sh("curl -s -o " + q(out) + " -w '%{http_code}' -H " + q("Authorization: Bearer " + token) + " -H " +
                q("Content-Type: " + type) + " --data-binary @" + q(file) + " " + q(daemon_.url() + path));
    return Reply{std::atoi(r.out.c_str()), read_text(out)};
  }
  Reply post_text(const std::string& path, const std::string& token, const std::string& text, const std::string& type) {
    const std::string file = dir_ + "/body";
    EXPECT_EQ(sh("printf '%s' " + q(text) + " > " + q(file)).exit_code, 0);
    return post_file(path, token, file, type);
  }
  // Certificates of `issuer` (demo-ec, demo-rsa), "SERIAL:NOT_BEFORE:NOT_AFTER" each, pushed by `token`.
  void push(const std::string& issuer, const std::vector<std::string>& specs, const std::string& token) {
    const std::string pem = dir_ + "/push.pem";
    std::string cmd = "python3 " + q(std::string(TRUSTMON_SOURCE_DIR) + "/tests/integration/make_certs.py") + " " +
                      q(demo_pki().ca(issuer)) + " " + q(demo_pki().dir + "/" + issuer + "/ca.key") + " " + q(pem);
    for (const auto& s : specs) cmd += " " + s;
    auto made = sh(cmd);
    ASSERT_EQ(made.exit_code, 0) << made.out;
    const Reply r = post_file("/api/v1/certificates", token, pem, "application/x-pem-file");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.json_body()["stored"], specs.size()) << r.body;
  }

  Daemon daemon_;
  std::uint32_t qtsp_a_ = 0, qtsp_b_ = 0, rep_a_ = 0, rep_b_ = 0;
  std::string token_a_, token_b_, dir_;
};

}  // namespace trustmon::itest
