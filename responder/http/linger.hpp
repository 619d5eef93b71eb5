// LingeringCloses: the end of a connection the server closes while the client may still be
// sending (a body refused with 413 before it was read, a framing error, a refused admission;
// on HTTPS after the gate's close_notify, and the client's ciphertext is dropped unread).
// Closing such a socket at once makes the kernel answer the client's next bytes with a
// reset, and a client that writes its whole request before reading then loses the
// answer it was sent. Instead the socket's sending side is shut (the client sees the answer,
// then the end), and what still arrives is read and dropped until the client closes or the
// window ends. Nothing read is kept; the number of lingering sockets per worker is capped
// (past it a socket is closed at once, as before). Loop thread only; one per Worker.
#pragma once

#include <event2/event.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <unordered_map>

#include "responder/http/event_owners.hpp"

namespace trustmon::http {

class LingeringCloses {
 public:
  LingeringCloses(event_base* base, std::size_t max_sockets, std::chrono::milliseconds window) noexcept
      : base_(base), max_sockets_(max_sockets), window_(window) {}
  LingeringCloses(const LingeringCloses&) = delete;
  LingeringCloses& operator=(const LingeringCloses&) = delete;
  ~LingeringCloses();

  // Takes `fd` (a connected, non-blocking socket whose answer the kernel already holds in
  // full) and closes it gracefully as above; closes it at once when the cap is reached, the
  // window is zero, or stop() was called.
  void adopt(detail::Fd fd) noexcept;
  // Closes every lingering socket now and adopts none later (the worker is stopping).
  void stop() noexcept;


 private:
  struct Entry {
    LingeringCloses* owner = nullptr;
    detail::Fd fd;
    detail::EventPtr ev;
    std::chrono::steady_clock::time_point deadline;
  };
  static void read_cb(evutil_socket_t fd, short what, void* arg) noexcept;

  event_base* base_;
  std::size_t max_sockets_;
  std::chrono::milliseconds window_;
  bool stopped_ = false;
  std::unordered_map<Entry*, std::unique_ptr<Entry>> entries_;
};

}  // namespace trustmon::http
