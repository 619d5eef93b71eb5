#include "responder/daemon/daemon.hpp"

#include <gtest/gtest.h>

#include <filesystem>

#include "responder/daemon/options.hpp"
#include "tests/support/temp_env.hpp"

namespace trustmon::daemon {
namespace {

config::Config example_config() {
  auto c = config::parse(config::example("/var/lib/trustmon"), "/etc/trustmon");
  EXPECT_TRUE(c.ok()) << c.error().message;
  return c.ok() ? *c : config::Config{};
}

TEST(Options, SectionsBecomeModuleOptions) {
  config::Config c = example_config();
  c.ocsp_unknown = "revoked";
  c.access_log = "off";
  c.tls_listen = "127.0.0.1:0";
  c.writer_max_delay_us = 250;

  const ocsp::OcspOptions ocsp = ocsp_options(c);
  EXPECT_EQ(ocsp.validity, c.ocsp_validity);
  EXPECT_TRUE(ocsp.echo_nonce);
  EXPECT_TRUE(ocsp.unknown_as_revoked);
  EXPECT_TRUE(ocsp::validate(ocsp).ok());

  const http::ServerOptions server = server_options(c);
  EXPECT_EQ(server.listen, c.listen);
  EXPECT_FALSE(server.access_log);
  ASSERT_TRUE(server.tls.has_value());
  EXPECT_EQ(server.tls->listen, "127.0.0.1:0");

  EXPECT_EQ(env_options(c).path, "/var/lib/trustmon/db");
  EXPECT_EQ(env_options(c).initial_map_size, c.map_size_mb << 20);
  EXPECT_EQ(writer_options(c).max_delay, std::chrono::microseconds(250));
  EXPECT_EQ(dispatcher_options(c).timeout, std::chrono::seconds(c.watch_timeout));
  EXPECT_EQ(tl_options(c).default_list, c.tl_name);
  EXPECT_EQ(rate_limit(c).burst, static_cast<double>(c.access_rate_burst));
}

TEST(Options, IssuerFlagsReachTheirModules) {
  config::Config c = example_config();
  c.issuers.push_back({"plain", "", "", "", false, false, "", ""});
  c.issuers.push_back({"dstu", "", "", "", true, false, "", ""});
  c.issuers.push_back({"signs-crls", "", "", "", false, false, "ca.key", ""});
  c.crl_rebuild_after = 7;
  const registry::RegistryOptions r = registry_options(c);
  EXPECT_EQ(r.accept_unverified_issuers, std::vector<std::string>{"dstu"});
  EXPECT_EQ(r.crl_built_issuers, std::vector<std::string>{"signs-crls"});
  EXPECT_EQ(crl_options(c).rebuild_after, 7);
  EXPECT_EQ(crl_options(c).validity, c.crl_validity);
  EXPECT_EQ(r.key_ledger, nullptr);  // the daemon sets the CSR hook (csr::CsrService)
}

config::Config store_config(const std::string& dir) {
  config::Config c;
  c.storage_path = dir + "/db";
  c.map_size_mb = 16;
  c.listen = "127.0.0.1:0";
  c.workers = 1;
  return c;
}

// Threads of this process now (/proc/self/task).
std::size_t thread_count() {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator("/proc/self/task")) ++n;
  return n;
}

TEST(Daemon, OpensAndStopsWithoutServing) {
  storage::testing::TempDir dir;
  {
    // A first Daemon starts what a process starts once (the logger's thread).
    auto warm = Daemon::open(store_config(dir.path()), SystemClock::instance());
    ASSERT_TRUE(warm.ok()) << warm.error().message;
  }
  const std::size_t before = thread_count();
  {
    auto d = Daemon::open(store_config(dir.path()), SystemClock::instance());
    ASSERT_TRUE(d.ok()) << d.error().message;
    EXPECT_GT(thread_count(), before);  // the Writer, the feed, the pools
    (*d)->stop();
    (*d)->stop();  // idempotent; the destructor calls it once more
  }
  EXPECT_EQ(thread_count(), before);  // no thread left behind
}

TEST(Daemon, StartUpErrorsSayWhatFailed) {
  storage::testing::TempDir dir;
  config::Config c = store_config(dir.path());
  c.tl_name = "../ua";
  auto d = Daemon::open(c, SystemClock::instance());  // fails after the Writer started
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().code, "config_invalid");
  EXPECT_EQ(d.error().message.rfind("invalid [tl] name: ", 0), 0u) << d.error().message;

  const std::size_t before = thread_count();
  c = store_config(dir.path());
  c.ocsp_max_certids = 0;
  d = Daemon::open(c, SystemClock::instance());  // fails after the store stage started
  EXPECT_EQ(thread_count(), before);              // and stopped it again
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().message.rfind("invalid [ocsp] settings: ", 0), 0u) << d.error().message;

  c = store_config(dir.path());
  c.storage_path = "/proc/trustmon-cannot-be-here";
  d = Daemon::open(c, SystemClock::instance());
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().message.rfind("cannot open storage /proc/trustmon-cannot-be-here: ", 0), 0u)
      << d.error().message;
}

}  // namespace
}  // namespace trustmon::daemon
