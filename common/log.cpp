// spdlog setup: one server logger and one access logger, both asynchronous so the
// event loops never block on a terminal or disk.
#include "common/log.hpp"

#include <spdlog/async.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>

#include <memory>

namespace trustmon {
namespace {

std::shared_ptr<spdlog::logger> g_log;

std::shared_ptr<spdlog::logger> make_logger(const std::string& name, const std::string& file) {
  spdlog::sink_ptr sink;
  if (file.empty())
    sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  else
    sink = std::make_shared<spdlog::sinks::basic_file_sink_mt>(file);
  auto logger = std::make_shared<spdlog::async_logger>(name, sink, spdlog::thread_pool(),
                                                       spdlog::async_overflow_policy::overrun_oldest);
  return logger;
}

}  // namespace

Status init_logging(const LogOptions& options) {
  if (!spdlog::thread_pool()) spdlog::init_thread_pool(16384, 1);
  try {
    g_log = make_logger("trustmon", options.file);
  } catch (const std::exception& e) {
    return make_error(ErrorKind::internal, "log_unwritable", std::string("cannot open the server log: ") + e.what());
  }
  g_log->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %l %v", spdlog::pattern_time_type::utc);
  g_log->set_level(spdlog::level::from_str(options.level));
  g_log->flush_on(spdlog::level::warn);
  return open_access_log(options.access_file);
}

spdlog::logger& log() {
  if (!g_log) {
    // Tests and tools that never call init_logging still get a synchronous stderr logger.
    static auto fallback = [] {
      auto l = std::make_shared<spdlog::logger>("trustmon", std::make_shared<spdlog::sinks::stderr_sink_mt>());
      l->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %l %v", spdlog::pattern_time_type::utc);
      l->set_level(spdlog::level::warn);
      return l;
    }();
    return *fallback;
  }
  return *g_log;
}


}  // namespace trustmon
