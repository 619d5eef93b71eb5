// AccessService and authentication over a real LMDB environment and Writer: actions are
// stored and audited (refusals too, secrets never), credentials resolve to principals,
// and every state that must refuse does (expiry, revocation, blocks, roles).
#include "responder/access/service.hpp"

#include <gtest/gtest.h>

#include <future>

#include "responder/access/authenticator.hpp"
#include "storage/event_log.hpp"
#include "storage/records.hpp"
#include "tests/support/temp_env.hpp"

namespace trustmon::access {
namespace {

using nlohmann::json;
using storage::testing::open_env;
using storage::testing::TempDir;

class AccessServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    env_ = open_env(dir_.path());
    ASSERT_TRUE(env_);
    writer_ = std::make_unique<storage::Writer>(*env_);
    writer_->start();
    service_ = std::make_unique<AccessService>(*writer_, clock_);
  }
  void TearDown() override { writer_->stop(); }

  // Runs one service call and waits for its result.
  template <typename Fn>
  Result<json> wait(Fn call) {
    std::promise<Result<json>> p;
    auto f = p.get_future();
    call([&p](Result<json> r) { p.set_value(std::move(r)); });
    return f.get();
  }
  std::uint32_t add_participant(ParticipantKind kind, const std::string& code) {
    auto r = wait([&](auto done) { service_->add_participant(admin_, kind, "Org " + code, code, done); });
    EXPECT_TRUE(r.ok()) << (r ? "" : r.error().code);
    return r ? (*r)["id"].get<std::uint32_t>() : 0;
  }
  std::uint32_t add_rep(std::uint32_t participant, Role role) {
    auto r = wait([&](auto done) { service_->add_representative(admin_, participant, "Person", role, done); });
    EXPECT_TRUE(r.ok()) << (r ? "" : r.error().code);
    return r ? (*r)["id"].get<std::uint32_t>() : 0;
  }
  std::pair<std::string, std::uint32_t> issue(std::uint32_t rep, UnixTime expires = 0) {
    auto r = wait([&](auto done) { service_->issue_token(admin_, rep, expires, 0, "test", done); });
    EXPECT_TRUE(r.ok()) << (r ? "" : r.error().code);
    if (!r) return {};
    return {(*r)["token"].get<std::string>(), (*r)["id"].get<std::uint32_t>()};
  }
  AuthOutcome auth(const std::string& token) {
    auto txn = storage::ReadTxn::begin(*env_);
    EXPECT_TRUE(txn.ok());
    storage::ReadScope scope(*txn);
    return authenticate(*txn, token, nullptr, clock_.now());
  }
  std::vector<storage::EventRecord> events() {
    std::vector<storage::EventRecord> out;
    auto txn = storage::ReadTxn::begin(*env_);
    storage::ReadScope scope(*txn);
    auto cur = storage::Cursor::open(*txn, storage::Table::events);
    for (auto at = cur->first(); at.ok() && *at; at = cur->next()) {
      auto e = storage::decode_event(cur->key(), cur->value());
      if (e) out.push_back(std::move(*e));
    }
    return out;
  }

  TempDir dir_;
  FixedClock clock_{1800000000};
  std::unique_ptr<storage::Env> env_;
  std::unique_ptr<storage::Writer> writer_;
  std::unique_ptr<AccessService> service_;
  Actor admin_ = Actor::bootstrap();
};

TEST_F(AccessServiceTest, TokenResolvesToItsRepresentativeAndParticipant) {
  const std::uint32_t p = add_participant(ParticipantKind::qtsp, "111");
  ASSERT_TRUE(wait([&](auto d) { service_->attach_issuer(admin_, p, 4, "demo", d); }).ok());
  const std::uint32_t r = add_rep(p, Role::operator_);
  auto [token, cred] = issue(r);
  AuthOutcome out = auth(token);
  ASSERT_TRUE(out.principal.has_value()) << out.error.code;
  EXPECT_EQ(out.principal->actor.participant, p);
  EXPECT_EQ(out.principal->actor.representative, r);
  EXPECT_EQ(out.principal->actor.credential, cred);
  ASSERT_TRUE(out.principal->actor.issuers.has_value());
  EXPECT_EQ(*out.principal->actor.issuers, std::vector<std::uint32_t>{4});
  EXPECT_TRUE(out.principal->actor.may_write_issuer(4));
  EXPECT_FALSE(out.principal->actor.may_write_issuer(5));
  EXPECT_EQ(out.principal->role, Role::operator_);
  EXPECT_EQ(out.principal->actor.label(), "p" + std::to_string(p) + "/r" + std::to_string(r) + "/c" + std::to_string(cred));

  AuthOutcome unknown = auth("tmk_unknown");
  EXPECT_EQ(unknown.status, 401);
  EXPECT_EQ(unknown.error.code, "unauthenticated");
  EXPECT_FALSE(unknown.actor.has_value());  // nothing to attribute a record to
}

