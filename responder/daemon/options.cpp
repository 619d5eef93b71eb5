#include "responder/daemon/options.hpp"

#include <sys/resource.h>

#include <chrono>

namespace trustmon::daemon {

LogOptions log_options(const config::Config& c) { return {c.log_level, c.log_file, c.access_log}; }

storage::EnvOptions env_options(const config::Config& c) {
  storage::EnvOptions o;
  o.path = c.storage_path;
  o.initial_map_size = c.map_size_mb << 20;
  return o;
}

storage::WriterOptions writer_options(const config::Config& c) {
  return {c.writer_max_batch, std::chrono::microseconds(c.writer_max_delay_us)};
}

watch::DispatcherOptions dispatcher_options(const config::Config& c) {
  watch::DispatcherOptions o;
  o.shards = c.watch_dispatchers;
  o.max_failures = c.watch_max_failures;
  o.backoff.initial = std::chrono::milliseconds(c.watch_backoff_initial_ms);
  o.backoff.cap = std::chrono::seconds(c.watch_backoff_max);
  o.timeout = std::chrono::seconds(c.watch_timeout);
  o.ca_file = c.watch_ca_file;
  return o;
}

ocsp::OcspOptions ocsp_options(const config::Config& c) {
  ocsp::OcspOptions o;
  o.validity = c.ocsp_validity;
  o.refresh_margin = c.ocsp_refresh_margin;
  o.expired_validity = c.ocsp_expired_validity;
  o.echo_nonce = c.ocsp_nonce == "echo";
  o.unknown_as_revoked = c.ocsp_unknown == "revoked";
  o.max_certids = c.ocsp_max_certids;
  o.max_request_bytes = c.ocsp_max_request_bytes;
  o.live_signatures_per_second = c.ocsp_live_rate;
  return o;
}

ocsp::RefresherOptions refresher_options(const config::Config& c) {
  ocsp::RefresherOptions o;
  o.interval = std::chrono::seconds(c.ocsp_refresh_interval);
  o.max_per_second = c.ocsp_refresh_rate;
  return o;
}

csr::CsrPolicy csr_policy(const config::Config& c, const pki::IssuerSet& issuers) {
  csr::CsrPolicy o;
  o.default_ttl = c.csr_default_ttl;
  o.max_ttl = c.csr_max_ttl;
  for (const auto& ic : c.issuers)
    if (ic.allow_key_renewal)
      if (const pki::Issuer* k = issuers.find_by_name(ic.name)) o.renewal_issuers.push_back(k->id);
  return o;
}

registry::RegistryOptions registry_options(const config::Config& c) {
  registry::RegistryOptions o;
  for (const auto& ic : c.issuers)
    if (ic.accept_unverified_signatures) o.accept_unverified_issuers.push_back(ic.name);
  for (const auto& ic : c.issuers)
    if (!ic.crl_key.empty()) o.crl_built_issuers.push_back(ic.name);
  return o;
}

crl::PublisherOptions crl_options(const config::Config& c) {
  crl::PublisherOptions o;
  o.validity = c.crl_validity;
  o.rebuild_after = c.crl_rebuild_after;
  o.delta_interval = c.crl_delta_interval;
  o.delta_validity = c.crl_delta_validity;
  o.shards = c.crl_shards;
  o.expired_certs_on_crl = c.crl_expired_certs_on_crl;
  o.base_url = c.crl_base_url;
  if (o.base_url.empty()) {
    // The listen address as clients on this machine reach it.
    std::string host_port = c.listen;
    for (std::string_view any : {"0.0.0.0:", "*:", "[::]:"})
      if (host_port.starts_with(any)) host_port = "127.0.0.1:" + host_port.substr(any.size());
    o.base_url = "http://" + host_port;
  }
  return o;
}

http::ServerOptions server_options(const config::Config& c) {
  http::ServerOptions o;
  o.listen = c.listen;
  o.workers = c.workers;
  o.max_body_bytes = c.max_body_bytes;
  o.max_json_body_bytes = c.max_json_body_bytes;
  o.max_small_body_bytes = c.max_small_body_bytes;
  o.max_header_bytes = c.max_header_bytes;
  o.read_timeout_seconds = static_cast<int>(c.read_timeout);
  o.head_timeout_seconds = static_cast<int>(c.head_timeout);
  o.linger_timeout_seconds = static_cast<int>(c.linger_timeout);
  o.max_connections = c.max_connections;
  if (o.max_connections == 0) {
    // The descriptor limit, less room for the store, logs, listeners and webhooks.
    rlimit rl{};
    const rlim_t soft = ::getrlimit(RLIMIT_NOFILE, &rl) == 0 ? rl.rlim_cur : 1024;
    o.max_connections = soft == RLIM_INFINITY || soft > (1u << 20) ? (1u << 20) : (soft > 192 ? soft - 128 : 64);
  }
  o.max_connections_per_address = c.max_connections_per_address;
  o.reserved_connections = c.reserved_connections;
  o.access_log = c.access_log != "off";
  o.metrics = c.metrics;
  if (!c.tls_listen.empty()) o.tls = http::TlsOptions{c.tls_listen, c.tls_cert, c.tls_key, c.tls_client_ca};
  return o;
}

access::RateLimit rate_limit(const config::Config& c) {
  return {static_cast<double>(c.access_rate_per_second), static_cast<double>(c.access_rate_burst)};
}

tsl::TlServiceOptions tl_options(const config::Config& c) {
  tsl::TlServiceOptions o;
  o.default_list = c.tl_name;
  o.publish.version = c.tl_version;
  o.publish.period = c.tl_next_update;
  o.reissue_margin = c.tl_reissue_margin;
  o.check_interval = std::chrono::seconds(c.tl_reissue_interval);
  return o;
}

}  // namespace trustmon::daemon
