#include "responder/joining/document.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace trustmon::joining {
namespace {

using nlohmann::json;

constexpr UnixTime kNow = 1796000000;  // 2026-11-30

json base() {
  return {{"date", "2026-11-29T10:00:00Z"},
          {"format", "trustmon-joining/1"},
          {"kinds", {"join", "grant"}},
          {"organisation", {{"code", "12345678"}, {"kind", "system_owner"}, {"name", "ТОВ «Тест»"}}},
          {"representatives", {{{"name", "Петренко"}, {"role", "operator"}, {"tin", "1234567890"}}}}};
}

Result<Document> parse(const json& j) { return parse_document(j.dump(), kNow); }

std::string code_of(const Result<Document>& r) { return r ? std::string("ok") : r.error().code; }

TEST(JoiningDocument, ACanonicalJoinAndGrantParses) {
  auto d = parse(base());
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_TRUE(d->join);
  EXPECT_TRUE(d->grant);
  EXPECT_FALSE(d->block);
  EXPECT_EQ(d->code, "12345678");
  EXPECT_EQ(d->name, "ТОВ «Тест»");
  EXPECT_EQ(d->kind, access::ParticipantKind::system_owner);
  ASSERT_EQ(d->representatives.size(), 1U);
  EXPECT_EQ(d->representatives[0].rnokpp, "1234567890");
  EXPECT_EQ(d->representatives[0].role, access::Role::operator_);
  EXPECT_EQ(d->kinds(), (std::vector<std::string>{"join", "grant"}));
}

TEST(JoiningDocument, OnlyTheCanonicalSpellingIsAccepted) {
  const std::string canonical = base().dump();
  EXPECT_TRUE(parse_document(canonical, kNow));
  EXPECT_EQ(code_of(parse_document(base().dump(2), kNow)), "document_not_canonical");
  EXPECT_EQ(code_of(parse_document(canonical + "\n", kNow)), "document_not_canonical");
  // Members out of order.
  std::string swapped = canonical;
  const auto at = swapped.find("\"format\"");
  swapped = "{" + swapped.substr(at, swapped.find(",\"kinds\"") - at) + ",\"date\":\"2026-11-29T10:00:00Z\"" +
            swapped.substr(swapped.find(",\"kinds\""));
  EXPECT_EQ(code_of(parse_document(swapped, kNow)), "document_not_canonical");
  // Non-ASCII escaped is another spelling of the same text.
  json escaped_source = base();
  std::string escaped = escaped_source.dump(-1, ' ', true);
  EXPECT_EQ(code_of(parse_document(escaped, kNow)), "document_not_canonical");
  // Floats have no single spelling.
  json f = base();
  f["organisation"]["code"] = 1.5;
  EXPECT_EQ(code_of(parse_document(f.dump(), kNow)), "document_not_canonical");
  EXPECT_EQ(code_of(parse_document("\xff", kNow)), "document_not_canonical");
}

TEST(JoiningDocument, KindsAndTheirMembersMustMatch) {
  json j = base();
  j["kinds"] = {"grant", "join"};
  EXPECT_EQ(code_of(parse(j)), "document_invalid");
  j["kinds"] = {"join", "block"};
  EXPECT_EQ(code_of(parse(j)), "document_invalid");
  j = base();
  j["kinds"] = {"join"};  // representatives belong to a grant
  EXPECT_EQ(code_of(parse(j)), "document_invalid");
  j.erase("representatives");
  EXPECT_EQ(code_of(parse(j)), "ok");
  j["organisation"]["kind"] = "qtsp";  // a QTSP names its CAs
  EXPECT_EQ(code_of(parse(j)), "document_invalid");
  j["organisation"]["kind"] = "central_body";
  EXPECT_EQ(code_of(parse(j)), "document_invalid");

  json grant = base();
  grant["kinds"] = {"grant"};
  grant["organisation"] = {{"code", "12345678"}};
  EXPECT_EQ(code_of(parse(grant)), "ok");
  grant["organisation"]["name"] = "x";  // a grant does not rename
  EXPECT_EQ(code_of(parse(grant)), "document_invalid");

  json block = {{"block", {{"reason", "left"}, {"tin", "1234567890"}}},
                {"date", "2026-11-29T10:00:00Z"},
                {"format", "trustmon-joining/1"},
                {"kinds", {"block"}},
                {"organisation", {{"code", "12345678"}}}};
  auto b = parse(block);
  ASSERT_TRUE(b) << b.error().message;
  EXPECT_EQ(b->blocked->rnokpp, "1234567890");
  EXPECT_EQ(b->blocked->reason, "left");
  block["block"].erase("reason");
  EXPECT_EQ(code_of(parse(block)), "document_invalid");
}

TEST(JoiningDocument, CodesRolesAndCapsAreChecked) {
  json j = base();
  j["organisation"]["code"] = "1234567";
  EXPECT_EQ(code_of(parse(j)), "document_invalid");
  j = base();
  j["representatives"][0]["tin"] = "12345678ab";
  EXPECT_EQ(code_of(parse(j)), "document_invalid");
  j = base();
  j["representatives"][0]["role"] = "admin";  // the admin role is the central body's
  EXPECT_EQ(code_of(parse(j)), "document_invalid");
  j = base();
  j["representatives"].push_back(j["representatives"][0]);  // the same person twice
  EXPECT_EQ(code_of(parse(j)), "document_invalid");
  j = base();
  j["representatives"][0]["certificate"] = "bm90IGEgY2VydGlmaWNhdGU=";
  EXPECT_EQ(code_of(parse(j)), "document_invalid");
  j = base();
  j["extra"] = 1;
  EXPECT_EQ(code_of(parse(j)), "document_invalid");
  j = base();
  j["format"] = "trustmon-joining/2";
  EXPECT_EQ(code_of(parse(j)), "document_invalid");
  j = base();
  json many = json::array();
  for (int i = 0; i < 51; ++i) many.push_back({{"name", "n"}, {"role", "viewer"}, {"tin", std::to_string(1000000000 + i)}});
  j["representatives"] = many;
  EXPECT_EQ(code_of(parse(j)), "document_invalid");
  j = base();
  j["organisation"]["name"] = std::string(513, 'a');
  EXPECT_EQ(code_of(parse(j)), "document_invalid");
  EXPECT_EQ(code_of(parse_document(std::string(kMaxDocumentBytes + 1, ' '), kNow)), "document_too_large");
}

TEST(JoiningDocument, TheDateMustBeRecentWhenFiledButNotWhenReadBack) {
  json j = base();
  j["date"] = "2026-10-01T00:00:00Z";  // 60 days before kNow
  EXPECT_EQ(code_of(parse(j)), "document_stale");
  EXPECT_TRUE(parse_document(j.dump(), std::nullopt));
  j["date"] = "2026-11-30T01:00:00Z";  // ahead of the clock
  EXPECT_EQ(code_of(parse(j)), "document_stale");
  j["date"] = "yesterday";
  EXPECT_EQ(code_of(parse(j)), "document_invalid");
}

}  // namespace
}  // namespace trustmon::joining
