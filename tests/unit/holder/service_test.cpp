// The holder's requests against a real LMDB environment, Writer and CSR service, with
// certificates and CMS signatures made here: the checks of a renewal (signature, signer,
// identifiers, subject, key), filing (provider, uniqueness, pending), decisions, the
// revocation request, and the key ledger closing both from the registry's jobs.
#include <gtest/gtest.h>

#include <openssl/cms.h>
#include <openssl/x509.h>

#include <future>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.hpp"
#include "responder/access/model.hpp"
#include "responder/csr/service.hpp"
#include "responder/holder/ledger.hpp"
#include "responder/holder/service.hpp"
#include "responder/pki/key_fingerprint.hpp"
#include "responder/registry/der_store.hpp"
#include "storage/event_log.hpp"
#include "storage/records.hpp"
#include "storage/writer.hpp"
#include "tests/support/temp_env.hpp"
#include "tests/support/test_pki.hpp"

namespace trustmon::holder {
namespace {

using nlohmann::json;
using trustmon::testing::generate_key;
using trustmon::testing::KeyType;
using trustmon::testing::shared_test_pki;

constexpr std::uint32_t kIssuer = 1;
constexpr std::uint32_t kProvider = 5;

struct Rdn {
  const char* field;
  std::string value;
};
using Subject = std::vector<Rdn>;

const Subject kOlena = {{"C", "UA"}, {"SN", "Тестенко"}, {"GN", "Олена"}, {"CN", "Тестенко Олена"},
                        {"serialNumber", "TINUA-2345678901"}};
const Subject kOther = {{"C", "UA"}, {"CN", "Інша Особа"}, {"serialNumber", "TINUA-9999999999"}};

X509NamePtr make_name(const Subject& rdns) {
  X509NamePtr name(X509_NAME_new());
  for (const Rdn& r : rdns)
    X509_NAME_add_entry_by_txt(name.get(), r.field, MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(r.value.data()),
                               static_cast<int>(r.value.size()), -1, 0);
  return name;
}

X509Ptr make_cert(EVP_PKEY* key, const Subject& subject, std::uint8_t serial) {
  const auto& pki = shared_test_pki();
  X509Ptr cert(X509_new());
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), serial);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 86400 * 365);
  X509_set_subject_name(cert.get(), make_name(subject).get());
  X509_set_issuer_name(cert.get(), X509_get_subject_name(pki.ca_ec.get()));
  X509_set_pubkey(cert.get(), key);
  EXPECT_GT(X509_sign(cert.get(), pki.ca_ec_key.get(), EVP_sha256()), 0);
  return cert;
}

Bytes csr_der(EVP_PKEY* key, X509_NAME* subject) {
  X509ReqPtr req(X509_REQ_new());
  X509_REQ_set_version(req.get(), 0);
  X509_REQ_set_subject_name(req.get(), subject);
  X509_REQ_set_pubkey(req.get(), key);
  EXPECT_GT(X509_REQ_sign(req.get(), key, EVP_sha256()), 0);
  unsigned char* out = nullptr;
  const int n = i2d_X509_REQ(req.get(), &out);
  Bytes der(out, out + n);
  OPENSSL_free(out);
  return der;
}

// What `openssl cms -sign -binary -nodetach -outform DER` makes.
Bytes cms_sign(X509* cert, EVP_PKEY* key, ByteView content) {
  BioPtr in(BIO_new_mem_buf(content.data(), static_cast<int>(content.size())));
  CMS_ContentInfo* cms = CMS_sign(cert, key, nullptr, in.get(), CMS_BINARY);
  EXPECT_NE(cms, nullptr);
  unsigned char* out = nullptr;
  const int n = i2d_CMS_ContentInfo(cms, &out);
  Bytes der(out, out + n);
  OPENSSL_free(out);
  CMS_ContentInfo_free(cms);
  return der;
}

Bytes as_der(X509* cert) { return x509_der(cert); }

struct Holder {
  EvpPkeyPtr key;
  X509Ptr cert;
  CertRef ref;
};

class HolderServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    env_ = storage::testing::open_env(dir_.path(), std::size_t{64} << 20);
    ASSERT_TRUE(env_);
    storage::WriterOptions wo;
    wo.max_delay = std::chrono::microseconds(200);
    writer_ = std::make_unique<storage::Writer>(*env_, wo);
    writer_->start();
    ASSERT_TRUE(issuers_.add(kIssuer, "test-ec", trustmon::testing::dup_cert(shared_test_pki().ca_ec.get())).ok());
    csr_ = std::make_unique<csr::CsrService>(*env_, *writer_, clock_);
    service_ = std::make_unique<RequestService>(*writer_, issuers_, *csr_, clock_);
    ledger_ = std::make_unique<RequestLedger>(*csr_, issuers_);
    olena_ = holder(kOlena, 0x10);
  }
  void TearDown() override {
    if (writer_) writer_->stop();
  }

  // A certificate of `subject` with a new key, stored as good (status, DER) in the store.
  Holder holder(const Subject& subject, std::uint8_t serial) {
    Holder h;
    h.key = generate_key(KeyType::p256);
    h.cert = make_cert(h.key.get(), subject, serial);
    const Bytes der = as_der(h.cert.get());
    h.ref = CertRef{kIssuer, Bytes{serial}, sha256(der)};
    storage::CertRecord rec;
    rec.not_before = clock_.now() - 3600;
    rec.not_after = clock_.now() + 86400 * 365;
    rec.cert_sha256 = h.ref.sha256;
    rec.has_der = true;
    rec.der_id = ++der_ids_;
    run([&](storage::WriteTxn& txn) -> Status {
      Status s = txn.put(storage::Table::certs, storage::encode_cert_key(kIssuer, h.ref.serial), storage::encode_cert(rec));
      if (s) s = txn.put(storage::Table::cert_der, registry::der_key(rec.der_id), der);
      return s;
    });
    return h;
  }
  void add_provider() {
    access::ParticipantRecord p;
    p.id = kProvider;
    p.kind = access::ParticipantKind::qtsp;
    p.name = "QTSP";
    p.code = "11111111";
    p.issuers = {kIssuer};
    run([&](storage::WriteTxn& txn) {
      return txn.put(storage::Table::participants, access::id_key(p.id), access::encode_participant(p));
    });
  }
  void revoke_stored(const CertRef& c, int reason) {
    run([&](storage::WriteTxn& txn) -> Status {
      const Bytes key = storage::encode_cert_key(c.issuer, c.serial);
      auto got = txn.get(storage::Table::certs, key);
      if (!got || !*got) return make_error(ErrorKind::internal, "missing", "no record");
      auto rec = storage::decode_cert(**got);
      rec->status = storage::CertStatus::revoked;
      rec->reason = reason;
      rec->revocation_time = clock_.now();
      return txn.put(storage::Table::certs, key, storage::encode_cert(*rec));
    });
  }
  template <typename Fn>
  void run(Fn fn) {
    Status s = writer_->run_sync(fn);
    ASSERT_TRUE(s.ok()) << s.error().message;
  }
  HolderRef ref_of(const Subject& subject) {
    HolderRef r;
    r.name = subject[subject.size() - 2].value;
    r.identifiers = {{"serial_number", subject.back().value}};
    r.actor.holder = subject.back().value;
    r.actor.issuers = std::vector<std::uint32_t>{};
    return r;
  }
  Reviewer provider() {
    Reviewer r;
    r.actor.participant = kProvider;
    r.actor.representative = 2;
    r.actor.credential = 3;
    r.actor.issuers = std::vector<std::uint32_t>{kIssuer};
    r.issuers = {kIssuer};
    return r;
  }

  Result<RenewalDraft> check_renewal(ByteView signed_request, const HolderRef& who, json* details = nullptr) {
    auto txn = storage::ReadTxn::begin(*env_);
    EXPECT_TRUE(txn.ok());
    storage::ReadScope scope(*txn);
    return service_->check_renewal(*txn, signed_request, who, details);
  }
  Result<RevocationDraft> check_request(ByteView signed_request, const HolderRef& who) {
    auto txn = storage::ReadTxn::begin(*env_);
    EXPECT_TRUE(txn.ok());
    storage::ReadScope scope(*txn);
    return service_->check_revocation_request(*txn, signed_request, who);
  }
  template <typename T, typename Call>
  Result<T> wait(Call call) {
    std::promise<Result<T>> p;
    auto f = p.get_future();
    call([&p](Result<T> r) { p.set_value(std::move(r)); });
    return f.get();
  }
  Result<RenewalRecord> file(RenewalDraft d, const HolderRef& who) {
    return wait<RenewalRecord>([&](auto done) { service_->file_renewal(std::move(d), who, done); });
  }
  Result<RevocationRequestRecord> file(RevocationDraft d, const HolderRef& who) {
    return wait<RevocationRequestRecord>([&](auto done) { service_->file_revocation_request(std::move(d), who, done); });
  }
  Result<RenewalRecord> decide(RequestNumber n, Decide d, const Reviewer& who) {
    return wait<RenewalRecord>([&](auto done) { service_->decide_renewal(n, d, "because", who, done); });
  }
  // A renewal request of `h` for a new key and `subject` (the holder's own by default).
  Bytes renewal_request(const Holder& h, EVP_PKEY* new_key, const Subject* subject = nullptr) {
    const Bytes csr = csr_der(new_key, subject ? make_name(*subject).get() : X509_get_subject_name(h.cert.get()));
    return cms_sign(h.cert.get(), h.key.get(), csr);
  }
  std::optional<RenewalRecord> stored_renewal(RequestNumber n) {
    auto txn = storage::ReadTxn::begin(*env_);
    storage::ReadScope scope(*txn);
    auto r = RequestService::renewal(*txn, n);
    EXPECT_TRUE(r.ok());
    return r.ok() ? *r : std::nullopt;
  }
  std::optional<RevocationRequestRecord> stored_request(RequestNumber n) {
    auto txn = storage::ReadTxn::begin(*env_);
    storage::ReadScope scope(*txn);
    auto r = RequestService::revocation_request(*txn, n);
    EXPECT_TRUE(r.ok());
    return r.ok() ? *r : std::nullopt;
  }
  std::optional<Bytes> index_value(IndexKind kind, ByteView key) {
    auto txn = storage::ReadTxn::begin(*env_);
    storage::ReadScope scope(*txn);
    auto got = txn->get(storage::Table::holder_index, index_key(kind, key));
    if (!got || !*got) return std::nullopt;
    return to_bytes(**got);
  }
  std::vector<storage::EventRecord> events(std::string_view type) {
    std::vector<storage::EventRecord> out;
    auto txn = storage::ReadTxn::begin(*env_);
    storage::ReadScope scope(*txn);
    auto cur = storage::Cursor::open(*txn, storage::Table::events);
    for (auto at = cur->first(); at.ok() && *at; at = cur->next()) {
      auto e = storage::decode_event(cur->key(), cur->value());
      if (e.ok() && e->type == type) out.push_back(*e);
    }
    return out;
  }
  std::optional<csr::Reservation> reservation(std::uint64_t id) {
    auto txn = storage::ReadTxn::begin(*env_);
    storage::ReadScope scope(*txn);
    auto r = csr_->get(*txn, id);
    return r.ok() ? *r : std::nullopt;
  }
  // What the registry's ingest job tells the ledger about a new certificate.
  void ingest(const Bytes& spki_key_owner_der, std::uint32_t issuer, std::uint8_t serial) {
    auto view = pki::parse_cert_view(spki_key_owner_der);
    ASSERT_TRUE(view.has_value());
    const Bytes cert_key = storage::encode_cert_key(issuer, Bytes{serial});
    registry::StoredKey key{pki::key_fingerprint(*view), sha256(spki_key_owner_der), kProvider, issuer, Sha256{},
                            cert_key};
    run([&](storage::WriteTxn& txn) -> Status {
      auto r = ledger_->certificate_stored(txn, key, clock_.now(), "p5/r2/c3");
      if (!r) return std::move(r).error();
      return {};
    });
  }

  storage::testing::TempDir dir_;
  SystemClock clock_;
  std::unique_ptr<storage::Env> env_;
  std::unique_ptr<storage::Writer> writer_;
  pki::IssuerSet issuers_;
  std::unique_ptr<csr::CsrService> csr_;
  std::unique_ptr<RequestService> service_;
  std::unique_ptr<RequestLedger> ledger_;
  std::uint64_t der_ids_ = 0;
  Holder olena_;
};

