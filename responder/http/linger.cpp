// Lingering closes of refused plain-HTTP connections; see linger.hpp.
#include "responder/http/linger.hpp"

#include <event2/buffer.h>
#include <sys/socket.h>

#include <cerrno>

namespace trustmon::http {

LingeringCloses::~LingeringCloses() { stop(); }

void LingeringCloses::stop() noexcept {
  stopped_ = true;
  entries_.clear();  // each entry frees its event, then closes its socket
  while (!flushing_.empty()) release(flushing_.begin()->first);
}

void LingeringCloses::adopt_tls(bufferevent* bev) noexcept {
  if (bev == nullptr) return;
  std::unique_ptr<Flushing> f;
  try {
    f = std::make_unique<Flushing>();
  } catch (...) {
  }
  if (!f || stopped_ || window_.count() <= 0 || flushing_.size() >= max_sockets_) {
    bufferevent_decref(bev);  // as before: freed now
    return;
  }
  f->owner = this;
  f->bev = bev;
  f->timer.reset(evtimer_new(base_, &LingeringCloses::flush_timer_cb, f.get()));
  if (!f->timer) {
    bufferevent_decref(bev);
    return;
  }
  Flushing* key = f.get();
  try {
    flushing_.emplace(key, std::move(f));
  } catch (...) {
    bufferevent_decref(bev);  // `f` (moved or not) frees its timer on the way out
    return;
  }
  // The owner is inside bufferevent_free (it clears the callbacks after this returns):
  // take the bufferevent over on the loop's next turn.
  event_active(key->timer.get(), EV_TIMEOUT, 0);
}

void LingeringCloses::flush_timer_cb(evutil_socket_t, short, void* arg) noexcept {
  auto* f = static_cast<Flushing*>(arg);
  LingeringCloses* self = f->owner;
  if (f->started || evbuffer_get_length(bufferevent_get_output(f->bev)) == 0) {
    self->release(f);  // written, or the window ended
    return;
  }
  f->started = true;
  bufferevent_setcb(f->bev, nullptr, &LingeringCloses::flush_write_cb, &LingeringCloses::flush_event_cb, f);
  bufferevent_setwatermark(f->bev, EV_WRITE, 0, 0);
  bufferevent_enable(f->bev, EV_WRITE);
  const auto ms = self->window_.count();
  const timeval tv{static_cast<time_t>(ms / 1000), static_cast<suseconds_t>((ms % 1000) * 1000)};
  event_add(f->timer.get(), &tv);
}

void LingeringCloses::flush_write_cb(bufferevent* bev, void* arg) noexcept {
  auto* f = static_cast<Flushing*>(arg);
  if (evbuffer_get_length(bufferevent_get_output(bev)) == 0) f->owner->release(f);
}

void LingeringCloses::flush_event_cb(bufferevent*, short, void* arg) noexcept {
  auto* f = static_cast<Flushing*>(arg);
  f->owner->release(f);  // an error or the peer's end: nothing more can be written
}

void LingeringCloses::release(Flushing* f) noexcept {
  auto it = flushing_.find(f);
  if (it == flushing_.end()) return;
  std::unique_ptr<Flushing> owned = std::move(it->second);
  flushing_.erase(it);
  owned->timer.reset();
  bufferevent_setcb(owned->bev, nullptr, nullptr, nullptr, nullptr);
  bufferevent_decref(owned->bev);  // the last reference: frees it, closing the socket
}

void LingeringCloses::adopt(detail::Fd fd) noexcept {
  if (!fd) return;
  if (stopped_ || window_.count() <= 0 || entries_.size() >= max_sockets_) return;  // `fd` closes here
  if (::shutdown(fd.get(), SHUT_WR) != 0) return;  // not connected any more: nothing to wait for
  try {
    auto entry = std::make_unique<Entry>();
    entry->owner = this;
    entry->deadline = std::chrono::steady_clock::now() + window_;
    entry->ev.reset(event_new(base_, fd.get(), EV_READ | EV_PERSIST, &LingeringCloses::read_cb, entry.get()));
    if (!entry->ev) return;
    const auto ms = window_.count();
    const timeval tv{static_cast<time_t>(ms / 1000), static_cast<suseconds_t>((ms % 1000) * 1000)};
    if (event_add(entry->ev.get(), &tv) != 0) return;
    entry->fd = std::move(fd);
    Entry* key = entry.get();
    entries_.emplace(key, std::move(entry));
  } catch (...) {
    // Out of memory: the socket closes at once.
  }
}

void LingeringCloses::read_cb(evutil_socket_t fd, short what, void* arg) noexcept {
  auto* entry = static_cast<Entry*>(arg);
  LingeringCloses* self = entry->owner;
  bool done = (what & EV_TIMEOUT) != 0 || std::chrono::steady_clock::now() >= entry->deadline;
  // A bounded amount per wake-up, so one fast sender cannot hold the loop.
  char sink[16384];
  for (int i = 0; i < 64 && !done; ++i) {
    const ssize_t n = ::recv(fd, sink, sizeof sink, 0);
    if (n > 0) {
      self->bytes_dropped_ += static_cast<std::uint64_t>(n);
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    if (n < 0 && errno == EINTR) continue;
    done = true;  // the client closed, or the connection failed
  }
  if (done) self->entries_.erase(entry);  // frees the event, then closes the socket
}

}  // namespace trustmon::http
