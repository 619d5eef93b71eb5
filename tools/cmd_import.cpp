// `trustmonctl import`: finds certificates in files and folders and posts them to the
// server in batches, each one PEM bundle (application/x-pem-file) of CERTIFICATE blocks.
// The reply lists only the refused items (`?results=refused`); the counts say the rest.
//
// Policy: streaming — files are read one at a time (PEM bundles line by line) and a
// batch is handed off as soon as it is full. With --parallel N the reading thread passes
// full batches through a one-slot queue to N sender threads, each on its own connection,
// so reading, the requests and the server's commits overlap (the server groups what
// arrives together into one commit); memory stays bounded by about N + 2 batches
// whatever the number of files. Results are accounted in batch order (a reorder
// buffer), so the counts, the error list and its order are those of a sequential run.
// The client only splits PEM blocks (copied as they are, after a base64 check) and wraps
// DER files in a block; whether a DER is a valid certificate of a known issuer is the
// server's call. The splitter is not common/pem.hpp on purpose: PEM_read_bio decodes
// every block, which the client would then have to encode again, about half as much
// work again per certificate on the reading thread. A batch closes at --batch certificates or kMaxBatchBytes of body,
// whichever comes first, so it always fits the server's body limit. Locally unreadable
// input counts as refused, with its file and index in the error list. A request-level failure (transport, 4xx/5xx) stops the
// import: later batches would fail the same way. Reading stops, no batch is sent once a
// sender has seen the failure, and requests already in flight finish and are counted.
// The exceptions: a rate_limited reply (429), which stored nothing, and a timeout (the
// server may be busy, the batch may or may not be stored): that batch is sent again after
// a growing pause, a bounded number of times. Resending is safe because ingest is
// idempotent: what the lost attempt stored comes back as duplicates, not errors.
#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <exception>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <ostream>
#include <thread>

#include "common/bytes.hpp"
#include "tools/commands.hpp"

