// `trustmonctl revoke`: one revocation from the command line, or a TSV file of them
// posted in batches ({"revocations": [...]}).
//
// Policy: the client checks the shape of each entry (hex serial, RFC 3339 times) and
// leaves the meaning (known issuer, reason name, certificate state) to the server. A
// file is checked completely before the first request, then streamed a second time
// in batches, so it is never held in memory whole. Results of a file are aggregated
// with `index` renumbered over the whole file and the `line` each came from.
#include <cctype>
#include <fstream>
#include <ostream>

#include "common/time.hpp"
#include "tools/commands.hpp"

namespace trustmon::tools {
namespace {

constexpr std::size_t kMaxBatch = 10000;
constexpr std::size_t kMaxSerialHex = 64;


bool printable(std::string_view s) {
  for (char c : s)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return false;
  return true;
}

// Streams the entries of a TSV file; the callback returns false to stop.
template <typename Fn>
Status for_each_entry(const std::string& path, Fn&& fn) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(ErrorKind::invalid, "file_unreadable", "cannot open " + path);
  std::size_t line_no = 0;
  for (std::string line; std::getline(in, line);) {
    ++line_no;
    auto r = parse_revocation_line(line, line_no);
    if (!r) return make_error(r.error().kind, r.error().code, path + ":" + std::to_string(line_no) + ": " + r.error().message);
    if (!r->has_value()) continue;
    if (!fn(std::move(**r))) break;
  }
  if (in.bad()) return make_error(ErrorKind::invalid, "file_unreadable", "cannot read " + path);
  return {};
}

class FileRevoker {
 public:
  FileRevoker(HttpTransport& http, const RevokeOptions& options) : http_(http), options_(options) {}

  RevokeOutcome run() {
    std::size_t entries = 0;
    // Pass 1: check every line; nothing is sent if one is wrong.
    if (auto s = for_each_entry(options_.file, [&](Revocation&&) { ++entries; return true; }); !s) {
      out_.fatal = std::move(s).error();
      return finish();
    }
    // Pass 2: send.
    auto s = for_each_entry(options_.file, [&](Revocation&& r) {
      batch_.push_back(std::move(r));
      if (batch_.size() >= options_.batch) flush();
      return !out_.fatal;
    });
    if (!s && !out_.fatal) out_.fatal = std::move(s).error();  // the file changed under us
    if (!out_.fatal) flush();
    return finish();
  }

 private:
  void flush() {
    if (batch_.empty() || out_.fatal) return;
    nlohmann::json items = nlohmann::json::array();
    for (const auto& r : batch_) items.push_back(r.to_json());
    ++requests_;
    auto reply = post_json(http_, options_.target, nlohmann::json{{"revocations", std::move(items)}});
    if (!reply) {
      out_.fatal = std::move(reply).error();
      return;
    }
    revoked_ += json_count(*reply, "revoked");
    unchanged_ += json_count(*reply, "unchanged");
    refused_ += json_count(*reply, "refused");
    if (auto res = reply->find("results"); res != reply->end() && res->is_array()) {
      for (auto r : *res) {
        if (!r.is_object()) continue;
        if (r.contains("index") && r["index"].is_number_unsigned()) {
          auto i = r["index"].get<std::size_t>();
          if (i < batch_.size()) r["line"] = batch_[i].line;
          r["index"] = offset_ + i;
        }
        results_.push_back(std::move(r));
      }
    }
    offset_ += batch_.size();
    batch_.clear();
  }

  RevokeOutcome finish() {
    out_.refused = refused_;
    out_.output = {{"revoked", revoked_},   {"unchanged", unchanged_}, {"refused", refused_},
                   {"requests", requests_}, {"results", std::move(results_)}};
    if (out_.fatal) out_.output["error"] = {{"code", out_.fatal->code}, {"message", out_.fatal->message}};
    return std::move(out_);
  }

  HttpTransport& http_;
  const RevokeOptions& options_;
  RevokeOutcome out_;
  std::vector<Revocation> batch_;
  nlohmann::json results_ = nlohmann::json::array();
  std::size_t offset_ = 0;
  std::size_t revoked_ = 0, unchanged_ = 0, refused_ = 0, requests_ = 0;
};

}  // namespace

nlohmann::json Revocation::to_json() const {
  nlohmann::json j = {{"issuer", issuer}, {"serial", serial}, {"reason", reason}};
  if (!time.empty()) j["time"] = time;
  if (!invalidity_date.empty()) j["invalidity_date"] = invalidity_date;
  return j;
}

