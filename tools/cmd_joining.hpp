// trustmonctl joining: signed applications to join trustmon (docs/joining.md), from a
// terminal.
//
//   joining file --doc DOC.json --key KEY.pem --cert CERT.pem [--out SIGNED.p7s]
//       writes the document in canonical form (adding "format" and "date" when absent),
//       signs it as a CMS SignedData encapsulating it (what `openssl cms -sign -nodetach
//       -binary` makes) and files it without a token; prints the answer with the number and
//       the secret (shown once). --out keeps the signed bytes.
//   joining status NUMBER --secret SECRET     the application's state, without a token
//   joining list [--state S], joining show NUMBER, joining approve NUMBER,
//   joining reject NUMBER --reason TEXT        the central body's queue (admin calls)
// Exit codes as the other commands (0 ok, 1 refused by the server, 2 usage, file or
// transport error).
#pragma once

#include <iosfwd>
#include <string>

#include <nlohmann/json.hpp>

#include "common/clock.hpp"
#include "common/result.hpp"
#include "tools/cmd_admin.hpp"
#include "tools/http_client.hpp"

namespace trustmon::tools {

struct JoiningFileOptions {
  std::string doc_file;
  std::string key_file;
  std::string cert_file;
  std::string out_file;
};

// The document's canonical text ("format" and "date" at `now` added when absent).
// Error: document_invalid (not a JSON object).
Result<std::string> canonical_document(const std::string& text, UnixTime now);

int cmd_joining_file(HttpTransport& http, const JoiningFileOptions& options, std::ostream& out, std::ostream& err);
int cmd_joining_status(HttpTransport& http, const std::string& number, const std::string& secret, std::ostream& out,
                       std::ostream& err);

AdminCall joining_list(const std::string& state);
AdminCall joining_show(const std::string& number);
AdminCall joining_decide(const std::string& number, const std::string& decision, const std::string& reason);

}  // namespace trustmon::tools