TEST_F(AccessServiceTest, ExpiryRevocationAndBlocksRefuse) {
  const std::uint32_t p = add_participant(ParticipantKind::qtsp, "222");
  const std::uint32_t r = add_rep(p, Role::viewer);
  auto [expiring, c1] = issue(r, clock_.now() + 60);
  auto [revoked, c2] = issue(r);
  EXPECT_TRUE(auth(expiring).principal.has_value());
  clock_.advance(61);
  AuthOutcome expired = auth(expiring);
  EXPECT_EQ(expired.status, 401);
  EXPECT_EQ(expired.error.code, "credential_expired");
  ASSERT_TRUE(expired.actor.has_value());
  EXPECT_EQ(expired.actor->credential, c1);

  ASSERT_TRUE(wait([&, id = c2](auto d) { service_->revoke_credential(admin_, id, d); }).ok());
  EXPECT_EQ(auth(revoked).error.code, "credential_revoked");

  auto [fresh, c3] = issue(r);
  (void)c3;
  ASSERT_TRUE(wait([&](auto d) { service_->set_representative_status(admin_, r, EntityStatus::blocked, "left", d); }).ok());
  AuthOutcome rep_blocked = auth(fresh);
  EXPECT_EQ(rep_blocked.status, 403);
  EXPECT_EQ(rep_blocked.error.code, "representative_blocked");
  ASSERT_TRUE(wait([&](auto d) { service_->set_representative_status(admin_, r, EntityStatus::active, "", d); }).ok());
  EXPECT_TRUE(auth(fresh).principal.has_value());

  ASSERT_TRUE(wait([&](auto d) { service_->set_participant_status(admin_, p, EntityStatus::blocked, "audit", d); }).ok());
  AuthOutcome blocked = auth(fresh);
  EXPECT_EQ(blocked.status, 403);
  EXPECT_EQ(blocked.error.code, "participant_blocked");
  EXPECT_NE(blocked.error.message.find("audit"), std::string::npos);
  // The stream check says the same.
  auto txn = storage::ReadTxn::begin(*env_);
  storage::ReadScope scope(*txn);
  auto why = refusal_now(*txn, *blocked.actor, clock_.now());
  ASSERT_TRUE(why.has_value());
  EXPECT_EQ(why->code, "participant_blocked");
  EXPECT_FALSE(refusal_now(*txn, Actor::bootstrap(), clock_.now()).has_value());
}

TEST_F(AccessServiceTest, RefusalsAreRecordedAndChangeNothing) {
  const std::uint32_t p = add_participant(ParticipantKind::qtsp, "333");
  auto dup = wait([&](auto d) { service_->add_participant(admin_, ParticipantKind::qtsp, "Other", "333", d); });
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.error().code, "participant_code_taken");
  auto admin_role = wait([&](auto d) { service_->add_representative(admin_, p, "X", Role::admin, d); });
  ASSERT_FALSE(admin_role.ok());
  EXPECT_EQ(admin_role.error().code, "role_not_allowed");
  auto missing = wait([&](auto d) { service_->set_participant_status(admin_, 999, EntityStatus::blocked, "x", d); });
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, "participant_not_found");
  auto no_reason = wait([&](auto d) { service_->set_participant_status(admin_, p, EntityStatus::blocked, "", d); });
  ASSERT_FALSE(no_reason.ok());
  EXPECT_EQ(no_reason.error().code, "invalid_argument");
  auto past = wait([&](auto d) { service_->issue_token(admin_, 1, clock_.now() - 1, 0, "", d); });
  ASSERT_FALSE(past.ok());

  std::vector<storage::EventRecord> log = events();
  ASSERT_EQ(log.size(), 6U);
  EXPECT_EQ(log[1].type, "participant.add");
  EXPECT_EQ(json::parse(log[1].payload)["outcome"], "refused");
  EXPECT_EQ(json::parse(log[1].payload)["code"], "participant_code_taken");
  EXPECT_EQ(log[2].type, "representative.add");
  EXPECT_EQ(json::parse(log[2].payload)["code"], "role_not_allowed");
  for (const auto& e : log) EXPECT_EQ(e.actor, "bootstrap");
  // Nothing but the first participant was stored.
  auto txn = storage::ReadTxn::begin(*env_);
  storage::ReadScope scope(*txn);
  auto list = list_participants(*txn);
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1U);
  EXPECT_EQ(list->front().status, EntityStatus::active);
  auto chain = storage::verify_event_chain(*txn);
  ASSERT_TRUE(chain.ok());
  EXPECT_TRUE(chain->ok);
}