Result<Revocation> make_revocation(std::string issuer, std::string serial, std::string reason, std::string time,
                                   std::string invalidity_date) {
  Revocation r;
  if (issuer.empty() || issuer.size() > 256 || !printable(issuer))
    return make_error(ErrorKind::invalid, "usage_invalid", "issuer must be a non-empty printable name");
  r.issuer = std::move(issuer);

  // Accept "0A:1B:..." and "0x0a1b..." as people copy them from openssl output.
  std::string_view sv(serial);
  if (sv.size() > 2 && sv[0] == '0' && (sv[1] == 'x' || sv[1] == 'X')) sv.remove_prefix(2);
  for (char c : sv) {
    if (c == ':') continue;
    if (std::isxdigit(static_cast<unsigned char>(c)) == 0)
      return make_error(ErrorKind::invalid, "usage_invalid", "serial '" + serial + "' is not hexadecimal");
    r.serial += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  if (r.serial.empty()) return make_error(ErrorKind::invalid, "usage_invalid", "serial is empty");
  if (r.serial.size() % 2 != 0) r.serial.insert(r.serial.begin(), '0');
  if (r.serial.size() > kMaxSerialHex) return make_error(ErrorKind::invalid, "usage_invalid", "serial '" + serial + "' is too long");

  if (reason.empty()) return make_error(ErrorKind::invalid, "usage_invalid", "reason is required (e.g. keyCompromise)");
  for (char c : reason)
    if (std::isalpha(static_cast<unsigned char>(c)) == 0)
      return make_error(ErrorKind::invalid, "usage_invalid", "reason '" + reason + "' is not an RFC 5280 reason name");
  r.reason = std::move(reason);

  if (!time.empty() && !parse_rfc3339(time))
    return make_error(ErrorKind::invalid, "usage_invalid", "time '" + time + "' is not RFC 3339 (e.g. 2024-05-01T12:00:00Z)");
  r.time = std::move(time);
  if (!invalidity_date.empty() && !parse_rfc3339(invalidity_date))
    return make_error(ErrorKind::invalid, "usage_invalid", "invalidity date '" + invalidity_date + "' is not RFC 3339");
  r.invalidity_date = std::move(invalidity_date);
  return r;
}

Result<std::optional<Revocation>> parse_revocation_line(std::string_view line, std::size_t line_no) {
  std::string_view t = trim(line);
  if (t.empty() || t.front() == '#') return std::optional<Revocation>();
  std::vector<std::string> f;
  for (;;) {
    auto tab = t.find('\t');
    f.emplace_back(trim(t.substr(0, tab)));
    if (tab == std::string_view::npos) break;
    t.remove_prefix(tab + 1);
  }
  if (f.size() < 3 || f.size() > 5)
    return make_error(ErrorKind::invalid, "usage_invalid", "want ISSUER<TAB>SERIAL<TAB>REASON[<TAB>TIME[<TAB>INVALIDITY]], got " +
                                           std::to_string(f.size()) + " fields");
  f.resize(5);
  auto r = make_revocation(std::move(f[0]), std::move(f[1]), std::move(f[2]), std::move(f[3]), std::move(f[4]));
  if (!r) return std::move(r).error();
  r->line = line_no;
  return std::optional<Revocation>(std::move(*r));
}

int RevokeOutcome::exit_code() const {
  if (fatal) return kExitFailed;
  return refused > 0 ? kExitRefused : kExitOk;
}

RevokeOutcome run_revoke(HttpTransport& http, const RevokeOptions& options) {
  RevokeOutcome out;
  auto fail = [&](Error e) {
    out.fatal = std::move(e);
    out.output = {{"error", {{"code", out.fatal->code}, {"message", out.fatal->message}}}};
    return out;
  };
  if (options.single.has_value() == !options.file.empty())
    return fail(make_error(ErrorKind::invalid, "usage_invalid", "give either --issuer/--serial/--reason or --file"));
  if (options.batch == 0 || options.batch > kMaxBatch)
    return fail(make_error(ErrorKind::invalid, "usage_invalid", "--batch must be between 1 and " + std::to_string(kMaxBatch)));
  if (!options.file.empty()) return FileRevoker(http, options).run();

  auto reply = post_json(http, options.target, options.single->to_json());
  if (!reply) return fail(std::move(reply).error());
  out.refused = json_count(*reply, "refused");
  out.output = std::move(*reply);
  return out;
}

int cmd_revoke(HttpTransport& http, const RevokeOptions& options, std::ostream& out, std::ostream& err) {
  RevokeOutcome outcome = run_revoke(http, options);
  if (outcome.fatal) print_error(err, *outcome.fatal);
  out << output_text(outcome.output);
  return outcome.exit_code();
}

}  // namespace trustmon::tools
