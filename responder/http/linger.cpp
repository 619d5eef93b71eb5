// Lingering closes of refused connections (plain HTTP and HTTPS); see linger.hpp.
#include "responder/http/linger.hpp"

#include <sys/socket.h>

#include <cerrno>

namespace trustmon::http {

LingeringCloses::~LingeringCloses() { stop(); }

void LingeringCloses::stop() noexcept {
  stopped_ = true;
  entries_.clear();  // each entry frees its event, then closes its socket
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
    if (n > 0) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    if (n < 0 && errno == EINTR) continue;
    done = true;  // the client closed, or the connection failed
  }
  if (done) self->entries_.erase(entry);  // frees the event, then closes the socket
}

}  // namespace trustmon::http
