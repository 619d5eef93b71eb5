// The uniqueness service against a real LMDB environment and Writer: duplicates, key
// reuse and the renewal policy, racing reservations, TTL expiry, release, commit (by
// the holder and by the registry hook), DSTU requests, restart and the audit trail.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <barrier>
#include <memory>
#include <thread>

#include "common/clock.hpp"
#include "responder/csr/service.hpp"
#include "storage/epoch_index.hpp"
#include "storage/event_log.hpp"
#include "storage/writer.hpp"
#include "test_csr.hpp"
#include "tests/support/temp_env.hpp"

namespace trustmon::csr {
namespace {

using storage::ReadScope;
using storage::ReadTxn;
using testing::CsrOptions;
using testing::KeyKind;
using testing::make_csr;
using testing::parsed;
using testing::participant;

constexpr UnixTime kStart = 1'800'000'000;

Sha256 fake_hash(std::uint8_t seed) {
  Sha256 h{};
  h.fill(seed);
  return h;
}

class CsrServiceTest : public ::testing::Test {
 protected:
  void SetUp() override { open(); }
  void TearDown() override { close(); }

  void open(CsrPolicy policy = {}) {
    env_ = storage::testing::open_env(dir_.path(), std::size_t{64} << 20);
    ASSERT_TRUE(env_);
    storage::WriterOptions wo;
    wo.max_delay = std::chrono::microseconds(200);
    writer_ = std::make_unique<storage::Writer>(*env_, wo);
    writer_->start();
    service_ = std::make_unique<CsrService>(*env_, *writer_, clock_, std::move(policy));
    auto txn = ReadTxn::begin(*env_);
    ASSERT_TRUE(txn.ok());
    read_ = std::make_unique<ReadTxn>(std::move(txn).value());
  }
  void close() {
    read_.reset();
    if (writer_) writer_->stop();
    service_.reset();
    writer_.reset();
    env_.reset();
  }
  void reopen(CsrPolicy policy = {}) {
    close();
    open(std::move(policy));
  }

  CheckResult check(const ParsedCsr& csr, std::uint32_t who, std::uint32_t issuer = 0) {
    ReadScope scope(*read_);
    EXPECT_TRUE(scope.status().ok());
    auto r = service_->check(scope.txn(), csr, who, issuer);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    return r.ok() ? *r : CheckResult{};
  }
  std::optional<Reservation> get(ReservationId id) {
    ReadScope scope(*read_);
    auto r = service_->get(scope.txn(), id);
    EXPECT_TRUE(r.ok());
    return r.ok() ? *r : std::nullopt;
  }
  Reservation reserve_ok(const ParsedCsr& csr, std::uint32_t who, std::uint32_t issuer = 0, UnixTime ttl = 0) {
    auto r = testing::reserve_sync(*service_, csr, participant(who), issuer, ttl);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().code);
    if (!r.ok()) return {};
    EXPECT_TRUE(r->reservation.has_value()) << r->check.code;
    return r->reservation.value_or(Reservation{});
  }
  CheckResult reserve_refused(const ParsedCsr& csr, std::uint32_t who, std::uint32_t issuer = 0) {
    auto r = testing::reserve_sync(*service_, csr, participant(who), issuer, 0);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().code);
    if (!r.ok()) return {};
    EXPECT_FALSE(r->reservation.has_value());
    return r->check;
  }
  std::vector<storage::EventRecord> events() {
    std::vector<storage::EventRecord> out;
    ReadScope scope(*read_);
    auto cur = storage::Cursor::open(scope.txn(), storage::Table::events);
    EXPECT_TRUE(cur.ok());
    for (auto at = cur->first(); at.ok() && *at; at = cur->next()) {
      auto e = storage::decode_event(cur->key(), cur->value());
      EXPECT_TRUE(e.ok());
      if (e.ok()) out.push_back(*e);
    }
    return out;
  }
  std::size_t key_index_entries(const Sha256& spki) {
    ReadScope scope(*read_);
    auto walk = storage::EpochWalk::open(scope.txn(), storage::Table::csr_key_index, ByteView(spki.data(), spki.size()), 0);
    std::size_t n = 0;
    for (; walk.ok() && !walk->done(); static_cast<void>(walk->next())) ++n;
    return n;
  }
  Result<KeyUse> ingest(const Sha256& spki, const Sha256& cert, std::uint32_t who, std::uint32_t issuer,
                        const Sha256& subject) {
    std::optional<Result<KeyUse>> out;
    Status s = writer_->run_sync([&](storage::WriteTxn& txn) -> Status {
      out.emplace(service_->on_certificate_ingested(txn, spki, cert, who, issuer, subject, clock_.now()));
      if (!out->ok()) return out->error();
      return {};
    });
    EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error().message);
    return std::move(*out);
  }

  storage::testing::TempDir dir_;
  FixedClock clock_{kStart};
  std::unique_ptr<storage::Env> env_;
  std::unique_ptr<storage::Writer> writer_;
  std::unique_ptr<CsrService> service_;
  std::unique_ptr<ReadTxn> read_;
};

