// The test cloud key store's logic (testbed::Ksp) and its keys at rest (ksp_seed.hpp): the
// whole CSC flow for a holder, PKCE S256, one-time codes and tokens, the digest bound at
// authorize (SCAL 2), each identity's outcome, expiry, the caps, and sealed keys that open
// only under their own master key and holder.
#include "responder/testbed/ksp.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <functional>
#include <map>

#include "common/time.hpp"
#include "responder/testbed/ksp_seed.hpp"
#include "responder/testbed/test_ca.hpp"
#include "tests/support/scratch_dir.hpp"

namespace trustmon::testbed {
namespace {

constexpr UnixTime kNow = 1796000000;
const Bytes kMaster(32, 0x42);
constexpr const char* kRedirect = "https://trustmon.example/api/v1/auth/qr/callback?x=1";
// A PKCE pair: the challenge is base64url(SHA-256(verifier)).
constexpr const char* kVerifier = "dBjftJeZ4CK-P8kEWHQWOyYWMkODvWs8SdbddpILDG0";
constexpr const char* kChallenge = "HAL_j51MU6oL9kz9IcS_srJecv0IGvNq_mcxoCz-2tg";

const TestPki& shared_pki() {
  static testing::ScratchDir dir;
  static const TestPki pki = [] {
    auto p = TestPki::open(dir.path() + "/testbed", kNow);
    if (!p) throw std::runtime_error(p.error().message);
    return std::move(*p);
  }();
  return pki;
}

// Every identity with a fresh key and a certificate of the test CA (09: the untrusted CA).
std::vector<KspHolder> make_holders() {
  std::vector<KspHolder> out;
  for (const KspIdentity& identity : ksp_identities()) {
    IssueRequest r;
    r.ca = "test-ecdsa";
    r.rnokpp = identity.rnokpp;
    r.cn = "Тестовий Підписувач";
    r.generate = pki::KeyAlgorithm::ec_p256;
    if (identity.outcome == KspOutcome::untrusted_issuer) r.scenario = Scenario::untrusted_issuer;
    auto made = issue(shared_pki(), r, kNow, "http://127.0.0.1:8080");
    if (!made) throw std::runtime_error(made.error().message);
    auto key = private_key_from_pem(made->private_key_pem);
    if (!key) throw std::runtime_error(key.error().message);
    KspHolder h;
    h.rnokpp = identity.rnokpp;
    h.key = std::move(*key);
    h.certificate = made->certificate.der;
    h.chain.push_back(x509_der(shared_pki().cas().front().ca.cert.get()));
    out.push_back(std::move(h));
  }
  return out;
}

Bytes digest_of(std::string_view text) {
  const Sha256 h = sha256(as_bytes(text));
  return Bytes(h.begin(), h.end());
}

bool verifies(ByteView certificate, ByteView digest, ByteView signature) {
  auto cert = x509_from_der(certificate);
  if (!cert) return false;
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new(X509_get0_pubkey(cert->get()), nullptr));
  return ctx && EVP_PKEY_verify_init(ctx.get()) == 1 && EVP_PKEY_CTX_set_signature_md(ctx.get(), EVP_sha256()) == 1 &&
         EVP_PKEY_verify(ctx.get(), signature.data(), signature.size(), digest.data(), digest.size()) == 1;
}

// The query parameters of a redirect URL.
std::map<std::string, std::string> params_of(const std::string& url) {
  std::map<std::string, std::string> out;
  std::string_view q = url;
  q = q.substr(q.find('?') + 1);
  while (!q.empty()) {
    const auto amp = q.find('&');
    const std::string_view pair = q.substr(0, amp);
    q = amp == std::string_view::npos ? std::string_view() : q.substr(amp + 1);
    const auto eq = pair.find('=');
    out[std::string(pair.substr(0, eq))] = *percent_decode(pair.substr(eq + 1));
  }
  return out;
}

// What trustmon's login asks the store to authorise: holder `rnokpp` signing `document`'s digest.
KspAuthorizeRequest authorize_request(const std::string& rnokpp, std::string_view document = "challenge") {
  KspAuthorizeRequest r;
  r.response_type = "code";
  r.client_id = "trustmon";
  r.redirect_uri = kRedirect;
  r.scope = "credential";
  r.code_challenge = kChallenge;
  r.code_challenge_method = "S256";
  r.state = "st&te 1";
  r.hashes = base64url_encode(digest_of(document));
  r.hash_algorithm_oid = kSha256Oid;
  r.num_signatures = "1";
  r.vc = "1234";
  r.context = "127.0.0.1, Firefox — Київ";
  r.phone = rnokpp;
  return r;
}

class KspTest : public ::testing::Test {
 protected:
  void SetUp() override {
    KspOptions options;
    options.client_secret = "s3cret";
    auto made = Ksp::create(options, kMaster, clock_);
    ASSERT_TRUE(made.ok()) << made.error().message;
    ksp_ = std::move(*made);
    static const std::vector<KspHolder> holders = make_holders();
    std::vector<KspHolder> copy;
    for (const auto& h : holders) {
      EVP_PKEY_up_ref(h.key.get());
      copy.push_back(KspHolder{h.rnokpp, EvpPkeyPtr(h.key.get()), h.certificate, h.chain});
    }
    ASSERT_TRUE(ksp_->install(std::move(copy)).ok());
  }


