// Logging. `log()` is the server log, through spdlog (errors are faults of the server; bad
// client input is info or below). The access log is common/access_log.hpp. Neither ever
// receives a key, a token or a token hash.
#pragma once

#include <spdlog/spdlog.h>

#include <string>

#include "common/access_log.hpp"
#include "common/result.hpp"

namespace trustmon {

struct LogOptions {
  std::string level = "info";   // trace, debug, info, warn, error, off
  std::string file;             // "" = stderr
  std::string access_file;      // "" = stderr; "off" disables the access log
};

// Sets up the server log and opens the access log; errors (an unwritable file) are returned.
Status init_logging(const LogOptions& options);
spdlog::logger& log();

}  // namespace trustmon