TEST_F(HolderServiceTest, RenewalWithUnchangedDataIsFiledForTheProvider) {
  add_provider();
  EvpPkeyPtr next = generate_key(KeyType::p256);
  auto draft = check_renewal(renewal_request(olena_, next.get()), ref_of(kOlena));
  ASSERT_TRUE(draft.ok()) << draft.error().code << ": " << draft.error().message;
  EXPECT_EQ(draft->current, olena_.ref);
  auto filed = file(std::move(*draft), ref_of(kOlena));
  ASSERT_TRUE(filed.ok()) << filed.error().code;
  EXPECT_EQ(filed->number, 1U);
  EXPECT_EQ(filed->state, RenewalState::submitted);
  EXPECT_EQ(filed->participant, kProvider);
  EXPECT_EQ(filed->filed_by, "holder:TINUA-2345678901");
  // The CSR is reserved for the provider, for its issuer.
  auto res = reservation(filed->reservation);
  ASSERT_TRUE(res.has_value());
  EXPECT_EQ(res->participant, kProvider);
  EXPECT_EQ(res->issuer, kIssuer);
  EXPECT_EQ(res->state, csr::ReservationState::reserved);
  EXPECT_EQ(res->spki_sha256, filed->spki_sha256);
  // The event names the issuer and the provider (what the watch matcher reads).
  auto ev = events("renewal.requested");
  ASSERT_EQ(ev.size(), 1U);
  EXPECT_EQ(ev[0].actor, "holder:TINUA-2345678901");
  const json payload = json::parse(ev[0].payload);
  EXPECT_EQ(payload["target"]["issuer"], "test-ec");
  EXPECT_EQ(payload["target"]["participant"], kProvider);
  EXPECT_EQ(payload["target"]["number"], "RN-000001");
  EXPECT_EQ(payload["target"]["certificate"]["serial"], "10");
  EXPECT_EQ(payload["target"]["identifiers"][0]["value"], "TINUA-2345678901");
  EXPECT_EQ(events("csr.reserved").size(), 1U);
  // Open: a second renewal of the same certificate waits for the first.
  EvpPkeyPtr third = generate_key(KeyType::p256);
  auto again = check_renewal(renewal_request(olena_, third.get()), ref_of(kOlena));
  ASSERT_TRUE(again.ok());
  auto pending = file(std::move(*again), ref_of(kOlena));
  ASSERT_FALSE(pending.ok());
  EXPECT_EQ(pending.error().code, "renewal_pending");
  EXPECT_EQ(events("renewal.refused").size(), 1U);
  EXPECT_FALSE(reservation(filed->reservation + 1).has_value());  // the refusal reserved nothing
}

