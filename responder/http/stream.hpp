// Stream: a reply sent in pieces over time (server-sent events, chunked feeds), started
// from a Request and then fed from any thread until either side ends it.
//
// Policy:
//  * start it on the worker's loop thread (inside the handler): the status and headers go
//    out at once, with Connection: close, so the connection ends with the stream;
//  * send() and close() may be called from any thread; off the loop they are posted to it,
//    in order. After the stream has ended they do nothing and send() returns false;
//  * the stream ends when close() is called, when the client goes away, or when the server
//    stops (the worker ends every open stream before it drains); the on-close callback runs
//    once, on the loop thread, in every case;
//  * the connection's idle timeout does not apply to a stream (the client only listens);
//    send a comment line now and then to keep proxies from cutting it.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "responder/http/request.hpp"

struct evhttp_connection;

namespace trustmon::http {

class Worker;

class Stream : public std::enable_shared_from_this<Stream> {
 public:
  // Starts a chunked reply; the Request is consumed. Loop thread only. Returns null (and
  // answers 500) if the request is not pending or not on its loop thread.
  static std::shared_ptr<Stream> start(Request& request, int status, std::string_view content_type,
                                       Headers headers = {});
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;
  ~Stream();

  // Queues `data` as one chunk. False once the stream has ended.
  bool send(std::string data);
  // Ends the reply (the terminating chunk is written). Idempotent.
  void close();
  bool open() const noexcept { return open_.load(std::memory_order_acquire); }
  // Set before the stream can end (right after start, on the loop thread).
  void on_close(std::function<void()> callback) { on_close_ = std::move(callback); }
  Worker& worker() const noexcept { return *worker_; }

 private:
  friend class Worker;
  Stream(evhttp_request* req, Worker* worker) : req_(req), worker_(worker) {}
  // Loop thread.
  void send_now(const std::string& data) noexcept;
  void end_now() noexcept;       // we end it: final chunk, then forget the request
  void lost_now() noexcept;      // the connection died: forget the request, notify
  void finish() noexcept;        // common tail: mark closed, unregister, callback
  static void conn_closed_cb(evhttp_connection* conn, void* arg) noexcept;

  evhttp_request* req_ = nullptr;  // loop thread only; null once ended
  Worker* worker_;
  std::atomic<bool> open_{true};
  std::function<void()> on_close_;
};

}  // namespace trustmon::http
