#include "common/access_log.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <ctime>

#include "common/time.hpp"

namespace trustmon {

namespace {

constexpr std::size_t kFlushBytes = 32 * 1024;

std::atomic<int> g_fd{-1};
std::atomic<bool> g_owned{false};  // the fd is ours to close (not stderr)

void write_all(int fd, const char* p, std::size_t n) noexcept {
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return;  // a full disk or closed pipe must not take requests down
    }
    p += w;
    n -= static_cast<std::size_t>(w);
  }
}

struct ThreadBuffer {
  std::string buf;
  std::int64_t stamp_second = -1;
  char stamp[24] = {};  // "YYYY-MM-DDTHH:MM:SS" of stamp_second
  ~ThreadBuffer() { flush(); }
  void flush() noexcept {
    int fd = g_fd.load(std::memory_order_acquire);
    if (!buf.empty() && fd >= 0) write_all(fd, buf.data(), buf.size());
    buf.clear();
  }
};

thread_local ThreadBuffer t_buffer;

}  // namespace

Status open_access_log(const std::string& target) {
  int fd = -1;
  bool owned = false;
  if (target == "off") {
    fd = -1;
  } else if (target.empty()) {
    fd = STDERR_FILENO;
  } else {
    fd = ::open(target.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    if (fd < 0) return make_error(ErrorKind::internal, "log_unwritable", "cannot open access log " + target + ": " + std::strerror(errno));
    owned = true;
  }
  flush_access_log();
  int old = g_fd.exchange(fd, std::memory_order_acq_rel);
  bool old_owned = g_owned.exchange(owned, std::memory_order_acq_rel);
  if (old >= 0 && old_owned) ::close(old);
  return {};
}

bool access_log_enabled() noexcept { return g_fd.load(std::memory_order_relaxed) >= 0; }

void access_log_line(std::string_view text) noexcept {
  if (g_fd.load(std::memory_order_relaxed) < 0) return;
  try {
    ThreadBuffer& b = t_buffer;
    timespec ts{};
    ::clock_gettime(CLOCK_REALTIME, &ts);
    if (ts.tv_sec != b.stamp_second) {
      std::string s = format_rfc3339(ts.tv_sec);  // ...Z; the milliseconds go before the Z
      std::size_t n = std::min(s.size() - 1, sizeof b.stamp - 1);
      std::memcpy(b.stamp, s.data(), n);
      b.stamp[n] = '\0';
      b.stamp_second = ts.tv_sec;
    }
    char ms[8];
    long m = ts.tv_nsec / 1000000;
    ms[0] = '.';
    ms[1] = static_cast<char>('0' + m / 100);
    ms[2] = static_cast<char>('0' + m / 10 % 10);
    ms[3] = static_cast<char>('0' + m % 10);
    ms[4] = 'Z';
    ms[5] = ' ';
    b.buf.append(b.stamp).append(ms, 6).append(text).push_back('\n');
    if (b.buf.size() >= kFlushBytes) b.flush();
  } catch (...) {
    // out of memory for a log line: drop it
  }
}

void flush_access_log() noexcept { t_buffer.flush(); }

}  // namespace trustmon
