// The audited write: a change and its one event commit together; a refusal changes
// nothing and is recorded; a fault fails the job and records nothing; secrets never reach
// the log; a job run again after map growth leaves one result and one event; denials.
#include "storage/audited.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <string>
#include <vector>

#include "storage/event_log.hpp"
#include "tests/support/temp_env.hpp"

namespace trustmon::storage {
namespace {

using nlohmann::json;
using testing::open_env;
using testing::str;
using testing::TempDir;

class AuditedWriteTest : public ::testing::Test {
 protected:
  void open(const std::string& path, std::size_t map_size = std::size_t{16} << 20) {
    env_ = open_env(path, map_size);
    ASSERT_TRUE(env_);
    writer_ = std::make_unique<Writer>(*env_, WriterOptions{16, std::chrono::microseconds(100)});
    writer_->start();
    audited_ = std::make_unique<AuditedWrite>(*writer_);
  }
  void SetUp() override { open(dir_.path()); }
  void TearDown() override {
    if (writer_) writer_->stop();
  }

  static AuditEvent event(std::string action) {
    AuditEvent e;
    e.actor = "p3/r4/c5";
    e.time = 1700000000;
    e.action = std::move(action);
    e.target = {{"participant", 7}};
    return e;
  }

  // Runs asynchronously and waits for the completion.
  Result<json> run(AuditEvent e, AuditedWrite::Apply<json> apply) {
    std::promise<Result<json>> p;
    audited_->run<json>(std::move(e), std::move(apply), [&p](Result<json> r) { p.set_value(std::move(r)); });
    return p.get_future().get();
  }

  std::vector<EventRecord> events() {
    std::vector<EventRecord> out;
    auto rtxn = ReadTxn::begin(*env_);
    EXPECT_TRUE(rtxn.ok());
    ReadScope scope(*rtxn);
    auto cur = Cursor::open(*rtxn, Table::events);
    EXPECT_TRUE(cur.ok());
    for (auto at = cur->first(); at.ok() && *at; at = cur->next()) {
      auto e = decode_event(cur->key(), cur->value());
      EXPECT_TRUE(e.ok());
      if (e.ok()) out.push_back(std::move(*e));
    }
    auto chain = verify_event_chain(*rtxn);
    EXPECT_TRUE(chain.ok() && chain->ok);
    return out;
  }

  std::optional<std::string> read(std::string_view key) {
    auto rtxn = ReadTxn::begin(*env_);
    EXPECT_TRUE(rtxn.ok());
    ReadScope scope(*rtxn);
    auto v = rtxn->get(Table::meta, as_bytes(key));
    EXPECT_TRUE(v.ok());
    if (!v.ok() || !v->has_value()) return std::nullopt;
    return str(**v);
  }

  TempDir dir_;
  TempDir small_dir_;
  std::unique_ptr<Env> env_;
  std::unique_ptr<Writer> writer_;
  std::unique_ptr<AuditedWrite> audited_;
};

TEST_F(AuditedWriteTest, CommitsTheChangeAndOneEventOfTheCommonShape) {
  auto r = run(event("participant.update"), [](WriteTxn& txn, AuditEvent& ev) -> Result<json> {
    if (Status s = txn.put(Table::meta, as_bytes("test.key"), as_bytes("value")); !s) return s.error();
    ev.details = {{"name", "new"}};
    return json{{"id", 7}};
  });
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ((*r)["id"], 7);
  EXPECT_EQ(read("test.key"), "value");

  auto log = events();
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0].type, "participant.update");  // the type defaults to the action
  EXPECT_EQ(log[0].actor, "p3/r4/c5");
  EXPECT_EQ(log[0].time, 1700000000);
  const json payload = json::parse(log[0].payload);
  EXPECT_EQ(payload, (json{{"action", "participant.update"},
                           {"outcome", "ok"},
                           {"target", {{"participant", 7}}},
                           {"details", {{"name", "new"}}}}));
}