  // authorize + approve: the redirect URL.
  std::string approved(const std::string& rnokpp, std::string_view document = "challenge") {
    auto p = ksp_->authorize(authorize_request(rnokpp, document));
    EXPECT_TRUE(p.ok()) << p.error().message;
    if (!p) return {};
    auto redirect = ksp_->decide(p->id, KspDecision{"approve", "1234", "0000"});
    EXPECT_TRUE(redirect.ok()) << redirect.error().message;
    return redirect ? *redirect : std::string();
  }
  KspTokenRequest token_request(const std::string& code) {
    return KspTokenRequest{"authorization_code", code, "trustmon", "s3cret", kRedirect, kVerifier};
  }
  // The whole flow up to an access token.
  std::string access_token(const std::string& rnokpp, std::string_view document = "challenge") {
    const auto params = params_of(approved(rnokpp, document));
    auto grant = ksp_->token(token_request(params.at("code")));
    EXPECT_TRUE(grant.ok()) << grant.error().message;
    return grant ? grant->access_token : std::string();
  }
  KspSignRequest sign_request(const std::string& rnokpp, std::string_view document = "challenge") {
    return KspSignRequest{ksp_credential_id(rnokpp), {base64_encode(digest_of(document))}, kSha256Oid,
                          kEcdsaWithSha256Oid};
  }

