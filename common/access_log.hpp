// The access log: one line per request, written by the request's own thread into a
// thread-local buffer and handed to the kernel in large writes (when the buffer passes
// 32 KiB, when the thread calls flush_access_log() — HTTP workers do every 200 ms — and
// when the thread exits). No lock, no wake-up of another thread per line: at full OCSP
// load a per-line queue hand-off cost as much as answering the request.
// Lines are written whole with O_APPEND, so lines of different threads never interleave.
// Never give it a token, a key or a request body.
#pragma once

#include <string>
#include <string_view>

#include "common/result.hpp"

namespace trustmon {

// "" = standard error, "off" = disabled, otherwise a file opened for appending.
Status open_access_log(const std::string& target);
bool access_log_enabled() noexcept;
// Appends "<RFC 3339 time with ms> <text>\n" to the calling thread's buffer.
void access_log_line(std::string_view text) noexcept;
// Writes the calling thread's buffered lines.
void flush_access_log() noexcept;

}  // namespace trustmon
