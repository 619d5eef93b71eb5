// trustmonctl's administration commands (participants, representatives, credentials,
// audit). Each maps to one call of the admin API and prints the server's JSON object.
//
// Exit codes: 0 ok; 1 the server refused (the error object is printed on stdout too, so
// scripts can read its code); 2 usage or transport error. `audit verify` exits 1 when the
// chain is broken, naming the first broken link.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "tools/http_client.hpp"

namespace trustmon::tools {

struct AdminCall {
  std::string method = "GET";
  std::string target;
  std::optional<nlohmann::json> body;
};

// Runs the call and prints the result; returns the exit code.
int cmd_admin(HttpTransport& http, const AdminCall& call, std::ostream& out, std::ostream& err);

// Builders of the calls, one per command (tests check the mapping).
AdminCall participant_add(const std::string& kind, const std::string& name, const std::string& code);
AdminCall participant_list();
AdminCall participant_show(std::uint32_t id);
// Empty strings leave the field unchanged.
AdminCall participant_update(std::uint32_t id, const std::string& name, const std::string& code);
AdminCall representative_update(std::uint32_t id, const std::string& name, const std::string& role);
AdminCall participant_issuer_add(std::uint32_t id, const std::string& issuer);
AdminCall participant_issuer_remove(std::uint32_t id, const std::string& issuer);
AdminCall participant_block(std::uint32_t id, const std::string& reason);
AdminCall participant_unblock(std::uint32_t id);
AdminCall representative_add(std::uint32_t participant, const std::string& name, const std::string& role);
AdminCall representative_list(std::uint32_t participant);
AdminCall representative_show(std::uint32_t id);
AdminCall representative_block(std::uint32_t id, const std::string& reason);
AdminCall representative_unblock(std::uint32_t id);
AdminCall token_issue(std::uint32_t representative, const std::string& expires, double rate, const std::string& label);
AdminCall certificate_bind(std::uint32_t representative, const std::string& pem, const std::string& expires);
AdminCall credential_revoke(std::uint32_t id);
struct AuditFilter {
  std::string actor, action, since, until, after;
  std::size_t limit = 0;
};
AdminCall audit_list(const AuditFilter& filter);

// `audit verify` through the server (GET /api/v1/admin/audit/verify).
int cmd_audit_verify(HttpTransport& http, std::ostream& out, std::ostream& err);
// `audit verify --storage DIR`: recomputes the chain from the LMDB files directly
// (read-only; works beside a running server).
int cmd_audit_verify_offline(const std::string& storage_path, std::ostream& out, std::ostream& err);

}  // namespace trustmon::tools
