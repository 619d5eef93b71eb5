// See applications.hpp.
#include "responder/applications/applications.hpp"

#include <openssl/pem.h>
#include <openssl/x509.h>

#include <array>
#include <memory>

#include "common/enum_names.hpp"
#include "common/ossl.hpp"
#include "common/time.hpp"
#include "storage/scan.hpp"

namespace trustmon::applications {
namespace {

using nlohmann::json;

// Wire names (JSON, audit events); the literals make name(...).data() NUL-terminated.
constexpr EnumNames<State, 5> kStateNames({{{State::submitted, "submitted"},
                                            {State::in_review, "in_review"},
                                            {State::approved, "approved"},
                                            {State::rejected, "rejected"},
                                            {State::completed, "completed"}}});

Error invalid(const std::string& what) { return make_error(ErrorKind::invalid, "application_invalid", what); }
Error corrupt(const std::string& what) { return make_error(ErrorKind::storage, "storage_corrupt", "application record: " + what); }

Bytes id_key(std::uint64_t id) {
  Bytes k(8);
  put_be64(k.data(), id);
  return k;
}

bool text(const json& j, const char* name, std::string& out, std::size_t max) {
  auto it = j.find(name);
  if (it == j.end() || it->is_null()) return true;
  if (!it->is_string()) return false;
  out = it->get<std::string>();
  return out.size() <= max;
}

bool is_csr(const Attachment& a) {
  return a.media_type == "application/pkcs10" || a.content.find("-----BEGIN CERTIFICATE REQUEST-----") != std::string::npos;
}

Status check_csr(const std::string& pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return ossl_error(ErrorKind::internal, "internal_error", "BIO");
  X509ReqPtr req(PEM_read_bio_X509_REQ(bio.get(), nullptr, nullptr, nullptr));
  if (!req) {
    ossl_errors();
    return invalid("the CSR attachment is not a PEM certificate request");
  }
  EVP_PKEY* key = X509_REQ_get0_pubkey(req.get());
  if (key == nullptr || X509_REQ_verify(req.get(), key) != 1) {
    ossl_errors();
    return invalid("the CSR's self-signature does not verify");
  }
  return {};
}

// The audited-write event of a step: application.<state> when done, application.refused
// when refused (both with action, outcome, target {application}, details).
storage::AuditEvent step_event(std::string type, std::string action, std::string actor, UnixTime now,
                               json target, json details) {
  storage::AuditEvent e = storage::action_event(std::move(actor), std::move(action), std::move(target), now);
  e.type = std::move(type);
  e.refused_type = "application.refused";
  e.details = std::move(details);
  return e;
}

Result<std::optional<Application>> get_in(const storage::WriteTxn& txn, std::uint64_t id) {
  auto v = txn.get(storage::Table::applications, id_key(id));
  if (!v) return std::move(v).error();
  if (!v->has_value()) return std::optional<Application>();
  auto a = decode_application(**v);
  if (!a) return std::move(a).error();
  return std::optional<Application>(std::move(*a));
}

}  // namespace

const char* state_name(State s) { return kStateNames.name(s).data(); }
std::optional<State> state_from_name(std::string_view name) { return kStateNames.parse(name); }

bool transition_allowed(State from, State to) {
  switch (from) {
    case State::submitted: return to == State::in_review || to == State::rejected;
    case State::in_review: return to == State::approved || to == State::rejected;
    case State::approved: return to == State::completed;
    case State::rejected:
    case State::completed: return false;
  }
  return false;
}

Result<Application> application_from_json(const json& body) {
  if (!body.is_object()) return invalid("the body must be a JSON object");
  Application a;
  if (!text(body, "service", a.service, 128) || !text(body, "text", a.text, kMaxTextBytes))
    return invalid("\"service\" (at most 128 bytes) and \"text\" (at most 8 KiB) must be strings");
  if (a.service.empty()) return invalid("\"service\" (what is applied for, e.g. ca_certificate) is required");
  auto it = body.find("attachments");
  if (it != body.end() && !it->is_null()) {
    if (!it->is_array() || it->size() > kMaxAttachments)
      return invalid("\"attachments\" must be an array of at most " + std::to_string(kMaxAttachments));
    for (const auto& e : *it) {
      Attachment at;
      if (!e.is_object() || !text(e, "name", at.name, 256) || !text(e, "media_type", at.media_type, 128) ||
          !text(e, "content", at.content, kMaxAttachmentBytes))
        return invalid("each attachment is {\"name\",\"media_type\",\"content\"} with content of at most 64 KiB");
      if (at.content.empty()) return invalid("an attachment has no content");
      if (at.media_type.empty()) at.media_type = "text/plain";
      if (is_csr(at))
        if (auto s = check_csr(at.content); !s) return s.error();
      a.attachments.push_back(std::move(at));
    }
  }
  return a;
}

json to_json(const Application& a) {
  json attachments = json::array();
  for (const auto& at : a.attachments)
    attachments.push_back({{"name", at.name}, {"media_type", at.media_type}, {"content", at.content}});
  json history = json::array();
  for (const auto& h : a.history) {
    json e = {{"time", format_rfc3339(h.time)}, {"actor", h.actor}, {"state", h.state}};
    if (!h.note.empty()) e["note"] = h.note;
    history.push_back(std::move(e));
  }
  json j = {{"id", a.id},
            {"participant", a.participant},
            {"service", a.service},
            {"text", a.text},
            {"attachments", std::move(attachments)},
            {"state", state_name(a.state)},
            {"created", format_rfc3339(a.created)},
            {"changed", format_rfc3339(a.changed)},
            {"history", std::move(history)}};
  if (!a.result_certificate.empty() || !a.result_note.empty())
    j["result"] = {{"certificate", a.result_certificate}, {"note", a.result_note}};
  return j;
}

Bytes encode_application(const Application& a) {
  json attachments = json::array();
  for (const auto& at : a.attachments) attachments.push_back({{"n", at.name}, {"m", at.media_type}, {"c", at.content}});
  json history = json::array();
  for (const auto& h : a.history) history.push_back({{"t", h.time}, {"a", h.actor}, {"s", h.state}, {"n", h.note}});
  json j = {{"id", a.id},         {"participant", a.participant}, {"service", a.service},
            {"text", a.text},     {"attachments", std::move(attachments)}, {"state", state_name(a.state)},
            {"created", a.created}, {"changed", a.changed},       {"result_certificate", a.result_certificate},
            {"result_note", a.result_note}, {"history", std::move(history)}};
  const std::string t = j.dump(-1, ' ', false, json::error_handler_t::replace);
  Bytes out;
  out.reserve(t.size() + 1);
  out.push_back(kApplicationFormat);
  out.insert(out.end(), t.begin(), t.end());
  return out;
}

Result<Application> decode_application(ByteView value) {
  if (value.empty() || value[0] != kApplicationFormat) return corrupt("unknown format");
  const std::string_view body = as_chars(value.subspan(1));
  json j = json::parse(body.begin(), body.end(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) return corrupt("not JSON");
  Application a;
  constexpr std::size_t kAny = std::size_t{1} << 30;
  auto num = [](const json& o, const char* k, auto& out) {
    auto it = o.find(k);
    if (it == o.end() || !it->is_number_integer()) return false;
    out = it->get<std::remove_reference_t<decltype(out)>>();
    return true;
  };
  std::string state;
  if (!num(j, "id", a.id) || !num(j, "participant", a.participant) || !num(j, "created", a.created) ||
      !num(j, "changed", a.changed) || !text(j, "service", a.service, kAny) || !text(j, "text", a.text, kAny) ||
      !text(j, "state", state, 32) || !text(j, "result_certificate", a.result_certificate, kAny) ||
      !text(j, "result_note", a.result_note, kAny))
    return corrupt("fields");
  auto s = state_from_name(state);
  if (!s) return corrupt("state");
  a.state = *s;
  auto at = j.find("attachments");
  auto hi = j.find("history");
  if (at == j.end() || !at->is_array() || hi == j.end() || !hi->is_array()) return corrupt("lists");
  for (const auto& e : *at) {
    Attachment x;
    if (!e.is_object() || !text(e, "n", x.name, kAny) || !text(e, "m", x.media_type, kAny) ||
        !text(e, "c", x.content, kAny))
      return corrupt("attachment");
    a.attachments.push_back(std::move(x));
  }
  for (const auto& e : *hi) {
    Step x;
    if (!e.is_object() || !num(e, "t", x.time) || !text(e, "a", x.actor, kAny) || !text(e, "s", x.state, kAny) ||
        !text(e, "n", x.note, kAny))
      return corrupt("history");
    a.history.push_back(std::move(x));
  }
  return a;
}

Result<std::optional<Application>> get_application(const storage::ReadTxn& txn, std::uint64_t id) {
  auto v = txn.get(storage::Table::applications, id_key(id));
  if (!v) return std::move(v).error();
  if (!v->has_value()) return std::optional<Application>();
  auto a = decode_application(**v);
  if (!a) return std::move(a).error();
  return std::optional<Application>(std::move(*a));
}

Result<std::vector<Application>> list_applications(const storage::ReadTxn& txn,
                                                   std::optional<std::uint32_t> participant) {
  return storage::collect(txn, storage::Table::applications, decode_application,
                          [participant](const Application& a) { return !participant || a.participant == *participant; });
}

void ApplicationService::submit(const Actor& actor, Application application, Done done) {
  const UnixTime now = clock_.now();
  const std::string label = actor.label();
  application.participant = actor.participant;
  application.state = State::submitted;
  application.created = application.changed = now;
  application.history = {Step{now, label, "submitted", ""}};
  audited_.run<json>(
      step_event("application.submitted", "application.submit", label, now,
                 json{{"participant", application.participant}},
                 json{{"service", application.service}, {"attachments", application.attachments.size()}}),
      [application](storage::WriteTxn& txn, storage::AuditEvent& ev) -> Result<json> {
        Application a = application;
        auto id = storage::next_number(txn, storage::Table::applications);
        if (!id) return std::move(id).error();
        a.id = *id;
        if (auto s = txn.put(storage::Table::applications, id_key(a.id), encode_application(a)); !s) return s.error();
        ev.target["application"] = a.id;
        return to_json(a);
      },
      std::move(done));
}

void ApplicationService::set_state(const Actor& actor, std::uint64_t id, State to, std::string note,
                                   std::string result_certificate, Done done) {
  if (note.size() > kMaxTextBytes) return done(invalid("\"note\" is longer than 8 KiB"));
  if (to == State::completed) {
    auto certs = x509s_from_pem(result_certificate);
    if (!certs || certs->size() != 1)
      return done(invalid("completing an application needs \"certificate\": one PEM certificate"));
  } else if (!result_certificate.empty()) {
    return done(invalid("a result certificate is attached only when completing"));
  }
  if (to == State::rejected && note.empty()) return done(invalid("a rejection needs a \"note\" saying why"));
  const UnixTime now = clock_.now();
  const std::string label = actor.label();
  audited_.run<json>(
      step_event(std::string("application.") + state_name(to), "application.status", label, now,
                 json{{"application", id}}, json{{"to", state_name(to)}}),
      [id, to, note, result_certificate, label, now](storage::WriteTxn& txn, storage::AuditEvent& ev) -> Result<json> {
        auto cur = get_in(txn, id);
        if (!cur) return std::move(cur).error();
        if (!cur->has_value()) return make_error(ErrorKind::not_found, "application_not_found", "no application " + std::to_string(id));
        Application a = std::move(**cur);
        if (!transition_allowed(a.state, to))
          return make_error(ErrorKind::conflict, "application_transition_invalid", std::string("an application ") + state_name(a.state) +
                                                                  " cannot become " + state_name(to));
        const State from = a.state;
        a.state = to;
        a.changed = now;
        if (to == State::completed) {
          a.result_certificate = result_certificate;
          a.result_note = note;
        }
        a.history.push_back({now, label, state_name(to), note});
        if (auto s = txn.put(storage::Table::applications, id_key(a.id), encode_application(a)); !s) return s.error();
        ev.details["from"] = state_name(from);
        if (!note.empty()) ev.details["note"] = note;
        return to_json(a);
      },
      std::move(done));
}

}  // namespace trustmon::applications
