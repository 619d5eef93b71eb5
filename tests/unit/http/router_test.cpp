// Router table: exact beats pattern beats prefix, longest prefix wins, the most specific
// pattern wins, 405 with the matched route's Allow, HEAD → GET, path parameters (raw, and
// decoded on request), the trailing-slash fallback and malformed patterns.
#include "responder/http/router.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

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

// ---- patterns ----------------------------------------------------------------------

void h_item(Request&) {}
void h_block(Request&) {}
void h_reps(Request&) {}
void h_new(Request&) {}
void h_issuer(Request&) {}

Router admin() {
  Router r;
  r.add(Method::Get, "/api/p", h_exact)
      .add(Method::Get, "/api/p/{id}", h_item)
      .add(Method::Patch, "/api/p/{id}", h_item)
      .add(Method::Post, "/api/p/{id}/block", h_block)
      .add(Method::Post, "/api/p/{id}/representatives", h_reps)
      .add(Method::Delete, "/api/p/{id}/issuers/{name}", h_issuer)
      .add(Method::Post, "/api/p/new", h_new)
      .add_prefix(Method::Get, "/api/", h_short);
  return r;
}

TEST(RouterPattern, ParameterMatchesOneNonEmptySegment) {
  const Router r = admin();
  auto m = r.find(Method::Get, "/api/p/42");
  ASSERT_EQ(m.kind, Router::Match::Kind::found);
  EXPECT_EQ(target(m), &h_item);
  EXPECT_EQ(m.params.size(), 1u);
  EXPECT_EQ(m.params.get("id"), "42");
  EXPECT_EQ(m.params.get("other"), "");

  m = r.find(Method::Post, "/api/p/42/representatives");
  ASSERT_EQ(m.kind, Router::Match::Kind::found);
  EXPECT_EQ(target(m), &h_reps);
  EXPECT_EQ(m.params.get("id"), "42");

  m = r.find(Method::Delete, "/api/p/7/issuers/ec-2");
  ASSERT_EQ(m.kind, Router::Match::Kind::found);
  EXPECT_EQ(target(m), &h_issuer);
  EXPECT_EQ(m.params.get("id"), "7");
  EXPECT_EQ(m.params.get("name"), "ec-2");

  // An empty segment is not a parameter; more or fewer segments are other paths. The
  // GET prefix "/api/" catches what no pattern takes (a POST finds the prefix's 405).
  EXPECT_EQ(target(r.find(Method::Get, "/api/p//block")), &h_short);
  EXPECT_EQ(r.find(Method::Post, "/api/p//block").kind, Router::Match::Kind::method_not_allowed);
  EXPECT_EQ(target(r.find(Method::Get, "/api/p/42/block/x")), &h_short);
  EXPECT_EQ(target(r.find(Method::Get, "/api/p/42/unknown")), &h_short);
  EXPECT_EQ(r.find(Method::Post, "/other/42").kind, Router::Match::Kind::not_found);
}

TEST(RouterPattern, ExactBeatsPatternAndPatternBeatsPrefix) {
  const Router r = admin();
  // "/api/p/new" is an exact route (POST only): it decides, even though {id} would take GET.
  auto m = r.find(Method::Post, "/api/p/new");
  ASSERT_EQ(m.kind, Router::Match::Kind::found);
  EXPECT_EQ(target(m), &h_new);
  EXPECT_TRUE(m.params.empty());
  m = r.find(Method::Get, "/api/p/new");
  EXPECT_EQ(m.kind, Router::Match::Kind::method_not_allowed);
  EXPECT_EQ(m.allow, "POST");
  // The pattern wins over the "/api/" prefix.
  EXPECT_EQ(target(r.find(Method::Get, "/api/p/9")), &h_item);
  EXPECT_EQ(target(r.find(Method::Get, "/api/p")), &h_exact);
}

TEST(RouterPattern, LiteralSegmentBeatsParameterWhateverTheOrder) {
  for (bool literal_first : {true, false}) {
    Router r;
    auto literal = [&] { r.add(Method::Get, "/a/{x}/stats", h_long); };
    auto param = [&] { r.add(Method::Get, "/a/{x}/{y}", h_short); };
    if (literal_first) {
      literal();
      param();
    } else {
      param();
      literal();
    }
    r.add(Method::Get, "/a/fixed/{y}", h_exact);
    EXPECT_EQ(target(r.find(Method::Get, "/a/1/stats")), &h_long) << literal_first;
    EXPECT_EQ(target(r.find(Method::Get, "/a/1/other")), &h_short) << literal_first;
    // At the first differing segment a literal wins: "/a/fixed/{y}" over "/a/{x}/stats".
    auto m = r.find(Method::Get, "/a/fixed/stats");
    EXPECT_EQ(target(m), &h_exact) << literal_first;
    EXPECT_EQ(m.params.get("y"), "stats");
  }
}

TEST(RouterPattern, WrongMethodAnswers405WithThePatternsMethods) {
  const Router r = admin();
  auto m = r.find(Method::Post, "/api/p/42");
  EXPECT_EQ(m.kind, Router::Match::Kind::method_not_allowed);
  EXPECT_EQ(m.allow, "GET, HEAD, PATCH");
  EXPECT_TRUE(m.params.empty());
  m = r.find(Method::Get, "/api/p/42/block");
  EXPECT_EQ(m.kind, Router::Match::Kind::method_not_allowed);
  EXPECT_EQ(m.allow, "POST");
  m = r.find(Method::Put, "/api/p/42/issuers/x");
  EXPECT_EQ(m.kind, Router::Match::Kind::method_not_allowed);
  EXPECT_EQ(m.allow, "DELETE");
  EXPECT_EQ(target(r.find(Method::Head, "/api/p/42")), &h_item);  // HEAD → GET
}