TEST_F(CsrServiceTest, UniqueThenDuplicateCsr) {
  const ParsedCsr csr = parsed(make_csr(testing::shared_key(KeyKind::p256)));
  CheckResult before = check(csr, 1);
  EXPECT_TRUE(before.unique);
  EXPECT_TRUE(before.code.empty());

  Reservation r = reserve_ok(csr, 1, 0, 0);
  EXPECT_EQ(r.id, 1u);
  EXPECT_EQ(r.participant, 1u);
  EXPECT_EQ(r.state, ReservationState::reserved);
  EXPECT_EQ(r.created, kStart);
  EXPECT_EQ(r.expires, kStart + CsrPolicy{}.default_ttl);
  EXPECT_EQ(r.first_seen, kStart);
  EXPECT_TRUE(r.pop_verified);
  EXPECT_EQ(r.csr_sha256, csr.csr_sha256);

  clock_.advance(5);
  CheckResult after = check(csr, 2);
  EXPECT_FALSE(after.unique);
  EXPECT_EQ(after.code, "csr_already_processed");
  ASSERT_TRUE(after.holder);
  EXPECT_EQ(after.holder->participant, 1u);
  EXPECT_EQ(after.holder->state, ReservationState::reserved);
  EXPECT_EQ(after.holder->first_seen, kStart);
  EXPECT_FALSE(after.holder->reservation);  // not the asker's: no id

  CheckResult other = reserve_refused(csr, 2);
  EXPECT_EQ(other.code, "csr_already_processed");
  EXPECT_EQ(other.kind, ErrorKind::conflict);
  CheckResult own = reserve_refused(csr, 1);
  EXPECT_EQ(own.code, "csr_already_processed");
  ASSERT_TRUE(own.holder && own.holder->reservation);
  EXPECT_EQ(*own.holder->reservation, r.id);

  // The PEM form of the same request is the same request.
  const std::string pem_text = testing::csr_pem(csr.der);
  const ParsedCsr pem = parsed(to_bytes(as_bytes(pem_text)));
  EXPECT_EQ(check(pem, 3).code, "csr_already_processed");
}

TEST_F(CsrServiceTest, SameKeyInAnotherCsrIsRefusedByDefault) {
  EVP_PKEY* key = testing::shared_key(KeyKind::ed25519);
  CsrOptions first;
  first.challenge = "one";
  CsrOptions second;
  second.challenge = "two";
  const ParsedCsr a = parsed(make_csr(key, first));
  const ParsedCsr b = parsed(make_csr(key, second));
  ASSERT_NE(a.csr_sha256, b.csr_sha256);
  ASSERT_EQ(a.spki_sha256, b.spki_sha256);
  ASSERT_EQ(a.subject_sha256, b.subject_sha256);

  reserve_ok(a, 1);
  for (std::uint32_t who : {1u, 2u}) {
    CheckResult c = check(b, who);
    EXPECT_FALSE(c.unique);
    EXPECT_EQ(c.code, "key_already_used");
    ASSERT_TRUE(c.holder);
    EXPECT_EQ(c.holder->participant, 1u);
    EXPECT_EQ(reserve_refused(b, who).code, "key_already_used");
  }
}

