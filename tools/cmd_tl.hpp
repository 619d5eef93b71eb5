// trustmonctl's trusted-list, change-notice and application commands. Each is one API
// call and prints the server's JSON object; exit codes as cmd_admin (0 ok, 1 refused by
// the server, the error object printed on stdout too; 2 usage or transport error).
//
//   tl import FILE [--name ua]      POST /api/v1/admin/tl/{name}/import (the XML as body)
//   tl publish [--name ua]          POST /api/v1/admin/tl/{name}/publish
//   tl versions [--name ua]         GET  /api/v1/admin/tl/{name}/versions
//   tl issuers [--name ua]          GET  /api/v1/admin/tl/{name}/issuers
//   notice file --kind K --provider P [--service SHA256] [--values JSON] [--comment T] [--list NAME]
//   notice list | show ID | approve ID | reject ID --reason TEXT
//   application submit --service S [--text T] [--csr FILE] [--attach FILE]...
//   application list | show ID | set-status ID --state S [--note T] [--certificate FILE]
#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "tools/cmd_admin.hpp"
#include "tools/http_client.hpp"

namespace trustmon::tools {

int cmd_tl_import(HttpTransport& http, const std::string& name, const std::string& file, std::ostream& out,
                  std::ostream& err);
AdminCall tl_publish(const std::string& name);
AdminCall tl_versions(const std::string& name);
AdminCall tl_issuers(const std::string& name);

struct NoticeArgs {
  std::string list, kind, provider, service, values_json, comment;
};
// "usage_invalid" when --values is not a JSON object.
Result<AdminCall> notice_file(const NoticeArgs& args);
AdminCall notice_list();
AdminCall notice_show(std::uint64_t id);
AdminCall notice_approve(std::uint64_t id);
AdminCall notice_reject(std::uint64_t id, const std::string& reason);

struct ApplicationArgs {
  std::string service, text, csr_file;
  std::vector<std::string> attach_files;
};
// Reads the files ("file_unreadable").
Result<AdminCall> application_submit(const ApplicationArgs& args);
AdminCall application_list();
AdminCall application_show(std::uint64_t id);
// `certificate_file` "" = none.
Result<AdminCall> application_set_status(std::uint64_t id, const std::string& state, const std::string& note,
                                         const std::string& certificate_file);

}  // namespace trustmon::tools
