// trustmonctl login: the cabinet's signature login from a terminal (docs/login.md).
//
//   login --key KEY.pem --cert CERT.pem [--cookie-jar FILE]
//
// Asks for a challenge (POST /api/v1/auth/challenges, keeping the tm_login binding cookie),
// signs its octets as a detached CMS SignedData with the key (what `openssl cms -sign
// -binary` makes), redeems it (POST /api/v1/auth/challenges/{id}) and prints the server's
// answer ({"as","csrf","expires"}). With --cookie-jar the session cookie is written to FILE
// (mode 0600, the Netscape format curl reads with -b) instead of being printed; without it
// the answer carries "session_cookie" (a secret: treat it as a token). Exit codes as the
// other commands (0 ok, 1 refused by the server, 2 usage, file or transport error).
#pragma once

#include <iosfwd>
#include <string>

#include "common/bytes.hpp"
#include "common/result.hpp"
#include "tools/http_client.hpp"

namespace trustmon::tools {

struct LoginOptions {
  std::string key_file;
  std::string cert_file;
  std::string cookie_jar;
};

// A CMS SignedData (DER) over `data` with the key and certificate files: detached (a login
// challenge) or encapsulating `data` (a joining application). Errors: file_unreadable,
// usage_invalid (the key does not belong to the certificate), crypto_failed.
enum class CmsForm { detached, encapsulated };
Result<Bytes> sign_cms(const std::string& key_file, const std::string& cert_file, ByteView data, CmsForm form);

int cmd_login(HttpTransport& http, const LoginOptions& options, const std::string& host, std::ostream& out,
              std::ostream& err);

}  // namespace trustmon::tools