TEST_F(CsrServiceTest, RenewalPolicyAllowsSameKeyOnlyForSameSubjectParticipantAndIssuer) {
  CsrPolicy policy;
  policy.renewal_issuers = {7};
  reopen(policy);
  EVP_PKEY* key = testing::shared_key(KeyKind::p256);
  auto csr = [key](const char* cn, const char* challenge) {
    CsrOptions o;
    o.common_name = cn;
    o.challenge = challenge;
    return parsed(make_csr(key, o));
  };
  const ParsedCsr original = csr("Olena", "a");
  Reservation r = reserve_ok(original, 1, 7);
  ASSERT_TRUE(testing::commit_sync(*service_, r.id, fake_hash(0xc1), original.spki_sha256, participant(1)).ok());

  const ParsedCsr renewal = csr("Olena", "b");
  CheckResult c = check(renewal, 1, 7);
  EXPECT_TRUE(c.unique);
  EXPECT_TRUE(c.renewal);
  EXPECT_EQ(check(csr("Petro", "c"), 1, 7).code, "key_already_used");  // another subject
  EXPECT_EQ(check(csr("Olena", "d"), 2, 7).code, "key_already_used");  // another participant
  EXPECT_EQ(check(csr("Olena", "e"), 1, 8).code, "key_already_used");  // issuer without renewal
  EXPECT_EQ(check(csr("Olena", "f"), 1, 0).code, "key_already_used");  // issuer unspecified

  Reservation renewed = reserve_ok(renewal, 1, 7);
  EXPECT_EQ(renewed.spki_sha256, original.spki_sha256);
  // A revoked certificate's key is never renewed.
  Status s = writer_->run_sync([&](storage::WriteTxn& txn) -> Status {
    auto rev = service_->on_certificate_revoked(txn, original.spki_sha256, fake_hash(0xc1), clock_.now());
    if (!rev) return rev.error();
    EXPECT_EQ(rev->value_or(0), r.id);
    return {};
  });
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(get(r.id)->state, ReservationState::revoked);
  CheckResult after_revocation = check(csr("Olena", "g"), 1, 7);
  EXPECT_EQ(after_revocation.code, "key_already_used");
  ASSERT_TRUE(after_revocation.holder);
  // That revocation was a hold, now released: the certificate is good again, and so is its key's record.
  s = writer_->run_sync([&](storage::WriteTxn& txn) -> Status {
    auto rel = service_->on_certificate_released(txn, original.spki_sha256, fake_hash(0xc1), clock_.now());
    if (!rel) return rel.error();
    EXPECT_EQ(rel->value_or(0), r.id);
    return {};
  });
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(get(r.id)->state, ReservationState::issued);
  EXPECT_TRUE(check(csr("Olena", "h"), 1, 7).renewal);
}

TEST_F(CsrServiceTest, ConcurrentReservationsHaveExactlyOneWinner) {
  constexpr int kRounds = 300;
  int same_csr_wins = 0, same_key_wins = 0;
  for (int round = 0; round < kRounds; ++round) {
    // Even rounds: both race with one request. Odd rounds: two requests of one key.
    const bool same_csr = round % 2 == 0;
    EvpPkeyPtr key = testing::make_key(KeyKind::p256);
    CsrOptions oa, ob;
    oa.common_name = ob.common_name = "Race " + std::to_string(round);
    oa.challenge = "a";
    ob.challenge = "b";
    const ParsedCsr a = parsed(make_csr(key.get(), oa));
    const ParsedCsr b = same_csr ? a : parsed(make_csr(key.get(), ob));
    std::barrier start(2);
    std::optional<Result<ReserveOutcome>> ra, rb;
    std::thread ta([&] {
      start.arrive_and_wait();
      ra.emplace(testing::reserve_sync(*service_, a, participant(10), 0, 0));
    });
    std::thread tb([&] {
      start.arrive_and_wait();
      rb.emplace(testing::reserve_sync(*service_, b, participant(20), 0, 0));
    });
    ta.join();
    tb.join();
    ASSERT_TRUE(ra->ok() && rb->ok());
    const int winners = ((*ra)->reservation ? 1 : 0) + ((*rb)->reservation ? 1 : 0);
    ASSERT_EQ(winners, 1) << "round " << round;
    const ReserveOutcome& loser = (*ra)->reservation ? **rb : **ra;
    EXPECT_EQ(loser.check.code, same_csr ? "csr_already_processed" : "key_already_used");
    (same_csr ? same_csr_wins : same_key_wins) += 1;
  }
  EXPECT_EQ(same_csr_wins, kRounds / 2);
  EXPECT_EQ(same_key_wins, kRounds / 2);
}