namespace trustmon::tools {
namespace {

namespace fs = std::filesystem;

constexpr std::size_t kMaxDerFileBytes = std::size_t{1} << 20;  // a certificate is a few KB
constexpr std::size_t kMaxPemBlockBytes = std::size_t{2} << 20;
constexpr std::size_t kQueueSlots = 1;  // full batches waiting for a free sender
constexpr int kRateLimitRetries = 5;     // rate_limited replies retried per batch
constexpr int kTimeoutRetries = 3;       // timed-out requests retried per batch
// Body bytes per request, below the server's default body limit ([server] max_body_bytes,
// 16 MiB) with room for certificates larger than usual.
constexpr std::size_t kMaxBatchBytes = std::size_t{8} << 20;
constexpr std::string_view kBeginCert = "-----BEGIN CERTIFICATE-----\n";
constexpr std::string_view kEndCert = "-----END CERTIFICATE-----\n";

bool has_cert_extension(const fs::path& p) {
  std::string ext = p.extension().string();
  for (auto& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return ext == ".pem" || ext == ".crt" || ext == ".cer" || ext == ".der";
}

// Error entries of one batch. No more than the summary's cap is kept: the summary keeps
// the first entries in batch order, so a batch's later ones could never be shown.
struct ErrorList {
  std::vector<ImportErrorItem> items;
  std::size_t omitted = 0;
  void add(std::size_t cap, ImportErrorItem e) {
    if (items.size() >= cap) {
      ++omitted;
      return;
    }
    items.push_back(std::move(e));
  }
};

struct Origin {
  std::size_t file;  // index into Batch::files
  std::size_t index;
};

// One request's worth of certificates, and the local errors read while it was open
// (a sequential run records them before the batch's own results).
struct Batch {
  std::size_t seq = 0;
  std::string body;  // the PEM bundle
  std::size_t count = 0;
  std::vector<Origin> origins;     // one per certificate in body
  std::vector<std::string> files;  // files contributing to this batch
  std::size_t local_refused = 0;
  ErrorList local;
};

// What one batch adds to the summary.
struct Outcome {
  bool counted = false;  // false: dropped unsent after a failure, adds nothing
  bool request = false;  // a request was sent (false for trailing local errors)
  std::size_t local_refused = 0;
  ErrorList local;
  std::size_t stored = 0;
  std::size_t duplicate = 0;
  std::size_t refused = 0;
  ErrorList server;  // the server's refusals, mapped back to file and index
  std::optional<Error> fatal;
};

class Importer {
 public:
  Importer(HttpTransport& http, const ImportOptions& options) : http_(http), options_(options) {}
  Importer(const Importer&) = delete;
  Importer& operator=(const Importer&) = delete;
  // Sender threads are always joined, also when reading throws.
  ~Importer() { join_senders(/*abandon=*/true); }

  ImportSummary run() {
    if (options_.batch == 0 || options_.batch > kImportMaxBatch) {
      sum_.fatal = make_error(ErrorKind::invalid, "usage_invalid", "--batch must be between 1 and " + std::to_string(kImportMaxBatch));
      return sum_;
    }
    if (options_.parallel == 0 || options_.parallel > kImportMaxParallel) {
      sum_.fatal =
          make_error(ErrorKind::invalid, "usage_invalid", "--parallel must be between 1 and " + std::to_string(kImportMaxParallel));
      return sum_;
    }
    if (options_.paths.empty()) {
      sum_.fatal = make_error(ErrorKind::invalid, "usage_invalid", "nothing to import: give files or folders");
      return sum_;
    }
    // Every argument must exist before anything is sent.
    for (const auto& p : options_.paths) {
      std::error_code ec;
      if (!fs::exists(p, ec)) {
        sum_.fatal = make_error(ErrorKind::invalid, "usage_invalid", "no such file or folder: " + p);
        return sum_;
      }
    }
    if (auto started = start_senders(); !started) {
      sum_.fatal = std::move(started).error();
      return sum_;
    }
    for (const auto& p : options_.paths) {
      if (stopped()) break;
      std::error_code ec;
      if (fs::is_directory(p, ec)) {
        walk(p);
      } else {
        read_file_certs(p, /*explicit_arg=*/true);
      }
    }
    bool trailing = false;
    if (!stopped()) {
      if (open_.count > 0) {
        flush();
      } else {
        trailing = open_.local_refused > 0;
      }
    }
    join_senders(/*abandon=*/false);
    std::lock_guard lock(mu_);
    if (trailing && !sum_.fatal) {
      // Local errors after the last batch: in order, once every batch is accounted.
      Outcome o;
      o.counted = true;
      o.local_refused = open_.local_refused;
      o.local = std::move(open_.local);
      apply(o);
    }
    if (failure_ && !sum_.fatal) sum_.fatal = failure_;
    sum_.files += files_;
    sum_.skipped += skipped_;
    return sum_;
  }

 private:
  // ---- senders ----------------------------------------------------------------------

  // Opens the extra connections and starts one thread per connection; with one
  // connection batches are sent from the reading thread.
  Status start_senders() {
    const std::size_t n = options_.connect ? options_.parallel : 1;
    if (n <= 1) return {};
    std::vector<HttpTransport*> all{&http_};
    for (std::size_t i = 1; i < n; ++i) {
      auto t = options_.connect();
      if (!t) return std::move(t).error();
      if (!*t) return make_error(ErrorKind::unavailable, "connection_failed", "no connection for a parallel request");
      extra_.push_back(std::move(*t));
      all.push_back(extra_.back().get());
    }
    for (HttpTransport* t : all) threads_.emplace_back([this, t] { sender(*t); });
    return {};
  }

  void join_senders(bool abandon) {
    {
      std::lock_guard lock(mu_);
      closed_ = true;
      if (abandon) stop_ = true;
    }
    can_take_.notify_all();
    can_put_.notify_all();
    for (auto& t : threads_)
      if (t.joinable()) t.join();
    threads_.clear();
  }

  void sender(HttpTransport& http) noexcept {
    try {
      for (;;) {
        Batch b;
        bool drop = false;
        {
          std::unique_lock lock(mu_);
          can_take_.wait(lock, [&] { return !queue_.empty() || closed_; });
          if (queue_.empty()) return;
          b = std::move(queue_.front());
          queue_.pop_front();
          drop = stop_;
        }
        can_put_.notify_one();
        complete(b.seq, drop ? Outcome{} : post_batch(http, b));
      }
    } catch (...) {
      // Only allocation can throw here; the import ends with the error instead.
      std::lock_guard lock(mu_);
      stop_ = true;
      if (!failure_) failure_ = make_error(ErrorKind::invalid, "import_failed", "a sender thread failed");
      can_put_.notify_all();
    }
  }

  // Posts one batch and turns the reply into its outcome; nothing here throws.
  Outcome post_batch(HttpTransport& http, Batch& b) noexcept {
    Outcome o;
    o.counted = true;
    o.request = true;
    o.local_refused = b.local_refused;
    o.local = std::move(b.local);
    try {
      HttpRequest req;
      req.method = "POST";
      req.target = options_.target + "?results=refused";
      req.headers = {{"Accept", "application/json"}, {"Content-Type", "application/x-pem-file"}};
      req.body = std::move(b.body);
      // A rate_limited reply (429) changed nothing: the same request goes again after a
      // pause that doubles (1, 2, 4, 8, 16 s). A timeout goes again after 2, 4, 8 s (the
      // server was busy; what it stored meanwhile comes back as duplicates). Not once the
      // import stopped.
      auto reply = exchange_json(http, req);
      for (int limited = 0, timed_out = 0; !reply;) {
        const std::string& code = reply.error().code;
        std::chrono::seconds wait{};
        if (code == "rate_limited" && limited < kRateLimitRetries) {
          wait = std::chrono::seconds(1 << limited++);
        } else if (code == "http_timeout" && timed_out < kTimeoutRetries) {
          wait = std::chrono::seconds(2 << timed_out++);
        } else {
          break;
        }
        if (!pause(wait)) break;
        reply = exchange_json(http, req);
      }
      if (!reply) {
        o.fatal = std::move(reply).error();
      } else {
        account(*reply, b, o);
      }
    } catch (const std::exception& e) {
      o.fatal = make_error(ErrorKind::invalid, "import_failed", std::string("cannot send a batch: ") + e.what());
    } catch (...) {
      o.fatal = make_error(ErrorKind::invalid, "import_failed", "cannot send a batch");
    }
    return o;
  }

  // Sleeps `d` in short steps; false when the import stopped meanwhile.
  bool pause(std::chrono::milliseconds d) const {
    using Clock = std::chrono::steady_clock;
    const auto until = Clock::now() + std::chrono::duration_cast<Clock::duration>(d * options_.retry_pause_scale);
    while (Clock::now() < until) {
      if (stopped()) return false;
      std::this_thread::sleep_for(std::min<Clock::duration>(std::chrono::milliseconds(50), until - Clock::now()));
    }
    return !stopped();
  }

  void account(const nlohmann::json& reply, const Batch& b, Outcome& o) const {
    const std::size_t sent = b.origins.size();
    auto results = reply.find("results");
    bool have_results = results != reply.end() && results->is_array();
    if (reply.contains("stored") || reply.contains("duplicate") || reply.contains("refused")) {
      o.stored = json_count(reply, "stored");
      o.duplicate = json_count(reply, "duplicate");
      o.refused = json_count(reply, "refused");
    } else if (have_results) {
      for (const auto& r : *results) {
        std::string status = r.is_object() && r.contains("status") && r["status"].is_string() ? r["status"].get<std::string>() : "";
        if (status == "stored") ++o.stored;
        else if (status == "duplicate") ++o.duplicate;
        else ++o.refused;
      }
    } else {
      o.fatal = make_error(ErrorKind::invalid, "bad_response", "the server's reply has neither counts nor results");
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
        o.server.add(options_.max_errors,
                     ImportErrorItem{b.files[b.origins[i].file], b.origins[i].index, std::move(code), std::move(message)});
      } else {
        // the server's index is off: keep what it said
        o.server.add(options_.max_errors, ImportErrorItem{"", 0, std::move(code), std::move(message)});
      }
    }
  }

  // Files the outcome of batch `seq` and accounts every outcome that is next in order.
  // A failure stops the import at once, before the outcomes before it are in.
  void complete(std::size_t seq, Outcome o) {
    {
      std::lock_guard lock(mu_);
      if (o.fatal) stop_ = true;
      ready_.emplace(seq, std::move(o));
      for (auto it = ready_.find(next_); it != ready_.end(); it = ready_.find(next_)) {
        apply(it->second);
        ready_.erase(it);
        ++next_;
      }
    }
    can_put_.notify_all();
  }

  // Under mu_, in batch order.
  void apply(Outcome& o) {
    if (!o.counted) return;
    sum_.refused += o.local_refused;
    merge(o.local);
    if (o.request) ++sum_.requests;
    if (o.fatal) {
      if (!sum_.fatal) sum_.fatal = std::move(o.fatal);
      return;
    }
    sum_.stored += o.stored;
    sum_.duplicate += o.duplicate;
    sum_.refused += o.refused;
    merge(o.server);
    if (options_.on_progress) {
      const auto now = std::chrono::steady_clock::now();
      if (now - last_progress_ >= options_.progress_interval) {
        last_progress_ = now;
        options_.on_progress(sum_);
      }
    }
  }

  void merge(ErrorList& list) {
    for (auto& e : list.items) {
      if (sum_.errors.size() >= options_.max_errors) {
        ++sum_.errors_omitted;
      } else {
        sum_.errors.push_back(std::move(e));
      }
    }
    sum_.errors_omitted += list.omitted;
  }

  bool stopped() const noexcept { return stop_.load(std::memory_order_relaxed); }

  // ---- reading ----------------------------------------------------------------------

  void walk(const std::string& dir) {
    std::error_code ec;
    fs::recursive_directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec);
    if (ec) {
      local_error(dir, 0, "file_unreadable", "cannot list " + dir + ": " + ec.message());
      return;
    }
    for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (stopped()) return;
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
      ++skipped_;
      return;
    }
    // A DER certificate is a SEQUENCE: it starts with 0x30. Anything else is text.
    bool der = got > 0 && static_cast<unsigned char>(head[0]) == 0x30;
    other_blocks_ = false;
    std::size_t found = der ? read_der(in, path) : read_pem(in, path);
    if (found > 0) {
      ++files_;
    } else if (!explicit_arg && (pem_start || other_blocks_)) {
      ++skipped_;  // a key, CSR or CRL file next to the certificates
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
    // One PEM block, in lines of 64 characters (RFC 7468).
    const std::string b64 = base64_encode(as_bytes(data));
    std::string block;
    block.reserve(kBeginCert.size() + b64.size() + b64.size() / 64 + 1 + kEndCert.size());
    block += kBeginCert;
    for (std::size_t at = 0; at < b64.size(); at += 64) {
      block.append(b64, at, 64);
      block += '\n';
    }
    block += kEndCert;
    add(path, 0, block);
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
          body.assign(kBeginCert);
        } else if (t.rfind("-----BEGIN ", 0) == 0) {
          other_blocks_ = true;
        }
        continue;
      }
      if (t == end_line) {
        inside = false;
        // body = the block's base64 lines; sent as they are once they decode.
        auto size = base64_check_lenient(std::string_view(body).substr(kBeginCert.size()));
        if (!size || *size == 0) {
          local_error(path, index, "pem_malformed", "bad base64 in certificate block");
        } else {
          body += kEndCert;
          add(path, index, body);
        }
        ++index;
        if (stopped()) return index;
        continue;
      }
      if (t.rfind("-----", 0) == 0 || body.size() > kMaxPemBlockBytes + kBeginCert.size()) {
        local_error(path, index, "pem_malformed", "unterminated certificate block");
        ++index;
        inside = false;
        continue;
      }
      // Encapsulated headers (RFC 1421 "Name: value") carry no base64.
      if (t.find(':') != std::string_view::npos) continue;
      body.append(t);
      body += '\n';
    }
    if (inside) {
      local_error(path, index, "pem_malformed", "unterminated certificate block");
      ++index;
    }
    return index;
  }

  // Adds one PEM block (BEGIN and END lines included) to the open batch; a batch that
  // would outgrow kMaxBatchBytes is sent first.
  void add(const std::string& file, std::size_t index, const std::string& block) {
    if (open_.count > 0 && open_.body.size() + block.size() > kMaxBatchBytes) flush();
    if (open_.count == 0) open_.body.reserve(body_hint_);
    open_.body += block;
    ++open_.count;
    if (open_.files.empty() || open_.files.back() != file) open_.files.push_back(file);
    open_.origins.push_back(Origin{open_.files.size() - 1, index});
    if (open_.count >= options_.batch) flush();
  }

  void local_error(const std::string& file, std::size_t index, std::string code, std::string message) {
    ++open_.local_refused;
    open_.local.add(options_.max_errors, ImportErrorItem{file, index, std::move(code), std::move(message)});
  }

  // Hands the open batch to a sender (or sends it here with one connection) and opens
  // the next one.
  void flush() {
    Batch b = std::move(open_);
    open_ = Batch{};
    open_.seq = b.seq + 1;
    body_hint_ = std::max(body_hint_, b.body.size());
    if (threads_.empty()) {
      const std::size_t seq = b.seq;
      complete(seq, stopped() ? Outcome{} : post_batch(http_, b));
      return;
    }
    std::unique_lock lock(mu_);
    can_put_.wait(lock, [&] { return queue_.size() < kQueueSlots || stop_; });
    if (stop_) return;  // dropped: nothing after a failure is sent
    queue_.push_back(std::move(b));
    lock.unlock();
    can_take_.notify_one();
  }

  HttpTransport& http_;
  const ImportOptions& options_;
  std::vector<std::unique_ptr<HttpTransport>> extra_;  // connections 2..N
  std::vector<std::thread> threads_;                   // one sender per connection

  // Reading thread only.
  Batch open_;
  std::size_t body_hint_ = 0;
  std::size_t files_ = 0;
  std::size_t skipped_ = 0;
  bool other_blocks_ = false;  // the last PEM file had non-certificate blocks

  // Shared, under mu_ (stop_ is also read without it by the reading thread).
  std::mutex mu_;
  std::condition_variable can_take_;  // a batch is queued, or reading ended
  std::condition_variable can_put_;   // a queue slot is free, or the import stopped
  std::deque<Batch> queue_;
  bool closed_ = false;
  std::atomic<bool> stop_{false};
  std::map<std::size_t, Outcome> ready_;  // outcomes waiting for an earlier batch's
  std::size_t next_ = 0;                  // the next batch to account
  std::optional<Error> failure_;          // a sender thread itself failed
  ImportSummary sum_;
  std::chrono::steady_clock::time_point last_progress_ = std::chrono::steady_clock::now();
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
