// Router table: exact beats prefix, longest prefix wins, 405 with Allow, HEAD → GET.
#include "responder/http/router.hpp"

#include <gtest/gtest.h>

#include "responder/http/request.hpp"

namespace trustmon::http {
namespace {

using Fn = void (*)(Request&);
void h_exact(Request&) {}
void h_short(Request&) {}
void h_long(Request&) {}
void h_post(Request&) {}

Fn target(const Router::Match& m) {
  if (m.handler == nullptr) return nullptr;
  const Fn* f = m.handler->target<Fn>();
  return f != nullptr ? *f : nullptr;
}

Router sample() {
  Router r;
  r.add(Method::Get, "/ocsp/exact", h_exact)
      .add(Method::Post, "/ocsp", h_post)
      .add_prefix(Method::Get, "/ocsp/", h_short)
      .add_prefix(Method::Get, "/ocsp/long/", h_long);
  return r;
}

TEST(Router, ExactPathMatchesOnlyExactly) {
  const Router r = sample();
  auto m = r.find(Method::Post, "/ocsp");
  ASSERT_EQ(m.kind, Router::Match::Kind::found);
  EXPECT_EQ(target(m), &h_post);
  EXPECT_EQ(r.find(Method::Post, "/ocsp2").kind, Router::Match::Kind::not_found);
  EXPECT_EQ(r.find(Method::Post, "/ocs").kind, Router::Match::Kind::not_found);
}

TEST(Router, ExactBeatsPrefixAndLongestPrefixWins) {
  const Router r = sample();
  EXPECT_EQ(target(r.find(Method::Get, "/ocsp/exact")), &h_exact);
  EXPECT_EQ(target(r.find(Method::Get, "/ocsp/exact/more")), &h_short);
  EXPECT_EQ(target(r.find(Method::Get, "/ocsp/MEow")), &h_short);
  EXPECT_EQ(target(r.find(Method::Get, "/ocsp/")), &h_short);
  EXPECT_EQ(target(r.find(Method::Get, "/ocsp/long/x")), &h_long);
  EXPECT_EQ(target(r.find(Method::Get, "/ocsp/long")), &h_short);  // not under "/ocsp/long/"
}

TEST(Router, PrefixOrderOfRegistrationDoesNotMatter) {
  Router r;
  r.add_prefix(Method::Get, "/a/b/", h_long).add_prefix(Method::Get, "/a/", h_short);
  EXPECT_EQ(target(r.find(Method::Get, "/a/b/c")), &h_long);
  EXPECT_EQ(target(r.find(Method::Get, "/a/c")), &h_short);
}

TEST(Router, WrongMethodIsMethodNotAllowedWithAllow) {
  const Router r = sample();
  auto m = r.find(Method::Delete, "/ocsp");
  EXPECT_EQ(m.kind, Router::Match::Kind::method_not_allowed);
  EXPECT_EQ(m.allow, "POST");
  m = r.find(Method::Post, "/ocsp/anything");
  EXPECT_EQ(m.kind, Router::Match::Kind::method_not_allowed);
  EXPECT_EQ(m.allow, "GET, HEAD");
}

TEST(Router, HeadFallsBackToGet) {
  const Router r = sample();
  EXPECT_EQ(target(r.find(Method::Head, "/ocsp/exact")), &h_exact);
  EXPECT_EQ(r.find(Method::Head, "/ocsp").kind, Router::Match::Kind::method_not_allowed);
}

TEST(Router, AllowListsEveryMethodOfTheRoute) {
  Router r;
  r.add(Method::Put, "/x", h_post).add(Method::Get, "/x", h_exact).add(Method::Delete, "/x", h_exact);
  const auto m = r.find(Method::Post, "/x");
  EXPECT_EQ(m.kind, Router::Match::Kind::method_not_allowed);
  EXPECT_EQ(m.allow, "GET, HEAD, PUT, DELETE");
}

TEST(Router, AddReplacesAndHasExact) {
  Router r;
  r.add(Method::Get, "/x", h_exact);
  r.add(Method::Get, "/x", h_long);
  EXPECT_EQ(target(r.find(Method::Get, "/x")), &h_long);
  EXPECT_TRUE(r.has_exact(Method::Get, "/x"));
  EXPECT_FALSE(r.has_exact(Method::Post, "/x"));
  EXPECT_FALSE(r.has_exact(Method::Get, "/y"));
}

TEST(Router, EmptyRouterFindsNothing) {
  const Router r;
  EXPECT_EQ(r.find(Method::Get, "/").kind, Router::Match::Kind::not_found);
  EXPECT_EQ(r.find(Method::Get, "").kind, Router::Match::Kind::not_found);
}

}  // namespace
}  // namespace trustmon::http
