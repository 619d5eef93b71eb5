#include "responder/login/csc_client.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>

namespace trustmon::login {
namespace {

using nlohmann::json;

struct CurlDeleter {
  void operator()(CURL* c) const noexcept { curl_easy_cleanup(c); }
};
struct SlistDeleter {
  void operator()(curl_slist* l) const noexcept { curl_slist_free_all(l); }
};

bool curl_ready() {
  static const bool ok = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
  return ok;
}

Error failed(const std::string& what) { return make_error(ErrorKind::forbidden, "provider_failed", "the key store: " + what); }

std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user) noexcept {
  auto& out = *static_cast<std::string*>(user);
  const std::size_t n = size * count;
  if (out.size() + n > kMaxCscResponse) return 0;
  out.append(data, n);
  return n;
}

// One POST; `content_type` json or form. Returns the parsed JSON object of a 2xx answer.
Result<json> post(const std::string& url, const std::string& content_type, const std::string& body,
                  const std::string& bearer, const ProviderConfig& p, std::chrono::milliseconds timeout,
                  const char* step) {
  if (!curl_ready()) return failed("libcurl did not initialise");
  std::unique_ptr<CURL, CurlDeleter> curl(curl_easy_init());
  if (!curl) return failed("out of memory");
  curl_slist* raw = curl_slist_append(nullptr, ("Content-Type: " + content_type).c_str());
  std::unique_ptr<curl_slist, SlistDeleter> headers(raw);
  if (raw == nullptr) return failed("out of memory");
  raw = curl_slist_append(raw, "Accept: application/json");
  raw = raw != nullptr ? curl_slist_append(raw, "Expect:") : nullptr;
  if (raw != nullptr && !bearer.empty()) raw = curl_slist_append(raw, ("Authorization: Bearer " + bearer).c_str());
  if (raw == nullptr) return failed("out of memory");
  std::string response;
  char error[CURL_ERROR_SIZE] = {};
  CURL* c = curl.get();
  CURLcode rc = CURLE_OK;
  auto set = [&rc](CURLcode r) {
    if (rc == CURLE_OK) rc = r;
  };
  set(curl_easy_setopt(c, CURLOPT_ERRORBUFFER, error));
  set(curl_easy_setopt(c, CURLOPT_URL, url.c_str()));
  set(curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https"));
  set(curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L));
  set(curl_easy_setopt(c, CURLOPT_PROXY, ""));
  set(curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L));
  set(curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count())));
  set(curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get()));
  set(curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.c_str()));
  set(curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size())));
  set(curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body));
  set(curl_easy_setopt(c, CURLOPT_WRITEDATA, &response));
  set(curl_easy_setopt(c, CURLOPT_SSLVERSION, static_cast<long>(CURL_SSLVERSION_TLSv1_2)));
  if (!p.ca_file.empty()) set(curl_easy_setopt(c, CURLOPT_CAINFO, p.ca_file.c_str()));
  if (rc != CURLE_OK) return failed(std::string(step) + ": " + curl_easy_strerror(rc));
  rc = curl_easy_perform(c);
  if (rc != CURLE_OK) return failed(std::string(step) + ": " + (error[0] != 0 ? error : curl_easy_strerror(rc)));
  long status = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  json doc = json::parse(response, nullptr, false);
  if (status < 200 || status > 299) {
    std::string why = "HTTP " + std::to_string(status);
    if (doc.is_object() && doc.contains("error") && doc["error"].is_string())
      why += " " + doc["error"].get<std::string>().substr(0, 80);
    return failed(std::string(step) + ": " + why);
  }
  if (!doc.is_object()) return failed(std::string(step) + ": the answer is not a JSON object");
  return doc;
}

std::string form(std::initializer_list<std::pair<const char*, std::string>> fields) {
  std::string out;
  for (const auto& [k, v] : fields) {
    if (!out.empty()) out += '&';
    out += k;
    out += '=';
    out += percent_encode(v);
  }
  return out;
}

std::string string_of(const json& doc, const char* key) {
  auto it = doc.find(key);
  return it != doc.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

Result<Proof> fetch_signature(const QrExchange& x, std::chrono::milliseconds timeout) {
  const ProviderConfig& p = *x.provider;
  auto token = post(p.token_url, "application/x-www-form-urlencoded",
                    form({{"grant_type", "authorization_code"},
                          {"code", x.code},
                          {"redirect_uri", x.redirect_uri},
                          {"client_id", p.client_id},
                          {"client_secret", p.client_secret},
                          {"code_verifier", x.code_verifier}}),
                    "", p, timeout, "oauth2/token");
  if (!token) return std::move(token).error();
  const std::string access = string_of(*token, "access_token");
  if (access.empty() || access.size() > 4096) return failed("oauth2/token: no access_token");
  std::string credential = string_of(*token, "credentialID");
  if (credential.empty()) {
    auto list = post(p.csc_url + "/credentials/list", "application/json", "{}", access, p, timeout, "credentials/list");
    if (!list) return std::move(list).error();
    auto ids = list->find("credentialIDs");
    if (ids == list->end() || !ids->is_array() || ids->empty() || !(*ids)[0].is_string())
      return failed("credentials/list: no credential");
    credential = (*ids)[0].get<std::string>();
  }
  if (credential.size() > 1024) return failed("credential id too long");
  auto info = post(p.csc_url + "/credentials/info", "application/json",
                   json{{"credentialID", credential}, {"certificates", "chain"}, {"certInfo", true}}.dump(), access, p,
                   timeout, "credentials/info");
  if (!info) return std::move(info).error();
  const json* certs = nullptr;
  if (auto c = info->find("cert"); c != info->end() && c->is_object())
    if (auto l = c->find("certificates"); l != c->end() && l->is_array() && !l->empty()) certs = &*l;
  if (certs == nullptr || !(*certs)[0].is_string()) return failed("credentials/info: no certificate");
  auto cert = base64_decode((*certs)[0].get<std::string>());
  if (!cert || cert->empty()) return failed("credentials/info: the certificate is not base64");
  std::string algo_oid;
  if (auto k = info->find("key"); k != info->end() && k->is_object())
    if (auto a = k->find("algo"); a != k->end() && a->is_array() && !a->empty() && (*a)[0].is_string())
      algo_oid = (*a)[0].get<std::string>();
  const bool ec = algo_oid == "1.2.840.10045.2.1";
  const Sha256 digest = sha256(x.signed_text);
  auto signed_ = post(p.csc_url + "/signatures/signHash", "application/json",
                      json{{"credentialID", credential},
                           {"hashes", json::array({base64_encode(ByteView(digest.data(), digest.size()))})},
                           {"hashAlgorithmOID", "2.16.840.1.101.3.4.2.1"},
                           {"signAlgo", ec ? "1.2.840.10045.4.3.2" : "1.2.840.113549.1.1.11"}}
                          .dump(),
                      access, p, timeout, "signatures/signHash");
  if (!signed_) return std::move(signed_).error();
  auto sigs = signed_->find("signatures");
  if (sigs == signed_->end() || !sigs->is_array() || sigs->empty() || !(*sigs)[0].is_string())
    return failed("signatures/signHash: no signature");
  auto sig = base64_decode((*sigs)[0].get<std::string>());
  if (!sig || sig->empty()) return failed("signatures/signHash: the signature is not base64");
  Proof proof;
  proof.certificate = std::move(*cert);
  proof.signature = std::move(*sig);
  proof.algorithm = ec ? "ecdsa-sha256" : "rsa-pkcs1-sha256";
  return proof;
}

}  // namespace trustmon::login
