// Watch records, the match index, the retry schedule, the webhook signature and URLs.
#include <gtest/gtest.h>

#include "responder/watch/matcher.hpp"
#include "responder/watch/record.hpp"
#include "responder/watch/service.hpp"
#include "responder/watch/webhook.hpp"
#include "tests/support/temp_env.hpp"

namespace trustmon::watch {
namespace {

using namespace std::chrono_literals;

WatchRecord sample() {
  WatchRecord r;
  r.id = 7;
  r.owner = 3;
  r.representative = 9;
  r.created_by = "p3/r9/c11";
  r.created = 1800000000;
  r.name = "my TINUA";
  r.values = {{"serial_number", "TINUA-1234567890"}, {"edrpou", "12345678"}};
  r.issuer = "demo-ec";
  r.kinds = kIssued | kKeyReused;
  r.delivery = Delivery::webhook;
  r.url = "http://127.0.0.1:9/hook";
  r.secret = Bytes(kSecretBytes, 0x5a);
  r.state = WatchState::dead_letter;
  r.cursor = 41;
  r.epoch = 2;
  r.failures = 8;
  r.last_error = "HTTP status 500";
  r.last_attempt = 1800000100;
  r.last_delivery = 1800000050;
  r.dead_letter_seq = 42;
  r.delivered = 5;
  return r;
}

TEST(WatchRecord, RoundTripsEveryField) {
  const WatchRecord r = sample();
  auto back = decode_watch(encode_watch(r));
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(*back, r);
  EXPECT_EQ(encode_watch_key(0x01020304), (Bytes{1, 2, 3, 4}));
}

TEST(WatchRecord, RefusesOtherFormatsTruncationAndBadEnums) {
  Bytes good = encode_watch(sample());
  Bytes other = good;
  other[0] = 9;
  EXPECT_EQ(decode_watch(other).error().code, "storage_corrupt");
  for (std::size_t cut : {std::size_t{1}, std::size_t{10}, good.size() - 1})
    EXPECT_FALSE(decode_watch(ByteView(good).first(cut)).ok()) << cut;
  Bytes longer = good;
  longer.push_back(0);
  EXPECT_FALSE(decode_watch(longer).ok());
  WatchRecord bad = sample();
  bad.kinds = 0;
  EXPECT_FALSE(decode_watch(encode_watch(bad)).ok());
}

TEST(WatchRecord, HolderWatchesRoundTripAndFormatOneReadsAsAParticipants) {
  WatchRecord h = sample();
  h.owner = 0;
  h.holder = "TINUA-1234567890";
  h.kinds = kIssued | kLogin;
  auto back = decode_watch(encode_watch(h));
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(*back, h);
  // A record written before holder watches: format 1, no holder field at its end.
  Bytes old = encode_watch(sample());
  ASSERT_EQ(old[0], 2);
  old.resize(old.size() - 4);  // the empty holder string's be32 length
  old[0] = 1;
  auto legacy = decode_watch(old);
  ASSERT_TRUE(legacy.ok()) << legacy.error().message;
  EXPECT_EQ(*legacy, sample());
  EXPECT_TRUE(legacy->holder.empty());
  EXPECT_EQ(kind_from_name("requests"), kRequests);
  EXPECT_EQ(kind_from_name("login"), kLogin);
  EXPECT_STREQ(kind_name(kLogin), "login");
}

TEST(WatchValues, NormaliseLikeTheRegistryIndex) {
  auto v = parse_values(nlohmann::json::array(
      {{{"kind", "serial_number"}, {"value", "  tinua-1234567890 "}}, "drfo=1234567890", "san_email= Ivan@Example.UA",
       "serial_number=TINUA-1234567890"}));
  ASSERT_TRUE(v.ok()) << v.error().message;
  ASSERT_EQ(v->size(), 3u);  // the duplicate is dropped
  EXPECT_EQ((*v)[0], (WatchedValue{"serial_number", "TINUA-1234567890"}));
  EXPECT_EQ((*v)[1], (WatchedValue{"drfo", "1234567890"}));
  EXPECT_EQ((*v)[2], (WatchedValue{"san_email", "ivan@example.ua"}));
  EXPECT_EQ(parse_values(nlohmann::json::array({"colour=red"})).error().code, "query_kind_unknown");
  EXPECT_EQ(parse_values(nlohmann::json::array({42})).error().code, "watch_invalid");
  EXPECT_EQ(parse_values(nlohmann::json("x")).error().code, "watch_invalid");
}

IndexedWatch watch_of(WatchId id, std::uint32_t owner, std::vector<WatchedValue> values, std::uint8_t kinds = kAllKinds,
                      std::string issuer = "", Delivery delivery = Delivery::stream, std::uint64_t start = 0) {
  IndexedWatch w;
  w.id = id;
  w.owner = owner;
  w.values = std::move(values);
  w.kinds = kinds;
  w.issuer = std::move(issuer);
  w.delivery = delivery;
  w.start = start;
  return w;
}

CertFacts issued(std::uint64_t seq, Pairs attributes, std::string issuer = "demo-ec") {
  CertFacts f;
  f.seq = seq;
  f.type = "certificate.issued";
  f.issuer = std::move(issuer);
  f.serial = "1001";
  f.sha256 = std::string(64, 'a');
  f.attributes = std::move(attributes);
  return f;
}

TEST(WatchIndex, MatchesByValueAndSaysWhichWatchAndAttribute) {
  WatchIndex index({watch_of(1, 10, {{"serial_number", "TINUA-1234567890"}}),
                    watch_of(2, 20, {{"edrpou", "12345678"}, {"serial_number", "TINUA-1234567890"}}),
                    watch_of(3, 30, {{"serial_number", "TINUA-0000000001"}})});
  auto m = index.match(issued(5, {{"cn", "іван"}, {"serial_number", "TINUA-1234567890"}, {"edrpou", "12345678"}}));
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m[0].watch, 1u);
  EXPECT_EQ(m[0].owner, 10u);
  EXPECT_EQ(m[0].kind, kIssued);
  EXPECT_EQ(m[0].matched, (std::pair<std::string, std::string>{"serial_number", "TINUA-1234567890"}));
  EXPECT_EQ(m[1].watch, 2u);  // first matching attribute in certificate order
  EXPECT_EQ(m[1].matched.first, "serial_number");
  EXPECT_TRUE(index.match(issued(6, {{"serial_number", "TINUA-9999999999"}})).empty());
  // Same value under another kind does not match.
  EXPECT_TRUE(index.match(issued(7, {{"drfo", "TINUA-1234567890"}})).empty());
}

TEST(WatchIndex, FiltersByKindIssuerAndStreamStart) {
  WatchIndex index({watch_of(1, 1, {{"drfo", "1"}}, kRevoked), watch_of(2, 1, {{"drfo", "1"}}, kAllKinds, "demo-rsa"),
                    watch_of(3, 1, {}, kAllKinds, "demo-ec"), watch_of(4, 1, {{"drfo", "1"}}, kAllKinds, "", Delivery::stream, 50)});
  auto at10 = index.match(issued(10, {{"drfo", "1"}}));
  ASSERT_EQ(at10.size(), 1u);  // 1 wants revocations, 2 another issuer, 4 starts after 50
  EXPECT_EQ(at10[0].watch, 3u);
  EXPECT_EQ(at10[0].matched, (std::pair<std::string, std::string>{"issuer", "demo-ec"}));
  CertFacts rev = issued(60, {{"drfo", "1"}});
  rev.type = "certificate.revoked";
  auto at60 = index.match(rev);
  std::vector<WatchId> ids;
  for (const auto& x : at60) ids.push_back(x.watch);
  EXPECT_EQ(ids, (std::vector<WatchId>{1, 3, 4}));
  for (const auto& x : at60) EXPECT_EQ(x.kind, kRevoked);
  // A hold's release reaches the same watches as the hold did.
  CertFacts released = issued(61, {{"drfo", "1"}});
  released.type = "certificate.released";
  std::vector<WatchId> released_ids;
  for (const auto& x : index.match(released)) released_ids.push_back(x.watch);
  EXPECT_EQ(released_ids, (std::vector<WatchId>{1, 3, 4}));
  CertFacts other = issued(70, {{"drfo", "1"}});
  other.type = "issuer.registered";
  EXPECT_TRUE(index.match(other).empty());
}

// CRL events go to the watches that asked for kind "crl", of the event's issuer or of any
// issuer, and to no other watch; the notification names the issuer and carries no serial.
TEST(WatchIndex, CrlEventsReachOnlyCrlWatchesOfTheirIssuer) {
  WatchIndex index({watch_of(1, 1, {}, kAllKinds, "demo-ec"), watch_of(2, 1, {}, kCrl, "demo-ec"),
                    watch_of(3, 2, {{"drfo", "1"}}, kRevoked | kCrl), watch_of(4, 1, {}, kCrl, "demo-rsa"),
                    watch_of(5, 1, {}, kCrl, "demo-ec", Delivery::stream, 50)});
  CertFacts stale;
  stale.seq = 10;
  stale.type = "crl.stale";
  stale.issuer = "demo-ec";
  stale.extra = {{"number", "5"}};
  auto m = index.match(stale);
  std::vector<WatchId> ids;
  for (const auto& x : m) ids.push_back(x.watch);
  EXPECT_EQ(ids, (std::vector<WatchId>{2, 3}));
  for (const auto& x : m) {
    EXPECT_EQ(x.kind, kCrl);
    EXPECT_EQ(x.matched, (std::pair<std::string, std::string>{"issuer", "demo-ec"}));
  }
  const auto n = notification_json(m[0], stale);
  EXPECT_EQ(n["kind"], "crl");
  EXPECT_EQ(n["event"]["type"], "crl.stale");
  EXPECT_TRUE(n["event"]["serial"].is_null());
  EXPECT_EQ(n["event"]["number"], "5");
  EXPECT_EQ(kind_from_name("crl"), kCrl);
}

// Issuance anomalies go to the watches of kind "stats" only, like CRL events to "crl" ones.
TEST(WatchIndex, AnomalyEventsReachOnlyStatsWatches) {
  WatchIndex index({watch_of(1, 1, {}, kAllKinds, "demo-ec"), watch_of(2, 1, {}, kCrl, "demo-ec"),
                    watch_of(3, 2, {}, kStats), watch_of(4, 1, {}, kStats, "demo-rsa"),
                    watch_of(5, 1, {}, kStats | kCrl, "demo-ec")});
  CertFacts anomaly;
  anomaly.seq = 10;
  anomaly.type = "stats.anomaly";
  anomaly.issuer = "demo-ec";
  anomaly.extra = {{"issued", 40}, {"trailing_median", 3}};
  const auto m = index.match(anomaly);
  std::vector<WatchId> ids;
  for (const auto& x : m) ids.push_back(x.watch);
  EXPECT_EQ(ids, (std::vector<WatchId>{3, 5}));
  for (const auto& x : m) EXPECT_EQ(x.kind, kStats);
  const auto n = notification_json(m[0], anomaly);
  EXPECT_EQ(n["kind"], "stats");
  EXPECT_EQ(n["event"]["issued"], 40);
  EXPECT_EQ(kind_from_name("stats"), kStats);
}

// A disputed test case reaches the watches of kind "testcases" of the participant the
// event names (the case's owner), whatever their issuer filter says about "": nobody else's.
TEST(WatchIndex, DisputedCasesReachOnlyTheOwnersTestcaseWatches) {
  WatchIndex index({watch_of(1, 7, {}, kTestcases), watch_of(2, 8, {}, kTestcases), watch_of(3, 7, {}, kStats),
                    watch_of(4, 7, {}, kTestcases | kStats), watch_of(5, 7, {}, kTestcases, "", Delivery::stream, 50)});
  CertFacts disputed;
  disputed.seq = 10;
  disputed.type = "testcase.disputed";
  disputed.issuer = "";
  disputed.extra = {{"participant", 7}, {"case", 3}, {"version", 1}};
  const auto m = index.match(disputed);
  std::vector<WatchId> ids;
  for (const auto& x : m) ids.push_back(x.watch);
  EXPECT_EQ(ids, (std::vector<WatchId>{1, 4}));
  for (const auto& x : m) EXPECT_EQ(x.kind, kTestcases);
  EXPECT_EQ(notification_json(m[0], disputed)["kind"], "testcases");
  EXPECT_EQ(notification_json(m[0], disputed)["event"]["case"], 3);
  disputed.extra.erase("participant");  // an event naming nobody reaches nobody
  EXPECT_TRUE(index.match(disputed).empty());
  EXPECT_EQ(kind_from_name("testcases"), kTestcases);
}

// A holder's request reaches the "requests" watches of the provider the event names, never
// a holder's watch (whose owner is 0) nor another participant's.
TEST(WatchIndex, HoldersRequestsReachOnlyTheNamedProvidersRequestWatches) {
  IndexedWatch holders = watch_of(5, 0, {{"serial_number", "TINUA-1"}}, kRequests | kIssued);
  holders.holder = "TINUA-1";
  WatchIndex index({watch_of(1, 7, {}, kRequests), watch_of(2, 8, {}, kRequests), watch_of(3, 7, {}, kTestcases),
                    watch_of(4, 7, {}, kRequests, "other-ca"), holders, watch_of(6, 0, {}, kRequests)});
  CertFacts requested;
  requested.seq = 11;
  requested.type = "renewal.requested";
  requested.issuer = "test-ecdsa";
  requested.extra = {{"participant", 7}, {"number", "RN-000001"}};
  auto m = index.match(requested);
  ASSERT_EQ(m.size(), 1U);
  EXPECT_EQ(m[0].watch, 1U);
  EXPECT_EQ(m[0].kind, kRequests);
  EXPECT_EQ(notification_json(m[0], requested)["event"]["number"], "RN-000001");
  requested.type = "revocation.requested";
  EXPECT_EQ(index.match(requested).size(), 1U);
  requested.extra = {{"participant", 0}};  // nobody's: not the holders' owner-0 watches either
  m = index.match(requested);
  ASSERT_EQ(m.size(), 1U);
  EXPECT_EQ(m[0].watch, 6U);  // the bootstrap administrator's own
  EXPECT_TRUE(m[0].holder.empty());
  EXPECT_EQ(issuer_event_kind("renewal.requested"), kRequests);
  EXPECT_TRUE(watched_event("revocation.requested"));
  EXPECT_TRUE(watched_event("auth.login"));
  EXPECT_FALSE(watched_event("renewal.accepted"));
}

// A login matches the "login" watches on an identifier it names, of a holder or a
// participant; never an issuer-only watch, never a watch without the kind.
TEST(WatchIndex, LoginsMatchLoginWatchesOnTheirIdentifiers) {
  IndexedWatch mine = watch_of(1, 0, {{"serial_number", "TINUA-1"}}, kIssued | kLogin);
  mine.holder = "TINUA-1";
  WatchIndex index({mine, watch_of(2, 3, {{"drfo", "1"}}, kLogin), watch_of(3, 3, {{"serial_number", "TINUA-1"}}, kIssued),
                    watch_of(4, 3, {}, kLogin, "test-ecdsa"), watch_of(5, 3, {{"drfo", "1"}}, kLogin, "other-ca")});
  EXPECT_TRUE(index.has_holder_stream_watches("TINUA-1"));
  EXPECT_FALSE(index.has_holder_stream_watches("TINUA-2"));
  EXPECT_FALSE(index.has_stream_watches(0));  // a holder's watch is not the bootstrap's
  CertFacts login;
  login.seq = 20;
  login.type = "auth.login";
  login.issuer = "test-ecdsa";
  login.attributes = {{"serial_number", "TINUA-1"}, {"drfo", "1"}};
  login.extra = {{"as", "holder"}, {"method", "signature"}};
  auto m = index.match(login);
  ASSERT_EQ(m.size(), 2U);
  EXPECT_EQ(m[0].watch, 1U);
  EXPECT_EQ(m[0].holder, "TINUA-1");
  EXPECT_EQ(m[0].kind, kLogin);
  EXPECT_EQ(m[1].watch, 2U);
  EXPECT_EQ(m[1].matched, (std::pair<std::string, std::string>{"drfo", "1"}));
  EXPECT_EQ(notification_json(m[0], login)["kind"], "login");
  EXPECT_EQ(notification_json(m[0], login)["event"]["as"], "holder");
}

// What the login and request events carry, as their audited payloads spell it.
TEST(WatchFacts, LoginAndRequestEventsFromTheirAuditedPayloads) {
  storage::testing::TempDir dir;
  auto env = storage::testing::open_env(dir.path());
  ASSERT_TRUE(env);
  auto txn = storage::ReadTxn::begin(*env);
  ASSERT_TRUE(txn.ok());
  storage::ReadScope scope(*txn);
  storage::EventRecord login;
  login.seq = 5;
  login.type = "auth.login";
  login.payload = R"({"action":"auth.login","outcome":"ok","target":{"method":"signature","as":"holder",)"
                  R"("provider":null,"identifiers":[{"kind":"serial_number","value":" tinua-1 "},{"kind":"bogus","value":"x"}],)"
                  R"("certificate":{"issuer":"test-ecdsa","serial":"0A","sha256":"ab"},"address":"127.0.0.1"}})";
  auto f = facts_of(*txn, login);
  ASSERT_TRUE(f.ok());
  ASSERT_TRUE(f->has_value());
  EXPECT_EQ((*f)->issuer, "test-ecdsa");
  EXPECT_EQ((*f)->attributes, (Pairs{{"serial_number", "TINUA-1"}}));  // normalised; unknown kinds dropped
  EXPECT_EQ((*f)->extra["as"], "holder");
  EXPECT_EQ((*f)->extra["address"], "127.0.0.1");
  EXPECT_EQ((*f)->extra["outcome"], "ok");
  storage::EventRecord request;
  request.seq = 6;
  request.type = "renewal.requested";
  request.payload = R"({"action":"renewal.request","outcome":"submitted","target":{"issuer":"test-ecdsa",)"
                    R"("participant":7,"number":"RN-000001"}})";
  auto r = facts_of(*txn, request);
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE(r->has_value());
  EXPECT_EQ((*r)->issuer, "test-ecdsa");
  EXPECT_EQ((*r)->extra["participant"], 7);
  EXPECT_EQ((*r)->extra["number"], "RN-000001");
  request.type = "renewal.accepted";  // not a watched event
  EXPECT_FALSE(facts_of(*txn, request)->has_value());
}

TEST(WatchIndex, KeyReuseMatchesTheOtherHoldersToo) {
  WatchIndex index({watch_of(1, 1, {{"serial_number", "TINUA-1"}}, kKeyReused),
                    watch_of(2, 2, {{"serial_number", "TINUA-2"}}, kIssued),
                    watch_of(3, 3, {{"serial_number", "TINUA-2"}}, kKeyReused)});
  CertFacts f = issued(9, {{"serial_number", "TINUA-2"}});
  f.type = "certificate.key_reused";
  f.key_reused = true;
  f.holder_attributes = {{"serial_number", "TINUA-1"}};
  auto m = index.match(f);
  ASSERT_EQ(m.size(), 2u);  // 2 asked for issued only
  EXPECT_EQ(m[0].watch, 1u);
  EXPECT_EQ(m[0].kind, kKeyReused);
  EXPECT_EQ(m[0].matched.second, "TINUA-1");
  EXPECT_EQ(m[1].watch, 3u);
  // Holders' attributes never match a plain issuance.
  CertFacts plain = issued(10, {{"serial_number", "TINUA-3"}});
  plain.holder_attributes = {{"serial_number", "TINUA-1"}};
  EXPECT_TRUE(index.match(plain).empty());
}

TEST(WatchIndex, CopyOnWriteUpdates) {
  auto empty = std::make_shared<WatchIndex>();
  auto one = empty->with(watch_of(1, 5, {{"cn", "x"}}));
  EXPECT_TRUE(empty->empty());
  EXPECT_EQ(one->size(), 1u);
  EXPECT_TRUE(one->has_stream_watches(5));
  EXPECT_FALSE(one->has_stream_watches(6));
  EXPECT_EQ(one->match(issued(1, {{"cn", "x"}})).size(), 1u);
  auto none = one->without(1);
  EXPECT_TRUE(none->match(issued(1, {{"cn", "x"}})).empty());
  EXPECT_EQ(one->match(issued(1, {{"cn", "x"}})).size(), 1u);  // the old snapshot is unchanged
}

TEST(WatchNotification, NamesWatchAttributeAndCertificate) {
  CertFacts f = issued(12, {{"serial_number", "TINUA-1"}});
  f.time = 1800000000;
  f.subject = "CN=Іван,C=UA";
  Match m{4, 1, Delivery::stream, kIssued, {"serial_number", "TINUA-1"}, ""};
  auto j = notification_json(m, f);
  EXPECT_EQ(j["type"], "watch.match");
  EXPECT_EQ(j["seq"], 12);
  EXPECT_EQ(j["watch"], 4);
  EXPECT_EQ(j["kind"], "issued");
  EXPECT_EQ(j["matched"], (nlohmann::json{{"kind", "serial_number"}, {"value", "TINUA-1"}}));
  EXPECT_EQ(j["event"]["seq"], 12);
  EXPECT_EQ(j["event"]["issuer"], "demo-ec");
  EXPECT_EQ(j["event"]["serial"], "1001");
  EXPECT_EQ(j["event"]["subject"], "CN=Іван,C=UA");
  EXPECT_EQ(j["event"]["time"], "2027-01-15T08:00:00Z");
}

TEST(Backoff, DoublesUpToTheCapWithBoundedJitter) {
  BackoffPolicy p{100ms, 1000ms};
  EXPECT_EQ(backoff_delay(p, 0, 0.5), 0ms);
  EXPECT_EQ(backoff_delay(p, 1, 0.0), 50ms);
  EXPECT_EQ(backoff_delay(p, 1, 0.999999), 99ms);
  EXPECT_EQ(backoff_delay(p, 2, 0.0), 100ms);
  EXPECT_EQ(backoff_delay(p, 3, 1.0), 400ms);
  EXPECT_EQ(backoff_delay(p, 4, 1.0), 800ms);
  EXPECT_EQ(backoff_delay(p, 5, 1.0), 1000ms);  // capped
  EXPECT_EQ(backoff_delay(p, 5, 0.0), 500ms);
  EXPECT_EQ(backoff_delay(p, 4000000000u, 1.0), 1000ms);  // no overflow
  for (std::uint32_t n = 1; n < 20; ++n) {
    auto lo = backoff_delay(p, n, 0.0), hi = backoff_delay(p, n, 1.0);
    EXPECT_LE(lo, hi);
    EXPECT_EQ(hi, 2 * lo);
    EXPECT_LE(hi, 1000ms);
  }
}

TEST(Signature, IsHmacSha256OfTheBody) {
  // RFC 4231 test case 2.
  EXPECT_EQ(hmac_sha256_hex(as_bytes("Jefe"), "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  EXPECT_EQ(signature_header(as_bytes("Jefe"), "what do ya want for nothing?").substr(0, 7), "sha256=");
  EXPECT_NE(hmac_sha256_hex(as_bytes("Jefe"), "what do ya want for nothing!"),
            hmac_sha256_hex(as_bytes("Jefe"), "what do ya want for nothing?"));
}

TEST(WebhookUrl, HttpAndHttpsOnly) {
  auto u = parse_http_url("http://127.0.0.1:8443/hooks/a?x=1#frag");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->host, "127.0.0.1");
  EXPECT_EQ(u->port, 8443);
  EXPECT_EQ(u->target, "/hooks/a?x=1");
  auto d = parse_http_url("http://example.org");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->port, 80);
  EXPECT_EQ(d->target, "/");
  auto v6 = parse_http_url("http://[::1]:81/h");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->host, "::1");
  EXPECT_FALSE(v6->tls);
  auto tls = parse_http_url("https://example.org/h");
  ASSERT_TRUE(tls.ok());
  EXPECT_TRUE(tls->tls);
  EXPECT_EQ(tls->port, 443);
  EXPECT_EQ(tls->target, "/h");
  for (const char* bad : {"ftp://x", "http://", "http://:80/", "http://h:0/", "http://h:99999/", "http://u@h/",
                          "https://u:p@h/", "http://h/a b", "http://h/\r\nX: y", "example.org/h"})
    EXPECT_EQ(parse_http_url(bad).error().code, "url_invalid") << bad;
  EXPECT_EQ(parse_http_url("http://h/" + std::string(kMaxUrlLength, 'a')).error().code, "url_invalid");
}

TEST(WebhookPost, ReportsTransportFailures) {
  // Port 9 (discard) on loopback: nothing listens in the test environment.
  auto u = parse_http_url("http://127.0.0.1:9/");
  ASSERT_TRUE(u.ok());
  PostResult r = http_post(*u, {}, "{}", 500ms);
  EXPECT_FALSE(r.delivered());
  EXPECT_EQ(r.status, 0);
  EXPECT_FALSE(r.error.empty());
}

}  // namespace
}  // namespace trustmon::watch
