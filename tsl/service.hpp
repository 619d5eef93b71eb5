// TlService: the trusted-list workflow of the running server. It owns the one thread
// that does everything that blocks on signing or on the Writer (import, publish,
// change-notice filing, approval and rejection, automatic re-issue), and the artifacts
// derived from each published version (CA certificates, their PKCS#7 bundle, CAs.json,
// the Atom feed of published changes), computed once per sequence number.
//
// Policies:
//  * Work is queued (post()) and run in order on the service thread; HTTP handlers hand a
//    request over and reply from the completion, so no event loop ever waits for a
//    signature or a commit. The *_sync methods are the same work for tools and tests
//    (never call them on an event loop).
//  * Without a signer the stored lists are still served; import, filing and rejection
//    work; publish, approval and re-issue refuse with "tl_signer_not_configured".
//  * Approval = apply the notice to the model, build, sign, check and publish; the new
//    model, the version, the tl.published event, the notice's new state and the
//    tl.notice.approved event are one Writer job. If anything fails the notice stays
//    submitted and nothing changes; the failure is recorded as tl.notice.approval_failed.
//  * Automatic re-issue: every check interval, each list with a published version whose
//    NextUpdate - reissue_margin <= now is published again (same model, next sequence),
//    as actor "system" (event tl.published).
//  * Every notice step is an event (tl.notice.filed, tl.notice.approved,
//    tl.notice.rejected, tl.notice.approval_failed) with the actor's label and the audited
//    write's payload {action: tl.notice.file | approve | reject, outcome, target {notice,
//    list, provider, service?}, code?, details {kind, sequence | reason | message}}.
//    Filing and rejection are audited writes (storage/audited.hpp): a rejection refused
//    against the stored notice (unknown, already decided) is recorded as tl.notice.refused.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "common/actor.hpp"
#include "common/clock.hpp"
#include "common/result.hpp"
#include "storage/audited.hpp"
#include "storage/lmdb.hpp"
#include "storage/writer.hpp"
#include "tsl/certificates.hpp"
#include "tsl/checker.hpp"
#include "tsl/notices.hpp"
#include "tsl/publisher.hpp"
#include "tsl/signer.hpp"

namespace trustmon::tsl {

struct TlServiceOptions {
  std::string default_list = "ua";
  PublishOptions publish;                 // version and NextUpdate period
  UnixTime reissue_margin = 14 * 86400;   // publish again when NextUpdate is this close
  std::chrono::milliseconds check_interval{60000};
  // How long stop() waits for the running job before leaving it behind (see stop()).
  std::chrono::milliseconds stop_grace{10000};
  // Called on the service's thread once it starts and after every job (import, publish,
  // notice approval, re-issue), so that readers of the model's contents (the statistics'
  // key-storage hints) follow the list. It reads the list itself; keep it short.
  std::function<void()> on_change;
};

// What the public endpoints serve besides the list itself, for one published version.
struct Artifacts {
  std::string list;
  std::uint64_t sequence = 0;
  UnixTime issued = 0;
  std::vector<CaCertificate> cas;
  std::map<std::string, Bytes> ca_der;  // hex SHA-256 -> DER
  Bytes p7b;                             // certs-only PKCS#7 of every CA certificate
  std::string cas_json;                  // GET /certs/CAs.json
  std::string atom;                      // GET /tl/changes.atom
  std::string view_json;                 // GET /api/v1/tl/{name}/view (view.hpp), signature checked
};

// The Atom feed of a list's published versions (newest first), each entry naming the
// approved change notices it carries.
std::string changes_atom(std::string_view list, const std::vector<PublishedVersion>& versions,
                         const std::vector<ChangeNotice>& notices);

class TlService {
 public:
  using Done = std::function<void(Result<nlohmann::json>)>;

  // `signer` may be null (no signer configured). Borrowed objects outlive the service.
  TlService(storage::Env& env, storage::Writer& writer, const TlChecker& checker, const TlSigner* signer,
            const Clock& clock, TlServiceOptions options);
  ~TlService();
  TlService(const TlService&) = delete;
  TlService& operator=(const TlService&) = delete;

  void start();  // the service thread (queue + re-issue timer)
  // Refuses new work and asks the running job to give up (stop_requested(): an import
  // checks it before it writes and answers 503 "shutting_down"); queued jobs still run and
  // answer (imports refuse the same way). Joins the thread when it has finished within
  // options().stop_grace and returns true. Otherwise the thread is detached, the error is
  // logged and false is returned: shutdown never waits on a stuck job (review D3, a
  // trusted list that took minutes held SIGTERM). The detached thread runs no further
  // job; whatever the stuck one still touches must outlive it, so the Daemon ends the
  // process once the Writer has drained (daemon.cpp) instead of tearing down under it.
  bool stop();
  // True once stop() was called (read by running jobs at safe points).
  bool stop_requested() const noexcept { return shared_->stop_requested.load(std::memory_order_relaxed); }

  const TlServiceOptions& options() const noexcept { return options_; }
  bool can_publish() const noexcept { return publisher_ != nullptr; }

  // Runs `task` on the service thread, in order. False when stopped (task not run).
  bool post(std::function<void()> task);

  // The work itself (blocking; service thread, tools, tests).
  Result<nlohmann::json> import_sync(const std::string& name, const std::string& xml, const Actor& actor);
  Result<nlohmann::json> publish_sync(const std::string& name, const Actor& actor);
  // `owner_code`: the filer's registration code when it may only file about its own
  // provider (a QTSP); nullopt for the central body. Errors: tl_notice_invalid,
  // tl_provider_not_found, tl_service_not_found (checked against the current model),
  // tl_not_found, tl_notice_forbidden (another provider's entry).
  Result<nlohmann::json> file_sync(ChangeNotice notice, const Actor& actor,
                                   const std::optional<std::string>& owner_code = std::nullopt);
  // Errors: tl_notice_not_found, tl_notice_not_pending, publishing errors.
  Result<nlohmann::json> approve_sync(std::uint64_t id, const Actor& actor);
  Result<nlohmann::json> reject_sync(std::uint64_t id, const std::string& reason, const Actor& actor);
  // Re-issues every list that is due; returns how many were published.
  std::size_t reissue_due();

  // Artifacts of the current version of `name` (nullptr when none is published),
  // computed on first use per sequence and cached. Reads through `txn` (active).
  Result<std::shared_ptr<const Artifacts>> artifacts(const storage::ReadTxn& txn, std::string_view name);

 private:
  void warm(const std::string& name);

  storage::Env& env_;
  storage::Writer& writer_;
  storage::AuditedWrite audited_;
  const TlChecker& checker_;
  const TlSigner* signer_;
  const Clock& clock_;
  TlServiceOptions options_;
  std::unique_ptr<Publisher> publisher_;

  // The queue and its flags, shared with the service thread so that a thread left behind
  // by stop() never touches the (possibly destroyed) service after its job returns.
  struct Shared {
    std::mutex mu;
    std::condition_variable cv;
    std::deque<std::function<void()>> queue;
    bool stopping = false;
    bool abandoned = false;  // stop() gave up waiting: run nothing more
    bool exited = false;
    std::atomic<bool> stop_requested{false};
  };
  std::shared_ptr<Shared> shared_ = std::make_shared<Shared>();
  void loop(const std::shared_ptr<Shared>& shared);
  bool started_ = false;
  std::thread thread_;

  std::mutex cache_mu_;
  std::map<std::string, std::shared_ptr<const Artifacts>, std::less<>> cache_;
};

}  // namespace trustmon::tsl
