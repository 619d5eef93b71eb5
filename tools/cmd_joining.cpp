#include "tools/cmd_joining.hpp"

#include <ostream>

#include "common/bytes.hpp"
#include "common/ossl.hpp"
#include "common/time.hpp"
#include "tools/cmd_login.hpp"
#include "tools/commands.hpp"

namespace trustmon::tools {
namespace {

using nlohmann::json;

// Sends `request` and prints the answer; `expected` is the status of success.
int send_and_print(HttpTransport& http, const HttpRequest& request, int expected, std::ostream& out, std::ostream& err) {
  auto reply = http.send(request);
  if (!reply) {
    print_error(err, reply.error());
    return kExitFailed;
  }
  json answer = json::parse(reply->body, nullptr, false);
  out << (answer.is_discarded() ? reply->body : answer.dump(2)) << "\n";
  return reply->status == expected ? kExitOk : kExitRefused;
}

}  // namespace

Result<std::string> canonical_document(const std::string& text, UnixTime now) {
  json doc = json::parse(text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object())
    return make_error(ErrorKind::invalid, "document_invalid", "the document is not a JSON object");
  if (!doc.contains("format")) doc["format"] = "trustmon-joining/1";
  if (!doc.contains("date")) doc["date"] = format_rfc3339(now);
  return doc.dump();  // members sorted (std::map), no whitespace, UTF-8 as itself
}

int cmd_joining_file(HttpTransport& http, const JoiningFileOptions& o, std::ostream& out, std::ostream& err) {
  auto text = read_file(o.doc_file);
  if (!text) {
    print_error(err, make_error(ErrorKind::invalid, "file_unreadable", "cannot read the document " + o.doc_file));
    return kExitFailed;
  }
  auto canonical = canonical_document(*text, std::time(nullptr));
  if (!canonical) {
    print_error(err, canonical.error());
    return kExitFailed;
  }
  auto cms = sign_cms(o.key_file, o.cert_file, as_bytes(*canonical), CmsForm::encapsulated);
  if (!cms) {
    print_error(err, cms.error());
    return kExitFailed;
  }
  if (!o.out_file.empty()) {
    if (Status s = write_file(o.out_file, std::string_view(reinterpret_cast<const char*>(cms->data()), cms->size())); !s) {
      print_error(err, s.error());
      return kExitFailed;
    }
  }
  HttpRequest file;
  file.method = "POST";
  file.target = "/api/v1/joining/applications";
  file.headers.push_back({"Content-Type", "application/pkcs7-mime"});
  file.body.assign(reinterpret_cast<const char*>(cms->data()), cms->size());
  return send_and_print(http, file, 201, out, err);
}

int cmd_joining_status(HttpTransport& http, const std::string& number, const std::string& secret, std::ostream& out,
                       std::ostream& err) {
  HttpRequest ask;
  ask.method = "POST";
  ask.target = "/api/v1/joining/status";
  ask.headers.push_back({"Content-Type", "application/json"});
  ask.body = json{{"number", number}, {"secret", secret}}.dump();
  return send_and_print(http, ask, 200, out, err);
}

AdminCall joining_list(const std::string& state) {
  return {"GET", "/api/v1/joining/applications" + (state.empty() ? std::string() : "?state=" + percent_encode(state)),
          std::nullopt};
}
AdminCall joining_show(const std::string& number) {
  return {"GET", "/api/v1/joining/applications/" + percent_encode(number), std::nullopt};
}
AdminCall joining_decide(const std::string& number, const std::string& decision, const std::string& reason) {
  json body = {{"decision", decision}};
  if (!reason.empty()) body["reason"] = reason;
  return {"POST", "/api/v1/joining/applications/" + percent_encode(number) + "/decision", body};
}

}  // namespace trustmon::tools
