#include "responder/routes/events_routes.hpp"

#include <charconv>
#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>

#include "responder/access/audit.hpp"
#include "responder/http/stream.hpp"
#include "responder/routes/api_context.hpp"
#include "responder/routes/worker_state.hpp"
#include "responder/watch/service.hpp"
#include "storage/event_log.hpp"

namespace trustmon::routes {
namespace {

using nlohmann::json;
constexpr int kMaxWaitSeconds = 25;  // below the connection's idle timeout

std::optional<std::uint64_t> parse_u64(std::string_view s) {
  std::uint64_t v = 0;
  auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (r.ec != std::errc() || r.ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

// The newest event sequence in the worker's snapshot (0 when the log is empty).
Result<std::uint64_t> head_seq(http::Request& req) {
  WorkerState& state = worker_state(req);
  storage::ReadScope scope(state.txn);
  if (!scope.status()) return scope.status().error();
  return storage::last_event_seq(state.txn);
}

// What the principal may see of an event, then its participant's watch notifications.
decltype(feed::Subscription::match) visibility(const access::Principal& p, const watch::WatchService* watches) {
  const bool all = p.role == access::Role::admin && p.kind == access::ParticipantKind::central_body;
  const std::string own = "p" + std::to_string(p.actor.participant);
  const std::uint32_t participant = p.actor.participant;
  return [all, own, participant, watches](const storage::ReadTxn& txn, const storage::EventRecord& e,
                                          std::vector<json>& out) {
    if (all || access::actor_matches(own, e.actor)) out.push_back(access::event_json(e));
    if (watches) watches->stream_notifications(txn, e, participant, out);
  };
}

void long_poll(http::Request& req, ApiContext& ctx, const watch::WatchService* watches) {
  auto principal = guard(req, ctx, access::Need::read, "events.read");
  if (!principal) return;
  serve_long_poll(req, ctx, principal->actor, visibility(*principal, watches));
}

std::string sse_block(const json& event) {
  std::string out = "id: " + std::to_string(event.value("seq", std::uint64_t{0})) + "\n";
  out += "event: " + event.value("type", std::string("event")) + "\n";
  out += "data: " + event.dump(-1, ' ', false, json::error_handler_t::replace) + "\n\n";
  return out;
}

void stream(http::Request& req, ApiContext& ctx, const watch::WatchService* watches) {
  auto principal = guard(req, ctx, access::Need::read, "events.stream");
  if (!principal) return;
  serve_stream(req, ctx, principal->actor, visibility(*principal, watches));
}

}  // namespace

void serve_long_poll(http::Request& req, ApiContext& ctx, const Actor& actor, EventMatch match) {
  std::uint64_t after = 0;
  if (auto a = req.query("after")) {
    auto v = parse_u64(*a);
    if (!v) return req.reply_error(400, "invalid_argument", "after must be a sequence number");
    after = *v;
  } else {
    auto head = head_seq(req);
    if (!head) return req.reply_error(503, "storage_unavailable", "cannot read the event log");
    after = *head;
  }
  int wait = kMaxWaitSeconds;
  if (auto w = req.query("wait")) {
    auto v = parse_u64(*w);
    if (!v || *v > static_cast<std::uint64_t>(kMaxWaitSeconds))
      return req.reply_error(400, "invalid_argument", "wait must be 0.." + std::to_string(kMaxWaitSeconds) + " seconds");
    wait = static_cast<int>(*v);
  }
  auto shared = std::make_shared<http::Request>(std::move(req));
  feed::Subscription sub;
  sub.actor = actor;
  sub.cursor = after;
  sub.match = std::move(match);
  sub.one_shot = true;
  sub.deadline = std::chrono::steady_clock::now() + std::chrono::seconds(wait);
  sub.deliver = [shared](std::vector<json>&& events, std::uint64_t cursor) {
    json body = {{"events", std::move(events)}, {"next", std::to_string(cursor)}};
    shared->reply_json(200, body, {{"Cache-Control", "no-store"}});
    return true;
  };
  sub.closed = [shared](const Error& why, std::uint64_t cursor) {
    if (why.code == "timeout") {
      json body = {{"events", json::array()}, {"next", std::to_string(cursor)}};
      shared->reply_json(200, body, {{"Cache-Control", "no-store"}});
      return;
    }
    shared->reply_error(why);
  };
  ctx.feed.subscribe(std::move(sub));
}

void serve_stream(http::Request& req, ApiContext& ctx, const Actor& actor, EventMatch match) {
  std::optional<std::string> after_text = req.query("after");
  if (!after_text) {
    if (auto h = req.header("Last-Event-ID")) after_text = std::string(*h);
  }
  std::uint64_t after = 0;
  if (after_text) {
    auto v = parse_u64(*after_text);
    if (!v) return req.reply_error(400, "invalid_argument", "after / Last-Event-ID must be a sequence number");
    after = *v;
  } else {
    auto head = head_seq(req);
    if (!head) return req.reply_error(503, "storage_unavailable", "cannot read the event log");
    after = *head;
  }
  const http::Header headers[] = {{"Cache-Control", "no-store"}, {"X-Accel-Buffering", "no"}};
  auto s = http::Stream::start(req, 200, "text/event-stream", headers);
  if (!s) return;
  s->send(": trustmon event stream\nretry: 2000\n\n");
  std::weak_ptr<http::Stream> weak = s;
  feed::Subscription sub;
  sub.actor = actor;
  sub.cursor = after;
  sub.match = std::move(match);
  sub.deliver = [weak](std::vector<json>&& events, std::uint64_t) {
    auto st = weak.lock();
    if (!st) return false;
    std::string text;
    for (const auto& e : events) text += sse_block(e);
    return st->send(std::move(text));
  };
  sub.closed = [weak](const Error& why, std::uint64_t) {
    auto st = weak.lock();
    if (!st) return;
    json data = {{"error", {{"code", why.code}, {"message", why.message}}}};
    st->send("event: closed\ndata: " + data.dump() + "\n\n");
    st->close();
  };
  const std::uint64_t id = ctx.feed.subscribe(std::move(sub));
  feed::Feed* feed = &ctx.feed;
  s->on_close([feed, id] { feed->unsubscribe(id); });
}

void add_events_routes(http::Router& router, ApiContext& ctx, const watch::WatchService* watches) {
  router.add(http::Method::Get, "/api/v1/events", [&ctx, watches](http::Request& req) { long_poll(req, ctx, watches); },
             http::kApiRoute);
  router.add(http::Method::Get, "/api/v1/events/stream",
             [&ctx, watches](http::Request& req) { stream(req, ctx, watches); }, http::kApiRoute);
}

}  // namespace trustmon::routes
