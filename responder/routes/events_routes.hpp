// HTTP adapter for the event feed (any authenticated role):
//   GET /api/v1/events?after=SEQ&wait=SECONDS   long poll: answers as soon as there are
//        events after SEQ that the caller may see (at most `limit`), or after `wait`
//        seconds (default 25, at most 25) with none; {"events": [...], "next": "SEQ"}.
//        Without `after` it starts from now.
//   GET /api/v1/events/stream[?after=SEQ]       server-sent events (text/event-stream),
//        one `id: SEQ` / `event: TYPE` / `data: JSON` block per event; Last-Event-ID resumes.
// What a caller sees: central-body administrators every event; everyone else the events
// their own participant caused. When the caller's credential stops being valid (blocked,
// revoked, expired) the poll is answered with that refusal and the stream gets an
// `event: closed` block and ends, within the feed's revalidation interval.
// With a watch service, both also carry the notifications of the caller's participant's
// stream-delivery watches ({"type": "watch.match", "seq", "watch", "kind", "matched",
// "event"}; SSE `event: watch.match`), after the event they came from.
#pragma once

#include "common/actor.hpp"
#include "responder/feed/feed.hpp"
#include "responder/http/router.hpp"

namespace trustmon::watch {
class WatchService;
}

namespace trustmon::routes {

struct ApiContext;
void add_events_routes(http::Router& router, ApiContext& ctx, const watch::WatchService* watches = nullptr);

// The long poll and the stream above for another audience (a certificate holder's events,
// holder_routes.cpp), after the caller's guard: `actor` is re-checked by the feed, `match`
// decides what the subscriber gets of each event.
using EventMatch = decltype(feed::Subscription::match);
void serve_long_poll(http::Request& req, ApiContext& ctx, const Actor& actor, EventMatch match);
void serve_stream(http::Request& req, ApiContext& ctx, const Actor& actor, EventMatch match);

}  // namespace trustmon::routes
