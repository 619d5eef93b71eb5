// PKCS#11 signing key: a SoftHSM2 token created in a temp dir (its own config through
// SOFTHSM2_CONF), an RSA key imported with softhsm2-util, used through the OpenSSL
// pkcs11 engine by URI; the list verifies with xmlsec1 and the checker. A PIN read from a
// file loses its trailing line ends.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <string>

#include "tests/unit/tsl/test_material.hpp"
#include "tsl/checker.hpp"
#include "tsl/signer.hpp"
#include "tsl/xml_writer.hpp"

namespace trustmon::tsl {
namespace {

constexpr const char* kModule = "/usr/lib/softhsm/libsofthsm2.so";

TEST(Pkcs11, SignsWithAKeyInASoftHsmToken) {
  if (!std::filesystem::exists(kModule) || std::system("command -v softhsm2-util >/dev/null 2>&1") != 0)
    GTEST_SKIP() << "softhsm2 not installed (scripts/install-deps.sh installs it)";
  testing::ScratchDir dir;
  const std::string log = dir.file("tools.log");
  std::filesystem::create_directory(dir.file("tokens"));
  ASSERT_TRUE(write_file(dir.file("softhsm2.conf"), "directories.tokendir = " + dir.file("tokens") +
                                                        "\nobjectstore.backend = file\nlog.level = ERROR\n")
                  .ok());
  setenv("SOFTHSM2_CONF", dir.file("softhsm2.conf").c_str(), 1);

  auto signer = testing::make_signer(testing::KeyKind::rsa);
  ASSERT_TRUE(write_file(dir.file("key.pem"), testing::key_pem(signer.key.get()), 0600).ok());
  ASSERT_TRUE(write_file(dir.file("signer.pem"), testing::cert_pem(signer.cert.get())).ok());
  ASSERT_EQ(testing::run("softhsm2-util --init-token --free --label tltest --pin 1234 --so-pin 5678", log), 0)
      << testing::slurp(log);
  ASSERT_EQ(testing::run("softhsm2-util --import " + dir.file("key.pem") +
                             " --token tltest --label tlsigner --id 01 --pin 1234",
                         log),
            0)
      << testing::slurp(log);

  KeySource source{"pkcs11:token=tltest;object=tlsigner;type=private", kModule, "1234"};
  auto tl_signer = TlSigner::create(source, dir.file("signer.pem"));
  ASSERT_TRUE(tl_signer.ok()) << tl_signer.error().code << ": " << tl_signer.error().message;
  auto doc = build_document(testing::make_list(2, 3));
  ASSERT_TRUE(doc.ok());
  ASSERT_TRUE(tl_signer->sign(doc->get(), 6, 1795000000).ok());
  auto xml = serialize_xml(doc->get());
  ASSERT_TRUE(xml.ok());
  ASSERT_TRUE(write_file(dir.file("tl.xml"), *xml).ok());
  EXPECT_EQ(testing::run("xmlsec1 --verify --pubkey-cert-pem " + dir.file("signer.pem") +
                             " --enabled-key-data key-name --enabled-reference-uris empty,same-doc " + dir.file("tl.xml"),
                         log),
            0)
      << testing::slurp(log);
  auto checker = TlChecker::create(std::string(TRUSTMON_SOURCE_DIR) + "/tsl/schemas");
  ASSERT_TRUE(checker.ok());
  auto r = checker->check(*xml, signer.cert.get());
  EXPECT_TRUE(r.ok()) << r.error().message;

  // A wrong object label is a clear error, not a crash.
  KeySource missing{"pkcs11:token=tltest;object=nothing;type=private", kModule, "1234"};
  auto bad = load_signing_key(missing);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, "tl_key_unavailable");
}

TEST(KeySourcePinFile, ReadsThePinWithoutTrailingLineEnds) {
  testing::ScratchDir dir;
  ASSERT_TRUE(write_file(dir.file("pin"), "12 34 \r\n\n", 0600).ok());
  auto source = KeySource::from_pin_file("pkcs11:token=t", kModule, dir.file("pin"));
  ASSERT_TRUE(source.ok()) << source.error().message;
  EXPECT_EQ(source->key, "pkcs11:token=t");
  EXPECT_EQ(source->pkcs11_module, kModule);
  EXPECT_EQ(source->pin, "12 34");

  auto none = KeySource::from_pin_file("key.pem", "", "");
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->pin, "");

  auto missing = KeySource::from_pin_file("pkcs11:token=t", kModule, dir.file("absent"));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, "file_unreadable");
}

}  // namespace
}  // namespace trustmon::tsl
