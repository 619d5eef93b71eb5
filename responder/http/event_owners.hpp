// RAII owners for the libevent handles the HTTP server holds (event_base, evhttp, event,
// evconnlistener-free sockets). Internal to trustmon_http. Policy: every handle has exactly
// one owner; destruction order is the owner's member order, so an evhttp or event must be
// declared after (destroyed before) the event_base it lives on.
#pragma once

#include <event2/event.h>
#include <event2/http.h>
#include <unistd.h>

#include <memory>
#include <utility>

namespace trustmon::http::detail {

struct EventBaseFree {
  void operator()(event_base* b) const noexcept { event_base_free(b); }
};
struct EvhttpFree {
  void operator()(evhttp* h) const noexcept { evhttp_free(h); }
};
struct EventFree {
  void operator()(event* e) const noexcept { event_free(e); }
};

using EventBasePtr = std::unique_ptr<event_base, EventBaseFree>;
using EvhttpPtr = std::unique_ptr<evhttp, EvhttpFree>;
using EventPtr = std::unique_ptr<event, EventFree>;

// A file descriptor closed exactly once.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) noexcept : fd_(fd) {}
  Fd(Fd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  Fd& operator=(Fd&& o) noexcept {
    if (this != &o) reset(std::exchange(o.fd_, -1));
    return *this;
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { reset(); }

  int get() const noexcept { return fd_; }
  explicit operator bool() const noexcept { return fd_ >= 0; }
  void reset(int fd = -1) noexcept {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

}  // namespace trustmon::http::detail
