#include "responder/routes/status_routes.hpp"

#include <openssl/bn.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>

#include "common/ossl.hpp"
#include "common/pem.hpp"
#include "common/time.hpp"
#include "responder/ocsp/presign.hpp"
#include "responder/registry/serial_hex.hpp"
#include "responder/routes/worker_state.hpp"
#include "storage/crls.hpp"
#include "storage/records.hpp"

namespace trustmon::routes {
namespace {

using nlohmann::json;
constexpr std::size_t kMaxCertificateBytes = 64 * 1024;

struct CrlDeleter {
  void operator()(X509_CRL* c) const noexcept { X509_CRL_free(c); }
};

// The latest complete CRL of each issuer, parsed once per published CRL.
class ParsedCrls {
 public:
  std::shared_ptr<X509_CRL> get(std::uint32_t issuer, const storage::CrlView& v) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = held_.find(issuer);
      if (it != held_.end() && it->second.first == v.sha256) return it->second.second;
    }
    const unsigned char* p = v.der.data();
    X509_CRL* raw = d2i_X509_CRL(nullptr, &p, static_cast<long>(v.der.size()));
    if (raw == nullptr) return nullptr;
    std::shared_ptr<X509_CRL> crl(raw, CrlDeleter{});
    std::lock_guard<std::mutex> lock(mu_);
    held_[issuer] = {v.sha256, crl};
    return crl;
  }

 private:
  std::mutex mu_;
  std::map<std::uint32_t, std::pair<Sha256, std::shared_ptr<X509_CRL>>> held_;
};

// What GET /api/v1/issuers and the CA downloads answer never changes while the server runs:
// built once.
struct IssuerFiles {
  std::string list_json;                  // {"issuers": [...]}
  std::map<std::string, Bytes, std::less<>> ca_der;  // by issuer name
};

IssuerFiles issuer_files(const pki::IssuerSet& issuers, const std::string& base_url) {
  IssuerFiles out;
  json list = json::array();
  for (const pki::Issuer* k : issuers.all()) {
    Bytes der = x509_der(k->ca.get());
    list.push_back({{"name", k->name},
                    {"subject", x509_name_text(k->subject())},
                    {"test", k->test},
                    {"ocsp_url", base_url + "/ocsp"},
                    {"crl_url", base_url + "/crl/" + k->name + ".crl"},
                    {"ca_url", base_url + "/api/v1/issuers/" + k->name + "/ca.cer"},
                    {"ca_sha256", hex_encode(sha256(der))}});
    out.ca_der.emplace(k->name, std::move(der));
  }
  out.list_json = json{{"issuers", std::move(list)}}.dump();
  return out;
}

struct Context {
  Context(const pki::IssuerSet& i, std::string b) : issuers(i), base_url(std::move(b)), files(issuer_files(i, base_url)) {}
  const pki::IssuerSet& issuers;
  std::string base_url;
  IssuerFiles files;
  ParsedCrls crls;
};

Result<json> status_of(Context& ctx, const storage::ReadTxn& txn, const pki::Issuer& k, const Bytes& serial) {
  json out = {{"issuer", {{"name", k.name}, {"subject", x509_name_text(k.subject())}}},
              {"serial", hex_encode(serial, true)},
              {"revocation", nullptr},
              {"certificate", nullptr},
              {"crl", nullptr}};
  const Bytes key = storage::encode_cert_key(k.id, serial);
  auto got = txn.get(storage::Table::certs, key);
  if (!got) return std::move(got).error();
  std::string status = "unknown";
  if (*got) {
    auto rec = storage::decode_cert(**got);
    if (!rec) return std::move(rec).error();
    if (rec->status == storage::CertStatus::good) {
      status = "good";
    } else {
      status = rec->reason == storage::kReasonCertificateHold ? "on_hold" : "revoked";
      json r = {{"time", format_rfc3339(rec->revocation_time)}, {"reason", storage::reason_name(rec->reason)}};
      if (rec->invalidity_date != 0) r["invalidity_date"] = format_rfc3339(rec->invalidity_date);
      out["revocation"] = std::move(r);
    }
  }
  out["status"] = status;
  json ocsp = {{"url", ctx.base_url + "/ocsp"}, {"status", status}, {"stored", false}};
  auto stored = txn.get(storage::Table::ocsp_responses, ocsp::response_key(key, ocsp::kPresignHashAlg));
  if (!stored) return std::move(stored).error();
  if (*stored) {
    if (auto r = storage::decode_ocsp_response(**stored); r) {
      ocsp["stored"] = true;
      ocsp["produced_at"] = format_rfc3339(r->produced_at);
      ocsp["this_update"] = format_rfc3339(r->this_update);
      ocsp["next_update"] = format_rfc3339(r->next_update);
    }
  }
  out["ocsp"] = std::move(ocsp);
  auto crl = storage::latest_crl(txn, k.id);
  if (!crl) return std::move(crl).error();
  if (*crl) {
    const storage::CrlView& v = **crl;
    json c = {{"url", ctx.base_url + "/crl/" + k.name + ".crl"},
              {"number", storage::crl_number_decimal(v.number)},
              {"this_update", format_rfc3339(v.this_update)},
              {"next_update", format_rfc3339(v.next_update)},
              {"listed", false}};
    if (auto parsed = ctx.crls.get(k.id, v)) {
      BIGNUM* bn = BN_bin2bn(serial.data(), static_cast<int>(serial.size()), nullptr);
      ASN1_INTEGER* asn = bn != nullptr ? BN_to_ASN1_INTEGER(bn, nullptr) : nullptr;
      BN_free(bn);
      X509_REVOKED* entry = nullptr;
      if (asn != nullptr && X509_CRL_get0_by_serial(parsed.get(), &entry, asn) > 0 && entry != nullptr) {
        c["listed"] = true;
        int crit = 0;
        if (auto* reason = static_cast<ASN1_ENUMERATED*>(X509_REVOKED_get_ext_d2i(entry, NID_crl_reason, &crit, nullptr))) {
          c["reason"] = storage::reason_name(static_cast<int>(ASN1_ENUMERATED_get(reason)));
          ASN1_ENUMERATED_free(reason);
        }
      }
      ASN1_INTEGER_free(asn);
    }
    out["crl"] = std::move(c);
  }
  return out;
}