  FixedClock clock_{kNow};
  std::unique_ptr<Ksp> ksp_;
};

TEST(KspIdentities, TwelveHoldersOneOutcomeEach) {
  const auto& table = ksp_identities();
  ASSERT_EQ(table.size(), 12U);
  for (std::size_t i = 0; i < table.size(); ++i) {
    const std::string nn = std::to_string(i + 1);
    const std::string expected = "55500000" + std::string(2 - nn.size(), '0') + nn;
    EXPECT_EQ(table[i].rnokpp, expected);
    EXPECT_EQ(static_cast<std::size_t>(table[i].outcome), i);
    EXPECT_EQ(find_ksp_identity(expected), &table[i]);
  }
  EXPECT_EQ(find_ksp_identity("3000000001"), nullptr);
  EXPECT_STREQ(ksp_outcome_name(KspOutcome::signs_other_bytes), "signs_other_bytes");
  EXPECT_EQ(ksp_credential_id("5550000001"), "ksp-5550000001");
}

TEST(KspKeys, SealedKeyOpensOnlyUnderItsMasterKeyAndHolder) {
  auto keys = pki::KeyFactory::create();
  ASSERT_TRUE(keys.ok());
  auto key = keys->generate(pki::KeyAlgorithm::ec_p256);
  ASSERT_TRUE(key.ok());
  auto sealed = seal_private_key(kMaster, "5550000001", key->get());
  ASSERT_TRUE(sealed.ok()) << sealed.error().message;
  auto opened = open_private_key(kMaster, "5550000001", *sealed);
  ASSERT_TRUE(opened.ok()) << opened.error().message;
  EXPECT_EQ(EVP_PKEY_eq(opened->get(), key->get()), 1);
  // The private scalar (SEC1 DER: 30 77 02 01 01 04 20 <32 octets> …) is not in the record.
  unsigned char* raw = nullptr;
  const int n = i2d_PrivateKey(key->get(), &raw);
  const OsslBytesPtr der(raw);
  ASSERT_GT(n, 39);
  EXPECT_EQ(std::search(sealed->begin(), sealed->end(), raw + 7, raw + 39), sealed->end());

  const Bytes other(32, 0x43);
  EXPECT_EQ(open_private_key(other, "5550000001", *sealed).error().code, "ksp_key_unreadable");
  EXPECT_EQ(open_private_key(kMaster, "5550000002", *sealed).error().code, "ksp_key_unreadable");
  Bytes altered = *sealed;
  altered[20] ^= 0x01;
  EXPECT_EQ(open_private_key(kMaster, "5550000001", altered).error().code, "ksp_key_unreadable");
  EXPECT_EQ(open_private_key(kMaster, "5550000001", ByteView(sealed->data(), 20)).error().code, "ksp_key_unreadable");
  EXPECT_EQ(open_private_key(Bytes(16, 1), "5550000001", *sealed).error().code, "ksp_master_key_invalid");
  EXPECT_EQ(seal_private_key(Bytes(31, 1), "5550000001", key->get()).error().code, "ksp_master_key_invalid");
  // Two seals of one key differ (a fresh IV each time).
  EXPECT_NE(*seal_private_key(kMaster, "5550000001", key->get()), *sealed);
}

TEST(KspKeys, RecordRoundTripsAndRefusesDamage) {
  const KspKeyRecord r{kKspIdentitiesVersion, Bytes{1, 2, 3}, Bytes{0x30, 0x03, 1, 2, 3}};
  const Bytes value = encode_ksp_record(r);
  auto back = decode_ksp_record(value);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->version, r.version);
  EXPECT_EQ(back->sealed_key, r.sealed_key);
  EXPECT_EQ(back->certificate, r.certificate);
  EXPECT_EQ(decode_ksp_record(ByteView(value.data(), 12)).error().code, "storage_corrupt");
  Bytes other_format = value;
  other_format[0] = 2;
  EXPECT_EQ(decode_ksp_record(other_format).error().code, "storage_corrupt");
  EXPECT_EQ(decode_ksp_record(encode_ksp_record({"v", Bytes{1}, Bytes{}})).error().code, "storage_corrupt");
}

