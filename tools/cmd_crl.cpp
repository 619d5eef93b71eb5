#include "tools/cmd_crl.hpp"

#include <ostream>

#include "tools/commands.hpp"

namespace trustmon::tools {

namespace {

using nlohmann::json;

std::string text_of(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// One category: "  missing_from_crl: 2 (revoked here, absent from the CRL)  01 0A".
void append_category(std::string& out, const json& answer, const char* name, const char* note) {
  const json empty = json::object();
  auto it = answer.find(name);
  const json& c = it != answer.end() && it->is_object() ? *it : empty;
  const std::size_t count = json_count(c, "count");
  out += "  ";
  out += name;
  out += ": " + std::to_string(count);
  out += " (";
  out += note;
  out += ')';
  std::size_t shown = 0;
  if (auto s = c.find("serials"); s != c.end() && s->is_array()) {
    for (const auto& serial : *s) {
      if (shown == kSummarySerials) break;
      if (!serial.is_string()) continue;
      out += shown == 0 ? "  " : " ";
      out += serial.get<std::string>();
      ++shown;
    }
  }
  if (count > shown) out += " (and " + std::to_string(count - shown) + " more)";
  out += '\n';
}

}  // namespace

std::string crl_check_target(const std::string& issuer) {
  return "/api/v1/crls/" + percent_encode(issuer) + "/check";
}

std::string crl_check_summary(const json& answer) {
  const bool agrees = answer.value("agrees", false);
  std::string out = "CRL " + text_of(answer, "number") + " of issuer " + text_of(answer, "issuer") + " (" +
                    text_of(answer, "source") + ", thisUpdate " + text_of(answer, "this_update") +
                    "): " + (agrees ? "agrees with" : "DIFFERS from") + " the status data\n";
  out += "  entries compared: " + std::to_string(json_count(answer, "entries"));
  if (const std::size_t skipped = json_count(answer, "skipped"); skipped != 0)
    out += ", unreadable or repeated: " + std::to_string(skipped);
  out += '\n';
  append_category(out, answer, "missing_from_crl", "revoked here, absent from the CRL");
  append_category(out, answer, "unknown_here", "listed, certificate never ingested here");
  append_category(out, answer, "good_here", "listed, good here");
  append_category(out, answer, "reason_differs", "listed with another reason");
  append_category(out, answer, "revoked_after", "revoked after thisUpdate (expected, not a difference)");
  return out;
}

int cmd_crl_check(HttpTransport& http, const CrlCheckOptions& options, std::ostream& out, std::ostream& err) {
  if (options.issuer.empty()) {
    print_error(err, make_error(ErrorKind::invalid, "usage_invalid", "--issuer is required"));
    return kExitFailed;
  }
  auto answer = request_json(http, "GET", crl_check_target(options.issuer), std::nullopt);
  if (!answer) return report_call_error(answer.error(), out, err);
  if (!answer->is_object() || !answer->contains("agrees") || !(*answer)["agrees"].is_boolean()) {
    print_error(err, make_error(ErrorKind::invalid, "bad_response", "the answer has no \"agrees\""));
    return kExitFailed;
  }
  if (options.json)
    out << output_text(*answer);
  else
    out << crl_check_summary(*answer);
  return (*answer)["agrees"].get<bool>() ? kExitOk : kExitDisagrees;
}

}  // namespace trustmon::tools
