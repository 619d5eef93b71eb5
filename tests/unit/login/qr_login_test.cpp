#include "responder/login/qr_login.hpp"

#include <gtest/gtest.h>

#include <map>

namespace trustmon::login {
namespace {

QrOptions options() {
  QrOptions o;
  o.base_url = "http://127.0.0.1:8080";
  ProviderConfig p;
  p.name = "ksp";
  p.authorize_url = "http://ksp.test/oauth2/authorize";
  p.token_url = "http://ksp.test/oauth2/token";
  p.csc_url = "http://ksp.test/csc/v2";
  p.client_id = "trustmon";
  p.client_secret = "s";
  o.providers.push_back(p);
  o.max_per_address = 3;
  o.max_per_hint = 1;
  return o;
}

std::map<std::string, std::string> query_of(const std::string& url) {
  std::map<std::string, std::string> out;
  std::string q = url.substr(url.find('?') + 1);
  while (!q.empty()) {
    const std::size_t amp = q.find('&');
    const std::string pair = q.substr(0, amp);
    const std::size_t eq = pair.find('=');
    out[pair.substr(0, eq)] = eq == std::string::npos ? "" : *percent_decode(pair.substr(eq + 1));
    q = amp == std::string::npos ? "" : q.substr(amp + 1);
  }
  return out;
}

TEST(QrLogins, TheLinkChangesEverySecondAndIsAcceptedOnceWithinItsWindow) {
  QrLogins qr(options());
  auto s = qr.start("ksp", "", "10.0.0.1", "Firefox", "", 1000);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->vc.size(), 4U);
  auto l1 = qr.link(s->id, s->binding, 1001);
  auto l2 = qr.link(s->id, s->binding, 1002);
  ASSERT_TRUE(l1.ok() && l2.ok());
  EXPECT_NE(*l1, *l2);
  EXPECT_EQ(qr.link(s->id, "", 1002).error().code, "challenge_binding");
  auto q1 = query_of(*l1);
  // Tampered or stale links are refused; the fresh one is taken once.
  EXPECT_EQ(qr.scan(s->id, q1["e"], "AAAA", 1002).error().code, "link_invalid");
  EXPECT_EQ(qr.scan(s->id, "2", q1["a"], 1002).error().code, "link_invalid");
  EXPECT_EQ(qr.scan(s->id, q1["e"], q1["a"], 1010).error().code, "link_expired");
  auto target = qr.scan(s->id, q1["e"], q1["a"], 1003);
  ASSERT_TRUE(target.ok()) << target.error().message;
  auto auth = query_of(*target);
  EXPECT_EQ(target->rfind("http://ksp.test/oauth2/authorize?", 0), 0U);
  EXPECT_EQ(auth["state"], s->id);
  EXPECT_EQ(auth["vc"], s->vc);
  EXPECT_EQ(auth["scope"], "credential");
  EXPECT_EQ(auth["code_challenge_method"], "S256");
  EXPECT_EQ(auth["redirect_uri"], "http://127.0.0.1:8080/api/v1/auth/qr/callback");
  EXPECT_NE(auth["context"].find("10.0.0.1"), std::string::npos);
  auto q2 = query_of(*l2);
  EXPECT_EQ(qr.scan(s->id, q2["e"], q2["a"], 1003).error().code, "link_used");
}

TEST(QrLogins, ADecisionIsTakenByOnePollOfItsBrowser) {
  QrLogins qr(options());
  auto s = qr.start("ksp", "", "a", "", "", 1000);
  ASSERT_TRUE(s.ok());
  auto q = query_of(*qr.link(s->id, s->binding, 1000));
  ASSERT_TRUE(qr.scan(s->id, q["e"], q["a"], 1000).ok());
  int woken = 0;
  EXPECT_TRUE(qr.on_change(s->id, [&] { ++woken; }));
  auto p = qr.poll(s->id, s->binding, 1001);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->state, QrState::scanned);
  auto x = qr.begin_deciding(s->id, "code-1", "", "", 1002);
  ASSERT_TRUE(x.ok());
  EXPECT_EQ(x->code, "code-1");
  EXPECT_FALSE(x->code_verifier.empty());
  EXPECT_EQ(std::string(x->signed_text.begin(), x->signed_text.end()).rfind("trustmon-login-v1|trustmon|" + s->id + "|", 0), 0U);
  EXPECT_EQ(qr.begin_deciding(s->id, "code-2", "", "", 1002).error().code, "challenge_used");
  LoginDecision d;
  d.holder = true;
  qr.decide(s->id, d);
  EXPECT_EQ(woken, 1);
  EXPECT_EQ(qr.poll(s->id, "", 1003).error().code, "challenge_binding");
  auto taken = qr.poll(s->id, s->binding, 1003);
  ASSERT_TRUE(taken.ok());
  ASSERT_TRUE(taken->decision.has_value());
  auto again = qr.poll(s->id, s->binding, 1004);
  ASSERT_TRUE(again.ok());
  ASSERT_TRUE(again->failure.has_value());
  EXPECT_EQ(again->failure->code, "challenge_used");
}

TEST(QrLogins, ProviderRefusalsAndExpiryHaveTheirCodes) {
  QrLogins qr(options());
  auto s = qr.start("ksp", "", "a", "", "", 1000);
  auto q = query_of(*qr.link(s->id, s->binding, 1000));
  ASSERT_TRUE(qr.scan(s->id, q["e"], q["a"], 1000).ok());
  EXPECT_EQ(qr.begin_deciding(s->id, "", "access_denied", "wrong_vc", 1001).error().code, "wrong_vc");
  auto p = qr.poll(s->id, s->binding, 1001);
  ASSERT_TRUE(p.ok() && p->failure);
  EXPECT_EQ(p->failure->code, "wrong_vc");

  auto t = qr.start("ksp", "", "a", "", s->binding, 1000);
  ASSERT_TRUE(t.ok());
  EXPECT_TRUE(t->binding.empty());  // the browser's own binding again
  auto late = qr.poll(t->id, s->binding, 1121);
  ASSERT_TRUE(late.ok() && late->failure);
  EXPECT_EQ(late->failure->code, "challenge_expired");
}

TEST(QrLogins, StartsAreLimitedPerAddressAndPerHolder) {
  QrLogins qr(options());
  EXPECT_EQ(qr.start("nope", "", "a", "", "", 1000).error().code, "provider_unknown");
  ASSERT_TRUE(qr.start("ksp", "5550000001", "a", "", "", 1000).ok());
  EXPECT_EQ(qr.start("ksp", "5550000001", "b", "", "", 1000).error().code, "login_busy");
  ASSERT_TRUE(qr.start("ksp", "", "a", "", "", 1000).ok());
  ASSERT_TRUE(qr.start("ksp", "", "a", "", "", 1000).ok());
  auto fourth = qr.start("ksp", "", "a", "", "", 1000);
  ASSERT_FALSE(fourth.ok());
  EXPECT_EQ(fourth.error().kind, ErrorKind::rate_limited);
  EXPECT_TRUE(qr.start("ksp", "", "a", "", "", 1061).ok());  // a minute later
}

TEST(QrLogins, TheVerificationCodeIsFourDigitsOfTheChallengeHash) {
  EXPECT_EQ(verification_code(Bytes{1, 2, 3}).size(), 4U);
  EXPECT_EQ(verification_code(Bytes{1, 2, 3}), verification_code(Bytes{1, 2, 3}));
  EXPECT_NE(verification_code(Bytes{1, 2, 3}), verification_code(Bytes{1, 2, 4}));
}

}  // namespace
}  // namespace trustmon::login
