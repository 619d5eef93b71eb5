// An in-memory stand-in for trustmond's ingest API (POST /api/v1/certificates and
// /api/v1/revocations), following the reply contract, so the import and revoke
// commands can be tested without a server.
#pragma once

#include <openssl/x509.h>

#include <cstddef>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/bytes.hpp"
#include "common/ossl.hpp"
#include "responder/registry/certificate_body.hpp"
#include "tools/http_client.hpp"

namespace trustmon::tools {

class FakeApi final : public HttpTransport {
 public:
  // Certificates whose issuer CN contains this text are refused as "issuer_unknown".
  std::string refuse_issuer_cn;
  // Revocations for this issuer name are refused as "issuer_unknown".
  std::string refuse_issuer_name = "unknown";
  // The request with this 1-based number fails: with a 401 reply, or in transport.
  std::optional<std::size_t> unauthorized_at;
  // Requests with these 1-based numbers are answered 429 rate_limited (nothing stored).
  std::set<std::size_t> rate_limited_at;
  std::optional<std::size_t> transport_error_at;
  // Requests with these 1-based numbers are handled (a batch is stored) but the client
  // sees http_timeout, as when the server answers after the client's timeout.
  std::set<std::size_t> timeout_at;

  std::vector<HttpRequest> requests;
  std::vector<std::size_t> batch_sizes;
  std::set<std::string> stored_certs;                      // hex SHA-256 of DER
  std::map<std::string, std::string> revoked;              // issuer/serial -> reason
  std::vector<nlohmann::json> revocation_items;            // as received

  Result<HttpResponse> send(const HttpRequest& req) override {
    requests.push_back(req);
    auto answer = handle(req);
    if (timeout_at.count(requests.size()) != 0)
      return make_error(ErrorKind::unavailable, "http_timeout", "no reply from fake within 120 s");
    return answer;
  }

 private:
  Result<HttpResponse> handle(const HttpRequest& req) {
    if (transport_error_at && requests.size() == *transport_error_at)
      return make_error(ErrorKind::unavailable, "connection_failed", "cannot reach fake: connection refused");
    HttpResponse resp;
    resp.headers = {{"Content-Type", "application/json"}};
    if (rate_limited_at.count(requests.size()) != 0) {
      resp.status = 429;
      resp.headers.push_back({"Retry-After", "1"});
      resp.body = R"({"error":{"code":"rate_limited","message":"too many requests for this credential"}})";
      return resp;
    }
    if (unauthorized_at && requests.size() == *unauthorized_at) {
      resp.status = 401;
      resp.body = R"({"error":{"code":"unauthorized","message":"token unknown"}})";
      return resp;
    }
    const std::string path = req.target.substr(0, req.target.find('?'));
    const std::string query = req.target.size() > path.size() ? req.target.substr(path.size() + 1) : "";
    if (query != "" && query != "results=refused" && query != "results=all") {
      resp.status = 400;
      resp.body = R"({"error":{"code":"query_invalid","message":"results must be all or refused"}})";
      return resp;
    }
    if (req.method != "POST") {
      resp.status = 405;
      resp.body = R"({"error":{"code":"method_not_allowed","message":"POST only"}})";
      return resp;
    }
    if (path == "/api/v1/certificates") {
      // The server's own body decoder: the bodies the client sends are the ones it reads.
      const std::string* type = req.header("Content-Type");
      auto ders = registry::decode_certificate_body(type ? *type : "", as_bytes(req.body));
      if (!ders) {
        resp.status = 400;
        resp.body = nlohmann::json{{"error", {{"code", ders.error().code}, {"message", ders.error().message}}}}.dump();
        return resp;
      }
      resp.status = 200;
      resp.body = certificates(*ders, query == "results=refused").dump();
      return resp;
    }
    auto body = nlohmann::json::parse(req.body, nullptr, false);
    if (body.is_discarded() || !body.is_object()) {
      resp.status = 400;
      resp.body = R"({"error":{"code":"request_malformed","message":"want a JSON object"}})";
      return resp;
    }
    resp.status = 200;
    if (path == "/api/v1/revocations") {
      resp.body = revocations(body).dump();
    } else {
      resp.status = 404;
      resp.body = R"({"error":{"code":"not_found","message":"no such endpoint"}})";
    }
    return resp;
  }

 private:
  nlohmann::json certificates(const std::vector<Bytes>& list, bool refused_only) {
    batch_sizes.push_back(list.size());
    std::size_t stored = 0, duplicate = 0, refused = 0;
    nlohmann::json results = nlohmann::json::array();
    for (std::size_t i = 0; i < list.size(); ++i) {
      nlohmann::json r = {{"index", i}};
      const Bytes& der = list[i];
      Result<X509Ptr> cert = !der.empty() ? x509_from_der(der) : Result<X509Ptr>(make_error(ErrorKind::invalid, "certificate_malformed", "not base64"));
      if (!cert) {
        ++refused;
        r["status"] = "refused";
        r["error"] = {{"code", "certificate_malformed"}, {"message", "cannot parse"}};
      } else if (!refuse_issuer_cn.empty() && issuer_cn(cert->get()).find(refuse_issuer_cn) != std::string::npos) {
        ++refused;
        r["status"] = "refused";
        r["error"] = {{"code", "issuer_unknown"}, {"message", "no issuer " + issuer_cn(cert->get())}};
      } else {
        Sha256 d = sha256(der);
        std::string hex = hex_encode(d);
        r["sha256"] = hex;
        r["serial"] = hex_encode(serial_bytes(X509_get0_serialNumber(cert->get())), true);
        if (stored_certs.insert(hex).second) {
          ++stored;
          r["status"] = "stored";
        } else {
          ++duplicate;
          r["status"] = "duplicate";
        }
      }
      if (!refused_only || r["status"] == "refused") results.push_back(r);
    }
    return {{"stored", stored}, {"duplicate", duplicate}, {"refused", refused}, {"results", results}};
  }

  nlohmann::json revocations(const nlohmann::json& body) {
    nlohmann::json list = body.contains("revocations") ? body["revocations"] : nlohmann::json::array({body});
    batch_sizes.push_back(list.size());
    std::size_t done = 0, unchanged = 0, refused = 0;
    nlohmann::json results = nlohmann::json::array();
    for (std::size_t i = 0; i < list.size(); ++i) {
      const auto& item = list[i];
      revocation_items.push_back(item);
      nlohmann::json r = {{"index", i}, {"issuer", item.value("issuer", "")}, {"serial", item.value("serial", "")}};
      if (item.value("issuer", "") == refuse_issuer_name) {
        ++refused;
        r["status"] = "refused";
        r["error"] = {{"code", "issuer_unknown"}, {"message", "no such issuer"}};
      } else if (revoked.emplace(item.value("issuer", "") + "/" + item.value("serial", ""), item.value("reason", "")).second) {
        ++done;
        r["status"] = "revoked";
      } else {
        ++unchanged;
        r["status"] = "unchanged";
      }
      results.push_back(r);
    }
    return {{"revoked", done}, {"unchanged", unchanged}, {"refused", refused}, {"results", results}};
  }

  static std::string issuer_cn(X509* cert) {
    char buf[256] = {};
    X509_NAME_get_text_by_NID(X509_get_issuer_name(cert), NID_commonName, buf, sizeof buf);
    return buf;
  }
};

}  // namespace trustmon::tools
