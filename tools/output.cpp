// Output and text helpers every trustmonctl command uses.
#include <cctype>
#include <ostream>

#include "tools/commands.hpp"

namespace trustmon::tools {

std::string output_text(const nlohmann::json& j) {
  return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

void print_error(std::ostream& err, const Error& e) {
  err << "trustmonctl: " << e.code << ": " << e.message << "\n";
}

int report_call_error(const Error& e, std::ostream& out, std::ostream& err) {
  print_error(err, e);
  const bool transport = e.code == "connection_failed" || e.code == "bad_response" || e.code.rfind("http_", 0) == 0;
  if (transport) return kExitFailed;
  out << output_text(nlohmann::json{{"error", {{"code", e.code}, {"message", e.message}}}});
  return kExitRefused;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())) != 0) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())) != 0) s.remove_suffix(1);
  return s;
}

std::size_t json_count(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_number_unsigned()) return 0;
  return it->get<std::size_t>();
}

// RFC 3986 unreserved characters stay; everything else is %XX.
std::string percent_encode(const std::string& v) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : v) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
        c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

}  // namespace trustmon::tools