TEST_F(AuditedWriteTest, ARefusalAbortsTheChangeAndIsRecorded) {
  AuditEvent e = event("participant.add");
  e.type = "participant.added";
  e.refused_type = "participant.refused";
  auto r = run(std::move(e), [](WriteTxn& txn, AuditEvent& ev) -> Result<json> {
    if (Status s = txn.put(Table::meta, as_bytes("test.key"), as_bytes("value")); !s) return s.error();
    ev.target["code"] = "444";
    return make_error(ErrorKind::conflict, "participant_code_taken", "taken");
  });
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "participant_code_taken");
  EXPECT_EQ(r.error().kind, ErrorKind::conflict);
  EXPECT_EQ(read("test.key"), std::nullopt);  // the child transaction was aborted

  auto log = events();
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0].type, "participant.refused");
  const json payload = json::parse(log[0].payload);
  EXPECT_EQ(payload["action"], "participant.add");
  EXPECT_EQ(payload["outcome"], "refused");
  EXPECT_EQ(payload["code"], "participant_code_taken");
  EXPECT_EQ(payload["target"]["code"], "444");  // what the job learnt before refusing
  EXPECT_FALSE(payload.contains("details"));
}

TEST_F(AuditedWriteTest, AFaultFailsTheJobAndRecordsNothing) {
  for (ErrorKind kind : {ErrorKind::storage, ErrorKind::internal}) {
    auto r = run(event("participant.update"), [kind](WriteTxn& txn, AuditEvent&) -> Result<json> {
      if (Status s = txn.put(Table::meta, as_bytes("test.key"), as_bytes("value")); !s) return s.error();
      return make_error(kind, kind == ErrorKind::storage ? "storage_corrupt" : "internal_error", "broken");
    });
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, kind);
    EXPECT_FALSE(r.error().is_refusal());
  }
  EXPECT_EQ(read("test.key"), std::nullopt);
  EXPECT_TRUE(events().empty());
  EXPECT_EQ(writer_->stats().failed_jobs, 2u);
}

TEST_F(AuditedWriteTest, SecretsNeverReachTheLog) {
  ASSERT_EQ(kSecretFields.size(), 2u);
  AuditEvent e = event("credential.token_issue");
  e.target["secret"] = "target-secret";
  e.legacy = {{"token", "legacy-token"}, {"id", 9}};
  auto r = run(std::move(e), [](WriteTxn&, AuditEvent& ev) -> Result<json> {
    json result = {{"id", 9},
                   {"token", "the-token"},
                   {"webhook", {{"secret", "the-secret"}, {"url", "http://x"}}},
                   {"list", json::array({json{{"token", "t2"}, {"kind", "token"}}})}};
    ev.details = result;
    return result;
  });
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)["token"], "the-token");  // the caller still gets it, once
  auto log = events();
  ASSERT_EQ(log.size(), 1u);
  for (const char* secret : {"the-token", "the-secret", "t2", "target-secret", "legacy-token"})
    EXPECT_EQ(log[0].payload.find(secret), std::string::npos) << secret << " in " << log[0].payload;
  const json payload = json::parse(log[0].payload);
  EXPECT_EQ(payload["details"]["id"], 9);
  EXPECT_EQ(payload["details"]["webhook"]["url"], "http://x");
  EXPECT_EQ(payload["details"]["list"][0]["kind"], "token");  // a value named "token" stays
  EXPECT_EQ(payload["id"], 9);                                // a legacy member stays
}

TEST_F(AuditedWriteTest, DetailsLeftEmptyByStrippingAreOmitted) {
  auto r = run(event("credential.token_issue"), [](WriteTxn&, AuditEvent& ev) -> Result<json> {
    ev.details = {{"token", "only-a-secret"}};
    return json::object();
  });
  ASSERT_TRUE(r.ok());
  auto log = events();
  ASSERT_EQ(log.size(), 1u);
  EXPECT_FALSE(json::parse(log[0].payload).contains("details")) << log[0].payload;
}

TEST_F(AuditedWriteTest, LegacyMembersNeverOverrideTheCommonShape) {
  AuditEvent e = event("csr.reserve");
  e.legacy = {{"action", "old"}, {"holder_participant", 1}};
  auto r = run(std::move(e), [](WriteTxn&, AuditEvent&) -> Result<json> { return json(nullptr); });
  ASSERT_TRUE(r.ok());
  const json payload = json::parse(events().at(0).payload);
  EXPECT_EQ(payload["action"], "csr.reserve");
  EXPECT_EQ(payload["holder_participant"], 1);
}