TEST(RouterPattern, SameShapeIsOneRouteAndOtherNamesAreRefused) {
  Router r;
  r.add(Method::Get, "/w/{id}", h_item).add(Method::Delete, "/w/{id}", h_block);
  EXPECT_EQ(target(r.find(Method::Get, "/w/1")), &h_item);
  EXPECT_EQ(target(r.find(Method::Delete, "/w/1")), &h_block);
  EXPECT_EQ(r.find(Method::Post, "/w/1").allow, "GET, HEAD, DELETE");
  r.add(Method::Get, "/w/{id}", h_long);  // replaces
  EXPECT_EQ(target(r.find(Method::Get, "/w/1")), &h_long);
  EXPECT_THROW(r.add(Method::Post, "/w/{other}", h_new), std::invalid_argument);
}

TEST(RouterPattern, MalformedPatternsAreRefused) {
  Router r;
  for (const char* bad : {"/a/{", "/a/{}", "/a/x{id}", "/a/{id}x", "/a/{i-d}", "/a/}", "a/{id}", "/{a}/{a}",
                          "/{a}/{b}/{c}/{d}/{e}"}) {
    EXPECT_THROW(r.add(Method::Get, bad, h_item), std::invalid_argument) << bad;
  }
  EXPECT_NO_THROW(r.add(Method::Get, "/{a}/{b}/{c}/{d}", h_item));
  EXPECT_EQ(r.find(Method::Get, "/1/2/3/4").params.get("d"), "4");
}

TEST(RouterPattern, ParametersAreRawAndDecodedOnRequest) {
  Router r;
  r.add(Method::Delete, "/p/{id}/issuers/{name}", h_issuer);
  // An encoded slash stays inside its segment: the router splits the raw path.
  auto m = r.find(Method::Delete, "/p/1/issuers/a%2Fb+c%20d");
  ASSERT_EQ(m.kind, Router::Match::Kind::found);
  EXPECT_EQ(m.params.get("name"), "a%2Fb+c%20d");
  auto decoded = m.params.decoded("name");
  ASSERT_TRUE(decoded);
  EXPECT_EQ(*decoded, "a/b+c d");  // '+' is not a space in a path
  EXPECT_FALSE(m.params.decoded("absent"));
  // A malformed escape still matches (the route decides), but does not decode.
  m = r.find(Method::Delete, "/p/1/issuers/bad%2");
  ASSERT_EQ(m.kind, Router::Match::Kind::found);
  EXPECT_EQ(m.params.get("name"), "bad%2");
  EXPECT_FALSE(m.params.decoded("name"));
  m = r.find(Method::Delete, "/p/1/issuers/%zz");
  EXPECT_FALSE(m.params.decoded("name"));
  // A raw "/" splits: this path has one segment too many.
  EXPECT_EQ(r.find(Method::Delete, "/p/1/issuers/a/b").kind, Router::Match::Kind::not_found);
}

TEST(RouterPattern, TrailingSlashFallsBackToTheRouteWithoutIt) {
  Router r;
  r.add(Method::Get, "/w", h_exact)
      .add(Method::Get, "/w/{id}", h_item)
      .add(Method::Post, "/ocsp", h_post)
      .add(Method::Post, "/ocsp/", h_new)
      .add_prefix(Method::Get, "/ocsp/", h_short);
  EXPECT_EQ(target(r.find(Method::Get, "/w/")), &h_exact);
  auto m = r.find(Method::Get, "/w/7/");
  EXPECT_EQ(target(m), &h_item);
  EXPECT_EQ(m.params.get("id"), "7");
  EXPECT_EQ(r.find(Method::Post, "/w/7/").allow, "GET, HEAD");
  // A route registered with the slash keeps it: the fallback only runs when nothing matched.
  EXPECT_EQ(target(r.find(Method::Post, "/ocsp/")), &h_new);
  EXPECT_EQ(target(r.find(Method::Get, "/ocsp/ab/")), &h_short);
  // Only one slash is dropped, and "/" is not "".
  EXPECT_EQ(r.find(Method::Get, "/w/7//").kind, Router::Match::Kind::not_found);
  EXPECT_EQ(r.find(Method::Get, "/").kind, Router::Match::Kind::not_found);
}

TEST(RouterPattern, PatternsOutsideThePathsFirstSegmentAreNotTried) {
  // A pattern whose first segment is a parameter is tried for every path.
  Router r;
  r.add(Method::Get, "/api/{x}", h_item).add_prefix(Method::Get, "/ocsp/", h_short);
  EXPECT_EQ(target(r.find(Method::Get, "/ocsp/abc")), &h_short);
  EXPECT_EQ(target(r.find(Method::Get, "/api/abc")), &h_item);
  r.add(Method::Get, "/{any}", h_long);
  EXPECT_EQ(target(r.find(Method::Get, "/zzz")), &h_long);
  EXPECT_EQ(target(r.find(Method::Get, "/api/abc")), &h_item);
  EXPECT_EQ(target(r.find(Method::Get, "/ocsp/abc")), &h_short);
}

}  // namespace
}  // namespace trustmon::http