void reply_status(http::Request& req, Context& ctx, const pki::Issuer& k, const Bytes& serial, json certificate) {
  WorkerState& state = worker_state(req);
  storage::ReadScope scope(state.txn);
  if (!scope.status()) return req.reply_error(503, "storage_unavailable", "cannot read");
  auto r = status_of(ctx, state.txn, k, serial);
  if (!r) return req.reply_error(r.error());
  (*r)["certificate"] = std::move(certificate);
  req.reply_json(200, *r, {{"Cache-Control", "no-store"}});
}

void by_serial(http::Request& req, Context& ctx) {
  auto name = req.query("issuer");
  auto serial_text = req.query("serial");
  if (!name || !serial_text) return req.reply_error(400, "invalid_argument", "issuer and serial are required");
  const pki::Issuer* k = ctx.issuers.find_by_name(*name);
  if (k == nullptr) return req.reply_error(404, "issuer_not_found", "no issuer named " + *name);
  auto serial = registry::serial_from_hex(*serial_text);
  if (!serial || serial->size() > storage::kMaxSerialBytes)
    return req.reply_error(400, "invalid_argument", "serial must be a hexadecimal serial number");
  reply_status(req, ctx, *k, *serial, nullptr);
}

void by_certificate(http::Request& req, Context& ctx) {
  ByteView body = req.body();
  if (body.size() > kMaxCertificateBytes)
    return req.reply_error(413, "body_too_large", "one certificate of at most 64 KiB");
  Bytes der;
  std::string_view text(reinterpret_cast<const char*>(body.data()), body.size());
  if (text.find("-----BEGIN") != std::string_view::npos) {
    auto block = pem::find_block(text, {"CERTIFICATE", "X509 CERTIFICATE"}, kMaxCertificateBytes);
    if (!block) return req.reply_error(400, "certificate_unreadable", "no readable PEM certificate in the body");
    der.assign(block->der().begin(), block->der().end());
  } else {
    der.assign(body.begin(), body.end());
  }
  auto cert = x509_from_der(der);
  if (!cert) return req.reply_error(400, "certificate_unreadable", "the body is not an X.509 certificate (PEM or DER)");
  const pki::IssuerMatch match = ctx.issuers.issuer_of(cert->get());
  if (match.found != pki::IssuerFound::verified || match.issuer == nullptr)
    return req.reply_error(404, "issuer_not_found", "the certificate was not issued by a CA this server serves");
  json certificate = {{"subject", x509_name_text(X509_get_subject_name(cert->get()))}, {"sha256", hex_encode(sha256(der))}};
  if (auto nb = asn1_time_to_unix(X509_get0_notBefore(cert->get()))) certificate["not_before"] = format_rfc3339(*nb);
  if (auto na = asn1_time_to_unix(X509_get0_notAfter(cert->get()))) certificate["not_after"] = format_rfc3339(*na);
  reply_status(req, ctx, *match.issuer, serial_bytes(X509_get0_serialNumber(cert->get())), std::move(certificate));
}

}  // namespace

void add_status_routes(http::Router& router, const pki::IssuerSet& issuers, std::string base_url) {
  auto ctx = std::make_shared<Context>(issuers, std::move(base_url));
  router.add(http::Method::Get, "/api/v1/status", [ctx](http::Request& req) { by_serial(req, *ctx); });
  router.add(http::Method::Post, "/api/v1/status", [ctx](http::Request& req) { by_certificate(req, *ctx); },
             http::RouteLimits{http::BodyClass::json, false, false});
  router.add(http::Method::Get, "/api/v1/issuers", [ctx](http::Request& req) {
    req.reply(200, "application/json", std::string_view(ctx->files.list_json), {{"Cache-Control", "no-store"}});
  });
  router.add(http::Method::Get, "/api/v1/issuers/{name}/ca.cer", [ctx](http::Request& req) {
    auto it = ctx->files.ca_der.find(req.path_param("name"));
    if (it == ctx->files.ca_der.end()) return req.reply_error(404, "issuer_not_found", "no such issuer");
    const std::string disposition = "attachment; filename=\"" + it->first + ".cer\"";
    req.reply(200, "application/pkix-cert", ByteView(it->second),
              {{"Content-Disposition", disposition}, {"Cache-Control", "max-age=3600"}});
  });
}

}  // namespace trustmon::routes