TEST_F(HolderServiceTest, RenewalChecksRefuseWithStableCodes) {
  add_provider();
  EvpPkeyPtr next = generate_key(KeyType::p256);
  const HolderRef me = ref_of(kOlena);
  // A changed surname.
  Subject married = kOlena;
  married[1].value = "Іваненко";
  json details;
  auto changed = check_renewal(renewal_request(olena_, next.get(), &married), me, &details);
  ASSERT_FALSE(changed.ok());
  EXPECT_EQ(changed.error().code, "subject_changed");
  EXPECT_EQ(changed.error().kind, ErrorKind::unprocessable);
  EXPECT_EQ(details["attribute"], "surname");
  EXPECT_EQ(details["position"], 1);
  // The current key again.
  auto same = check_renewal(renewal_request(olena_, olena_.key.get()), me);
  ASSERT_FALSE(same.ok());
  EXPECT_EQ(same.error().code, "key_reused");
  // Someone else's certificate.
  Holder other = holder(kOther, 0x20);
  auto theirs = check_renewal(renewal_request(other, next.get()), me);
  ASSERT_FALSE(theirs.ok());
  EXPECT_EQ(theirs.error().code, "not_your_certificate");
  // Bytes that are no CMS, and a CMS whose content was changed.
  EXPECT_EQ(check_renewal(Bytes{1, 2, 3}, me).error().code, "cms_malformed");
  // A revoked, a held and an unknown signer.
  revoke_stored(olena_.ref, 1);
  EXPECT_EQ(check_renewal(renewal_request(olena_, next.get()), me).error().code, "certificate_revoked");
  Holder held = holder(kOlena, 0x11);
  revoke_stored(held.ref, storage::kReasonCertificateHold);
  EXPECT_EQ(check_renewal(renewal_request(held, next.get()), me).error().code, "certificate_held");
  Holder unknown;
  unknown.key = generate_key(KeyType::p256);
  unknown.cert = make_cert(unknown.key.get(), kOlena, 0x12);
  EXPECT_EQ(check_renewal(renewal_request(unknown, next.get()), me).error().code, "certificate_unknown");
  // Not a CSR inside.
  Holder fresh = holder(kOlena, 0x13);
  const std::string text = "not a request";
  EXPECT_EQ(check_renewal(cms_sign(fresh.cert.get(), fresh.key.get(), as_bytes(text)), me).error().code,
            "csr_malformed");
}