TEST(KspKeys, MasterKeyFileIsMadeOnceWithMode0600AndTheDrawnSecretBeside) {
  testing::ScratchDir dir;
  auto first = load_ksp_master_key(dir.path());
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_EQ(first->size(), 32U);
  struct stat st {};
  ASSERT_EQ(::stat(dir.file(kKspMasterKeyFile).c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600U);
  auto again = load_ksp_master_key(dir.path());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *first);

  FixedClock clock(kNow);
  auto ksp = open_ksp(dir.path(), KspOptions{}, clock);
  ASSERT_TRUE(ksp.ok()) << ksp.error().message;
  EXPECT_GE((*ksp)->client_secret().size(), 43U);
  EXPECT_EQ(*read_file(dir.file(kKspClientSecretFile)), (*ksp)->client_secret());
  ASSERT_EQ(::stat(dir.file(kKspClientSecretFile).c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600U);
  // A second start draws another secret; a configured one is used and not written.
  auto second = open_ksp(dir.path(), KspOptions{}, clock);
  ASSERT_TRUE(second.ok());
  EXPECT_NE((*second)->client_secret(), (*ksp)->client_secret());
  KspOptions configured;
  configured.client_secret = "configured";
  auto third = open_ksp(dir.path(), configured, clock);
  ASSERT_TRUE(third.ok());
  EXPECT_EQ((*third)->client_secret(), "configured");
  EXPECT_EQ(*read_file(dir.file(kKspClientSecretFile)), (*second)->client_secret());

  ASSERT_TRUE(write_file(dir.file(kKspMasterKeyFile), "short", 0600).ok());
  EXPECT_EQ(load_ksp_master_key(dir.path()).error().code, "ksp_master_key_invalid");
}

TEST(KspStore, NothingAnswersBeforeTheHoldersAreInstalled) {
  FixedClock clock(kNow);
  auto ksp = Ksp::create(KspOptions{}, kMaster, clock);
  ASSERT_TRUE(ksp.ok());
  EXPECT_FALSE((*ksp)->ready());
  EXPECT_EQ((*ksp)->identities().error().code, "temporarily_unavailable");
  EXPECT_EQ((*ksp)->authorize(authorize_request("5550000001", "x")).error().code, "temporarily_unavailable");
  EXPECT_EQ(Ksp::create(KspOptions{}, Bytes(8), clock).error().code, "ksp_master_key_invalid");
}

TEST_F(KspTest, TheWholeFlowSignsExactlyTheAuthorisedDigest) {
  auto ids = ksp_->identities();
  ASSERT_TRUE(ids.ok());
  ASSERT_EQ(ids->size(), 12U);
  EXPECT_EQ((*ids)[0].credential_id, "ksp-5550000001");

  auto pending = ksp_->authorize(authorize_request("5550000001"));
  ASSERT_TRUE(pending.ok()) << pending.error().message;
  EXPECT_EQ(pending->rp_name, "trustmon");
  EXPECT_EQ(pending->vc, "1234");
  EXPECT_EQ(pending->expires_at, kNow + 120);
  EXPECT_EQ(pending->id.size(), 22U);  // 128 bits, base64url
  auto listed = ksp_->pending("5550000001");
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1U);
  EXPECT_EQ(listed->front().id, pending->id);
  EXPECT_EQ(listed->front().context, "127.0.0.1, Firefox — Київ");
  EXPECT_TRUE(ksp_->pending("5550000002")->empty());

  auto redirect = ksp_->decide(pending->id, KspDecision{"approve", "1234", "0000"});
  ASSERT_TRUE(redirect.ok()) << redirect.error().message;
  EXPECT_EQ(redirect->rfind(std::string(kRedirect) + "&code=", 0), 0U) << *redirect;
  const auto params = params_of(*redirect);
  EXPECT_EQ(params.at("state"), "st&te 1");
  EXPECT_TRUE(ksp_->pending("5550000001")->empty());

  auto grant = ksp_->token(token_request(params.at("code")));
  ASSERT_TRUE(grant.ok()) << grant.error().message;
  EXPECT_EQ(grant->credential_id, "ksp-5550000001");
  EXPECT_EQ(grant->expires_in, 300);
  auto list = ksp_->credentials(grant->access_token);
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(*list, std::vector<std::string>{"ksp-5550000001"});
  auto info = ksp_->credential_info(grant->access_token, "ksp-5550000001");
  ASSERT_TRUE(info.ok());
  EXPECT_NE(info->subject_dn.find("serialNumber=TINUA-5550000001"), std::string::npos) << info->subject_dn;
  EXPECT_NE(info->issuer_dn.find("TEST Trustmon Qualified CA ECDSA"), std::string::npos) << info->issuer_dn;
  EXPECT_EQ(info->chain.size(), 1U);
  EXPECT_EQ(ksp_->credential_info(grant->access_token, "ksp-5550000002").error().code, "invalid_request");

  auto sigs = ksp_->sign_hash(grant->access_token, sign_request("5550000001"));
  ASSERT_TRUE(sigs.ok()) << sigs.error().message;
  ASSERT_EQ(sigs->size(), 1U);
  EXPECT_TRUE(verifies(info->certificate, digest_of("challenge"), sigs->front()));
  EXPECT_FALSE(verifies(info->certificate, digest_of("other"), sigs->front()));
  // The token signs once; it still lists its credential until it expires.
  EXPECT_EQ(ksp_->sign_hash(grant->access_token, sign_request("5550000001")).error().code, "invalid_request");
  EXPECT_TRUE(ksp_->credentials(grant->access_token).ok());
  clock_.advance(300);
  EXPECT_EQ(ksp_->credentials(grant->access_token).error().code, "invalid_token");
  EXPECT_EQ(ksp_->credentials("").error().code, "invalid_token");
}

