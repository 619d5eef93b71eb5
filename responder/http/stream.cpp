#include "responder/http/stream.hpp"

#include <event2/buffer.h>
#include <event2/http.h>
#include <sys/time.h>

#include "common/log.hpp"
#include "responder/http/gate.hpp"
#include "responder/http/worker.hpp"

namespace trustmon::http {

std::shared_ptr<Stream> Stream::start(Request& request, int status, std::string_view content_type,
                                      Headers headers) {
  if (!request.pending() || !request.worker().in_loop_thread()) {
    request.reply_error(500, "internal_error", "a stream must start on its worker's loop");
    return nullptr;
  }
  Worker& w = request.worker();
  evhttp_request* req = request.take_for_stream(status);
  if (Gate* gate = w.gate_of(req)) gate->on_stream();
  std::shared_ptr<Stream> stream(new Stream(req, &w));
  evkeyvalq* out = evhttp_request_get_output_headers(req);
  std::string ct(content_type);
  evhttp_add_header(out, "Content-Type", ct.c_str());
  evhttp_add_header(out, "Connection", "close");
  for (const Header& h : headers) {
    std::string name(h.name), value(h.value);
    evhttp_add_header(out, name.c_str(), value.c_str());
  }
  if (evhttp_connection* conn = evhttp_request_get_connection(req)) {
    evhttp_connection_set_closecb(conn, &Stream::conn_closed_cb, stream.get());
    // The client only listens: no idle timeout while the stream is open.
    const timeval day{86400, 0};
    evhttp_connection_set_timeout_tv(conn, &day);
  }
  bufferevent* bev = nullptr;
  if (evhttp_connection* conn = evhttp_request_get_connection(req)) bev = evhttp_connection_get_bufferevent(conn);
  evhttp_send_reply_start(req, status, nullptr);
  Gate::kick(bev);
  w.add_stream(stream);
  return stream;
}

Stream::~Stream() = default;

bool Stream::send(std::string data) {
  if (!open()) return false;
  if (worker_->in_loop_thread()) {
    send_now(data);
    return open();
  }
  auto self = shared_from_this();
  return worker_->post([self, data = std::move(data)]() { self->send_now(data); });
}

void Stream::close() {
  if (!open()) return;
  if (worker_->in_loop_thread()) {
    end_now();
    return;
  }
  auto self = shared_from_this();
  worker_->post([self]() { self->end_now(); });
}

void Stream::send_now(const std::string& data) noexcept {
  if (req_ == nullptr || data.empty()) return;
  evbuffer* buf = evbuffer_new();
  if (buf == nullptr) return;
  bufferevent* bev = nullptr;
  if (evhttp_connection* conn = evhttp_request_get_connection(req_)) bev = evhttp_connection_get_bufferevent(conn);
  if (evbuffer_add(buf, data.data(), data.size()) == 0) evhttp_send_reply_chunk(req_, buf);
  evbuffer_free(buf);
  Gate::kick(bev);
}

void Stream::end_now() noexcept {
  if (req_ == nullptr) return;
  evhttp_request* req = std::exchange(req_, nullptr);
  bufferevent* bev = nullptr;
  if (evhttp_connection* conn = evhttp_request_get_connection(req)) {
    evhttp_connection_set_closecb(conn, nullptr, nullptr);
    bev = evhttp_connection_get_bufferevent(conn);
  }
  evhttp_send_reply_end(req);  // evhttp frees the request once written
  Gate::kick(bev);
  finish();
}

void Stream::lost_now() noexcept {
  evhttp_request* req = std::exchange(req_, nullptr);
  // A client that went away mid-stream: evhttp has detached the unfinished request from
  // its connection and leaves it to us. A request still on its connection (the server
  // freeing its connections at exit) is freed by evhttp with the connection.
  if (req != nullptr && evhttp_request_get_connection(req) == nullptr) evhttp_request_free(req);
  finish();
}

void Stream::finish() noexcept {
  if (!open_.exchange(false, std::memory_order_acq_rel)) return;
  auto keep = shared_from_this();  // the worker's reference goes in remove_stream
  worker_->remove_stream(this);
  if (on_close_) {
    try {
      on_close_();
    } catch (const std::exception& e) {
      trustmon::log().error("http: stream close callback threw: {}", e.what());
    } catch (...) {
      trustmon::log().error("http: stream close callback threw");
    }
    on_close_ = nullptr;
  }
}

void Stream::conn_closed_cb(evhttp_connection* /*conn*/, void* arg) noexcept {
  static_cast<Stream*>(arg)->lost_now();
}

}  // namespace trustmon::http