TEST_F(HolderServiceTest, RenewalNeedsAProviderAndANewUnusedKey) {
  EvpPkeyPtr next = generate_key(KeyType::p256);
  auto draft = check_renewal(renewal_request(olena_, next.get()), ref_of(kOlena));
  ASSERT_TRUE(draft.ok());
  auto none = file(*draft, ref_of(kOlena));
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().code, "no_provider");
  add_provider();
  // The new key is already another certificate's (the national uniqueness check).
  Holder other = holder(kOther, 0x20);
  ingest(as_der(other.cert.get()), kIssuer, 0x20);
  auto reused = check_renewal(renewal_request(olena_, other.key.get()), ref_of(kOlena));
  ASSERT_TRUE(reused.ok()) << reused.error().code;
  auto refused = file(std::move(*reused), ref_of(kOlena));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, "key_already_used");
  EXPECT_EQ(refused.error().kind, ErrorKind::conflict);
}

TEST_F(HolderServiceTest, DecisionsAndIssuanceFollowTheStates) {
  add_provider();
  EvpPkeyPtr next = generate_key(KeyType::p256);
  auto draft = check_renewal(renewal_request(olena_, next.get()), ref_of(kOlena));
  ASSERT_TRUE(draft.ok());
  auto filed = file(std::move(*draft), ref_of(kOlena));
  ASSERT_TRUE(filed.ok());
  // Another provider does not see it.
  Reviewer stranger = provider();
  stranger.issuers = {9};
  EXPECT_EQ(decide(1, Decide::accept, stranger).error().code, "renewal_not_found");
  auto accepted = decide(1, Decide::accept, provider());
  ASSERT_TRUE(accepted.ok()) << accepted.error().code;
  EXPECT_EQ(accepted->state, RenewalState::accepted);
  ASSERT_TRUE(accepted->decision.has_value());
  EXPECT_EQ(accepted->decision->by, "p5/r2/c3");
  EXPECT_TRUE(decide(1, Decide::accept, provider()).ok());  // again: nothing changes
  EXPECT_EQ(events("renewal.accepted").size(), 1U);
  // The provider issues: a certificate over the new key for the same issuer.
  X509Ptr renewed = make_cert(next.get(), kOlena, 0x30);
  ingest(as_der(renewed.get()), kIssuer, 0x30);
  auto issued = stored_renewal(1);
  ASSERT_TRUE(issued.has_value());
  EXPECT_EQ(issued->state, RenewalState::issued);
  EXPECT_EQ(issued->issued.serial, Bytes{0x30});
  EXPECT_EQ(issued->issued.sha256, sha256(as_der(renewed.get())));
  const Bytes old_key = storage::encode_cert_key(kIssuer, olena_.ref.serial);
  const Bytes new_key = storage::encode_cert_key(kIssuer, Bytes{0x30});
  EXPECT_EQ(index_value(kReplacedBy, old_key), new_key);
  EXPECT_EQ(index_value(kReplaces, new_key), old_key);
  EXPECT_FALSE(index_value(kRenewalByCurrent, old_key).has_value());
  EXPECT_FALSE(index_value(kRenewalByKey, issued->spki_sha256).has_value());
  EXPECT_EQ(events("renewal.issued").size(), 1U);
  EXPECT_EQ(reservation(issued->reservation)->state, csr::ReservationState::issued);
  // Closed: no decision applies any more.
  EXPECT_EQ(decide(1, Decide::reject, provider()).error().code, "renewal_closed");
}