TEST_F(KspTest, PkceS256IsRequiredAndChecked) {
  auto r = authorize_request("5550000001");
  r.code_challenge_method = "plain";
  EXPECT_EQ(ksp_->authorize(r).error().code, "invalid_request");
  r.code_challenge_method = "";
  EXPECT_EQ(ksp_->authorize(r).error().code, "invalid_request");
  r = authorize_request("5550000001");
  r.code_challenge = "";
  EXPECT_EQ(ksp_->authorize(r).error().code, "invalid_request");
  r.code_challenge = "short";
  r.code_challenge_method = "S256";
  EXPECT_EQ(ksp_->authorize(r).error().code, "invalid_request");

  // A wrong verifier spends the code: the right one afterwards is too late.
  auto code = params_of(approved("5550000001")).at("code");
  auto wrong = token_request(code);
  wrong.code_verifier = std::string(43, 'a');
  EXPECT_EQ(ksp_->token(wrong).error().code, "invalid_grant");
  EXPECT_EQ(ksp_->token(token_request(code)).error().code, "invalid_grant");
  // A verifier of the wrong shape is refused too.
  code = params_of(approved("5550000001")).at("code");
  wrong = token_request(code);
  wrong.code_verifier = "dBjftJeZ4CK-P8kEWHQWOyYWMkODvWs8SdbddpILDG0!";
  EXPECT_EQ(ksp_->token(wrong).error().code, "invalid_grant");
}

TEST_F(KspTest, CodesAreOneTimeShortLivedAndBoundToTheClientAndRedirect) {
  auto code = params_of(approved("5550000001")).at("code");
  ASSERT_TRUE(ksp_->token(token_request(code)).ok());
  EXPECT_EQ(ksp_->token(token_request(code)).error().code, "invalid_grant");
  EXPECT_EQ(ksp_->token(token_request("never-issued")).error().code, "invalid_grant");

  code = params_of(approved("5550000001")).at("code");
  clock_.advance(60);
  EXPECT_EQ(ksp_->token(token_request(code)).error().code, "invalid_grant");
  clock_.set(kNow);

  code = params_of(approved("5550000001")).at("code");
  auto other_redirect = token_request(code);
  other_redirect.redirect_uri = "https://trustmon.example/other";
  EXPECT_EQ(ksp_->token(other_redirect).error().code, "invalid_grant");

  // Client authentication comes first and does not spend the code.
  code = params_of(approved("5550000001")).at("code");
  auto bad_secret = token_request(code);
  bad_secret.client_secret = "s3cres";
  EXPECT_EQ(ksp_->token(bad_secret).error().code, "invalid_client");
  EXPECT_EQ(ksp_->token(bad_secret).error().kind, ErrorKind::unauthenticated);
  auto bad_client = token_request(code);
  bad_client.client_id = "other";
  EXPECT_EQ(ksp_->token(bad_client).error().code, "invalid_client");
  auto bad_grant = token_request(code);
  bad_grant.grant_type = "client_credentials";
  EXPECT_EQ(ksp_->token(bad_grant).error().code, "unsupported_grant_type");
  auto missing = token_request(code);
  missing.code_verifier.clear();
  EXPECT_EQ(ksp_->token(missing).error().code, "invalid_request");
  EXPECT_TRUE(ksp_->token(token_request(code)).ok());
}

