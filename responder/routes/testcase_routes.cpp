// See testcase_routes.hpp.
#include "responder/routes/testcase_routes.hpp"

#include <charconv>
#include <nlohmann/json.hpp>

#include "common/log.hpp"
#include "common/thread_pool.hpp"
#include "common/time.hpp"
#include "responder/access/model.hpp"
#include "responder/routes/json_body.hpp"
#include "responder/routes/worker_state.hpp"
#include "responder/testcases/store.hpp"

namespace trustmon::routes {

class TestcaseRoutes {
 public:
  TestcaseRoutes() : pool_(2, "testcases", kNice) {}
  ThreadPool& pool() { return pool_; }

 private:
  static constexpr int kNice = 10;
  ThreadPool pool_;
};

namespace {

using nlohmann::json;
namespace tc = testcases;

struct Context {
  ApiContext& api;
  storage::Env& env;
  tc::TestcaseService& service;
  ThreadPool& pool;
};

Error not_permitted(const std::string& why) { return make_error(ErrorKind::forbidden, "testcase_not_permitted", why); }

tc::Reader reader_of(const access::Principal& p) { return tc::Reader{false, is_central_body(p), p.actor.participant}; }

// The reader of a read route: anonymous when no credential is presented and `anonymous_ok`,
// else the guard()ed principal. nullopt: answered.
struct ReadCaller {
  tc::Reader reader;
  std::optional<access::Principal> principal;
};
std::optional<ReadCaller> read_caller(http::Request& req, Context& c, std::string_view action, bool anonymous_ok) {
  if (!presents_credential(req)) {
    if (anonymous_ok) return ReadCaller{tc::Reader{}, std::nullopt};
    req.reply_error(401, "unauthenticated", "this resource needs a credential");
    return std::nullopt;
  }
  auto principal = guard(req, c.api, access::Need::read, action);
  if (!principal) return std::nullopt;
  return ReadCaller{reader_of(*principal), std::move(principal)};
}

// A writer: write role, and the central body, a QTSP or a tool developer.
std::optional<tc::Caller> write_caller(http::Request& req, Context& c, std::string_view action) {
  auto principal = guard(req, c.api, access::Need::write, action);
  if (!principal) return std::nullopt;
  if (!is_central_body(*principal) && principal->kind != access::ParticipantKind::qtsp &&
      principal->kind != access::ParticipantKind::tool_developer) {
    deny(req, c.api, principal->actor, action, json::object(),
         not_permitted("test cases are written by the central body, QTSPs and tool developers"));
    return std::nullopt;
  }
  return tc::Caller{principal->actor, is_central_body(*principal)};
}

// Query helpers: a 400 reply and false when present but malformed.
bool query_id(http::Request& req, const char* name, std::optional<std::uint64_t>& out) {
  auto q = req.query(name);
  if (!q) return true;
  auto v = parse_id<std::uint64_t>(*q);
  if (!v) {
    req.reply_error(400, "invalid_argument", std::string("\"") + name + "\" is a positive integer");
    return false;
  }
  out = *v;
  return true;
}

bool page_params(http::Request& req, std::size_t& limit, std::uint64_t& after) {
  limit = tc::kDefaultPage;
  after = 0;
  if (auto l = req.query("limit")) {
    auto v = parse_id<std::uint64_t>(*l);
    if (!v || *v > tc::kMaxPage) {
      req.reply_error(400, "limit_invalid", "limit is 1 to 500");
      return false;
    }
    limit = static_cast<std::size_t>(*v);
  }
  if (auto a = req.query("after")) {
    std::uint64_t v = 0;
    auto [p, ec] = std::from_chars(a->data(), a->data() + a->size(), v);
    if (ec != std::errc() || p != a->data() + a->size()) {
      req.reply_error(400, "invalid_argument", "\"after\" is an id");
      return false;
    }
    after = v;
  }
  return true;
}

// kind, polarity, state, tag, clause, owner.
bool case_filter(http::Request& req, tc::CaseFilter& f) {
  if (auto k = req.query("kind")) {
    f.kind = tc::kind_from_name(*k);
    if (!f.kind) return req.reply_error(400, "invalid_argument", "\"kind\" is not a known kind"), false;
  }
  if (auto p = req.query("polarity")) {
    f.polarity = tc::polarity_from_name(*p);
    if (!f.polarity) return req.reply_error(400, "invalid_argument", "\"polarity\" is positive or negative"), false;
  }
  if (auto s = req.query("state")) {
    f.state = tc::state_from_name(*s);
    if (!f.state) return req.reply_error(400, "invalid_argument", "\"state\" is not a known state"), false;
  }
  f.tag = req.query("tag").value_or("");
  f.clause = req.query("clause").value_or("");
  std::optional<std::uint64_t> owner;
  if (!query_id(req, "owner", owner)) return false;
  if (owner) f.owner = static_cast<std::uint32_t>(*owner);
  return true;
}

template <typename T>
json page_json(const char* name, const tc::Page<T>& page, json items) {
  return json{{name, std::move(items)}, {"next", page.next ? json(*page.next) : json(nullptr)}};
}

// Replies with the service's outcome (its error with its kind's status).
template <typename T, typename Render>
std::function<void(Result<T>)> reply_with(std::shared_ptr<http::Request> req, int status, Render render) {
  return [req, status, render](Result<T> r) {
    if (!r) {
      if (!r.error().is_refusal()) log().error("testcases: {}: {}", r.error().code, r.error().message);
      return req->reply_error(r.error());
    }
    req->reply_json(status, render(*r), {{"Cache-Control", "no-store"}});
  };
}

// Parses a bulk JSON body of at most `cap` bytes on the pool, then runs `then(doc)` there.
template <typename Then>
void with_body(http::Request& req, Context& c, std::size_t cap, Then then) {
  const ByteView body = req.body();
  if (body.empty()) return req.reply_error(400, "body_missing", "the body is a JSON object");
  if (body.size() > cap)
    return req.reply_error(413, "body_too_large", "the body is at most " + std::to_string(cap >> 20) + " MiB");
  auto shared = std::make_shared<http::Request>(std::move(req));
  c.pool.submit([shared, then] {
    Result<json> doc = parse_bounded_json(
        shared->body(), JsonLimits{kMaxObjectDepth, kMaxObjectItems,
                                   make_error(ErrorKind::too_large, "body_too_large", "too many items in one JSON container"),
                                   "the body must be a JSON object"});
    if (!doc) return shared->reply_error(doc.error());
    if (!doc->is_object()) return shared->reply_error(400, "json_malformed", "the body must be a JSON object");
    then(shared, *doc);
  });
}

// ---- cases ---------------------------------------------------------------------------

void handle_create_case(http::Request& req, Context& c) {
  auto caller = write_caller(req, c, "testcase.case.create");
  if (!caller) return;
  with_body(req, c, kMaxCaseBodyBytes, [&c, caller = *caller](std::shared_ptr<http::Request> r, const json& doc) {
    auto draft = tc::parse_case_draft(doc);
    if (!draft) return r->reply_error(draft.error());
    c.service.run(c.service.create_case(caller, std::move(*draft)),
                  reply_with<tc::CaseRecord>(r, 201, [](const tc::CaseRecord& x) { return tc::case_json(x); }));
  });
}

void handle_edit_case(http::Request& req, Context& c) {
  auto id = path_id<std::uint64_t>(req);
  if (!id) return;
  auto caller = write_caller(req, c, "testcase.case.edit");
  if (!caller) return;
  with_body(req, c, kMaxCaseBodyBytes, [&c, caller = *caller, id = *id](std::shared_ptr<http::Request> r, const json& doc) {
    auto draft = tc::parse_case_draft(doc);
    if (!draft) return r->reply_error(draft.error());
    c.service.run(c.service.edit_case(caller, id, std::move(*draft)),
                  reply_with<tc::CaseRecord>(r, 200, [](const tc::CaseRecord& x) { return tc::case_json(x); }));
  });
}

void handle_state(http::Request& req, Context& c) {
  auto id = path_id<std::uint64_t>(req);
  if (!id) return;
  auto caller = write_caller(req, c, "testcase.case.state");
  if (!caller) return;
  auto doc = body_object(req);
  if (!doc) return;
  StringField state = string_field(req, *doc, "state");
  if (!state.ok) return;
  auto to = state.value ? tc::state_from_name(*state.value) : std::nullopt;
  if (!to) return req.reply_error(400, "invalid_argument", "\"state\" is draft, proposed, accepted, disputed or deprecated");
  auto shared = std::make_shared<http::Request>(std::move(req));
  c.service.run(c.service.set_state(*caller, *id, *to),
                reply_with<tc::CaseRecord>(shared, 200, [](const tc::CaseRecord& x) { return tc::case_json(x); }));
}

void handle_list_cases(http::Request& req, Context& c) {
  auto rc = read_caller(req, c, "testcase.case.list", true);
  if (!rc) return;
  tc::CaseFilter f;
  std::size_t limit = 0;
  std::uint64_t after = 0;
  if (!case_filter(req, f) || !page_params(req, limit, after)) return;
  reply_read(req, [&](const storage::ReadTxn& txn) -> Result<json> {
    auto page = tc::list_cases(txn, rc->reader, f, after, limit);
    if (!page) return std::move(page).error();
    json items = json::array();
    for (const auto& x : page->items) items.push_back(tc::case_json(x));
    return page_json("cases", *page, std::move(items));
  });
}

void handle_get_case(http::Request& req, Context& c) {
  auto id = path_id<std::uint64_t>(req);
  if (!id) return;
  std::optional<std::uint32_t> version;
  if (auto v = req.query("version")) {
    auto n = parse_id<std::uint32_t>(*v);
    if (!n) return req.reply_error(400, "invalid_argument", "\"version\" is a positive integer");
    version = *n;
  }
  auto rc = read_caller(req, c, "testcase.case.get", true);
  if (!rc) return;
  std::optional<tc::CaseRecord> found;
  std::uint32_t latest_version = 0;
  {
    WorkerState& state = worker_state(req);
    storage::ReadScope scope(state.txn);
    if (!scope.status()) return req.reply_error(503, "storage_unavailable", "cannot read");
    const storage::ReadTxn& txn = state.txn;
    auto latest = tc::get_case(txn, *id, std::nullopt);
    if (!latest) return req.reply_error(latest.error());
    if (!*latest) return req.reply_error(404, "case_not_found", "no test case " + std::to_string(*id));
    latest_version = (*latest)->version;
    // Visibility is the latest version's: a case made private hides its history too.
    if (!tc::may_read(rc->reader, **latest)) {
      if (!rc->principal) return req.reply_error(401, "unauthenticated", "this case is not public");
      return deny(req, c.api, rc->principal->actor, "testcase.case.get", json{{"case", *id}},
                  not_permitted("the case is private to its owner"));
    }
    if (version && *version != latest_version) {
      auto old = tc::get_case(txn, *id, version);
      if (!old) return req.reply_error(old.error());
      if (!*old) return req.reply_error(404, "case_not_found", "case " + std::to_string(*id) + " has no such version");
      found = std::move(**old);
    } else {
      found = std::move(**latest);
    }
  }
  json body = tc::case_json(*found);
  body["latest_version"] = latest_version;
  req.reply_json(200, body, {{"Cache-Control", "no-store"}});
}

void handle_blob(http::Request& req, Context& c) {
  std::string sha(req.path_param("sha256"));
  for (char& ch : sha) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  auto digest = hex_decode(sha);
  if (sha.size() != 64 || !digest || digest->size() != 32)
    return req.reply_error(404, "blob_not_found", "an artefact is named by its SHA-256 (64 hex digits)");
  auto rc = read_caller(req, c, "testcase.blob.get", true);
  if (!rc) return;
  auto shared = std::make_shared<http::Request>(std::move(req));
  c.pool.submit([shared, &c, sha, rc = *rc] {
    Snapshot snap;
    if (Status s = snap.open(c.env); !s) return shared->reply_error(s.error());
    auto may = tc::blob_readable(*snap.txn, rc.reader, sha);
    if (!may) return shared->reply_error(may.error());
    auto blob = tc::get_blob(*snap.txn, sha);
    if (!blob) return shared->reply_error(blob.error());
    // Not readable and absent look the same to a stranger: 404 either way.
    if (!*may || !*blob) return shared->reply_error(404, "blob_not_found", "no readable artefact " + sha);
    shared->reply(200, "application/octet-stream", ByteView(**blob),
                  {{"Cache-Control", "no-store"}, {"ETag", "\"" + sha + "\""}});
  });
}

// ---- products, submissions, matrix, campaigns --------------------------------------------

void handle_create_product(http::Request& req, Context& c) {
  auto caller = write_caller(req, c, "testcase.product.create");
  if (!caller) return;
  auto doc = body_object(req);
  if (!doc) return;
  auto draft = tc::parse_product_draft(*doc);
  if (!draft) return req.reply_error(draft.error());
  auto shared = std::make_shared<http::Request>(std::move(req));
  c.service.run(c.service.add_product(*caller, std::move(*draft)),
                reply_with<tc::ProductRecord>(shared, 201, [](const tc::ProductRecord& p) { return tc::product_json(p); }));
}

void handle_list_products(http::Request& req, Context& c) {
  auto rc = read_caller(req, c, "testcase.product.list", false);
  if (!rc) return;
  std::size_t limit = 0;
  std::uint64_t after = 0;
  std::optional<std::uint64_t> participant;
  if (!page_params(req, limit, after) || !query_id(req, "participant", participant)) return;
  std::optional<std::uint32_t> only;
  if (participant) only = static_cast<std::uint32_t>(*participant);
  reply_read(req, [&](const storage::ReadTxn& txn) -> Result<json> {
    auto page = tc::list_products(txn, only, after, limit);
    if (!page) return std::move(page).error();
    json items = json::array();
    for (const auto& p : page->items) items.push_back(tc::product_json(p));
    return page_json("products", *page, std::move(items));
  });
}

void handle_submit(http::Request& req, Context& c) {
  auto caller = write_caller(req, c, "testcase.submission.file");
  if (!caller) return;
  with_body(req, c, kMaxSubmissionBodyBytes, [&c, caller = *caller](std::shared_ptr<http::Request> r, const json& doc) {
    auto draft = tc::parse_submission_draft(doc);
    if (!draft) return r->reply_error(draft.error());
    c.service.run(c.service.submit(caller, std::move(*draft)),
                  reply_with<tc::SubmitOutcome>(r, 201, [](const tc::SubmitOutcome& o) {
                    json j = tc::submission_json(o.submission);
                    j["disputed"] = o.disputed;
                    return j;
                  }));
  });
}

void handle_list_submissions(http::Request& req, Context& c) {
  auto rc = read_caller(req, c, "testcase.submission.list", false);
  if (!rc) return;
  std::size_t limit = 0;
  std::uint64_t after = 0;
  tc::SubmissionFilter f;
  if (!page_params(req, limit, after) || !query_id(req, "case", f.case_id) || !query_id(req, "product", f.product)) return;
  reply_read(req, [&](const storage::ReadTxn& txn) -> Result<json> {
    auto page = tc::list_submissions(txn, rc->reader, f, after, limit);
    if (!page) return std::move(page).error();
    json items = json::array();
    for (const auto& s : page->items) items.push_back(tc::submission_json(s));
    return page_json("submissions", *page, std::move(items));
  });
}

void handle_matrix(http::Request& req, Context& c) {
  tc::CaseFilter f;
  if (!case_filter(req, f)) return;
  const bool csv = req.query("format").value_or("json") == "csv";
  auto rc = read_caller(req, c, "testcase.matrix", true);
  if (!rc) return;
  auto shared = std::make_shared<http::Request>(std::move(req));
  c.pool.submit([shared, &c, f, csv, reader = rc->reader] {
    Snapshot snap;
    if (Status s = snap.open(c.env); !s) return shared->reply_error(s.error());
    auto m = tc::compute_matrix(*snap.txn, reader, f);
    if (!m) {
      if (!m.error().is_refusal()) log().error("testcases matrix: {}", m.error().message);
      return shared->reply_error(m.error());
    }
    if (csv)
      return shared->reply(200, "text/csv; charset=utf-8; header=present", std::string_view(tc::matrix_csv(*m)),
                           {{"Cache-Control", "no-store"}});
    json body = tc::matrix_json(*m);
    body["computed_at"] = format_rfc3339(c.api.clock.now());
    shared->reply_json(200, body, {{"Cache-Control", "no-store"}});
  });
}

void handle_create_campaign(http::Request& req, Context& c) {
  auto caller = write_caller(req, c, "testcase.campaign.create");
  if (!caller) return;
  auto doc = body_object(req);
  if (!doc) return;
  auto draft = tc::parse_campaign_draft(*doc, c.api.clock.now());
  if (!draft) return req.reply_error(draft.error());
  auto shared = std::make_shared<http::Request>(std::move(req));
  c.service.run(c.service.create_campaign(*caller, std::move(*draft)),
                reply_with<tc::CampaignRecord>(shared, 201, [](const tc::CampaignRecord& r) {
                  return json{{"id", r.id},
                              {"product", r.product},
                              {"cases", r.cases.size()},
                              {"expires", format_rfc3339(r.expires)},
                              {"sample", r.sample}};
                }));
}

void handle_get_campaign(http::Request& req, Context& c) {
  auto id = path_id<std::uint64_t>(req);
  if (!id) return;
  auto rc = read_caller(req, c, "testcase.campaign.get", false);
  if (!rc) return;
  auto shared = std::make_shared<http::Request>(std::move(req));
  c.pool.submit([shared, &c, id = *id, rc = *rc] {
    Snapshot snap;
    if (Status s = snap.open(c.env); !s) return shared->reply_error(s.error());
    auto got = snap.txn->get(storage::Table::testcase_campaigns, tc::id_key(id));
    if (!got) return shared->reply_error(got.error());
    if (!*got) return shared->reply_error(404, "campaign_not_found", "no campaign " + std::to_string(id));
    auto campaign = tc::decode_campaign(**got);
    if (!campaign) return shared->reply_error(campaign.error());
    if (!rc.reader.central && campaign->participant != rc.reader.participant)
      return deny(*shared, c.api, rc.principal->actor, "testcase.campaign.get", json{{"campaign", id}},
                  not_permitted("a campaign is read by its product's participant and the central body"));
    const UnixTime now = c.api.clock.now();
    auto ds = tc::dispositions(*snap.txn, *campaign, now);
    if (!ds) return shared->reply_error(ds.error());
    // A normal campaign hides the expected verdicts from the product's participant (ACVP).
    const bool show_expected = campaign->sample || rc.reader.central;
    json cases = json::array();
    std::size_t passed = 0;
    for (const auto& d : *ds) {
      json e = {{"case", d.c.id}, {"version", d.c.version}, {"disposition", tc::disposition_name(d.disposition)}};
      passed += d.disposition == tc::Disposition::passed ? 1 : 0;
      if (d.submission) {
        e["submission"] = d.submission->id;
        e["observed"] = tc::verdict_json(d.submission->observed);
      }
      if (show_expected) {
        auto cr = tc::get_case(*snap.txn, d.c.id, d.c.version);
        if (!cr) return shared->reply_error(cr.error());
        if (*cr) e["expected"] = tc::verdict_json((*cr)->expected);
      }
      cases.push_back(std::move(e));
    }
    shared->reply_json(200,
                       json{{"id", campaign->id},
                            {"product", campaign->product},
                            {"created", format_rfc3339(campaign->created)},
                            {"expires", format_rfc3339(campaign->expires)},
                            {"expired", now > campaign->expires},
                            {"sample", campaign->sample},
                            {"passed", passed == ds->size()},
                            {"cases", std::move(cases)}},
                       {{"Cache-Control", "no-store"}});
  });
}

}  // namespace

std::shared_ptr<TestcaseRoutes> add_testcase_routes(http::Router& router, ApiContext& ctx, storage::Env& env,
                                                    testcases::TestcaseService& service) {
  auto routes = std::make_shared<TestcaseRoutes>();
  auto c = std::make_shared<Context>(Context{ctx, env, service, routes->pool()});
  using M = http::Method;
  // Reads without a credential are possible (public cases), so they are not credential routes.
  constexpr http::RouteLimits kOpenRead{};
  router.add(M::Post, "/api/v1/testbed/cases", [c](http::Request& req) { handle_create_case(req, *c); }, http::kBulkRoute);
  router.add(M::Get, "/api/v1/testbed/cases", [c](http::Request& req) { handle_list_cases(req, *c); }, kOpenRead);
  router.add(M::Get, "/api/v1/testbed/cases/{id}", [c](http::Request& req) { handle_get_case(req, *c); }, kOpenRead);
  router.add(M::Put, "/api/v1/testbed/cases/{id}", [c](http::Request& req) { handle_edit_case(req, *c); }, http::kBulkRoute);
  router.add(M::Post, "/api/v1/testbed/cases/{id}/state", [c](http::Request& req) { handle_state(req, *c); }, http::kApiRoute);
  router.add(M::Get, "/api/v1/testbed/blobs/{sha256}", [c](http::Request& req) { handle_blob(req, *c); }, kOpenRead);
  router.add(M::Post, "/api/v1/testbed/products", [c](http::Request& req) { handle_create_product(req, *c); }, http::kApiRoute);
  router.add(M::Get, "/api/v1/testbed/products", [c](http::Request& req) { handle_list_products(req, *c); }, http::kApiRoute);
  router.add(M::Post, "/api/v1/testbed/submissions", [c](http::Request& req) { handle_submit(req, *c); }, http::kBulkRoute);
  router.add(M::Get, "/api/v1/testbed/submissions", [c](http::Request& req) { handle_list_submissions(req, *c); },
             http::kApiRoute);
  router.add(M::Get, "/api/v1/testbed/matrix", [c](http::Request& req) { handle_matrix(req, *c); }, kOpenRead);
  router.add(M::Post, "/api/v1/testbed/campaigns", [c](http::Request& req) { handle_create_campaign(req, *c); },
             http::kApiRoute);
  router.add(M::Get, "/api/v1/testbed/campaigns/{id}", [c](http::Request& req) { handle_get_campaign(req, *c); },
             http::kApiRoute);
  return routes;
}

}  // namespace trustmon::routes