TEST_F(HolderServiceTest, ARejectionFreesTheKeyAndAnotherIssuerDoesNotIssue) {
  add_provider();
  EvpPkeyPtr next = generate_key(KeyType::p256);
  auto filed = file(*check_renewal(renewal_request(olena_, next.get()), ref_of(kOlena)), ref_of(kOlena));
  ASSERT_TRUE(filed.ok());
  // A certificate over the key from another issuer is not this renewal's.
  X509Ptr elsewhere = make_cert(next.get(), kOlena, 0x31);
  ingest(as_der(elsewhere.get()), 2, 0x31);
  EXPECT_EQ(stored_renewal(1)->state, RenewalState::submitted);
  auto rejected = decide(1, Decide::reject, provider());
  ASSERT_TRUE(rejected.ok());
  EXPECT_EQ(rejected->state, RenewalState::rejected);
  EXPECT_EQ(reservation(rejected->reservation)->state, csr::ReservationState::released);
  EXPECT_TRUE(decide(1, Decide::reject, provider()).ok());  // the same decision again
  EXPECT_EQ(decide(1, Decide::accept, provider()).error().code, "renewal_closed");
  // The certificate may be renewed anew.
  EvpPkeyPtr another = generate_key(KeyType::p256);
  auto second = file(*check_renewal(renewal_request(olena_, another.get()), ref_of(kOlena)), ref_of(kOlena));
  ASSERT_TRUE(second.ok()) << second.error().code;
  EXPECT_EQ(second->number, 2U);
}

TEST_F(HolderServiceTest, RevocationRequestIsFiledAndClosedByTheRevocation) {
  add_provider();
  Holder second = holder(kOlena, 0x40);
  const auto request_for = [&](const Holder& signer, const CertRef& target, const std::string& reason) {
    const std::string doc = json{{"issuer", "test-ec"}, {"serial", hex_encode(target.serial, true)}, {"reason", reason}}.dump();
    return cms_sign(signer.cert.get(), signer.key.get(), as_bytes(doc));
  };
  // Signed with one certificate, about another one of the holder's.
  auto draft = check_request(request_for(olena_, second.ref, "keyCompromise"), ref_of(kOlena));
  ASSERT_TRUE(draft.ok()) << draft.error().code << ": " << draft.error().message;
  EXPECT_EQ(draft->target, second.ref);
  EXPECT_EQ(draft->signer, olena_.ref);
  auto filed = file(std::move(*draft), ref_of(kOlena));
  ASSERT_TRUE(filed.ok()) << filed.error().code;
  EXPECT_EQ(filed->number, 1U);
  EXPECT_EQ(revocation_request_number(filed->number), "RR-000001");
  auto ev = events("revocation.requested");
  ASSERT_EQ(ev.size(), 1U);
  EXPECT_EQ(json::parse(ev[0].payload)["target"]["participant"], kProvider);
  // A second request for it waits.
  auto again = check_request(request_for(olena_, second.ref, "superseded"), ref_of(kOlena));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(file(std::move(*again), ref_of(kOlena)).error().code, "request_pending");
  // A hold does not close a request to revoke; the revocation does.
  revoke_stored(second.ref, storage::kReasonCertificateHold);
  run([&](storage::WriteTxn& txn) {
    return ledger_->certificate_revoked(txn, Sha256{}, second.ref.sha256, clock_.now(), "p5/r2/c3");
  });
  EXPECT_EQ(stored_request(1)->state, RevocationRequestState::submitted);
  revoke_stored(second.ref, 1);
  run([&](storage::WriteTxn& txn) {
    return ledger_->certificate_revoked(txn, Sha256{}, second.ref.sha256, clock_.now(), "p5/r2/c3");
  });
  auto done = stored_request(1);
  EXPECT_EQ(done->state, RevocationRequestState::done);
  EXPECT_EQ(done->done_by, "p5/r2/c3");
  EXPECT_NE(done->revoked_at, 0);
  EXPECT_EQ(events("revocation.request_done").size(), 1U);
  // Now it is revoked: asking again is refused.
  EXPECT_EQ(check_request(request_for(olena_, second.ref, "keyCompromise"), ref_of(kOlena)).error().code,
            "already_revoked");
}

