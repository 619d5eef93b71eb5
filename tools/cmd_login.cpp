#include "tools/cmd_login.hpp"

#include <openssl/cms.h>
#include <openssl/x509.h>

#include <nlohmann/json.hpp>
#include <ostream>

#include "common/ossl.hpp"
#include "tools/commands.hpp"
#include <strings.h>

namespace trustmon::tools {
namespace {

using nlohmann::json;

struct CmsDeleter {
  void operator()(CMS_ContentInfo* c) const noexcept { CMS_ContentInfo_free(c); }
};

// The value of cookie `name` among the response's Set-Cookie headers.
std::string set_cookie_value(const HttpResponse& r, std::string_view name) {
  for (const auto& h : r.headers) {
    if (h.name.size() != 10 || strncasecmp(h.name.c_str(), "Set-Cookie", 10) != 0) continue;
    const std::string_view v = h.value;
    if (v.size() > name.size() && v.substr(0, name.size()) == name && v[name.size()] == '=') {
      const std::size_t end = v.find(';');
      return std::string(v.substr(name.size() + 1, end == std::string_view::npos ? std::string_view::npos : end - name.size() - 1));
    }
  }
  return {};
}

}  // namespace

Result<Bytes> sign_cms(const std::string& key_file, const std::string& cert_file, ByteView data, CmsForm form) {
  auto cert = load_cert_file(cert_file);
  if (!cert) return make_error(ErrorKind::invalid, "file_unreadable", "cannot read the certificate " + cert_file);
  auto key = load_key_file(key_file);
  if (!key) return make_error(ErrorKind::invalid, "file_unreadable", "cannot read the key " + key_file);
  if (X509_check_private_key(cert->get(), key->get()) != 1) {
    ossl_errors();
    return make_error(ErrorKind::invalid, "usage_invalid", "the key does not belong to the certificate");
  }
  BioPtr in(BIO_new_mem_buf(data.data(), static_cast<int>(data.size())));
  std::unique_ptr<CMS_ContentInfo, CmsDeleter> cms(
      CMS_sign(cert->get(), key->get(), nullptr, in.get(), (form == CmsForm::detached ? CMS_DETACHED : 0) | CMS_BINARY));
  if (!cms) return ossl_error(ErrorKind::internal, "crypto_failed", "CMS signing");
  unsigned char* der = nullptr;
  const int n = i2d_CMS_ContentInfo(cms.get(), &der);
  if (n <= 0) return ossl_error(ErrorKind::internal, "crypto_failed", "CMS encoding");
  OsslBytesPtr owned(der);
  return Bytes(der, der + n);
}

int cmd_login(HttpTransport& http, const LoginOptions& o, const std::string& host, std::ostream& out, std::ostream& err) {
  HttpRequest ask;
  ask.method = "POST";
  ask.target = "/api/v1/auth/challenges";
  auto challenge = http.send(ask);
  if (!challenge) {
    print_error(err, challenge.error());
    return kExitFailed;
  }
  json c = json::parse(challenge->body, nullptr, false);
  if (challenge->status != 200 || !c.is_object()) {
    out << (c.is_discarded() ? challenge->body : c.dump(2)) << "\n";
    return kExitRefused;
  }
  const std::string binding = set_cookie_value(*challenge, "tm_login");
  auto octets = base64_decode(c.value("challenge", std::string()));
  if (!octets || binding.empty()) {
    print_error(err, make_error(ErrorKind::invalid, "server_reply_invalid", "the challenge answer lacks the challenge or its cookie"));
    return kExitFailed;
  }
  auto cms = sign_cms(o.key_file, o.cert_file, *octets, CmsForm::detached);
  if (!cms) {
    print_error(err, cms.error());
    return kExitFailed;
  }
  HttpRequest redeem;
  redeem.method = "POST";
  redeem.target = "/api/v1/auth/challenges/" + c.value("id", std::string());
  redeem.headers.push_back({"Content-Type", "application/json"});
  redeem.headers.push_back({"Cookie", "tm_login=" + binding});
  redeem.body = json{{"signature", base64_encode(*cms)}}.dump();
  auto done = http.send(redeem);
  if (!done) {
    print_error(err, done.error());
    return kExitFailed;
  }
  json answer = json::parse(done->body, nullptr, false);
  if (done->status != 200 || !answer.is_object()) {
    out << (answer.is_discarded() ? done->body : answer.dump(2)) << "\n";
    return kExitRefused;
  }
  const std::string session = set_cookie_value(*done, "tm_session");
  if (!o.cookie_jar.empty()) {
    const std::string jar = "# Netscape HTTP Cookie File\n#HttpOnly_" + host + "\tFALSE\t/\tFALSE\t0\ttm_session\t" + session + "\n";
    if (Status s = write_file(o.cookie_jar, jar, 0600); !s) {
      print_error(err, s.error());
      return kExitFailed;
    }
    answer["cookie_jar"] = o.cookie_jar;
  } else {
    answer["session_cookie"] = "tm_session=" + session;
  }
  out << answer.dump(2) << "\n";
  return kExitOk;
}

}  // namespace trustmon::tools
