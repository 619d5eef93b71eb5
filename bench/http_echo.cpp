// trustmon_http_echo: serves a fixed OCSP-sized answer (850 bytes by default, with the cache
// headers the OCSP route sends) for POST /ocsp, POST /ocsp/ and GET /ocsp/..., so the HTTP
// layer alone can be loaded with wrk and compared with nginx serving a static file.
//   trustmon_http_echo [--port N] [--listen HOST:PORT] [--workers N] [--bytes N] [--access-log FILE]
// (--access-log - writes the access log to stderr; without the option it is off).
// Stops on SIGTERM / SIGINT. See http_echo_post.lua for the POST load script.
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "common/bytes.hpp"
#include "common/log.hpp"
#include "responder/http/server.hpp"

namespace {

int usage() {
  std::fprintf(stderr,
               "usage: trustmon_http_echo [--port N] [--listen HOST:PORT] [--workers N] [--bytes N] "
               "[--access-log FILE|-]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace trustmon;
  http::ServerOptions options;
  options.listen = "127.0.0.1:18090";
  options.workers = 1;
  options.access_log = false;
  std::size_t bytes = 850;
  std::string access_file = "off";
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    const bool has_value = i + 1 < argc;
    if (arg == "--port" && has_value) {
      options.listen = std::string("127.0.0.1:") + argv[++i];
    } else if (arg == "--listen" && has_value) {
      options.listen = argv[++i];
    } else if (arg == "--workers" && has_value) {
      options.workers = static_cast<unsigned>(std::strtoul(argv[++i], nullptr, 10));
    } else if (arg == "--bytes" && has_value) {
      bytes = std::strtoul(argv[++i], nullptr, 10);
    } else if (arg == "--access-log" && has_value) {
      const std::string_view file = argv[++i];
      access_file = file == "-" ? "" : std::string(file);
      options.access_log = true;
    } else {
      return usage();
    }
  }
  LogOptions log_options;
  log_options.access_file = access_file;
  if (!init_logging(log_options)) return 1;

  // Bytes that look like a DER OCSPResponse (SEQUENCE, successful) followed by filler.
  Bytes answer(bytes, 0x5a);
  if (answer.size() >= 5) {
    answer[0] = 0x30;
    answer[1] = 0x82;
    answer[2] = 0x03;
    answer[3] = 0x0a;
    answer[4] = 0x0a;
  }
  const http::Handler serve = [&answer](http::Request& req) {
    (void)req.body();
    req.note("ocsp", "cache");
    req.reply(200, "application/ocsp-response", answer,
              {{"Cache-Control", "max-age=86400, public, no-transform, must-revalidate"},
               {"ETag", "\"3f1a6c0e1b6d4f7e9a2c5b8d0e3f6a9c1b4d7e0f2a5c8b1d4e7f0a3c6b9d2e5f\""},
               {"Last-Modified", "Fri, 21 Nov 2025 05:00:00 GMT"},
               {"Expires", "Sat, 22 Nov 2025 05:00:00 GMT"}});
  };
  http::Router router;
  router.add(http::Method::Post, "/ocsp", serve)
      .add(http::Method::Post, "/ocsp/", serve)
      .add_prefix(http::Method::Get, "/ocsp/", serve);

  http::Server server(options, std::move(router));
  if (Status s = server.start(); !s) {
    std::fprintf(stderr, "trustmon_http_echo: %s: %s\n", s.error().code.c_str(), s.error().message.c_str());
    return 1;
  }
  if (Status s = server.handle_signals(); !s) {
    std::fprintf(stderr, "trustmon_http_echo: %s\n", s.error().message.c_str());
    return 1;
  }
  std::fprintf(stderr, "trustmon_http_echo: listening on port %u with %u worker(s), %zu-byte answers\n",
               static_cast<unsigned>(server.port()), server.worker_count(), bytes);
  server.run();
  return 0;
}