TEST_F(CsrServiceTest, TtlExpiryMakesTheCsrReservableAgain) {
  const ParsedCsr csr = parsed(make_csr(testing::shared_key(KeyKind::rsa)));
  Reservation r = reserve_ok(csr, 1, 0, 60);
  EXPECT_EQ(r.expires, kStart + 60);
  clock_.advance(59);
  EXPECT_EQ(check(csr, 2).code, "csr_already_processed");
  clock_.advance(1);
  EXPECT_TRUE(check(csr, 2).unique);  // expired at read time, before any sweep
  EXPECT_EQ(get(r.id)->state, ReservationState::reserved);
  EXPECT_EQ(effective_state(*get(r.id), clock_.now()), ReservationState::expired);

  auto late = testing::commit_sync(*service_, r.id, fake_hash(1), std::nullopt, participant(1));
  ASSERT_FALSE(late.ok());
  EXPECT_EQ(late.error().code, "reservation_expired");

  Reservation again = reserve_ok(csr, 2);
  EXPECT_NE(again.id, r.id);
  EXPECT_EQ(again.first_seen, kStart);  // the request was first seen by the first reservation
  EXPECT_EQ(again.created, kStart + 60);
  EXPECT_EQ(check(csr, 1).code, "csr_already_processed");
}

TEST_F(CsrServiceTest, SweeperStoresExpiryAndFreesKeys) {
  CsrPolicy policy;
  policy.sweep_batch = 3;
  reopen(policy);
  std::vector<ParsedCsr> csrs;
  std::vector<Reservation> rs;
  for (int i = 0; i < 7; ++i) {
    CsrOptions o;
    o.common_name = "Sweep " + std::to_string(i);
    csrs.push_back(parsed(make_csr(testing::shared_key(KeyKind::ed25519), o)));
  }
  // One key per request would conflict; give each a distinct (fake) key.
  for (int i = 0; i < 7; ++i) {
    csrs[static_cast<std::size_t>(i)].spki_sha256 = fake_hash(static_cast<std::uint8_t>(0x40 + i));
    rs.push_back(reserve_ok(csrs[static_cast<std::size_t>(i)], 1, 0, i < 5 ? 10 : 1000));
  }
  auto none = testing::sweep_sync(*service_);
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(*none, 0u);
  clock_.advance(10);
  std::size_t total = 0;
  for (int pass = 0; pass < 4; ++pass) {
    auto n = testing::sweep_sync(*service_);
    ASSERT_TRUE(n.ok());
    EXPECT_LE(*n, 3u);
    total += *n;
  }
  EXPECT_EQ(total, 5u);
  for (int i = 0; i < 7; ++i) {
    const auto& r = rs[static_cast<std::size_t>(i)];
    EXPECT_EQ(get(r.id)->state, i < 5 ? ReservationState::expired : ReservationState::reserved);
    EXPECT_EQ(key_index_entries(r.spki_sha256), i < 5 ? 0u : 1u);
  }
  // Later reservations are still found by later sweeps.
  CsrOptions o;
  o.common_name = "Sweep late";
  ParsedCsr late = parsed(make_csr(testing::shared_key(KeyKind::ed25519), o));
  late.spki_sha256 = fake_hash(0x60);
  Reservation lr = reserve_ok(late, 1, 0, 5);
  clock_.advance(1000);
  total = 0;
  for (int pass = 0; pass < 4; ++pass) total += testing::sweep_sync(*service_).value();
  EXPECT_EQ(total, 3u);  // the two long ones and the late one
  EXPECT_EQ(get(lr.id)->state, ReservationState::expired);
  std::size_t expiry_events = 0;
  for (const auto& e : events()) {
    if (e.type != "csr.expired") continue;
    ++expiry_events;
    EXPECT_EQ(e.actor, "sweeper");
  }
  EXPECT_EQ(expiry_events, 8u);
}

