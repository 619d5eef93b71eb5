// `trustmonctl init`: files and modes, a config the daemon's loader accepts, and the
// bootstrap token's hash in the meta table.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <sstream>

#include "common/ossl.hpp"
#include "responder/config/config.hpp"
#include "storage/lmdb.hpp"
#include "storage/records.hpp"
#include "tests/support/scratch_dir.hpp"
#include "shared_pki.hpp"
#include "tools/commands.hpp"
#include "tools/demo_pki.hpp"

namespace trustmon::tools {
namespace {

namespace fs = std::filesystem;

unsigned file_mode(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return 0;
  return st.st_mode & 07777;
}

// The meta value stored under bootstrap_token_sha256, copied out.
Bytes stored_token_hash(const std::string& storage_path) {
  storage::EnvOptions o;
  o.path = storage_path;
  auto env = storage::Env::open(o);
  EXPECT_TRUE(env.ok()) << env.error().message;
  if (!env) return {};
  auto txn = storage::ReadTxn::begin(**env);
  EXPECT_TRUE(txn.ok());
  if (!txn) return {};
  storage::ReadScope scope(*txn);
  EXPECT_TRUE(scope.status().ok());
  auto v = txn->get(storage::Table::meta, as_bytes(storage::kMetaBootstrapTokenSha256));
  EXPECT_TRUE(v.ok());
  if (!v || !v->has_value()) return {};
  return to_bytes(**v);
}

Bytes sha256_bytes(std::string_view text) {
  Sha256 d = sha256(as_bytes(text));
  return Bytes(d.begin(), d.end());
}

class InitTest : public ::testing::Test {
 protected:
  ScratchDir dir_;
  const DemoPkiSummary& pki_ = shared_demo_pki();
};

TEST_F(InitTest, CreatesPrivateFolderConfigStorageAndToken) {
  InitOptions o;
  o.data_dir = dir_ / "data";
  o.listen = "127.0.0.1:18443";
  for (const auto& is : pki_.issuers) o.issuers.push_back(is.issuer_arg());
  auto s = run_init(o);
  ASSERT_TRUE(s.ok()) << s.error().code << ": " << s.error().message;

  EXPECT_EQ(s->data_dir, dir_ / "data");
  EXPECT_EQ(file_mode(s->data_dir), 0700u);
  EXPECT_EQ(file_mode(s->token_file), 0600u);
  EXPECT_TRUE(fs::is_regular_file(s->config_path));
  EXPECT_EQ(s->storage_path, config::default_storage_path(s->data_dir));
  EXPECT_TRUE(fs::is_directory(s->storage_path));

  auto token = read_file(s->token_file);
  ASSERT_TRUE(token.ok());
  EXPECT_EQ(token->rfind("tm_", 0), 0u);
  EXPECT_EQ(token->size(), 3u + 43u);  // base64url of 32 bytes, unpadded
  EXPECT_EQ(token->find_first_of(" \n\r\t"), std::string::npos);
  EXPECT_EQ(stored_token_hash(s->storage_path), sha256_bytes(*token));

  auto cfg = config::load(s->config_path);
  ASSERT_TRUE(cfg.ok()) << cfg.error().message;
  EXPECT_EQ(cfg->listen, "127.0.0.1:18443");
  EXPECT_EQ(cfg->storage_path, s->storage_path);
  ASSERT_EQ(cfg->issuers.size(), 2u);
  EXPECT_EQ(cfg->issuers[0].name, "demo-rsa");
  EXPECT_EQ(cfg->issuers[0].ca_cert, pki_.issuers[0].ca_cert);
  EXPECT_EQ(cfg->issuers[1].responder_key, pki_.issuers[1].responder_key);

  auto j = s->to_json();
  EXPECT_EQ(j["data"], s->data_dir);
  EXPECT_EQ(j["token_file"], s->token_file);
  EXPECT_EQ(j["storage"], s->storage_path);
  EXPECT_EQ(j["config"], s->config_path);
  // The token itself is never part of the output.
  EXPECT_EQ(j.dump().find(*token), std::string::npos);
}

TEST_F(InitTest, WithoutListenKeepsTheDefaultAndLoads) {
  InitOptions o;
  o.data_dir = dir_ / "plain";
  auto s = run_init(o);
  ASSERT_TRUE(s.ok()) << s.error().message;
  auto cfg = config::load(s->config_path);
  ASSERT_TRUE(cfg.ok()) << cfg.error().message;
  EXPECT_EQ(cfg->listen, config::Config{}.listen);
  EXPECT_TRUE(cfg->issuers.empty());
}

TEST_F(InitTest, RefusesToOverwriteAndForceRotatesTheToken) {
  InitOptions o;
  o.data_dir = dir_ / "data";
  auto first = run_init(o);
  ASSERT_TRUE(first.ok()) << first.error().message;
  auto token1 = read_file(first->token_file);
  ASSERT_TRUE(token1.ok());

  auto again = run_init(o);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, "already_initialized");
  EXPECT_EQ(*read_file(first->token_file), *token1);  // untouched