TEST_F(AuditedWriteTest, ANoOpCanBeLeftUnrecorded) {
  auto r = run(event("csr.release"), [](WriteTxn&, AuditEvent& ev) -> Result<json> {
    ev.recorded = false;
    return json{{"state", "released"}};
  });
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(events().empty());
}

TEST_F(AuditedWriteTest, AJobRunAgainAfterMapGrowthLeavesOneResultAndOneEvent) {
  audited_.reset();
  writer_->stop();
  writer_.reset();
  env_.reset();
  open(small_dir_.path(), std::size_t{1} << 20);  // 1 MiB: a 3 MiB value needs several doublings
  const std::size_t initial = env_->map_size();
  std::atomic<int> runs{0};
  const std::string big(3 << 20, 'b');
  auto r = run(event("blob.put"), [&runs, &big](WriteTxn& txn, AuditEvent& ev) -> Result<json> {
    const int n = ++runs;
    // What a run adds to the event starts again from the submitted event each time.
    ev.details["runs"].push_back(n);
    // A full map reads "unavailable" to clients (a refusal by kind): the job must still
    // fail so the Writer grows the map, not record a refusal.
    if (Status s = txn.put(Table::meta, as_bytes("test.big"), as_bytes(big)); !s) return s.error();
    return json{{"run", n}};
  });
  ASSERT_TRUE(r.ok()) << r.error().code;
  EXPECT_GT(runs.load(), 1);
  EXPECT_EQ((*r)["run"], runs.load());  // the last run's result, not an earlier one's
  EXPECT_GT(writer_->stats().map_grows, 0u);
  EXPECT_GT(env_->map_size(), initial);
  EXPECT_EQ(read("test.big"), big);
  auto log = events();
  ASSERT_EQ(log.size(), 1u);
  const json payload = json::parse(log[0].payload);
  EXPECT_EQ(payload["outcome"], "ok");
  EXPECT_EQ(payload["details"]["runs"], json::array({runs.load()}));
}

TEST_F(AuditedWriteTest, RunSyncReturnsTheValueOrTheRefusal) {
  auto ok = audited_->run_sync<int>(event("x.set"), [](WriteTxn&, AuditEvent&) -> Result<int> { return 42; });
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok, 42);
  auto refused = audited_->run_sync<int>(event("x.set"), [](WriteTxn&, AuditEvent&) -> Result<int> {
    return make_error(ErrorKind::not_found, "x_not_found", "no x");
  });
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, "x_not_found");
  auto log = events();
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(json::parse(log[1].payload)["outcome"], "refused");
}

TEST_F(AuditedWriteTest, ADenialIsOneAccessDeniedEvent) {
  std::promise<Status> p;
  audited_->record_denial("p3/r4/c5", "certificate.revoke", json{{"issuer", "x"}, {"serial", "01"}},
                          make_error(ErrorKind::forbidden, "issuer_not_operated", "no"), 1700000001,
                          [&p](Status s) { p.set_value(std::move(s)); });
  ASSERT_TRUE(p.get_future().get().ok());
  auto log = events();
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0].type, "access.denied");
  EXPECT_EQ(log[0].actor, "p3/r4/c5");
  EXPECT_EQ(log[0].time, 1700000001);
  EXPECT_EQ(json::parse(log[0].payload), (json{{"action", "certificate.revoke"},
                                               {"outcome", "refused"},
                                               {"code", "issuer_not_operated"},
                                               {"target", {{"issuer", "x"}, {"serial", "01"}}}}));
}

TEST_F(AuditedWriteTest, ShuttingDownIsDeliveredAsTheError) {
  writer_->stop();
  auto r = run(event("x.set"), [](WriteTxn&, AuditEvent&) -> Result<json> { return json::object(); });
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "shutting_down");
}

}  // namespace
}  // namespace trustmon::storage