TEST_F(KspTest, SignHashSignsOnlyTheDigestAuthorised) {
  const std::string token = access_token("5550000001", "the challenge");
  auto other = sign_request("5550000001", "another document");
  EXPECT_EQ(ksp_->sign_hash(token, other).error().code, "invalid_request");
  auto two = sign_request("5550000001", "the challenge");
  two.hashes.push_back(two.hashes.front());
  EXPECT_EQ(ksp_->sign_hash(token, two).error().code, "invalid_request");
  auto algo = sign_request("5550000001", "the challenge");
  algo.sign_algo = "1.2.840.113549.1.1.11";
  EXPECT_EQ(ksp_->sign_hash(token, algo).error().code, "invalid_request");
  auto hash_algo = sign_request("5550000001", "the challenge");
  hash_algo.hash_algorithm_oid = "2.16.840.1.101.3.4.2.3";
  EXPECT_EQ(ksp_->sign_hash(token, hash_algo).error().code, "invalid_request");
  auto other_credential = sign_request("5550000001", "the challenge");
  other_credential.credential_id = "ksp-5550000002";
  EXPECT_EQ(ksp_->sign_hash(token, other_credential).error().code, "invalid_request");
  EXPECT_EQ(ksp_->sign_hash("not-a-token", sign_request("5550000001", "the challenge")).error().code, "invalid_token");
  // The refusals did not spend the token; the authorised digest signs once.
  EXPECT_TRUE(ksp_->sign_hash(token, sign_request("5550000001", "the challenge")).ok());

  // authorize takes exactly one SHA-256 digest.
  auto r = authorize_request("5550000001");
  r.hashes += "," + r.hashes;
  EXPECT_EQ(ksp_->authorize(r).error().code, "invalid_request");
  r = authorize_request("5550000001");
  r.hashes = base64url_encode(Bytes(20, 1));
  EXPECT_EQ(ksp_->authorize(r).error().code, "invalid_request");
  r = authorize_request("5550000001");
  r.hash_algorithm_oid = "1.3.14.3.2.26";
  EXPECT_EQ(ksp_->authorize(r).error().code, "invalid_request");
  r = authorize_request("5550000001");
  r.num_signatures = "2";
  EXPECT_EQ(ksp_->authorize(r).error().code, "invalid_request");
}

TEST_F(KspTest, EachIdentityComesOutItsWay) {
  const auto decide = [&](const std::string& rnokpp, const KspDecision& d) {
    auto p = ksp_->authorize(authorize_request(rnokpp));
    EXPECT_TRUE(p.ok()) << rnokpp;
    return ksp_->decide(p->id, d);
  };
  const KspDecision approve{"approve", "1234", "0000"};
  // 02 refuses, whatever the phone's user presses.
  auto r02 = decide("5550000002", approve);
  ASSERT_TRUE(r02.ok());
  auto p02 = params_of(*r02);
  EXPECT_EQ(p02.at("error"), "access_denied");
  EXPECT_EQ(p02.at("error_description"), "user_refused");
  EXPECT_EQ(p02.at("state"), "st&te 1");
  EXPECT_EQ(p02.count("code"), 0U);
  // 03 never answers: 409 timeout, and the approval stays pending.
  auto p03 = ksp_->authorize(authorize_request("5550000003"));
  ASSERT_TRUE(p03.ok());
  auto r03 = ksp_->decide(p03->id, approve);
  EXPECT_EQ(r03.error().code, "timeout");
  EXPECT_EQ(r03.error().kind, ErrorKind::conflict);
  EXPECT_EQ(ksp_->pending("5550000003")->size(), 1U);
  EXPECT_EQ(ksp_->decide(p03->id, KspDecision{"refuse", "", ""}).error().code, "timeout");
  // 04 types a wrong code, even when the right one is sent.
  EXPECT_EQ(params_of(*decide("5550000004", approve)).at("error_description"), "wrong_vc");
  // Anyone else: a wrong code, or a refusal, is that.
  EXPECT_EQ(params_of(*decide("5550000001", KspDecision{"approve", "4321", ""})).at("error_description"), "wrong_vc");
  EXPECT_EQ(params_of(*decide("5550000001", KspDecision{"refuse", "1234", ""})).at("error_description"),
            "user_refused");
  EXPECT_EQ(decide("5550000001", KspDecision{"maybe", "1234", ""}).error().code, "invalid_request");
  // 05, 06, 07, 09, 10 and 11 approve and sign normally (the relying party must refuse some).
  for (const char* rnokpp : {"5550000005", "5550000006", "5550000007", "5550000009", "5550000010", "5550000011"}) {
    const std::string token = access_token(rnokpp);
    auto sig = ksp_->sign_hash(token, sign_request(rnokpp));
    ASSERT_TRUE(sig.ok()) << rnokpp;
    auto info = ksp_->credential_info(token, ksp_credential_id(rnokpp));
    ASSERT_TRUE(info.ok());
    EXPECT_TRUE(verifies(info->certificate, digest_of("challenge"), sig->front())) << rnokpp;
  }
  // 08 signs other bytes: a valid signature, over a different digest.
  const std::string token08 = access_token("5550000008");
  auto sig08 = ksp_->sign_hash(token08, sign_request("5550000008"));
  ASSERT_TRUE(sig08.ok());
  auto info08 = ksp_->credential_info(token08, "ksp-5550000008");
  EXPECT_FALSE(verifies(info08->certificate, digest_of("challenge"), sig08->front()));
  std::string prefixed = "trustmon-ksp: other bytes|";
  const Bytes d = digest_of("challenge");
  prefixed.append(reinterpret_cast<const char*>(d.data()), d.size());
  EXPECT_TRUE(verifies(info08->certificate, digest_of(prefixed), sig08->front()));
}