TEST_F(AccessServiceTest, TokensNeverReachTheEventLog) {
  const std::uint32_t p = add_participant(ParticipantKind::central_body, "444");
  const std::uint32_t r = add_rep(p, Role::admin);
  auto [token, cred] = issue(r);
  ASSERT_FALSE(token.empty());
  for (const auto& e : events()) {
    EXPECT_EQ(e.payload.find(token), std::string::npos) << e.payload;
    EXPECT_EQ(e.payload.find(token.substr(4, 20)), std::string::npos) << e.payload;
  }
  json last = json::parse(events().back().payload);
  EXPECT_EQ(last["action"], "credential.token_issue");
  EXPECT_EQ(last["details"]["id"], cred);
  EXPECT_FALSE(last["details"].contains("token"));
  // Only the hash is stored: the lookup record holds no token text.
  auto txn = storage::ReadTxn::begin(*env_);
  storage::ReadScope scope(*txn);
  auto c = get_credential(*txn, cred);
  ASSERT_TRUE(c.ok() && c->has_value());
  EXPECT_EQ((*c)->hash, token_hash(token));
}

TEST_F(AccessServiceTest, DenialsAreRecordedWithTheActor) {
  Actor a;
  a.participant = 3;
  a.representative = 4;
  a.credential = 5;
  std::promise<Status> p;
  service_->record_denial(a, "certificate.revoke", json{{"issuer", "x"}}, make_error(ErrorKind::forbidden, "issuer_not_operated", "no"),
                          [&p](Status s) { p.set_value(std::move(s)); });
  ASSERT_TRUE(p.get_future().get().ok());
  auto log = events();
  ASSERT_EQ(log.size(), 1U);
  EXPECT_EQ(log[0].type, "access.denied");
  EXPECT_EQ(log[0].actor, "p3/r4/c5");
  json payload = json::parse(log[0].payload);
  EXPECT_EQ(payload["outcome"], "refused");
  EXPECT_EQ(payload["code"], "issuer_not_operated");
  EXPECT_EQ(payload["action"], "certificate.revoke");
}

TEST(Authorize, RolesAgainstEndpointClasses) {
  auto principal = [](ParticipantKind k, Role r) {
    Principal p;
    p.kind = k;
    p.role = r;
    p.actor.participant = 1;
    return p;
  };
  struct Case {
    ParticipantKind kind;
    Role role;
    bool read, write, admin;
  };
  const Case cases[] = {
      {ParticipantKind::central_body, Role::admin, true, true, true},
      {ParticipantKind::central_body, Role::operator_, true, true, false},
      {ParticipantKind::central_body, Role::viewer, true, false, false},
      {ParticipantKind::qtsp, Role::operator_, true, true, false},
      {ParticipantKind::qtsp, Role::admin, true, true, false},  // not a central-body admin
      {ParticipantKind::system_owner, Role::viewer, true, false, false},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(authorize(principal(c.kind, c.role), Need::read).principal.has_value(), c.read);
    EXPECT_EQ(authorize(principal(c.kind, c.role), Need::write).principal.has_value(), c.write);
    AuthOutcome admin = authorize(principal(c.kind, c.role), Need::admin);
    EXPECT_EQ(admin.principal.has_value(), c.admin);
    if (!c.admin) {
      EXPECT_EQ(admin.status, 403);
      EXPECT_EQ(admin.error.code, "role_insufficient");
      EXPECT_TRUE(admin.actor.has_value());
    }
  }
}

// ---- cabinet sessions ----------------------------------------------------------------

