// trustmonctl joining: the document's canonical form, and the admin calls it makes.
#include <gtest/gtest.h>

#include "tools/cmd_joining.hpp"

namespace trustmon::tools {
namespace {

TEST(JoiningCommand, TheDocumentIsMadeCanonicalWithFormatAndDateAdded) {
  auto text = canonical_document("{\n  \"organisation\": {\"name\": \"ТОВ «Тест»\", \"code\": \"12345678\"},\n  \"kinds\": [\"join\"]\n}",
                                 1796000000);
  ASSERT_TRUE(text);
  EXPECT_EQ(*text,
            "{\"date\":\"2026-11-30T00:53:20Z\",\"format\":\"trustmon-joining/1\",\"kinds\":[\"join\"],"
            "\"organisation\":{\"code\":\"12345678\",\"name\":\"ТОВ «Тест»\"}}");
  // Given ones are kept.
  auto kept = canonical_document(R"({"date":"2026-11-01T00:00:00Z","format":"x"})", 1796000000);
  ASSERT_TRUE(kept);
  EXPECT_EQ(*kept, R"({"date":"2026-11-01T00:00:00Z","format":"x"})");
  EXPECT_EQ(canonical_document("[1]", 0).error().code, "document_invalid");
  EXPECT_EQ(canonical_document("{", 0).error().code, "document_invalid");
}

TEST(JoiningCommand, TheQueueCallsNameTheApplication) {
  EXPECT_EQ(joining_list("").target, "/api/v1/joining/applications");
  EXPECT_EQ(joining_list("pending").target, "/api/v1/joining/applications?state=pending");
  const AdminCall reject = joining_decide("JA-000001", "reject", "no power of attorney");
  EXPECT_EQ(reject.method, "POST");
  EXPECT_EQ(reject.target, "/api/v1/joining/applications/JA-000001/decision");
  EXPECT_EQ((*reject.body)["reason"], "no power of attorney");
  EXPECT_FALSE(joining_decide("JA-000001", "approve", "").body->contains("reason"));
  EXPECT_EQ(joining_show("JA-000002").target, "/api/v1/joining/applications/JA-000002");
}

}  // namespace
}  // namespace trustmon::tools