TEST_F(KspTest, AnApprovalIsDecidedOnceAndExpires) {
  auto p = ksp_->authorize(authorize_request("5550000001"));
  ASSERT_TRUE(p.ok());
  ASSERT_TRUE(ksp_->decide(p->id, KspDecision{"refuse", "", ""}).ok());
  auto again = ksp_->decide(p->id, KspDecision{"approve", "1234", ""});
  EXPECT_EQ(again.error().code, "already_decided");
  EXPECT_EQ(again.error().kind, ErrorKind::conflict);

  auto late = ksp_->authorize(authorize_request("5550000001"));
  ASSERT_TRUE(late.ok());
  clock_.advance(119);
  EXPECT_EQ(ksp_->pending("5550000001")->size(), 1U);
  clock_.advance(1);
  EXPECT_TRUE(ksp_->pending("5550000001")->empty());
  auto expired = ksp_->decide(late->id, KspDecision{"approve", "1234", ""});
  EXPECT_EQ(expired.error().code, "not_found");
  EXPECT_EQ(expired.error().kind, ErrorKind::not_found);
  EXPECT_EQ(ksp_->decide("no-such-id", KspDecision{"approve", "1234", ""}).error().code, "not_found");
}

TEST_F(KspTest, PendingApprovalsAreListedNewestFirst) {
  auto first = ksp_->authorize(authorize_request("5550000011"));
  auto second = ksp_->authorize(authorize_request("5550000011"));
  clock_.advance(1);
  auto third = ksp_->authorize(authorize_request("5550000011"));
  auto list = ksp_->pending("5550000011");
  ASSERT_EQ(list->size(), 3U);
  EXPECT_EQ((*list)[0].id, third->id);
  EXPECT_EQ((*list)[1].id, second->id);
  EXPECT_EQ((*list)[2].id, first->id);
  EXPECT_EQ((*list)[0].created, kNow + 1);
  EXPECT_EQ(ksp_->pending("55500000").error().code, "invalid_request");
}

TEST_F(KspTest, TheHolderIsThePhonesElseTheLoginHint) {
  auto r = authorize_request("5550000002");
  r.login_hint = "5550000001";
  EXPECT_EQ(ksp_->authorize(r)->rnokpp, "5550000002");
  r.phone.clear();
  EXPECT_EQ(ksp_->authorize(r)->rnokpp, "5550000001");
  r.login_hint.clear();
  EXPECT_EQ(ksp_->authorize(r).error().code, "invalid_request");
  r.phone = "3000000001";  // the test CA's identity, not a key store holder
  EXPECT_EQ(ksp_->authorize(r).error().code, "invalid_request");
  r.phone = "5550000001";
  r.credential_id = "ksp-5550000002";
  EXPECT_EQ(ksp_->authorize(r).error().code, "invalid_request");
  r.credential_id = "ksp-5550000001";
  EXPECT_TRUE(ksp_->authorize(r).ok());
}