class SessionTest : public AccessServiceTest {
 protected:
  struct Opened {
    SessionCookie cookie;
    SessionRecord draft;
  };
  // Opens a session for token credential `credential` (0 + bootstrap for the bootstrap).
  Opened open(std::uint32_t credential, bool bootstrap = false, UnixTime lifetime = 3600) {
    Opened o;
    o.cookie.verifier = *random_secret();
    o.draft.verifier_hash = verifier_hash(o.cookie.verifier);
    o.draft.credential = credential;
    o.draft.bootstrap = bootstrap;
    o.draft.expires = clock_.now() + lifetime;
    o.draft.csrf = *random_secret();
    o.draft.address = "127.0.0.1";
    auto r = wait([&](auto done) { service_->open_session(admin_, o.draft, nlohmann::json::object(), done); });
    EXPECT_TRUE(r.ok()) << (r ? "" : r.error().code);
    if (r) o.cookie.id = (*r)["session"].get<std::uint64_t>();
    return o;
  }
  AuthOutcome auth_session(const SessionCookie& c) { return auth_cookie_text(format_session_cookie(c)); }
  AuthOutcome auth_cookie_text(const std::string& text) {
    auto txn = storage::ReadTxn::begin(*env_);
    storage::ReadScope scope(*txn);
    return authenticate_session(*txn, text, clock_.now());
  }
  std::optional<Error> stream_refusal(const Actor& a) {
    auto txn = storage::ReadTxn::begin(*env_);
    storage::ReadScope scope(*txn);
    return refusal_now(*txn, a, clock_.now());
  }
};

TEST_F(SessionTest, ASessionActsAsItsCredentialAndCarriesItsCsrfSecret) {
  const std::uint32_t p = add_participant(ParticipantKind::qtsp, "S1");
  const std::uint32_t rep = add_rep(p, Role::operator_);
  auto [token, cred] = issue(rep);
  Opened o = open(cred);
  AuthOutcome a = auth_session(o.cookie);
  ASSERT_TRUE(a.principal) << a.error.code;
  EXPECT_EQ(a.principal->actor.credential, cred);
  EXPECT_EQ(a.principal->actor.participant, p);
  EXPECT_EQ(a.principal->actor.session, o.cookie.id);
  EXPECT_EQ(a.principal->role, Role::operator_);
  EXPECT_EQ(a.principal->csrf, o.draft.csrf);
  EXPECT_TRUE(csrf_matches(o.draft.csrf, csrf_text(o.draft.csrf)));
  EXPECT_FALSE(csrf_matches(o.draft.csrf, csrf_text(*random_secret())));
  EXPECT_FALSE(stream_refusal(a.principal->actor));
  // The login is recorded, without either secret.
  const auto evs = events();
  ASSERT_FALSE(evs.empty());
  EXPECT_EQ(evs.back().type, "auth.login");
  const std::string payload(evs.back().payload.begin(), evs.back().payload.end());
  EXPECT_EQ(payload.find(csrf_text(o.draft.csrf)), std::string::npos);
  EXPECT_EQ(payload.find(format_session_cookie(o.cookie)), std::string::npos);
}

TEST_F(SessionTest, AWrongVerifierAnExpiryOrALogoutEndsTheSession) {
  Opened o = open(0, true, 600);
  ASSERT_TRUE(auth_session(o.cookie).principal);
  EXPECT_TRUE(auth_session(o.cookie).principal->bootstrap);
  SessionCookie forged = o.cookie;
  forged.verifier[0] ^= 1;
  EXPECT_EQ(auth_session(forged).error.code, "session_ended");
  SessionCookie other = o.cookie;
  other.id += 100;
  EXPECT_EQ(auth_session(other).error.code, "session_ended");
  EXPECT_EQ(auth_cookie_text("not-a-cookie").error.code, "session_ended");
  EXPECT_EQ(auth_cookie_text("not-a-cookie").status, 401);

  clock_.advance(600);
  EXPECT_EQ(auth_session(o.cookie).error.code, "session_expired");
  clock_.advance(-600);
  Actor a = Actor::bootstrap();
  a.session = o.cookie.id;
  EXPECT_FALSE(stream_refusal(a));
  auto closed = wait([&](auto done) { service_->close_session(admin_, o.cookie.id, done); });
  ASSERT_TRUE(closed.ok());
  EXPECT_EQ(auth_session(o.cookie).error.code, "session_ended");
  auto refusal = stream_refusal(a);
  ASSERT_TRUE(refusal);
  EXPECT_EQ(refusal->code, "session_ended");
  // Ids are never reused, even after the last session was ended.
  Opened next = open(0, true);
  EXPECT_GT(next.cookie.id, o.cookie.id);
}