TEST_F(CsrServiceTest, ReleaseByTheHolderMakesItReservableAgain) {
  const ParsedCsr csr = parsed(make_csr(testing::shared_key(KeyKind::rsa_pss)));
  Reservation r = reserve_ok(csr, 1);
  auto stolen = testing::release_sync(*service_, r.id, participant(2));
  ASSERT_FALSE(stolen.ok());
  EXPECT_EQ(stolen.error().code, "reservation_not_yours");
  EXPECT_EQ(stolen.error().kind, ErrorKind::forbidden);
  auto missing = testing::release_sync(*service_, 999, participant(1));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, "reservation_not_found");
  EXPECT_EQ(missing.error().kind, ErrorKind::not_found);

  auto released = testing::release_sync(*service_, r.id, participant(1));
  ASSERT_TRUE(released.ok());
  EXPECT_EQ(released->state, ReservationState::released);
  EXPECT_EQ(key_index_entries(csr.spki_sha256), 0u);
  auto twice = testing::release_sync(*service_, r.id, participant(1));
  ASSERT_TRUE(twice.ok());
  EXPECT_EQ(twice->state, ReservationState::released);

  EXPECT_TRUE(check(csr, 2).unique);
  Reservation r2 = reserve_ok(csr, 2);
  EXPECT_EQ(r2.first_seen, kStart);
  auto dead = testing::commit_sync(*service_, r.id, fake_hash(3), std::nullopt, participant(1));
  ASSERT_FALSE(dead.ok());
  EXPECT_EQ(dead.error().code, "reservation_released");
}

TEST_F(CsrServiceTest, CommittedCsrIsNeverReservableAgain) {
  const ParsedCsr csr = parsed(make_csr(testing::shared_key(KeyKind::p256)));
  Reservation r = reserve_ok(csr, 1, 0, 60);
  auto not_mine = testing::commit_sync(*service_, r.id, fake_hash(9), std::nullopt, participant(2));
  ASSERT_FALSE(not_mine.ok());
  EXPECT_EQ(not_mine.error().code, "reservation_not_yours");
  auto wrong_key = testing::commit_sync(*service_, r.id, fake_hash(9), fake_hash(8), participant(1));
  ASSERT_FALSE(wrong_key.ok());
  EXPECT_EQ(wrong_key.error().code, "certificate_key_mismatch");

  auto c = testing::commit_sync(*service_, r.id, fake_hash(9), csr.spki_sha256, participant(1));
  ASSERT_TRUE(c.ok()) << c.error().code;
  EXPECT_EQ(c->state, ReservationState::issued);
  EXPECT_EQ(c->cert_sha256, fake_hash(9));
  auto again = testing::commit_sync(*service_, r.id, fake_hash(9), std::nullopt, participant(1));
  ASSERT_TRUE(again.ok());  // idempotent
  EXPECT_EQ(again->changed, c->changed);
  auto other = testing::commit_sync(*service_, r.id, fake_hash(10), std::nullopt, participant(1));
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.error().code, "reservation_already_committed");
  auto release = testing::release_sync(*service_, r.id, participant(1));
  ASSERT_FALSE(release.ok());
  EXPECT_EQ(release.error().code, "reservation_already_committed");

  clock_.advance(10 * 365 * 86400);  // long past the TTL
  ASSERT_TRUE(testing::sweep_sync(*service_).ok());
  EXPECT_EQ(check(csr, 1).code, "csr_already_processed");
  EXPECT_EQ(check(csr, 1).holder->state, ReservationState::issued);
  EXPECT_EQ(reserve_refused(csr, 2).code, "csr_already_processed");
}

TEST_F(CsrServiceTest, IngestHookCommitsTheHoldersReservation) {
  const ParsedCsr csr = parsed(make_csr(testing::shared_key(KeyKind::ed25519)));
  Reservation r = reserve_ok(csr, 1, 5);

  // Another participant's certificate for this key: not theirs to commit; recorded, reuse.
  auto foreign = ingest(csr.spki_sha256, fake_hash(0xa1), 2, 5, csr.subject_sha256);
  ASSERT_TRUE(foreign.ok());
  EXPECT_FALSE(foreign->committed);
  ASSERT_TRUE(foreign->recorded);
  EXPECT_TRUE(foreign->key_reused);
  EXPECT_FALSE(foreign->renewal);

  auto own = ingest(csr.spki_sha256, fake_hash(0xa2), 1, 5, csr.subject_sha256);
  ASSERT_TRUE(own.ok());
  ASSERT_TRUE(own->committed);
  EXPECT_EQ(*own->committed, r.id);
  EXPECT_TRUE(own->key_reused);  // the foreign certificate used the key first
  auto stored = get(r.id);
  EXPECT_EQ(stored->state, ReservationState::issued);
  EXPECT_EQ(stored->cert_sha256, fake_hash(0xa2));

  auto repeat = ingest(csr.spki_sha256, fake_hash(0xa2), 1, 5, csr.subject_sha256);
  ASSERT_TRUE(repeat.ok());
  EXPECT_TRUE(repeat->already_linked);
  EXPECT_FALSE(repeat->committed);
  EXPECT_FALSE(repeat->key_reused);

  // The holder's manual commit of the same certificate afterwards is idempotent.
  auto manual = testing::commit_sync(*service_, r.id, fake_hash(0xa2), std::nullopt, participant(1));
  ASSERT_TRUE(manual.ok());
}

