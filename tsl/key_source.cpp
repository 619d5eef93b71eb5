// See key_source.hpp. The ENGINE API is deprecated in OpenSSL 3 but is the only PKCS#11
// path Debian 12 ships (no pkcs11-provider package), hence the suppression in this file.
#define OPENSSL_SUPPRESS_DEPRECATED 1
#include "tsl/key_source.hpp"

#include <openssl/engine.h>

#include <map>
#include <mutex>

namespace trustmon::tsl {
namespace {

std::mutex engines_mu;
std::map<std::string, ENGINE*>& engines() {
  static std::map<std::string, ENGINE*> m;
  return m;
}

Result<ENGINE*> pkcs11_engine(const std::string& module) {
  std::lock_guard lock(engines_mu);
  auto it = engines().find(module);
  if (it != engines().end()) return it->second;
  ENGINE_load_builtin_engines();
  ENGINE* e = ENGINE_by_id("pkcs11");
  if (e == nullptr) return ossl_error(ErrorKind::internal, "tl_key_unavailable", "the OpenSSL pkcs11 engine is not available");
  if (!module.empty() && ENGINE_ctrl_cmd_string(e, "MODULE_PATH", module.c_str(), 0) != 1) {
    ENGINE_free(e);
    return ossl_error(ErrorKind::internal, "tl_key_unavailable", "pkcs11 engine refused the module path");
  }
  if (ENGINE_init(e) != 1) {
    ENGINE_free(e);
    return ossl_error(ErrorKind::internal, "tl_key_unavailable", "pkcs11 engine initialisation failed");
  }
  ENGINE_free(e);  // ENGINE_init holds the functional reference we keep
  engines()[module] = e;
  return e;
}

}  // namespace

Result<KeySource> KeySource::from_pin_file(std::string key, std::string pkcs11_module, const std::string& pin_file) {
  KeySource source{std::move(key), std::move(pkcs11_module), ""};
  if (pin_file.empty()) return source;
  auto pin = read_file(pin_file);
  if (!pin) return std::move(pin).error();
  while (!pin->empty() && (pin->back() == '\n' || pin->back() == '\r' || pin->back() == ' ')) pin->pop_back();
  source.pin = std::move(*pin);
  return source;
}

Result<EvpPkeyPtr> load_signing_key(const KeySource& source) {
  if (!is_pkcs11_uri(source.key)) {
    auto key = load_key_file(source.key);
    if (!key) return make_error(ErrorKind::internal, "tl_key_unavailable", key.error().message);
    return key;
  }
  auto engine = pkcs11_engine(source.pkcs11_module);
  if (!engine) return std::move(engine).error();
  std::lock_guard lock(engines_mu);  // the PIN is engine state: set and use it together
  if (!source.pin.empty() && ENGINE_ctrl_cmd_string(*engine, "PIN", source.pin.c_str(), 0) != 1)
    return ossl_error(ErrorKind::internal, "tl_key_unavailable", "pkcs11 engine refused the PIN");
  EvpPkeyPtr key(ENGINE_load_private_key(*engine, source.key.c_str(), nullptr, nullptr));
  if (!key) return ossl_error(ErrorKind::internal, "tl_key_unavailable", "no private key for the PKCS#11 URI");
  return key;
}

}  // namespace trustmon::tsl
