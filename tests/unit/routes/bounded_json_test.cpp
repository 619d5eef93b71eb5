// Bounded JSON: the same documents as json::parse within the limits; refusals at the
// first item or level over them, before the rest of the text is read.
#include "responder/routes/bounded_json.hpp"

#include <gtest/gtest.h>

#include <string>

namespace trustmon::routes {
namespace {

JsonLimits limits(std::size_t depth, std::size_t items) {
  return JsonLimits{depth, items, make_error(ErrorKind::too_large, "batch_too_large", "too many"), "not JSON"};
}

Result<nlohmann::json> parse(const std::string& text, const JsonLimits& l) { return parse_bounded_json(as_bytes(text), l); }

TEST(BoundedJson, BuildsTheSameDocumentAsJsonParse) {
  const std::string text =
      R"({"a":[1,-2,3.5,"x\u00e9",true,false,null,{"b":{}},[]],"c":"d","c":"last","e":18446744073709551615})";
  auto got = parse(text, limits(16, 100));
  ASSERT_TRUE(got.ok()) << got.error().message;
  EXPECT_EQ(*got, nlohmann::json::parse(text));
  EXPECT_EQ((*got)["c"], "last");  // a repeated key: the last one wins, as in json::parse
  auto scalar = parse("42", limits(1, 1));
  ASSERT_TRUE(scalar.ok());
  EXPECT_EQ(*scalar, 42);
}

TEST(BoundedJson, ItemsUpToTheLimitAndNotOneMore) {
  EXPECT_TRUE(parse("[1,2,3]", limits(4, 3)).ok());
  EXPECT_TRUE(parse(R"({"a":1,"b":2,"c":3})", limits(4, 3)).ok());
  for (const std::string text : {"[1,2,3,4]", R"({"a":1,"b":2,"c":3,"d":4})", "[[1],[1,2,3,4]]", "[[],[],[],[]]"}) {
    auto r = parse(text, limits(4, 3));
    ASSERT_FALSE(r.ok()) << text;
    EXPECT_EQ(r.error().code, "batch_too_large") << text;
    EXPECT_EQ(r.error().kind, ErrorKind::too_large);
  }
  // The parser stops at the item over the limit: what follows is never read (here it is
  // not even JSON).
  auto early = parse("[1,2,3,4,this is not json", limits(4, 3));
  ASSERT_FALSE(early.ok());
  EXPECT_EQ(early.error().code, "batch_too_large");
}

TEST(BoundedJson, DepthUpToTheLimitAndNotOneMore) {
  EXPECT_TRUE(parse("[[[1]]]", limits(3, 10)).ok());
  EXPECT_TRUE(parse(R"({"a":{"b":[]}})", limits(3, 10)).ok());
  auto deep = parse("[[[[1]]]]", limits(3, 10));
  ASSERT_FALSE(deep.ok());
  EXPECT_EQ(deep.error().code, "json_malformed");
  EXPECT_EQ(deep.error().kind, ErrorKind::invalid);
  // A long run of brackets stops at the first level over the limit.
  auto brackets = parse(std::string(1000000, '['), limits(16, 10000));
  ASSERT_FALSE(brackets.ok());
  EXPECT_NE(brackets.error().message.find("deeper than 16"), std::string::npos);
}

TEST(BoundedJson, InvalidTextIsMalformed) {
  for (const std::string text : {"", "{", "[1,]", "{\"a\" 1}", "\"\xff\"", "[1] [2]", "nul", "{\"a\":1}x"}) {
    auto r = parse(text, limits(16, 100));
    ASSERT_FALSE(r.ok()) << text;
    EXPECT_EQ(r.error().code, "json_malformed") << text;
    EXPECT_EQ(r.error().message, "not JSON") << text;
  }
}

}  // namespace
}  // namespace trustmon::routes
