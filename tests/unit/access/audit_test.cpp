// Audit filters and cursor pages over a real event log.
#include "responder/access/audit.hpp"

#include <gtest/gtest.h>

#include "storage/writer.hpp"
#include "tests/support/temp_env.hpp"

namespace trustmon::access {
namespace {

TEST(AuditFilters, ActorPrefixesStopAtSlashes) {
  EXPECT_TRUE(actor_matches("", "p3/r7/c12"));
  EXPECT_TRUE(actor_matches("p3", "p3/r7/c12"));
  EXPECT_TRUE(actor_matches("p3/r7", "p3/r7/c12"));
  EXPECT_TRUE(actor_matches("p3/r7/c12", "p3/r7/c12"));
  EXPECT_FALSE(actor_matches("p3", "p31/r1/c1"));
  EXPECT_FALSE(actor_matches("p3/r7/c1", "p3/r7/c12"));
  EXPECT_TRUE(actor_matches("bootstrap", "bootstrap"));
}

TEST(AuditFilters, ActionsExactOrFamily) {
  EXPECT_TRUE(action_matches("participant.block", "participant.block"));
  EXPECT_FALSE(action_matches("participant.block", "participant.blocked"));
  EXPECT_TRUE(action_matches("participant.*", "participant.unblock"));
  EXPECT_FALSE(action_matches("participant.*", "participants.add"));
  EXPECT_FALSE(action_matches("participant.*", "participant."));
}

// D4: payloads are always served as JSON objects that dump as strict JSON.
TEST(AuditPayloads, AlwaysObjects) {
  EXPECT_EQ(payload_json(R"({"a":1})"), (nlohmann::json{{"a", 1}}));
  // The spliced form an old revocation stored.
  const std::string discarded = R"({"attributes":<discarded>,"issuer":"ec"})";
  EXPECT_EQ(payload_json(discarded), (nlohmann::json{{"unparsed", discarded}}));
  // Ill-formed UTF-8 inside a string: not JSON; the text is sanitised and the octets kept as hex.
  const std::string bad = "{\"san\":\"y\xf7\x97\x8b\"}";
  const nlohmann::json j = payload_json(bad);
  ASSERT_TRUE(j.is_object());
  EXPECT_EQ(j["unparsed"], "{\"san\":\"y\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"}");
  EXPECT_EQ(j["unparsed_hex"], "7b2273616e223a2279f7978b227d");
  const std::string dumped = j.dump();  // throws on invalid UTF-8 (strict)
  EXPECT_FALSE(nlohmann::json::parse(dumped, nullptr, false).is_discarded());
  // Valid JSON that is not an object is wrapped too.
  EXPECT_EQ(payload_json("\"text\""), (nlohmann::json{{"unparsed", "\"text\""}}));
  EXPECT_EQ(payload_json("[1]"), (nlohmann::json{{"unparsed", "[1]"}}));
  EXPECT_EQ(payload_json(""), (nlohmann::json{{"unparsed", ""}}));
  storage::EventRecord e;
  e.seq = 7;
  e.type = "certificate.revoked";
  e.actor = "admin\xff";
  e.payload = bad;
  const nlohmann::json ev = event_json(e);
  EXPECT_TRUE(ev["payload"].is_object());
  EXPECT_EQ(ev["actor"], "admin\xef\xbf\xbd");
  EXPECT_NO_THROW((void)ev.dump());
}

TEST(AuditQuery, FiltersAndPagesInSequenceOrder) {
  storage::testing::TempDir dir;
  auto env = storage::testing::open_env(dir.path());
  ASSERT_TRUE(env);
  storage::Writer writer(*env);
  writer.start();
  // 30 events: actors alternate, times increase.
  ASSERT_TRUE(writer
                  .run_sync([](storage::WriteTxn& txn) -> Status {
                    for (int i = 1; i <= 30; ++i) {
                      const std::string actor = i % 2 ? "p1/r1/c1" : "p2/r2/c2";
                      const std::string type = i % 3 ? "participant.add" : "credential.revoke";
                      auto seq = storage::append_event(txn, {type, actor, "{\"i\":" + std::to_string(i) + "}", 1000 + i});
                      if (!seq) return std::move(seq).error();
                    }
                    return {};
                  })
                  .ok());
  writer.stop();
  auto txn = storage::ReadTxn::begin(*env);
  storage::ReadScope scope(*txn);

  AuditQuery q;
  q.actor = "p1";
  q.limit = 4;
  std::vector<std::uint64_t> seen;
  for (int page = 0; page < 10; ++page) {
    auto r = audit_query(*txn, q);
    ASSERT_TRUE(r.ok());
    for (const auto& e : r->events) {
      EXPECT_EQ(e["actor"], "p1/r1/c1");
      seen.push_back(e["seq"].get<std::uint64_t>());
    }
    if (!r->next) break;
    q.after = *r->next;
  }
  ASSERT_EQ(seen.size(), 15U);
  for (std::size_t i = 1; i < seen.size(); ++i) EXPECT_GT(seen[i], seen[i - 1]);

  AuditQuery by_action;
  by_action.action = "credential.*";
  by_action.since = 1010;
  by_action.until = 1020;
  auto r = audit_query(*txn, by_action);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->events.size(), 3U);  // i = 12, 15, 18
  EXPECT_EQ(r->events[0]["payload"]["i"], 12);
  EXPECT_FALSE(r->next.has_value());
}

}  // namespace
}  // namespace trustmon::access
