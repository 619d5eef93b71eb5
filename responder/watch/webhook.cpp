#include "responder/watch/webhook.hpp"

#include <curl/curl.h>

#include "common/ossl.hpp"
#include <openssl/evp.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <memory>
#include <string>

namespace trustmon::watch {
namespace {

// Owners of libcurl's handles.
struct CurlDeleter {
  void operator()(CURL* c) const noexcept { curl_easy_cleanup(c); }
};
using CurlPtr = std::unique_ptr<CURL, CurlDeleter>;
struct CurlUrlDeleter {
  void operator()(CURLU* u) const noexcept { curl_url_cleanup(u); }
};
using CurlUrlPtr = std::unique_ptr<CURLU, CurlUrlDeleter>;
struct SlistDeleter {
  void operator()(curl_slist* l) const noexcept { curl_slist_free_all(l); }
};
using SlistPtr = std::unique_ptr<curl_slist, SlistDeleter>;
struct CurlFree {
  void operator()(char* p) const noexcept { curl_free(p); }
};

// libcurl's global state, set up once (thread-safe through the static's initialisation)
// before the first handle; never torn down.
bool curl_ready() {
  static const bool ok = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
  return ok;
}

bool has_part(CURLU* u, CURLUPart part) {
  char* raw = nullptr;
  const bool present = curl_url_get(u, part, &raw, 0) == CURLUE_OK && raw != nullptr;
  curl_free(raw);
  return present;
}

std::string url_part(CURLU* u, CURLUPart part, unsigned flags = 0) {
  char* raw = nullptr;
  if (curl_url_get(u, part, &raw, flags) != CURLUE_OK || raw == nullptr) return std::string();
  std::unique_ptr<char, CurlFree> owned(raw);
  return std::string(owned.get());
}

bool append(SlistPtr& list, const std::string& line) {
  curl_slist* head = curl_slist_append(list.get(), line.c_str());
  if (head == nullptr) return false;  // the list so far is still owned
  (void)list.release();
  list.reset(head);
  return true;
}

bool valid_header_text(std::string_view s) {
  return std::none_of(s.begin(), s.end(), [](char c) { return c == '\r' || c == '\n' || c == '\0'; });
}

// What the header callback learnt of the response.
struct Exchange {
  int status = 0;             // of the last status line ("HTTP/1.1 204 No Content")
  bool headers_done = false;  // the header block of a final (non-1xx) response ended
  bool too_large = false;     // more than kMaxResponseBytes of headers
  std::size_t header_bytes = 0;
};

// Called by libcurl once per header line, status line and final blank line included.
// Returning anything but the line's length stops the transfer: done once a final
// response's headers have ended (its body is not needed) or past kMaxResponseBytes.
std::size_t on_header(char* data, std::size_t size, std::size_t count, void* user) noexcept {
  auto& x = *static_cast<Exchange*>(user);
  const std::size_t length = size * count;
  const std::string_view line(data, length);
  x.header_bytes += length;
  if (line.substr(0, 5) == "HTTP/") {
    x.status = 0;
    if (const std::size_t sp = line.find(' '); sp != std::string_view::npos && sp + 4 <= line.size()) {
      int v = 0;
      auto r = std::from_chars(line.data() + sp + 1, line.data() + sp + 4, v);
      if (r.ec == std::errc() && r.ptr == line.data() + sp + 4 && v >= 100) x.status = v;
    }
  } else if ((line == "\r\n" || line == "\n") && x.status >= 200) {
    x.headers_done = true;
    return 0;
  }
  if (x.header_bytes > kMaxResponseBytes) {
    x.too_large = true;
    return 0;
  }
  return length;
}

// The body is never wanted (the header callback stops before it); refuse any.
std::size_t on_body(char*, std::size_t, std::size_t, void*) noexcept { return 0; }

}  // namespace

std::string hmac_sha256_hex(ByteView key, std::string_view body) {
  const Sha256 mac = hmac_sha256(key, as_bytes(body));
  return hex_encode(ByteView(mac.data(), mac.size()));
}

std::string signature_header(ByteView key, std::string_view body) { return "sha256=" + hmac_sha256_hex(key, body); }

std::chrono::milliseconds backoff_delay(const BackoffPolicy& policy, std::uint32_t failures, double unit_random) {
  if (failures == 0) return std::chrono::milliseconds(0);
  const double initial = static_cast<double>(policy.initial.count());
  const double cap = static_cast<double>(policy.cap.count());
  const double exponent = std::min<double>(failures - 1, 62);
  const double full = std::min(cap, initial * std::pow(2.0, exponent));
  const double r = std::clamp(unit_random, 0.0, 1.0);
  return std::chrono::milliseconds(static_cast<long long>(full / 2 + full / 2 * r));
}

Result<HttpUrl> parse_http_url(std::string_view url) {
  auto invalid = [](std::string_view why) {
    return make_error(ErrorKind::invalid, "url_invalid", "webhook URL: " + std::string(why));
  };
  if (url.size() > kMaxUrlLength) return invalid("longer than 2048 characters");
  for (char c : url)
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return invalid("spaces or control characters");
  if (!curl_ready()) return make_error(ErrorKind::internal, "internal_error", "libcurl did not initialise");
  CurlUrlPtr u(curl_url());
  if (!u) return make_error(ErrorKind::internal, "internal_error", "out of memory");
  const std::string text(url);
  // No flags: the scheme must be given and be one libcurl knows; the port must be a number.
  if (CURLUcode rc = curl_url_set(u.get(), CURLUPART_URL, text.c_str(), 0); rc != CURLUE_OK)
    return invalid(curl_url_strerror(rc));
  HttpUrl out;
  const std::string scheme = url_part(u.get(), CURLUPART_SCHEME);
  if (scheme != "http" && scheme != "https") return invalid("only http:// and https:// URLs are supported");
  out.tls = scheme == "https";
  if (has_part(u.get(), CURLUPART_USER) || has_part(u.get(), CURLUPART_PASSWORD) || has_part(u.get(), CURLUPART_OPTIONS))
    return invalid("user information is not allowed");
  out.host = url_part(u.get(), CURLUPART_HOST);
  if (out.host.size() >= 2 && out.host.front() == '[' && out.host.back() == ']')
    out.host = out.host.substr(1, out.host.size() - 2);
  if (out.host.empty()) return invalid("no host");
  const std::string port = url_part(u.get(), CURLUPART_PORT, CURLU_DEFAULT_PORT);
  unsigned v = 0;
  auto r = std::from_chars(port.data(), port.data() + port.size(), v);
  if (port.empty() || r.ec != std::errc() || r.ptr != port.data() + port.size() || v == 0 || v > 65535)
    return invalid("bad port");
  out.port = static_cast<std::uint16_t>(v);
  out.target = url_part(u.get(), CURLUPART_PATH);
  if (out.target.empty()) out.target = "/";
  if (has_part(u.get(), CURLUPART_QUERY)) out.target += "?" + url_part(u.get(), CURLUPART_QUERY);
  // The fragment is not sent.
  if (curl_url_set(u.get(), CURLUPART_FRAGMENT, nullptr, 0) != CURLUE_OK) return invalid("malformed fragment");
  out.text = url_part(u.get(), CURLUPART_URL);
  if (out.text.empty()) return invalid("malformed");
  return out;
}

PostResult http_post(const HttpUrl& url, const std::vector<PostHeader>& headers, std::string_view body,
                     std::chrono::milliseconds timeout, const std::string& ca_file) {
  PostResult result;
  if (!curl_ready()) {
    result.error = "libcurl did not initialise";
    return result;
  }
  CurlPtr curl(curl_easy_init());
  if (!curl) {
    result.error = "libcurl: out of memory";
    return result;
  }
  // "Expect:" and "Accept:" remove what libcurl would add; the receiver gets the same
  // header set as before: Host, User-Agent, Content-Type, Connection, Content-Length.
  SlistPtr list;
  bool ok = append(list, "Content-Type: application/json") && append(list, "Connection: close") &&
            append(list, "Expect:") && append(list, "Accept:");
  for (const auto& h : headers) {
    if (!valid_header_text(h.name) || !valid_header_text(h.value) || h.name.empty()) continue;
    // "Name;" is libcurl's spelling of a header with an empty value ("Name:" would remove it).
    ok = ok && append(list, h.value.empty() ? h.name + ";" : h.name + ": " + h.value);
  }
  if (!ok) {
    result.error = "libcurl: out of memory";
    return result;
  }
  Exchange x;
  char error[CURL_ERROR_SIZE] = {};
  CURL* c = curl.get();
  const long ms = std::max<long>(1, static_cast<long>(std::min<std::chrono::milliseconds::rep>(timeout.count(), 3600000)));
  CURLcode rc = CURLE_OK;
  auto set = [&rc](CURLcode r) {
    if (rc == CURLE_OK) rc = r;
  };
  set(curl_easy_setopt(c, CURLOPT_ERRORBUFFER, error));
  set(curl_easy_setopt(c, CURLOPT_URL, url.text.c_str()));
  set(curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https"));
  set(curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https"));
  set(curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L));
  set(curl_easy_setopt(c, CURLOPT_PROXY, ""));  // ignore http_proxy / https_proxy / all_proxy
  set(curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L));
  set(curl_easy_setopt(c, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_1_1)));
  set(curl_easy_setopt(c, CURLOPT_FORBID_REUSE, 1L));
  set(curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, ms));
  set(curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, ms));
  set(curl_easy_setopt(c, CURLOPT_SSLVERSION, static_cast<long>(CURL_SSLVERSION_TLSv1_2)));
  set(curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L));
  set(curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L));
  if (!ca_file.empty()) {
    set(curl_easy_setopt(c, CURLOPT_CAINFO, ca_file.c_str()));
    set(curl_easy_setopt(c, CURLOPT_CAPATH, static_cast<const char*>(nullptr)));
  }
  set(curl_easy_setopt(c, CURLOPT_USERAGENT, "trustmon-webhook"));
  set(curl_easy_setopt(c, CURLOPT_HTTPHEADER, list.get()));
  set(curl_easy_setopt(c, CURLOPT_POST, 1L));
  set(curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.empty() ? "" : body.data()));  // never NULL: that reads stdin
  set(curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size())));
  set(curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, &on_header));
  set(curl_easy_setopt(c, CURLOPT_HEADERDATA, &x));
  set(curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &on_body));
  if (rc != CURLE_OK) {
    result.error = std::string("libcurl: ") + curl_easy_strerror(rc);
    return result;
  }
  rc = curl_easy_perform(c);
  // The header callback stops the transfer once the answer is known, so the usual end is
  // a write error with a status in hand.
  if (x.status >= 200 && (x.headers_done || x.too_large)) {
    result.status = x.status;
    return result;
  }
  if (rc == CURLE_OK) {
    long code = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    if (code >= 100 && code <= 999) {
      result.status = static_cast<int>(code);
      return result;
    }
    result.error = "malformed response";
    return result;
  }
  if (x.too_large) {
    result.error = "response headers longer than " + std::to_string(kMaxResponseBytes) + " bytes";
    return result;
  }
  result.error = error[0] != '\0' ? std::string(error) : std::string(curl_easy_strerror(rc));
  return result;
}

}  // namespace trustmon::watch