TEST_F(CsrServiceTest, CertificateWithoutReservationBlocksItsKey) {
  const ParsedCsr csr = parsed(make_csr(testing::shared_key(KeyKind::rsa)));
  auto use = ingest(csr.spki_sha256, fake_hash(0xb1), 4, 0, fake_hash(0xb2));
  ASSERT_TRUE(use.ok());
  ASSERT_TRUE(use->recorded);
  EXPECT_FALSE(use->key_reused);
  auto rec = get(*use->recorded);
  ASSERT_TRUE(rec);
  EXPECT_EQ(rec->origin, Origin::certificate);
  EXPECT_EQ(rec->state, ReservationState::issued);

  CheckResult c = check(csr, 1);
  EXPECT_EQ(c.code, "key_already_used");
  ASSERT_TRUE(c.holder);
  EXPECT_EQ(c.holder->participant, 4u);
  EXPECT_EQ(c.holder->origin, Origin::certificate);
  // Commit of a certificate-origin record is not a reservation of the caller.
  auto commit = testing::commit_sync(*service_, *use->recorded, fake_hash(0xb1), std::nullopt, participant(1));
  ASSERT_FALSE(commit.ok());
  EXPECT_EQ(commit.error().code, "reservation_not_yours");

  auto second = ingest(csr.spki_sha256, fake_hash(0xb3), 4, 0, fake_hash(0xb2));
  ASSERT_TRUE(second.ok());
  EXPECT_TRUE(second->key_reused);
}

TEST_F(CsrServiceTest, DstuRequestIsTrackedByHash) {
  Bytes key(33);
  for (std::size_t i = 0; i < key.size(); ++i) key[i] = static_cast<std::uint8_t>(0x90 + i);
  const ParsedCsr a = parsed(testing::make_dstu_csr("Іван Франко", key));
  ASSERT_FALSE(a.pop_verified);
  Reservation r = reserve_ok(a, 3);
  EXPECT_FALSE(r.pop_verified);
  EXPECT_FALSE(get(r.id)->pop_verified);
  EXPECT_EQ(check(a, 1).code, "csr_already_processed");
  const ParsedCsr same_key = parsed(testing::make_dstu_csr("Інший Підписувач", key));
  EXPECT_EQ(check(same_key, 1).code, "key_already_used");
  key[5] ^= 0xff;
  EXPECT_TRUE(check(parsed(testing::make_dstu_csr("Інший Підписувач", key)), 1).unique);
}