  o.force = true;
  auto forced = run_init(o);
  ASSERT_TRUE(forced.ok()) << forced.error().message;
  auto token2 = read_file(forced->token_file);
  ASSERT_TRUE(token2.ok());
  EXPECT_NE(*token2, *token1);
  EXPECT_EQ(stored_token_hash(forced->storage_path), sha256_bytes(*token2));
}

TEST_F(InitTest, ExistingFolderIsNarrowedTo0700) {
  std::string d = dir_ / "wide";
  ASSERT_EQ(::mkdir(d.c_str(), 0755), 0);
  ASSERT_EQ(::chmod(d.c_str(), 0755), 0);
  InitOptions o;
  o.data_dir = d;
  ASSERT_TRUE(run_init(o).ok());
  EXPECT_EQ(file_mode(d), 0700u);
}

TEST_F(InitTest, BadIssuerArgumentsAreUsageErrorsAndWriteNothing) {
  const DemoIssuer& rsa = pki_.issuers[0];
  const DemoIssuer& ec = pki_.issuers[1];
  for (const std::string& arg : {
           std::string("no-equals-sign"),
           "demo=" + rsa.ca_cert + "," + rsa.responder_cert,                              // two paths
           "bad name=" + rsa.ca_cert + "," + rsa.responder_cert + "," + rsa.responder_key,  // space in name
           "demo=" + rsa.ca_cert + "," + rsa.responder_cert + "," + ec.responder_key,      // key mismatch
           "demo=" + rsa.ca_cert + "," + rsa.responder_cert + "," + (dir_ / "missing.key"),
           "demo=" + rsa.ca_key + "," + rsa.responder_cert + "," + rsa.responder_key,  // a key is not a cert
       }) {
    auto r = parse_issuer_arg(arg);
    ASSERT_FALSE(r.ok()) << arg;
    EXPECT_EQ(r.error().code, "usage_invalid") << arg;
  }
  InitOptions o;
  o.data_dir = dir_ / "data";
  o.issuers = {"demo=" + rsa.ca_cert + "," + rsa.responder_cert + "," + ec.responder_key};
  auto s = run_init(o);
  ASSERT_FALSE(s.ok());
  EXPECT_FALSE(fs::exists(dir_ / "data"));

  o.issuers = {rsa.issuer_arg(), rsa.issuer_arg()};
  s = run_init(o);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, "usage_invalid");
}

TEST_F(InitTest, BadListenIsAUsageError) {
  InitOptions o;
  o.data_dir = dir_ / "data";
  for (const char* bad : {"localhost", ":80", "host:0", "host:99999", "ho\"st:80", "[::1:80", "a b:80"}) {
    o.listen = bad;
    auto s = run_init(o);
    ASSERT_FALSE(s.ok()) << bad;
    EXPECT_EQ(s.error().code, "usage_invalid") << bad;
  }
  EXPECT_FALSE(fs::exists(dir_ / "data"));
}

TEST(SetListen, ReplacesTheServerListenLineOnly) {
  std::string text =
      "[log]\nlisten = \"not this\"\n[server]\n# comment\nlisten = \"127.0.0.1:8080\"\nworkers = 0\n";
  auto r = set_listen(text, "0.0.0.0:9000");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, "[log]\nlisten = \"not this\"\n[server]\n# comment\nlisten = \"0.0.0.0:9000\"\nworkers = 0\n");
}

TEST(SetListen, ReplacesACommentedDefaultOrInsertsAfterTheHeader) {
  auto r = set_listen("[server]\n# listen = \"127.0.0.1:8080\"\n", "[::1]:8443");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, "[server]\nlisten = \"[::1]:8443\"\n");
  r = set_listen("[server]\nworkers = 2\n[storage]\n", "host.example:80");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, "[server]\nlisten = \"host.example:80\"\nworkers = 2\n[storage]\n");
  r = set_listen("[storage]\n", "host:80");
  EXPECT_FALSE(r.ok());
}

TEST(AdminToken, IsRandomAndUrlSafe) {
  auto a = make_admin_token();
  auto b = make_admin_token();
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(*a, *b);
  EXPECT_EQ(a->find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_"), std::string::npos);
}

TEST(InitCommand, PrintsJsonAndReturnsExitCodes) {
  ScratchDir dir;
  InitOptions o;
  o.data_dir = dir / "d";
  std::ostringstream out, err;
  EXPECT_EQ(cmd_init(o, out, err), kExitOk);
  auto j = nlohmann::json::parse(out.str());
  EXPECT_EQ(j["data"], dir / "d");
  std::ostringstream out2, err2;
  EXPECT_EQ(cmd_init(o, out2, err2), kExitFailed);
  EXPECT_TRUE(out2.str().empty());
  EXPECT_NE(err2.str().find("already_initialized"), std::string::npos);
}

}  // namespace
}  // namespace trustmon::tools
