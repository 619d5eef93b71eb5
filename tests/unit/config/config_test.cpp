#include "responder/config/config.hpp"

#include <gtest/gtest.h>

namespace trustmon::config {
namespace {

TEST(Config, ExampleParsesToDefaults) {
  std::string text = example("/var/lib/trustmon", {{"ca1", "pki/ca.pem", "pki/ocsp.pem", "pki/ocsp.key", false, false, "", ""}});
  auto c = parse(text, "/etc/trustmon");
  ASSERT_TRUE(c.ok()) << c.error().message;
  Config d;
  EXPECT_EQ(c->listen, d.listen);
  EXPECT_EQ(c->ocsp_validity, d.ocsp_validity);
  EXPECT_EQ(c->ocsp_nonce, "echo");
  EXPECT_EQ(c->storage_path, "/var/lib/trustmon/db");
  ASSERT_EQ(c->issuers.size(), 1u);
  EXPECT_EQ(c->issuers[0].name, "ca1");
  EXPECT_EQ(c->issuers[0].ca_cert, "/etc/trustmon/pki/ca.pem");  // relative to the config's folder
  EXPECT_EQ(c->issuers[0].responder_key, "/etc/trustmon/pki/ocsp.key");
}

TEST(Config, ValuesAndDurations) {
  auto c = parse(
      "[server]\nlisten = \"127.0.0.1:0\"\nworkers = 3\n[storage]\npath = \"/tmp/x\"\n"
      "[ocsp]\nvalidity = \"2d\"\nrefresh_margin = 3600\nnonce = \"ignore\"\nunknown_serial = \"revoked\"\n",
      "/");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->workers, 3u);
  EXPECT_EQ(c->ocsp_validity, 2 * 86400);
  EXPECT_EQ(c->ocsp_refresh_margin, 3600);
  EXPECT_EQ(c->ocsp_unknown, "revoked");
}

TEST(Config, TrustedListSection) {
  auto c = parse(
      "[storage]\npath = \"/x\"\n[tl]\nname = \"ua\"\nsigner_cert = \"tl/signer.pem\"\n"
      "signer_key = \"tl/signer.key\"\nversion = 5\nnext_update = \"30d\"\nreissue_margin = \"2d\"\n",
      "/etc/trustmon");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->tl_signer_cert, "/etc/trustmon/tl/signer.pem");
  EXPECT_EQ(c->tl_signer_key, "/etc/trustmon/tl/signer.key");
  EXPECT_EQ(c->tl_version, 5);
  EXPECT_EQ(c->tl_next_update, 30 * 86400);
  EXPECT_EQ(c->tl_reissue_margin, 2 * 86400);
  // A PKCS#11 URI is not a path.
  auto uri = parse("[storage]\npath = \"/x\"\n[tl]\nsigner_cert = \"s.pem\"\nsigner_key = \"pkcs11:token=t;object=k\"\n",
                   "/etc/trustmon");
  ASSERT_TRUE(uri.ok()) << uri.error().message;
  EXPECT_EQ(uri->tl_signer_key, "pkcs11:token=t;object=k");
  // More than 6 months, a margin not shorter than the period, a certificate without key, version 4.
  EXPECT_FALSE(parse("[storage]\npath = \"/x\"\n[tl]\nnext_update = \"200d\"\n", "/").ok());
  EXPECT_FALSE(parse("[storage]\npath = \"/x\"\n[tl]\nnext_update = \"10d\"\nreissue_margin = \"10d\"\n", "/").ok());
  EXPECT_FALSE(parse("[storage]\npath = \"/x\"\n[tl]\nsigner_cert = \"s.pem\"\n", "/").ok());
  EXPECT_FALSE(parse("[storage]\npath = \"/x\"\n[tl]\nversion = 4\n", "/").ok());
}

TEST(Config, RejectsUnknownKeysAndBadValues) {
  auto unknown = parse("[storage]\npath = \"/x\"\n[server]\nlisten_on = \"x\"\n", "/");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().code, "config_invalid");
  EXPECT_NE(unknown.error().message.find("server.listen_on"), std::string::npos);

  EXPECT_FALSE(parse("[storage]\npath = \"/x\"\n[nope]\na = 1\n", "/").ok());
  EXPECT_FALSE(parse("[storage]\npath = \"/x\"\n[server]\nworkers = \"two\"\n", "/").ok());
  EXPECT_FALSE(parse("[storage]\npath = \"/x\"\n[ocsp]\nnonce = \"maybe\"\n", "/").ok());
  EXPECT_FALSE(parse("[storage]\npath = \"/x\"\n[ocsp]\nvalidity = \"1w\"\n", "/").ok());
  EXPECT_FALSE(parse("[server]\nworkers = 1\n", "/").ok());  // storage.path required
  EXPECT_FALSE(parse("[storage]\npath = \"/x\"\n[ocsp]\nvalidity = \"1h\"\nrefresh_margin = \"2h\"\n", "/").ok());
  auto syntax = parse("[storage\npath=", "/");
  ASSERT_FALSE(syntax.ok());
  EXPECT_NE(syntax.error().message.find("line"), std::string::npos);
}

