// Where the trusted-list signing key comes from: a PEM file (PKCS#8 or traditional), or
// a PKCS#11 URI ("pkcs11:token=...;object=...") through OpenSSL's pkcs11 engine (Debian
// package libengine-pkcs11-openssl) with the token's module (e.g. SoftHSM2, an HSM).
// The key never leaves the token in the PKCS#11 case; OpenSSL signs through the engine.
//
// Policy: PINs are passed in, never logged and never part of an error message. The
// engine is loaded once per process per module path and kept for the process lifetime
// (keys it hands out hold references to it).
#pragma once

#include <string>

#include "common/ossl.hpp"
#include "common/result.hpp"

namespace trustmon::tsl {

struct KeySource {
  std::string key;            // PEM file path, or a "pkcs11:" URI
  std::string pkcs11_module;  // PKCS#11 module path for URIs ("" = the engine's default)
  std::string pin;            // token user PIN for URIs ("" = none or given in the URI)

  // A source whose PIN is the content of `pin_file` without its trailing line ends and
  // spaces (as editors and `echo` leave them); "" = no PIN file. Errors: file_unreadable.
  static Result<KeySource> from_pin_file(std::string key, std::string pkcs11_module, const std::string& pin_file);
};

inline bool is_pkcs11_uri(const std::string& key) { return key.rfind("pkcs11:", 0) == 0; }

// Errors: "tl_key_unavailable" (file unreadable, not a key, engine or token failure).
Result<EvpPkeyPtr> load_signing_key(const KeySource& source);

}  // namespace trustmon::tsl
