// `trustmonctl import`: finds certificates in files and folders and posts them to the
// server in JSON batches ({"certificates": [base64 DER, ...]}).
//
// Policy: streaming — files are read one at a time (PEM bundles line by line) and a
// batch is sent as soon as it is full, so memory stays bounded by one batch whatever
// the number of files. The client only splits and decodes; whether a DER is a valid
// certificate of a known issuer is the server's call. Locally unreadable input counts
// as refused, with its file and index in the error list. A request-level failure
// (transport, 4xx/5xx) stops the import: later batches would fail the same way.
#include <cctype>
#include <filesystem>
#include <fstream>
#include <ostream>

#include "common/bytes.hpp"
#include "tools/commands.hpp"

namespace trustmon::tools {
namespace {

namespace fs = std::filesystem;

constexpr std::size_t kMaxDerFileBytes = std::size_t{1} << 20;  // a certificate is a few KB
constexpr std::size_t kMaxPemBlockBytes = std::size_t{2} << 20;
constexpr std::size_t kMaxBatch = 10000;

bool has_cert_extension(const fs::path& p) {
  std::string ext = p.extension().string();
  for (auto& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return ext == ".pem" || ext == ".crt" || ext == ".cer" || ext == ".der";
}


class Importer {
 public:
  Importer(HttpTransport& http, const ImportOptions& options) : http_(http), options_(options) {}

  ImportSummary run() {
    if (options_.batch == 0 || options_.batch > kMaxBatch) {
      sum_.fatal = make_error("usage_invalid", "--batch must be between 1 and " + std::to_string(kMaxBatch));
      return sum_;
    }
    if (options_.paths.empty()) {
      sum_.fatal = make_error("usage_invalid", "nothing to import: give files or folders");
      return sum_;
    }
    // Every argument must exist before anything is sent.
    for (const auto& p : options_.paths) {
      std::error_code ec;
      if (!fs::exists(p, ec)) {
        sum_.fatal = make_error("usage_invalid", "no such file or folder: " + p);
        return sum_;
      }
    }
    for (const auto& p : options_.paths) {
      if (sum_.fatal) break;
      std::error_code ec;
      if (fs::is_directory(p, ec)) {
        walk(p);
      } else {
        read_file_certs(p, /*explicit_arg=*/true);
      }
    }
    if (!sum_.fatal) flush();
    return sum_;
  }

 private:
  struct Origin {
    std::size_t file;  // index into batch_files_
    std::size_t index;
  };

  void walk(const std::string& dir) {
    std::error_code ec;
    fs::recursive_directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec);
    if (ec) {
      local_error(dir, 0, "file_unreadable", "cannot list " + dir + ": " + ec.message());
      return;
    }
    for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (sum_.fatal) return;
      if (ec) {
        local_error(dir, 0, "file_unreadable", "cannot list " + dir + ": " + ec.message());
        return;
      }
      std::error_code fec;
      if (!it->is_regular_file(fec)) continue;
      read_file_certs(it->path().string(), /*explicit_arg=*/false);
    }
  }