TEST(Config, IssuerTablesAreChecked) {
  EXPECT_FALSE(parse("[storage]\npath = \"/x\"\n[[issuer]]\nname = \"a\"\n", "/").ok());  // missing paths
  EXPECT_FALSE(parse("[storage]\npath = \"/x\"\n[[issuer]]\nname = \"a\"\nca_cert = \"c\"\nresponder_cert = \"c\"\n"
                     "responder_key = \"k\"\ncolour = \"red\"\n",
                     "/")
                   .ok());
  std::string one = "[[issuer]]\nname = \"a\"\nca_cert = \"c\"\nresponder_cert = \"c\"\nresponder_key = \"k\"\n";
  EXPECT_TRUE(parse("[storage]\npath = \"/x\"\n" + one, "/").ok());
  EXPECT_FALSE(parse("[storage]\npath = \"/x\"\n" + one + one, "/").ok());  // duplicate name
}

TEST(Config, AcceptUnverifiedSignaturesPerIssuer) {
  std::string a = "[[issuer]]\nname = \"a\"\nca_cert = \"c\"\nresponder_cert = \"c\"\nresponder_key = \"k\"\n";
  std::string b = "[[issuer]]\nname = \"b\"\nca_cert = \"c\"\nresponder_cert = \"c\"\nresponder_key = \"k\"\n";
  auto c = parse("[storage]\npath = \"/x\"\n" + a + "accept_unverified_signatures = true\ntest = true\n" + b, "/");
  ASSERT_TRUE(c.ok()) << c.error().message;
  ASSERT_EQ(c->issuers.size(), 2u);
  EXPECT_TRUE(c->issuers[0].accept_unverified_signatures);
  EXPECT_FALSE(c->issuers[1].accept_unverified_signatures);  // default
  EXPECT_TRUE(c->issuers[0].test);  // a test bed CA (e.g. DSTU 4145, signed elsewhere)
  EXPECT_FALSE(c->issuers[1].test);
  EXPECT_FALSE(parse("[storage]\npath = \"/x\"\n" + a + "test = 1\n", "/").ok());
  auto bad = parse("[storage]\npath = \"/x\"\n" + a + "accept_unverified_signatures = \"yes\"\n", "/");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("accept_unverified_signatures"), std::string::npos);
  // The example file shows the key and round-trips it.
  IssuerConfig ic{"dstu", "ca.pem", "ocsp.pem", "ocsp.key", true, false, "", ""};
  auto round = parse(example("/var/lib/trustmon", {ic}), "/etc/trustmon");
  ASSERT_TRUE(round.ok()) << round.error().message;
  EXPECT_TRUE(round->issuers[0].accept_unverified_signatures);
  EXPECT_NE(example("/d").find("# accept_unverified_signatures = false"), std::string::npos);
}

// [[issuer]] crl_key / crl_cert: relative paths resolve, pkcs11: URIs stay as written, a
// crl_cert without crl_key is refused, the example round-trips them; [crl] has defaults.
TEST(Config, CrlKeysPerIssuer) {
  const std::string a = "[[issuer]]\nname = \"a\"\nca_cert = \"ca.pem\"\nresponder_cert = \"o.pem\"\nresponder_key = \"o.key\"\n";
  auto c = parse("[storage]\npath = \"/x\"\n[crl]\nrebuild_after = 5\n" + a +
                     "crl_key = \"ca.key\"\ncrl_cert = \"crl.pem\"\n" + a.substr(0, 11) +
                     "name = \"b\"\nca_cert = \"b.pem\"\nresponder_cert = \"o.pem\"\nresponder_key = \"o.key\"\n"
                     "crl_key = \"pkcs11:token=t;object=k\"\n",
                 "/etc/trustmon");
  ASSERT_TRUE(c.ok()) << c.error().message;
  ASSERT_EQ(c->issuers.size(), 2u);
  EXPECT_EQ(c->issuers[0].crl_key, "/etc/trustmon/ca.key");
  EXPECT_EQ(c->issuers[0].crl_cert, "/etc/trustmon/crl.pem");
  EXPECT_EQ(c->issuers[1].crl_key, "pkcs11:token=t;object=k");
  EXPECT_EQ(c->crl_rebuild_after, 5);
  EXPECT_EQ(c->crl_validity, 86400);
  auto bad = parse("[storage]\npath = \"/x\"\n" + a + "crl_cert = \"crl.pem\"\n", "/");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("crl_cert needs crl_key"), std::string::npos);
  auto round = parse(example("/var/lib/trustmon", {c->issuers[0]}), "/etc/trustmon");
  ASSERT_TRUE(round.ok()) << round.error().message;
  EXPECT_EQ(round->issuers[0].crl_key, "/etc/trustmon/ca.key");
  EXPECT_EQ(round->issuers[0].crl_cert, "/etc/trustmon/crl.pem");
  EXPECT_NE(example("/d").find("# crl_key = "), std::string::npos);
}

}  // namespace
}  // namespace trustmon::config