TEST_F(HolderServiceTest, RevocationRequestChecks) {
  add_provider();
  Holder other = holder(kOther, 0x20);
  const auto request = [&](const json& doc) {
    const std::string text = doc.dump();
    return cms_sign(olena_.cert.get(), olena_.key.get(), as_bytes(text));
  };
  const HolderRef me = ref_of(kOlena);
  const json base = {{"issuer", "test-ec"}, {"serial", "10"}, {"reason", "keyCompromise"}};
  EXPECT_TRUE(check_request(request(base), me).ok());
  json theirs = base;
  theirs["serial"] = "20";
  EXPECT_EQ(check_request(request(theirs), me).error().code, "not_your_certificate");
  json unknown = base;
  unknown["serial"] = "7F";
  EXPECT_EQ(check_request(request(unknown), me).error().code, "certificate_not_found");
  json issuer = base;
  issuer["issuer"] = "nobody";
  EXPECT_EQ(check_request(request(issuer), me).error().code, "issuer_not_found");
  json reason = base;
  reason["reason"] = "cACompromise";
  EXPECT_EQ(check_request(request(reason), me).error().code, "reason_invalid");
  reason["reason"] = "no such reason";
  EXPECT_EQ(check_request(request(reason), me).error().code, "reason_invalid");
  EXPECT_EQ(check_request(request(json::array()), me).error().code, "document_invalid");
  json missing = base;
  missing.erase("serial");
  EXPECT_EQ(check_request(request(missing), me).error().code, "document_invalid");
  // A held certificate may be asked to be revoked, not held again.
  Holder held = holder(kOlena, 0x41);
  revoke_stored(held.ref, storage::kReasonCertificateHold);
  json hold = base;
  hold["serial"] = "41";
  EXPECT_TRUE(check_request(request(hold), me).ok());
  hold["reason"] = "certificateHold";
  EXPECT_EQ(check_request(request(hold), me).error().code, "already_held");
}

TEST_F(HolderServiceTest, ARecordKeepsAtMostSixteenIdentifiers) {
  add_provider();
  HolderRef many = ref_of(kOlena);
  for (int i = 0; i < 20; ++i) many.identifiers.push_back({"edrpou", std::to_string(10000000 + i)});
  EvpPkeyPtr next = generate_key(KeyType::p256);
  auto filed = file(*check_renewal(renewal_request(olena_, next.get()), many), many);
  ASSERT_TRUE(filed.ok()) << filed.error().code;
  EXPECT_EQ(filed->identifiers.size(), kMaxIdentifiers);
  auto stored = stored_renewal(filed->number);
  ASSERT_TRUE(stored.has_value());  // it reads back
  EXPECT_EQ(stored->identifiers.front().value, "TINUA-2345678901");
}

TEST_F(HolderServiceTest, ListsShowEachViewerItsOwn) {
  add_provider();
  EvpPkeyPtr next = generate_key(KeyType::p256);
  ASSERT_TRUE(file(*check_renewal(renewal_request(olena_, next.get()), ref_of(kOlena)), ref_of(kOlena)).ok());
  auto txn = storage::ReadTxn::begin(*env_);
  storage::ReadScope scope(*txn);
  const auto count = [&](const Viewer& v) {
    auto page = RequestService::renewals(*txn, v, std::nullopt, std::nullopt, 50);
    EXPECT_TRUE(page.ok());
    return page.ok() ? page->items.size() : 0;
  };
  Viewer me;
  me.identifiers = ref_of(kOlena).identifiers;
  Viewer stranger;
  stranger.identifiers = ref_of(kOther).identifiers;
  Viewer qtsp;
  qtsp.issuers = {kIssuer};
  Viewer other_qtsp;
  other_qtsp.issuers = {2};
  Viewer central;
  central.central = true;
  EXPECT_EQ(count(me), 1U);
  EXPECT_EQ(count(stranger), 0U);
  EXPECT_EQ(count(qtsp), 1U);
  EXPECT_EQ(count(other_qtsp), 0U);
  EXPECT_EQ(count(central), 1U);
  auto accepted = RequestService::renewals(*txn, central, RenewalState::accepted, std::nullopt, 50);
  ASSERT_TRUE(accepted.ok());
  EXPECT_TRUE(accepted->items.empty());
}

}  // namespace
}  // namespace trustmon::holder