  // Reads one file; `explicit_arg` files are always tried, files met while walking a
  // folder only with a certificate extension or PEM content.
  void read_file_certs(const std::string& path, bool explicit_arg) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      local_error(path, 0, "file_unreadable", "cannot open " + path);
      return;
    }
    char head[16] = {};
    in.read(head, sizeof head);
    std::size_t got = static_cast<std::size_t>(in.gcount());
    in.clear();
    in.seekg(0);
    std::string_view start(head, got);
    bool pem_start = trim(start).rfind("-----BEGIN", 0) == 0;
    if (!explicit_arg && !pem_start && !has_cert_extension(path)) {
      ++sum_.skipped;
      return;
    }
    // A DER certificate is a SEQUENCE: it starts with 0x30. Anything else is text.
    bool der = got > 0 && static_cast<unsigned char>(head[0]) == 0x30;
    other_blocks_ = false;
    std::size_t found = der ? read_der(in, path) : read_pem(in, path);
    if (found > 0) {
      ++sum_.files;
    } else if (!explicit_arg && (pem_start || other_blocks_)) {
      ++sum_.skipped;  // a key, CSR or CRL file next to the certificates
    } else {
      local_error(path, 0, "certificate_missing", "no certificate found in " + path);
    }
  }

  std::size_t read_der(std::ifstream& in, const std::string& path) {
    std::string data;
    char buf[65536];
    while (in.read(buf, sizeof buf) || in.gcount() > 0) {
      data.append(buf, static_cast<std::size_t>(in.gcount()));
      if (data.size() > kMaxDerFileBytes) {
        local_error(path, 0, "certificate_too_large", path + " is larger than " + std::to_string(kMaxDerFileBytes) + " bytes");
        return 1;
      }
    }
    add(path, 0, base64_encode(as_bytes(data)));
    return 1;
  }

  // Splits a PEM bundle line by line; blocks other than certificates (keys, CRLs) and
  // text around the blocks are ignored.
  std::size_t read_pem(std::ifstream& in, const std::string& path) {
    std::size_t index = 0;
    bool inside = false;
    other_blocks_ = false;
    std::string end_line, body;
    for (std::string line; std::getline(in, line);) {
      std::string_view t = trim(line);
      if (!inside) {
        if (t == "-----BEGIN CERTIFICATE-----" || t == "-----BEGIN X509 CERTIFICATE-----") {
          inside = true;
          end_line = "-----END " + std::string(t.substr(11));
          body.clear();
        } else if (t.rfind("-----BEGIN ", 0) == 0) {
          other_blocks_ = true;
        }
        continue;
      }
      if (t == end_line) {
        inside = false;
        auto der = base64_decode_lenient(body);
        if (!der || der->empty()) {
          local_error(path, index, "pem_malformed", "bad base64 in certificate block");
        } else {
          // Re-encode: the server wants one unbroken base64 string.
          add(path, index, base64_encode(*der));
        }
        ++index;
        if (sum_.fatal) return index;
        continue;
      }
      if (t.rfind("-----", 0) == 0 || body.size() > kMaxPemBlockBytes) {
        local_error(path, index, "pem_malformed", "unterminated certificate block");
        ++index;
        inside = false;
        continue;
      }
      // Encapsulated headers (RFC 1421 "Name: value") carry no base64.
      if (t.find(':') != std::string_view::npos) continue;
      body.append(t);
    }
    if (inside) {
      local_error(path, index, "pem_malformed", "unterminated certificate block");
      ++index;
    }
    return index;
  }

  void add(const std::string& file, std::size_t index, std::string b64) {
    if (batch_files_.empty() || batch_files_.back() != file) batch_files_.push_back(file);
    origins_.push_back(Origin{batch_files_.size() - 1, index});
    batch_.push_back(std::move(b64));
    if (batch_.size() >= options_.batch) flush();
  }

  void local_error(const std::string& file, std::size_t index, std::string code, std::string message) {
    ++sum_.refused;
    record_error(file, index, std::move(code), std::move(message));
  }

  void record_error(const std::string& file, std::size_t index, std::string code, std::string message) {
    if (sum_.errors.size() >= options_.max_errors) {
      ++sum_.errors_omitted;
      return;
    }
    sum_.errors.push_back(ImportErrorItem{file, index, std::move(code), std::move(message)});
  }

  void flush() {
    if (batch_.empty() || sum_.fatal) return;
    nlohmann::json body;
    body["certificates"] = std::move(batch_);
    batch_ = {};
    ++sum_.requests;
    auto reply = post_json(http_, options_.target, body);
    if (!reply) {
      sum_.fatal = std::move(reply).error();
    } else {
      account(*reply);
    }
    batch_.clear();
    origins_.clear();
    batch_files_.clear();
  }

  void account(const nlohmann::json& reply) {
    const std::size_t sent = origins_.size();
    auto results = reply.find("results");
    bool have_results = results != reply.end() && results->is_array();
    if (reply.contains("stored") || reply.contains("duplicate") || reply.contains("refused")) {
      sum_.stored += json_count(reply, "stored");
      sum_.duplicate += json_count(reply, "duplicate");
      sum_.refused += json_count(reply, "refused");
    } else if (have_results) {
      for (const auto& r : *results) {
        std::string status = r.is_object() && r.contains("status") && r["status"].is_string() ? r["status"].get<std::string>() : "";
        if (status == "stored") ++sum_.stored;
        else if (status == "duplicate") ++sum_.duplicate;
        else ++sum_.refused;
      }
    } else {
      sum_.fatal = make_error("bad_response", "the server's reply has neither counts nor results");
      return;
    }
    if (!have_results) return;
    for (const auto& r : *results) {
      if (!r.is_object()) continue;
      auto status = r.find("status");
      if (status == r.end() || !status->is_string() || *status != "refused") continue;
      std::size_t i = r.contains("index") && r["index"].is_number_unsigned() ? r["index"].get<std::size_t>() : sent;
      std::string code = "refused", message;
      if (auto e = r.find("error"); e != r.end() && e->is_object()) {
        if (e->contains("code") && (*e)["code"].is_string()) code = (*e)["code"].get<std::string>();
        if (e->contains("message") && (*e)["message"].is_string()) message = (*e)["message"].get<std::string>();
      }
      if (i < sent) {
        record_error(batch_files_[origins_[i].file], origins_[i].index, std::move(code), std::move(message));
      } else {
        record_error("", 0, std::move(code), std::move(message));  // the server's index is off: keep what it said
      }
    }
  }

  HttpTransport& http_;
  const ImportOptions& options_;
  ImportSummary sum_;
  std::vector<std::string> batch_;        // base64 DER
  std::vector<Origin> origins_;           // parallel to batch_
  std::vector<std::string> batch_files_;  // files contributing to the current batch
  bool other_blocks_ = false;             // the last PEM file had non-certificate blocks
};

}  // namespace

nlohmann::json ImportSummary::to_json() const {
  nlohmann::json errs = nlohmann::json::array();
  for (const auto& e : errors)
    errs.push_back({{"file", e.file}, {"index", e.index}, {"code", e.code}, {"message", e.message}});
  nlohmann::json j = {{"stored", stored}, {"duplicate", duplicate}, {"refused", refused},
                      {"files", files},   {"skipped", skipped},     {"requests", requests},
                      {"errors", errs}};
  if (errors_omitted > 0) j["errors_omitted"] = errors_omitted;
  if (fatal) j["error"] = {{"code", fatal->code}, {"message", fatal->message}};
  return j;
}

int ImportSummary::exit_code() const {
  if (fatal) return kExitFailed;
  return refused > 0 ? kExitRefused : kExitOk;
}

ImportSummary run_import(HttpTransport& http, const ImportOptions& options) {
  return Importer(http, options).run();
}

int cmd_import(HttpTransport& http, const ImportOptions& options, std::ostream& out, std::ostream& err) {
  ImportSummary summary = run_import(http, options);
  if (summary.fatal) print_error(err, *summary.fatal);
  out << output_text(summary.to_json());
  return summary.exit_code();
}

}  // namespace trustmon::tools