TEST_F(CsrServiceTest, RestartKeepsEveryReservation) {
  std::vector<Reservation> rs;
  std::vector<ParsedCsr> csrs;
  for (int i = 0; i < 4; ++i) {
    CsrOptions o;
    o.common_name = "Restart " + std::to_string(i);
    EvpPkeyPtr k = testing::make_key(KeyKind::p256);
    csrs.push_back(parsed(make_csr(k.get(), o)));
    rs.push_back(reserve_ok(csrs.back(), 1));
  }
  ASSERT_TRUE(testing::commit_sync(*service_, rs[1].id, fake_hash(0x11), std::nullopt, participant(1)).ok());
  ASSERT_TRUE(testing::release_sync(*service_, rs[2].id, participant(1)).ok());
  const std::size_t events_before = events().size();

  reopen();
  EXPECT_EQ(events().size(), events_before);
  EXPECT_EQ(get(rs[0].id)->state, ReservationState::reserved);
  EXPECT_EQ(get(rs[1].id)->state, ReservationState::issued);
  EXPECT_EQ(get(rs[1].id)->cert_sha256, fake_hash(0x11));
  EXPECT_EQ(get(rs[2].id)->state, ReservationState::released);
  EXPECT_EQ(get(rs[3].id)->csr_sha256, csrs[3].csr_sha256);
  EXPECT_EQ(check(csrs[0], 2).code, "csr_already_processed");
  EXPECT_EQ(check(csrs[1], 2).code, "csr_already_processed");
  EXPECT_TRUE(check(csrs[2], 2).unique);
  // Ids continue after the stored ones.
  CsrOptions o;
  o.common_name = "After restart";
  EvpPkeyPtr k = testing::make_key(KeyKind::p256);
  EXPECT_EQ(reserve_ok(parsed(make_csr(k.get(), o)), 1).id, rs.back().id + 1);
}

TEST_F(CsrServiceTest, EveryActionAppendsAnAuditEvent) {
  CsrOptions o;
  o.common_name = "Private Person Name";
  const ParsedCsr csr = parsed(make_csr(testing::shared_key(KeyKind::rsa), o));
  Reservation r = reserve_ok(csr, 1, 0, 30);
  reserve_refused(csr, 2);
  ASSERT_FALSE(testing::commit_sync(*service_, r.id, fake_hash(1), std::nullopt, participant(2)).ok());
  ASSERT_TRUE(testing::commit_sync(*service_, r.id, fake_hash(1), std::nullopt, participant(1)).ok());
  CsrOptions o2;
  o2.common_name = "Second";
  const ParsedCsr second = parsed(make_csr(testing::make_key(KeyKind::p256).get(), o2));
  Reservation r2 = reserve_ok(second, 1, 0, 30);
  ASSERT_TRUE(testing::release_sync(*service_, r2.id, participant(1)).ok());
  CsrOptions o3;
  o3.common_name = "Third";
  const ParsedCsr third = parsed(make_csr(testing::make_key(KeyKind::p256).get(), o3));
  reserve_ok(third, 1, 0, 30);
  clock_.advance(31);
  ASSERT_EQ(testing::sweep_sync(*service_).value(), 1u);

  const auto log = events();
  std::vector<std::string> types;
  for (const auto& e : log) types.push_back(e.type);
  EXPECT_EQ(types, (std::vector<std::string>{"csr.reserved", "csr.refused", "access.denied", "csr.committed",
                                             "csr.reserved", "csr.released", "csr.reserved", "csr.expired"}));
  EXPECT_EQ(log[0].actor, participant(1).label());
  EXPECT_EQ(log[1].actor, participant(2).label());
  for (const auto& e : log) {
    EXPECT_EQ(e.payload.find("Private Person Name"), std::string::npos);
    auto j = nlohmann::json::parse(e.payload, nullptr, false);
    ASSERT_FALSE(j.is_discarded());
    EXPECT_TRUE(j.contains("action"));
    EXPECT_TRUE(j.contains("outcome"));
    ASSERT_TRUE(j.contains("target"));
    EXPECT_TRUE(j["target"].contains("reservation") || j["target"].contains("csr_sha256"));
  }
  auto first = nlohmann::json::parse(log[0].payload);
  EXPECT_EQ(first["action"], "csr.reserve");
  EXPECT_EQ(first["outcome"], "reserved");
  EXPECT_EQ(first["target"]["csr_sha256"], hex_encode(csr.csr_sha256));
  EXPECT_EQ(first["target"]["reservation"], r.id);
  auto refused = nlohmann::json::parse(log[1].payload);
  EXPECT_EQ(refused["outcome"], "refused");
  EXPECT_EQ(refused["code"], "csr_already_processed");
  EXPECT_EQ(refused["holder_participant"], 1);

  ReadScope scope(*read_);
  auto chain = storage::verify_event_chain(scope.txn());
  ASSERT_TRUE(chain.ok());
  EXPECT_TRUE(chain->ok);
}