TEST_F(KspTest, EveryParameterIsChecked) {
  const auto code = [&](const std::function<void(KspAuthorizeRequest&)>& change) {
    auto r = authorize_request("5550000001");
    change(r);
    auto p = ksp_->authorize(r);
    return p.ok() ? std::string("ok") : p.error().code;
  };
  EXPECT_EQ(code([](auto&) {}), "ok");
  EXPECT_EQ(code([](auto& r) { r.client_id = "someone"; }), "invalid_client");
  EXPECT_EQ(code([](auto& r) { r.response_type = "token"; }), "unsupported_response_type");
  EXPECT_EQ(code([](auto& r) { r.scope = "service"; }), "invalid_scope");
  EXPECT_EQ(code([](auto& r) { r.redirect_uri = "ftp://example/cb"; }), "invalid_request");
  EXPECT_EQ(code([](auto& r) { r.redirect_uri = "https://example/cb#frag"; }), "invalid_request");
  EXPECT_EQ(code([](auto& r) { r.redirect_uri = "https:///cb"; }), "invalid_request");
  EXPECT_EQ(code([](auto& r) { r.redirect_uri = "https://example/a b"; }), "invalid_request");
  EXPECT_EQ(code([](auto& r) { r.redirect_uri = "https://example/" + std::string(2048, 'a'); }), "invalid_request");
  EXPECT_EQ(code([](auto& r) { r.redirect_uri = "http://127.0.0.1:8080/cb"; }), "ok");
  EXPECT_EQ(code([](auto& r) { r.vc = "12345"; }), "invalid_request");
  EXPECT_EQ(code([](auto& r) { r.vc = "12a4"; }), "invalid_request");
  EXPECT_EQ(code([](auto& r) { r.context = std::string(200, 'x'); }), "ok");
  EXPECT_EQ(code([](auto& r) { r.context = std::string(201, 'x'); }), "invalid_request");
  EXPECT_EQ(code([](auto& r) {
              r.context.clear();
              for (int i = 0; i < 200; ++i) r.context += "ї";
            }),
            "ok");
  EXPECT_EQ(code([](auto& r) { r.context = "line\nbreak"; }), "invalid_request");
  EXPECT_EQ(code([](auto& r) { r.context = "\xff"; }), "invalid_request");
  EXPECT_EQ(code([](auto& r) { r.state = std::string(513, 's'); }), "invalid_request");
  EXPECT_EQ(code([](auto& r) { r.state = "tab\there"; }), "invalid_request");
  EXPECT_EQ(code([](auto& r) { r.state = ""; }), "ok");
  EXPECT_EQ(code([](auto& r) { r.login_hint = std::string(257, '5'); }), "invalid_request");
  // Without a state the redirect carries none.
  auto r = authorize_request("5550000001");
  r.state.clear();
  auto p = ksp_->authorize(r);
  auto redirect = ksp_->decide(p->id, KspDecision{"approve", "1234", ""});
  EXPECT_EQ(params_of(*redirect).count("state"), 0U);
}

TEST_F(KspTest, TablesAreCappedAndExpiredEntriesMakeRoom) {
  auto r = authorize_request("5550000010");
  for (std::size_t i = 0; i < kKspMaxEntries; ++i) ASSERT_TRUE(ksp_->authorize(r).ok()) << i;
  auto full = ksp_->authorize(r);
  EXPECT_EQ(full.error().code, "temporarily_unavailable");
  EXPECT_EQ(full.error().kind, ErrorKind::unavailable);
  EXPECT_EQ(ksp_->counts().pending, kKspMaxEntries);
  clock_.advance(120);
  ASSERT_TRUE(ksp_->authorize(r).ok());
  EXPECT_EQ(ksp_->counts().pending, 1U);
}

}  // namespace
}  // namespace trustmon::testbed
