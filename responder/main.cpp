// trustmond: parses the command line, loads the configuration and runs the Daemon
// (responder/daemon/daemon.hpp), which owns every service, their start order and their
// stop order. Exit codes: 0 after SIGTERM/SIGINT, 1 on a start-up error, 2 on a bad
// command line or configuration.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <exception>
#include <string>

#include "common/clock.hpp"
#include "common/log.hpp"
#include "responder/config/config.hpp"
#include "responder/daemon/daemon.hpp"
#include "responder/daemon/options.hpp"

namespace trustmon {
namespace {

Status serve(const config::Config& cfg) {
  auto opened = daemon::Daemon::open(cfg, SystemClock::instance());
  if (!opened) return std::move(opened).error();
  return (*opened)->run();
}

int run(const config::Config& cfg) {
  if (Status s = init_logging(daemon::log_options(cfg)); !s) {
    std::fprintf(stderr, "trustmond: %s\n", s.error().message.c_str());
    return 1;
  }
  const Status s = serve(cfg);  // the daemon is stopped and gone when this returns
  if (!s) {
    std::fprintf(stderr, "trustmond: %s (%s)\n", s.error().message.c_str(), s.error().code.c_str());
    log().error("{} ({})", s.error().message, s.error().code);
  }
  spdlog::shutdown();
  return s ? 0 : 1;
}

}  // namespace
}  // namespace trustmon

int main(int argc, char** argv) {
  CLI::App app{"trustmond: OCSP responder and registry of the trust-services monitoring tool"};
  std::string config_path;
  bool check_only = false;
  app.add_option("-c,--config", config_path, "Configuration file (TOML)")->required();
  app.add_flag("--check-config", check_only, "Validate the configuration and exit");
  CLI11_PARSE(app, argc, argv);

  auto cfg = trustmon::config::load(config_path);
  if (!cfg) {
    std::fprintf(stderr, "trustmond: %s\n", cfg.error().message.c_str());
    return 2;
  }
  if (check_only) {
    std::printf("configuration OK: %zu issuers\n", cfg->issuers.size());
    return 0;
  }
  try {
    return trustmon::run(*cfg);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "trustmond: fatal: %s\n", e.what());
    return 1;
  }
}