TEST_F(SessionTest, ABlockEndsSessionsForGoodAndRevocationEndsThem) {
  const std::uint32_t p = add_participant(ParticipantKind::qtsp, "S2");
  const std::uint32_t rep = add_rep(p, Role::viewer);
  auto [token, cred] = issue(rep);
  Opened before = open(cred);
  clock_.advance(5);
  ASSERT_TRUE(wait([&](auto done) { service_->set_participant_status(admin_, p, EntityStatus::blocked, "audit", done); }));
  EXPECT_EQ(auth_session(before.cookie).error.code, "participant_blocked");
  clock_.advance(5);
  ASSERT_TRUE(wait([&](auto done) { service_->set_participant_status(admin_, p, EntityStatus::active, "", done); }));
  EXPECT_EQ(auth_session(before.cookie).error.code, "session_ended");
  EXPECT_TRUE(auth(token).principal);  // the token itself works again
  clock_.advance(1);
  Opened after = open(cred);
  ASSERT_TRUE(auth_session(after.cookie).principal);
  ASSERT_TRUE(wait([&, id = cred](auto done) { service_->revoke_credential(admin_, id, done); }));
  EXPECT_EQ(auth_session(after.cookie).error.code, "credential_revoked");
}

TEST_F(SessionTest, ExpiredSessionsArePurgedAndACredentialKeepsAtMostSixteen) {
  const std::uint32_t p = add_participant(ParticipantKind::qtsp, "S3");
  auto [token, cred] = issue(add_rep(p, Role::viewer));
  Opened short_lived = open(cred, false, 300);
  clock_.advance(301);
  std::vector<Opened> opened;
  for (std::size_t i = 0; i < kMaxSessionsPerCredential + 2; ++i) {
    opened.push_back(open(cred));
    clock_.advance(1);
  }
  std::size_t stored = 0;
  {
    auto txn = storage::ReadTxn::begin(*env_);
    storage::ReadScope scope(*txn);
    auto cur = storage::Cursor::open(*txn, storage::Table::sessions);
    for (auto at = cur->first(); at.ok() && *at; at = cur->next()) ++stored;
  }
  EXPECT_EQ(stored, kMaxSessionsPerCredential);
  EXPECT_EQ(auth_session(short_lived.cookie).error.code, "session_ended");  // purged
  EXPECT_EQ(auth_session(opened[0].cookie).error.code, "session_ended");    // the oldest ended
  EXPECT_EQ(auth_session(opened[1].cookie).error.code, "session_ended");
  EXPECT_TRUE(auth_session(opened.back().cookie).principal);
}

TEST(SessionCookieTest, RoundTripsAndRefusesWhatIsNotACookie) {
  SessionCookie c;
  c.id = 0x0102030405060708ULL;
  c.verifier = *random_secret();
  const std::string text = format_session_cookie(c);
  auto back = parse_session_cookie(text);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->id, c.id);
  EXPECT_EQ(back->verifier, c.verifier);
  EXPECT_FALSE(parse_session_cookie(""));
  EXPECT_FALSE(parse_session_cookie(text + "A"));
  EXPECT_FALSE(parse_session_cookie(text.substr(1)));
  EXPECT_FALSE(parse_session_cookie(text + "="));
  EXPECT_FALSE(parse_session_cookie(std::string(54, '/')));
  EXPECT_FALSE(parse_session_cookie(std::string(54, 'A')));  // id 0
  EXPECT_EQ(cookie_value("a=1; tm_session=xyz; b=2", "tm_session"), std::optional<std::string_view>("xyz"));
  EXPECT_EQ(cookie_value("tm_session_old=1;tm_session=\"q\"", "tm_session"), std::optional<std::string_view>("q"));
  EXPECT_FALSE(cookie_value("a=1; b=2", "tm_session"));
  EXPECT_FALSE(cookie_value("", "tm_session"));
}

TEST(SessionRecordTest, RoundTripsAndRefusesDamage) {
  SessionRecord r;
  r.id = 42;
  r.verifier_hash = verifier_hash(*random_secret());
  r.credential = 7;
  r.created = 1800000000;
  r.expires = 1800003600;
  r.csrf = *random_secret();
  r.address = "::1";
  Bytes enc = encode_session(r);
  auto back = decode_session(enc);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->id, 42u);
  EXPECT_EQ(back->verifier_hash, r.verifier_hash);
  EXPECT_EQ(back->credential, 7u);
  EXPECT_FALSE(back->bootstrap);
  EXPECT_EQ(back->expires, r.expires);
  EXPECT_EQ(back->csrf, r.csrf);
  EXPECT_EQ(back->address, "::1");
  enc.pop_back();
  EXPECT_FALSE(decode_session(enc));
  Bytes bad = encode_session(r);
  bad[0] = 9;
  EXPECT_FALSE(decode_session(bad));
}

}  // namespace
}  // namespace trustmon::access
