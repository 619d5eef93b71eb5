// Logging: spdlog behind two names. `log()` is the server log (errors are faults of the
// server; bad client input is info or below). `access_log()` gets one key=value line per
// request. Neither ever receives a key, a token or a token hash.
#pragma once

#include <spdlog/spdlog.h>

#include <string>

namespace trustmon {

struct LogOptions {
  std::string level = "info";   // trace, debug, info, warn, error, off
  std::string file;             // "" = stderr
  std::string access_file;      // "" = stderr; "off" disables the access log
};

void init_logging(const LogOptions& options);
spdlog::logger& log();
// nullptr when the access log is off.
spdlog::logger* access_log();

}  // namespace trustmon