TEST_F(CsrServiceTest, InvalidRequestsAreRefusedWithStableCodes) {
  const ParsedCsr csr = parsed(make_csr(testing::shared_key(KeyKind::p256)));
  auto long_ttl = testing::reserve_sync(*service_, csr, participant(1), 0, CsrPolicy{}.max_ttl + 1);
  ASSERT_FALSE(long_ttl.ok());
  EXPECT_EQ(long_ttl.error().code, "ttl_out_of_range");
  EXPECT_EQ(long_ttl.error().kind, ErrorKind::invalid);
  Actor limited = participant(1);
  limited.issuers = std::vector<std::uint32_t>{3};
  auto other_issuer = testing::reserve_sync(*service_, csr, limited, 4, 0);
  ASSERT_FALSE(other_issuer.ok());
  EXPECT_EQ(other_issuer.error().code, "issuer_not_operated");
  EXPECT_TRUE(check(csr, 1).unique);  // nothing was reserved
  auto allowed = testing::reserve_sync(*service_, csr, limited, 3, 0);
  ASSERT_TRUE(allowed.ok());
  EXPECT_TRUE(allowed->reservation);
}

TEST_F(CsrServiceTest, BatchCheckFlagsRepeatsAndStoredConflicts) {
  const ParsedCsr a = parsed(make_csr(testing::shared_key(KeyKind::p256)));
  const ParsedCsr b = parsed(make_csr(testing::shared_key(KeyKind::ed25519)));
  reserve_ok(a, 1);
  ReadScope scope(*read_);
  auto r = service_->check_batch(scope.txn(), {a, b, b}, 2);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 3u);
  EXPECT_EQ((*r)[0].code, "csr_already_processed");
  EXPECT_TRUE((*r)[1].unique);
  EXPECT_EQ((*r)[2].code, "csr_duplicate_in_batch");
  std::vector<ParsedCsr> many(CsrPolicy{}.max_check_batch + 1, b);
  auto too_many = service_->check_batch(scope.txn(), many, 2);
  ASSERT_FALSE(too_many.ok());
  EXPECT_EQ(too_many.error().code, "csr_batch_too_large");
}

TEST(ReservationCodec, RoundTripsAndRejectsDamage) {
  Reservation r;
  r.id = 0x0102030405060708ULL;
  r.participant = 77;
  r.csr_sha256 = fake_hash(1);
  r.spki_sha256 = fake_hash(2);
  r.subject_sha256 = fake_hash(3);
  r.issuer = 9;
  r.state = ReservationState::revoked;
  r.origin = Origin::certificate;
  r.created = -5;
  r.expires = kStart;
  r.changed = kStart + 1;
  r.cert_sha256 = fake_hash(4);
  r.pop_verified = true;
  r.first_seen = kStart - 100;
  const Bytes v = encode_reservation(r);
  auto back = decode_reservation(v);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->id, r.id);
  EXPECT_EQ(back->participant, r.participant);
  EXPECT_EQ(back->csr_sha256, r.csr_sha256);
  EXPECT_EQ(back->spki_sha256, r.spki_sha256);
  EXPECT_EQ(back->subject_sha256, r.subject_sha256);
  EXPECT_EQ(back->issuer, r.issuer);
  EXPECT_EQ(back->state, r.state);
  EXPECT_EQ(back->origin, r.origin);
  EXPECT_EQ(back->created, r.created);
  EXPECT_EQ(back->expires, r.expires);
  EXPECT_EQ(back->changed, r.changed);
  EXPECT_EQ(back->cert_sha256, r.cert_sha256);
  EXPECT_EQ(back->pop_verified, r.pop_verified);
  EXPECT_EQ(back->first_seen, r.first_seen);

  EXPECT_FALSE(decode_reservation(Bytes(v.begin(), v.end() - 1)).ok());
  Bytes longer = v;
  longer.push_back(0);
  EXPECT_FALSE(decode_reservation(longer).ok());
  Bytes format = v;
  format[0] = 2;
  EXPECT_EQ(decode_reservation(format).error().code, "storage_corrupt");
  Bytes state = v;
  state[1 + 8 + 4 + 96 + 4] = 9;
  EXPECT_FALSE(decode_reservation(state).ok());
  EXPECT_EQ(decode_reservation_key(encode_reservation_key(42)).value_or(0), 42u);
  EXPECT_FALSE(decode_reservation_key(Bytes(7, 0)));
}

}  // namespace
}  // namespace trustmon::csr
