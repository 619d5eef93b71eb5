// See service.hpp.
#include "tsl/service.hpp"

#include "tsl/view.hpp"

#include <openssl/x509.h>

#include <algorithm>

#include "common/log.hpp"
#include "common/time.hpp"
#include "storage/audited.hpp"
#include "tsl/xml_reader.hpp"

namespace trustmon::tsl {
namespace {

using nlohmann::json;

constexpr std::size_t kAtomEntries = 100;

std::string xml_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

json version_json(const PublishedVersion& v) {
  json j = {{"list", v.list_name},
            {"sequence", v.sequence},
            {"issued", format_rfc3339(v.issued)},
            {"sha256", hex_encode(v.sha256)}};
  j["next_update"] = v.next_update ? json(format_rfc3339(*v.next_update)) : json(nullptr);
  if (!v.xml.empty()) j["bytes"] = v.xml.size();
  if (!v.warnings.empty()) j["warnings"] = v.warnings;
  return j;
}

json notice_target(const ChangeNotice& n) {
  json j = {{"notice", n.id}, {"list", n.list}, {"provider", n.provider}};
  if (!n.service.empty()) j["service"] = n.service;
  return j;
}

// The audited-write event of a notice step: `type` when done, tl.notice.refused when
// refused; target {notice, list, provider, service?}, details {kind, …}.
storage::AuditEvent notice_event(const char* type, const char* action, const std::string& actor, UnixTime now,
                                 const ChangeNotice& n) {
  storage::AuditEvent e = storage::action_event(actor, action, notice_target(n), now);
  e.type = type;
  e.refused_type = "tl.notice.refused";
  e.details = {{"kind", notice_kind_name(n.kind)}};
  return e;
}

Error not_configured() {
  return make_error(ErrorKind::unavailable, "tl_signer_not_configured", "no trusted-list signer is configured ([tl] signer_cert, signer_key)");
}

}  // namespace

std::string changes_atom(std::string_view list, const std::vector<PublishedVersion>& versions,
                         const std::vector<ChangeNotice>& notices) {
  const std::string name = xml_escape(list);
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\">\n";
  out += "  <id>urn:trustmon:tl:" + name + ":changes</id>\n";
  out += "  <title>Trusted list " + name + ": published changes</title>\n";
  const UnixTime updated = versions.empty() ? 0 : versions.back().issued;
  out += "  <updated>" + format_rfc3339(updated) + "</updated>\n";
  out += "  <author><name>trustmon</name></author>\n";
  out += "  <link rel=\"self\" href=\"/tl/changes.atom\"/>\n";
  out += "  <link rel=\"alternate\" type=\"application/xml\" href=\"/tl/" + name + ".xml\"/>\n";
  std::size_t written = 0;
  for (auto it = versions.rbegin(); it != versions.rend() && written < kAtomEntries; ++it, ++written) {
    const PublishedVersion& v = *it;
    const std::string seq = std::to_string(v.sequence);
    std::string summary;
    for (const auto& n : notices) {
      if (n.published_sequence != v.sequence || n.list != list || n.state != NoticeState::approved) continue;
      summary += "Change notice " + std::to_string(n.id) + " (" + notice_kind_name(n.kind) + ") for " + n.provider +
                 " approved. ";
    }
    if (summary.empty()) summary = "Issued again without changes of content. ";
    summary += "SHA-256 " + hex_encode(v.sha256) + ".";
    out += "  <entry>\n";
    out += "    <id>urn:trustmon:tl:" + name + ":" + seq + "</id>\n";
    out += "    <title>" + name + " sequence " + seq + "</title>\n";
    out += "    <updated>" + format_rfc3339(v.issued) + "</updated>\n";
    out += "    <link rel=\"alternate\" type=\"application/xml\" href=\"/tl/history/" + seq + ".xml\"/>\n";
    out += "    <summary>" + xml_escape(summary) + "</summary>\n";
    out += "  </entry>\n";
  }
  out += "</feed>\n";
  return out;
}

TlService::TlService(storage::Env& env, storage::Writer& writer, const TlChecker& checker, const TlSigner* signer,
                     const Clock& clock, TlServiceOptions options)
    : env_(env), writer_(writer), audited_(writer), checker_(checker), signer_(signer), clock_(clock),
      options_(std::move(options)) {
  if (signer != nullptr) publisher_ = std::make_unique<Publisher>(env, writer, *signer, checker, clock);
}

TlService::~TlService() { stop(); }

void TlService::start() {
  std::lock_guard lock(shared_->mu);
  if (started_ || shared_->stopping) return;
  started_ = true;
  thread_ = std::thread([this, shared = shared_] { loop(shared); });
}

bool TlService::stop() {
  const std::shared_ptr<Shared> shared = shared_;
  std::unique_lock lock(shared->mu);
  shared->stopping = true;
  shared->stop_requested.store(true, std::memory_order_relaxed);
  shared->cv.notify_all();
  if (!thread_.joinable()) return true;
  if (!shared->cv.wait_for(lock, options_.stop_grace, [&] { return shared->exited; })) {
    shared->abandoned = true;
    lock.unlock();
    log().error("trusted-list service: a job is still running {} ms after stop; leaving it behind",
                options_.stop_grace.count());
    thread_.detach();
    return false;
  }
  lock.unlock();
  thread_.join();
  return true;
}

bool TlService::post(std::function<void()> task) {
  {
    std::lock_guard lock(shared_->mu);
    if (shared_->stopping || !started_) return false;
    shared_->queue.push_back(std::move(task));
  }
  shared_->cv.notify_all();
  return true;
}

void TlService::loop(const std::shared_ptr<Shared>& shared) {
  auto next_check = std::chrono::steady_clock::now();
  if (options_.on_change) options_.on_change();
  const auto finish = [&] {
    shared->exited = true;  // under shared->mu
    shared->cv.notify_all();
  };
  while (true) {
    std::function<void()> task;
    {
      std::unique_lock lock(shared->mu);
      shared->cv.wait_until(lock, next_check, [&] { return shared->stopping || !shared->queue.empty(); });
      if (shared->abandoned) return finish();
      if (!shared->queue.empty()) {
        task = std::move(shared->queue.front());
        shared->queue.pop_front();
      } else if (shared->stopping) {
        return finish();
      }
    }
    if (task) {
      task();
      if (options_.on_change) options_.on_change();
      continue;
    }
    if (std::chrono::steady_clock::now() >= next_check) {
      if (reissue_due() != 0 && options_.on_change) options_.on_change();
      next_check = std::chrono::steady_clock::now() + options_.check_interval;
    }
  }
}

Result<json> TlService::import_sync(const std::string& name, const std::string& xml, const Actor& actor) {
  const std::function<bool()> stopping = [this] { return stop_requested(); };
  auto r = import_list(writer_, name, xml, actor, clock_, stopping);
  if (!r) return std::move(r).error();
  return json{{"list", name},
              {"sequence_number", r->sequence_number},
              {"providers", r->providers},
              {"services", r->services},
              {"was_signed", r->was_signed}};
}

Result<json> TlService::publish_sync(const std::string& name, const Actor& actor) {
  if (!publisher_) return not_configured();
  auto v = publisher_->publish(name, actor, options_.publish);
  if (!v) return std::move(v).error();
  warm(name);
  return version_json(*v);
}

Result<json> TlService::file_sync(ChangeNotice notice, const Actor& actor, const std::optional<std::string>& owner_code) {
  if (!valid_list_name(notice.list)) return make_error(ErrorKind::invalid, "tl_invalid_name", "invalid list name");
  const UnixTime now = clock_.now();
  {
    auto txn = storage::ReadTxn::begin(env_);
    if (!txn) return std::move(txn).error();
    storage::ReadScope scope(*txn);
    if (!scope.status()) return scope.status().error();
    auto model = load_model(*txn, notice.list);
    if (!model) return std::move(model).error();
    if (!model->has_value()) return make_error(ErrorKind::not_found, "tl_not_found", "no trusted list named " + notice.list);
    if (owner_code) {
      auto index = find_provider(**model, notice.provider);
      if (!index) return make_error(ErrorKind::not_found, "tl_provider_not_found", "no provider \"" + notice.provider + "\" in the list");
      if (!provider_has_code((*model)->providers[*index], *owner_code))
        return make_error(ErrorKind::forbidden, "tl_notice_forbidden", "the provider \"" + notice.provider +
                                                     "\" is not the filer's (its TSPTradeName does not carry the "
                                                     "filer's registration code)");
    }
    // The change must apply to the model as it is now (it is applied again at approval).
    auto dry = apply_notice(**model, notice, now);
    if (!dry) return std::move(dry).error();
  }
  notice.participant = actor.participant;
  notice.state = NoticeState::submitted;
  notice.created = notice.changed = now;
  notice.history = {NoticeStep{now, actor.label(), "submitted", "", 0}};
  auto stored = audited_.run_sync<ChangeNotice>(
      notice_event("tl.notice.filed", "tl.notice.file", actor.label(), now, notice),
      [&notice](storage::WriteTxn& txn, storage::AuditEvent& ev) -> Result<ChangeNotice> {
        ChangeNotice n = notice;
        if (auto st = insert_notice(txn, n); !st) return st.error();
        ev.target = notice_target(n);
        return n;
      });
  if (!stored) return std::move(stored).error();
  return notice_to_json(*stored);
}

Result<json> TlService::approve_sync(std::uint64_t id, const Actor& actor) {
  if (!publisher_) return not_configured();
  std::optional<ChangeNotice> notice;
  {
    auto txn = storage::ReadTxn::begin(env_);
    if (!txn) return std::move(txn).error();
    storage::ReadScope scope(*txn);
    if (!scope.status()) return scope.status().error();
    auto n = get_notice(*txn, id);
    if (!n) return std::move(n).error();
    notice = std::move(*n);
  }
  if (!notice) return make_error(ErrorKind::not_found, "tl_notice_not_found", "no change notice " + std::to_string(id));
  if (notice->state != NoticeState::submitted)
    return make_error(ErrorKind::conflict, "tl_notice_not_pending", std::string("the notice is already ") + notice_state_name(notice->state));
  const UnixTime now = clock_.now();
  const std::string label = actor.label();
  ChangeNotice approved;
  auto version = publisher_->publish_change(
      notice->list, actor, options_.publish,
      [&](const TrustedList& list) { return apply_notice(list, *notice, now); },
      [&](storage::WriteTxn& txn, const PublishedVersion& v) -> Status {
        auto cur = get_notice(txn, id);
        if (!cur) return std::move(cur).error();
        if (!cur->has_value()) return make_error(ErrorKind::not_found, "tl_notice_not_found", "no change notice " + std::to_string(id));
        if ((*cur)->state != NoticeState::submitted)
          return make_error(ErrorKind::conflict, "tl_notice_not_pending", "the notice was decided meanwhile");
        approved = std::move(**cur);
        approved.state = NoticeState::approved;
        approved.changed = now;
        approved.published_sequence = v.sequence;
        approved.history.push_back({now, label, "approved", "", v.sequence});
        if (auto st = put_notice(txn, approved); !st) return st;
        storage::AuditEvent event = notice_event("tl.notice.approved", "tl.notice.approve", label, now, approved);
        event.details["sequence"] = v.sequence;
        return storage::append_audit(txn, event);
      });
  if (!version) {
    const Error e = version.error();
    storage::AuditEvent failed = notice_event("tl.notice.approval_failed", "tl.notice.approve", label, now, *notice);
    failed.outcome = e.is_refusal() ? "refused" : "failed";
    failed.code = e.code;
    failed.details["message"] = e.message;
    Status recorded =
        writer_.run_sync([&failed](storage::WriteTxn& txn) -> Status { return storage::append_audit(txn, failed); });
    if (!recorded) log().error("cannot record a failed approval: {}", recorded.error().message);
    return e;
  }
  warm(notice->list);
  return json{{"notice", notice_to_json(approved)}, {"published", version_json(*version)}};
}

Result<json> TlService::reject_sync(std::uint64_t id, const std::string& reason, const Actor& actor) {
  if (reason.empty() || reason.size() > 4096)
    return make_error(ErrorKind::invalid, "tl_notice_invalid", "a rejection needs a \"reason\" (at most 4096 bytes)");
  const UnixTime now = clock_.now();
  const std::string label = actor.label();
  storage::AuditEvent event = notice_event("tl.notice.rejected", "tl.notice.reject", label, now, ChangeNotice{});
  event.target = {{"notice", id}};
  event.details = {{"reason", reason}};
  auto rejected = audited_.run_sync<ChangeNotice>(
      std::move(event), [&](storage::WriteTxn& txn, storage::AuditEvent& ev) -> Result<ChangeNotice> {
        auto cur = get_notice(txn, id);
        if (!cur) return std::move(cur).error();
        if (!cur->has_value())
          return make_error(ErrorKind::not_found, "tl_notice_not_found", "no change notice " + std::to_string(id));
        if ((*cur)->state != NoticeState::submitted)
          return make_error(ErrorKind::conflict, "tl_notice_not_pending",
                            std::string("the notice is already ") + notice_state_name((*cur)->state));
        ChangeNotice n = std::move(**cur);
        n.state = NoticeState::rejected;
        n.changed = now;
        n.reason = reason;
        n.history.push_back({now, label, "rejected", reason, 0});
        if (auto st = put_notice(txn, n); !st) return st.error();
        ev.target = notice_target(n);
        ev.details["kind"] = notice_kind_name(n.kind);
        return n;
      });
  if (!rejected) return std::move(rejected).error();
  return notice_to_json(*rejected);
}

std::size_t TlService::reissue_due() {
  if (!publisher_) return 0;
  const UnixTime now = clock_.now();
  std::vector<std::string> due;
  {
    auto txn = storage::ReadTxn::begin(env_);
    if (!txn) return 0;
    storage::ReadScope scope(*txn);
    if (!scope.status()) return 0;
    auto names = list_names(*txn);
    if (!names) return 0;
    for (const auto& name : *names) {
      auto view = find_version_view(*txn, name, 0);
      if (!view || !view->has_value() || !(*view)->next_update) continue;
      if (*(*view)->next_update - options_.reissue_margin <= now) due.push_back(name);
    }
  }
  std::size_t published = 0;
  PublishOptions options = options_.publish;
  options.event_actor = "system:reissue";
  for (const auto& name : due) {
    auto v = publisher_->publish(name, Actor::bootstrap(), options);
    if (!v) {
      log().error("trusted list {}: automatic re-issue failed: {} ({})", name, v.error().message, v.error().code);
      continue;
    }
    log().info("trusted list {}: re-issued as sequence {}", name, v->sequence);
    warm(name);
    ++published;
  }
  return published;
}

void TlService::warm(const std::string& name) {
  auto txn = storage::ReadTxn::begin(env_);
  if (!txn) return;
  storage::ReadScope scope(*txn);
  if (!scope.status()) return;
  auto a = artifacts(*txn, name);
  if (!a) log().warn("trusted list {}: cannot derive certificates: {}", name, a.error().message);
}

Result<std::shared_ptr<const Artifacts>> TlService::artifacts(const storage::ReadTxn& txn, std::string_view name) {
  auto view = find_version_view(txn, name, 0);
  if (!view) return std::move(view).error();
  if (!view->has_value()) return std::shared_ptr<const Artifacts>();
  const std::uint64_t sequence = (*view)->sequence;
  {
    std::lock_guard lock(cache_mu_);
    auto it = cache_.find(name);
    if (it != cache_.end() && it->second->sequence == sequence) return it->second;
  }
  auto read = read_trusted_list((*view)->xml);
  if (!read) return std::move(read).error();
  auto built = std::make_shared<Artifacts>();
  built->list = std::string(name);
  built->sequence = sequence;
  built->issued = (*view)->issued;
  built->cas = ca_certificates(read->list);
  for (const auto& ca : built->cas) built->ca_der.emplace(hex_encode(sha256(ca.der)), ca.der);
  auto p7b = certs_only_p7b(built->cas);
  if (!p7b) return std::move(p7b).error();
  built->p7b = std::move(*p7b);
  built->cas_json = cas_json(name, sequence, built->issued, built->cas, "/certs/ca/");
  auto versions = list_versions(txn, name);
  if (!versions) return std::move(versions).error();
  auto notices = list_notices(txn, std::nullopt);
  if (!notices) return std::move(notices).error();
  built->atom = changes_atom(name, *versions, *notices);
  // The signature is checked here as any reader would: against the configured signer.
  nlohmann::json signature = {{"valid", false}};
  if (signer_ != nullptr) {
    signature["signer"] = x509_name_text(X509_get_subject_name(signer_->certificate()));
    if (Status checked = checker_.check((*view)->xml, signer_->certificate()); checked) {
      signature["valid"] = true;
    } else {
      signature["error"] = checked.error().code + ": " + checked.error().message;
    }
  } else {
    signature["error"] = "no trusted-list signer is configured to check against";
  }
  built->view_json = list_view_json(name, sequence, read->list, std::move(signature)).dump();
  std::lock_guard lock(cache_mu_);
  auto& slot = cache_[built->list];
  if (!slot || slot->sequence < sequence) slot = built;
  return slot;
}

}  // namespace trustmon::tsl
