// Trusted list: build + sign + check of a generated list with 50 providers and 500
// services (each with its own certificate), RSA-2048 signer. The peer, measured in the
// same run on the same signed file, is the command-line check a relying party would
// do: `xmllint --nonet --schema tl-v6-all.xsd` + `xmlsec1 --verify` (process start
// included, as that is what the peer costs).
#include <benchmark/benchmark.h>

#include <string>

#include "tests/unit/tsl/test_material.hpp"
#include "tsl/checker.hpp"
#include "tsl/signer.hpp"
#include "tsl/xml_writer.hpp"

namespace {

using namespace trustmon;
using namespace trustmon::tsl;
namespace testing = trustmon::tsl::testing;

struct Setup {
  TrustedList list = testing::make_list(50, 500);
  testing::TestSigner key = testing::make_signer(testing::KeyKind::rsa);
  TlSigner signer = TlSigner::create(EvpPkeyPtr(EVP_PKEY_dup(key.key.get())), X509Ptr(X509_dup(key.cert.get()))).value();
  TlChecker checker = TlChecker::create(kDefaultSchemaDir).value();
  std::string signed_xml;
  testing::ScratchDir dir;
  Setup() {
    auto doc = build_document(list);
    (void)signer.sign(doc->get(), 6, 1795000000);
    signed_xml = serialize_xml(doc->get()).value();
    (void)write_file(dir.file("tl.xml"), signed_xml);
    (void)write_file(dir.file("signer.pem"), testing::cert_pem(key.cert.get()));
  }
};

Setup& setup() {
  static Setup s;
  return s;
}

void BM_TslBuildSignCheck(benchmark::State& state) {
  Setup& s = setup();
  for (auto _ : state) {
    auto doc = build_document(s.list);
    if (!doc || !s.signer.sign(doc->get(), 6, 1795000000).ok()) state.SkipWithError("sign failed");
    auto xml = serialize_xml(doc->get());
    if (!xml || !s.checker.check(*xml, s.signer.certificate()).ok()) state.SkipWithError("check failed");
    benchmark::DoNotOptimize(xml);
  }
  state.counters["bytes"] = static_cast<double>(s.signed_xml.size());
}
BENCHMARK(BM_TslBuildSignCheck)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_TslBuild(benchmark::State& state) {
  Setup& s = setup();
  for (auto _ : state) {
    auto doc = build_document(s.list);
    benchmark::DoNotOptimize(doc);
  }
}
BENCHMARK(BM_TslBuild)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_TslSign(benchmark::State& state) {
  Setup& s = setup();
  for (auto _ : state) {
    state.PauseTiming();
    auto doc = build_document(s.list);
    state.ResumeTiming();
    if (!s.signer.sign(doc->get(), 6, 1795000000).ok()) state.SkipWithError("sign failed");
  }
}
BENCHMARK(BM_TslSign)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_TslCheck(benchmark::State& state) {
  Setup& s = setup();
  for (auto _ : state)
    if (!s.checker.check(s.signed_xml, s.signer.certificate()).ok()) state.SkipWithError("check failed");
}
BENCHMARK(BM_TslCheck)->Unit(benchmark::kMillisecond)->UseRealTime();

// Peer: the same check with the command-line tools on the same file.
void BM_PeerXmllintXmlsec1(benchmark::State& state) {
  Setup& s = setup();
  const std::string cmd = std::string("xmllint --nonet --noout --schema ") + kDefaultSchemaDir + "/tl-v6-all.xsd " +
                          s.dir.file("tl.xml") + " >/dev/null 2>&1 && xmlsec1 --verify --pubkey-cert-pem " +
                          s.dir.file("signer.pem") +
                          " --enabled-key-data key-name --enabled-reference-uris empty,same-doc " + s.dir.file("tl.xml") +
                          " >/dev/null 2>&1";
  for (auto _ : state)
    if (std::system(cmd.c_str()) != 0) state.SkipWithError("peer check failed");
}
BENCHMARK(BM_PeerXmllintXmlsec1)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
