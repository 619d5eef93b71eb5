// See notices.hpp.
#include "tsl/notices.hpp"

#include <openssl/x509.h>

#include <algorithm>
#include <iterator>

#include "common/enum_names.hpp"
#include "common/time.hpp"
#include "storage/scan.hpp"

namespace trustmon::tsl {
namespace {

using nlohmann::json;

// Wire names (JSON, stored notices); the literals make name(...).data() NUL-terminated.
constexpr EnumNames<NoticeKind, 5> kKindNames({{{NoticeKind::new_service, "new_service"},
                                                {NoticeKind::new_certificate, "new_certificate"},
                                                {NoticeKind::status_change, "status_change"},
                                                {NoticeKind::update, "update"},
                                                {NoticeKind::termination, "termination"}}});
constexpr EnumNames<NoticeState, 3> kStateNames(
    {{{NoticeState::submitted, "submitted"}, {NoticeState::approved, "approved"}, {NoticeState::rejected, "rejected"}}});
constexpr std::size_t kMaxText = 4096;

Error invalid(const std::string& what) { return make_error(ErrorKind::invalid, "tl_notice_invalid", what); }
Error corrupt(const std::string& what) { return make_error(ErrorKind::storage, "storage_corrupt", "tl notice record: " + what); }

Bytes id_key(std::uint64_t id) {
  Bytes k(8);
  put_be64(k.data(), id);
  return k;
}

// A string member: absent -> "", wrong type -> false.
bool text(const json& j, const char* name, std::string& out, std::size_t max = kMaxText) {
  auto it = j.find(name);
  if (it == j.end() || it->is_null()) return true;
  if (!it->is_string()) return false;
  out = it->get<std::string>();
  return out.size() <= max;
}

bool multilang(const json& j, const char* name, MultiLang& out) {
  auto it = j.find(name);
  if (it == j.end() || it->is_null()) return true;
  if (!it->is_array()) return false;
  for (const auto& e : *it) {
    if (!e.is_object()) return false;
    LangString ls;
    if (!text(e, "lang", ls.lang, 16) || !text(e, "value", ls.value)) return false;
    if (ls.lang.empty() || ls.value.empty()) return false;
    out.push_back(std::move(ls));
  }
  return true;
}

json multilang_json(const MultiLang& m) {
  json a = json::array();
  for (const auto& ls : m) a.push_back({{"lang", ls.lang}, {"value", ls.value}});
  return a;
}

bool supply_points(const json& j, std::optional<std::vector<SupplyPoint>>& out) {
  auto it = j.find("supply_points");
  if (it == j.end() || it->is_null()) return true;
  if (!it->is_array()) return false;
  std::vector<SupplyPoint> points;
  for (const auto& e : *it) {
    SupplyPoint sp;
    if (e.is_string()) {
      sp.uri = e.get<std::string>();
    } else if (!e.is_object() || !text(e, "uri", sp.uri) || !text(e, "type", sp.type)) {
      return false;
    }
    if (sp.uri.empty()) return false;
    points.push_back(std::move(sp));
  }
  out = std::move(points);
  return true;
}

bool time_field(const json& j, const char* name, std::optional<UnixTime>& out) {
  auto it = j.find(name);
  if (it == j.end() || it->is_null()) return true;
  if (!it->is_string()) return false;
  out = parse_rfc3339(it->get<std::string>());
  return out.has_value();
}

// PEM or base64 DER of one certificate.
Result<Bytes> certificate_der(const std::string& text_value) {
  if (text_value.find("-----BEGIN") != std::string::npos) {
    auto certs = x509s_from_pem(text_value);
    if (!certs || certs->size() != 1) return invalid("\"certificate\" must be one PEM certificate");
    return x509_der((*certs)[0].get());
  }
  auto der = base64_decode_lenient(text_value);
  if (!der || der->empty()) return invalid("\"certificate\" must be PEM or base64 DER");
  auto cert = x509_from_der(*der);
  if (!cert) return invalid("\"certificate\" is not an X.509 certificate");
  return std::move(*der);
}

Status check_values(const ChangeNotice& n) {
  const NoticeValues& v = n.values;
  switch (n.kind) {
    case NoticeKind::new_service:
      if (v.type_identifier.empty()) return invalid("new_service needs values.type (ServiceTypeIdentifier URI)");
      if (v.names.empty()) return invalid("new_service needs values.names");
      if (v.certificate.empty()) return invalid("new_service needs values.certificate");
      if (!n.service.empty()) return invalid("new_service names no existing service");
      break;
    case NoticeKind::new_certificate:
      if (v.certificate.empty()) return invalid("new_certificate needs values.certificate");
      if (n.service.empty()) return invalid("new_certificate needs \"service\"");
      break;
    case NoticeKind::status_change:
      if (v.status.empty()) return invalid("status_change needs values.status (ServiceStatus URI)");
      if (n.service.empty()) return invalid("status_change needs \"service\"");
      break;
    case NoticeKind::update:
      if (v.names.empty() && !v.supply_points) return invalid("update needs values.names or values.supply_points");
      if (n.service.empty()) return invalid("update needs \"service\"");
      break;
    case NoticeKind::termination:
      break;
  }
  if (n.provider.empty()) return invalid("\"provider\" is required");
  if (!n.service.empty()) {
    auto h = hex_decode(n.service);
    if (!h || h->size() != 32) return invalid("\"service\" must be the hex SHA-256 of a certificate of the service");
  }
  return {};
}

NoticeValues values_from(const json& j, bool& ok, std::string& why) {
  NoticeValues v;
  ok = false;
  if (!j.is_object()) {
    why = "\"values\" must be an object";
    return v;
  }
  std::string cert;
  std::string sst;
  if (!text(j, "type", v.type_identifier) || !text(j, "status", v.status) || !text(j, "certificate", cert, 65536)) {
    why = "values.type, values.status and values.certificate must be strings";
    return v;
  }
  if (!multilang(j, "names", v.names)) {
    why = "values.names must be [{\"lang\",\"value\"}] with both set";
    return v;
  }
  if (!supply_points(j, v.supply_points)) {
    why = "values.supply_points must be [{\"uri\",\"type\"?}] or URI strings";
    return v;
  }
  if (!time_field(j, "status_starting_time", v.status_starting_time)) {
    why = "values.status_starting_time must be an RFC 3339 time";
    return v;
  }
  if (!cert.empty()) {
    auto der = certificate_der(cert);
    if (!der) {
      why = der.error().message;
      return v;
    }
    v.certificate = std::move(*der);
  }
  ok = true;
  return v;
}

json values_json(const NoticeValues& v) {
  json j = json::object();
  if (!v.type_identifier.empty()) j["type"] = v.type_identifier;
  if (!v.names.empty()) j["names"] = multilang_json(v.names);
  if (!v.certificate.empty()) {
    j["certificate"] = base64_encode(v.certificate);
    j["certificate_sha256"] = hex_encode(sha256(v.certificate));
  }
  if (!v.status.empty()) j["status"] = v.status;
  if (v.status_starting_time) j["status_starting_time"] = format_rfc3339(*v.status_starting_time);
  if (v.supply_points) {
    json a = json::array();
    for (const auto& sp : *v.supply_points) {
      json e = {{"uri", sp.uri}};
      if (!sp.type.empty()) e["type"] = sp.type;
      a.push_back(std::move(e));
    }
    j["supply_points"] = std::move(a);
  }
  return j;
}

// ---- model helpers -------------------------------------------------------------------

bool identity_has(const DigitalIdentity& identity, const Sha256& digest) {
  for (const auto& id : identity)
    if (id.kind == DigitalId::Kind::x509_certificate && sha256(id.der) == digest) return true;
  return false;
}

std::optional<std::size_t> find_service(const TrustServiceProvider& p, const std::string& hex) {
  auto h = hex_decode(hex);
  if (!h || h->size() != 32) return std::nullopt;
  Sha256 digest{};
  std::copy(h->begin(), h->end(), digest.begin());
  for (std::size_t i = 0; i < p.services.size(); ++i)
    if (identity_has(p.services[i].digital_identity, digest)) return i;
  return std::nullopt;
}

// The service's current information as a history instance.
ServiceHistoryInstance history_of(const TrustService& s) {
  ServiceHistoryInstance h;
  h.type_identifier = s.type_identifier;
  h.name = s.name;
  h.digital_identity = s.digital_identity;
  h.status = s.status;
  h.status_starting_time = s.status_starting_time;
  h.extensions = s.extensions;
  return h;
}

// Moves the current information into ServiceHistory (newest first) before a change that
// takes effect at `when`.
Status push_history(TrustService& s, UnixTime when) {
  if (when < s.status_starting_time)
    return invalid("the change cannot take effect before the current StatusStartingTime (" +
                   format_rfc3339(s.status_starting_time) + ")");
  std::vector<ServiceHistoryInstance> history;
  history.push_back(history_of(s));
  if (s.history) std::move(s.history->begin(), s.history->end(), std::back_inserter(history));
  s.history = std::move(history);
  s.status_starting_time = when;
  return {};
}

std::optional<EvpPkeyPtr> public_key_of(ByteView der) {
  auto cert = x509_from_der(der);
  if (!cert) return std::nullopt;
  EVP_PKEY* key = X509_get0_pubkey(cert->get());
  if (key == nullptr) return std::nullopt;
  EVP_PKEY_up_ref(key);
  return EvpPkeyPtr(key);
}

}  // namespace

const char* notice_kind_name(NoticeKind k) { return kKindNames.name(k).data(); }
std::optional<NoticeKind> notice_kind_from_name(std::string_view name) { return kKindNames.parse(name); }
const char* notice_state_name(NoticeState s) { return kStateNames.name(s).data(); }

Result<ChangeNotice> notice_from_json(const json& body, std::string_view default_list) {
  if (!body.is_object()) return invalid("the body must be a JSON object");
  ChangeNotice n;
  n.list = std::string(default_list);
  std::string kind;
  if (!text(body, "list", n.list, 64) || !text(body, "kind", kind, 32) || !text(body, "provider", n.provider, 512) ||
      !text(body, "service", n.service, 64) || !text(body, "comment", n.comment))
    return invalid("list, kind, provider, service and comment must be strings");
  if (n.list.empty()) n.list = std::string(default_list);
  auto k = notice_kind_from_name(kind);
  if (!k) return invalid("\"kind\" must be new_service, new_certificate, status_change, update or termination");
  n.kind = *k;
  std::transform(n.service.begin(), n.service.end(), n.service.begin(),
                 [](char c) { return static_cast<char>(c >= 'A' && c <= 'F' ? c - 'A' + 'a' : c); });
  auto vit = body.find("values");
  if (vit != body.end() && !vit->is_null()) {
    bool ok = false;
    std::string why;
    n.values = values_from(*vit, ok, why);
    if (!ok) return invalid(why);
  }
  if (auto s = check_values(n); !s) return s.error();
  return n;
}

json notice_to_json(const ChangeNotice& n) {
  json history = json::array();
  for (const auto& h : n.history) {
    json e = {{"time", format_rfc3339(h.time)}, {"actor", h.actor}, {"action", h.action}};
    if (!h.note.empty()) e["note"] = h.note;
    if (h.sequence) e["sequence"] = h.sequence;
    history.push_back(std::move(e));
  }
  json j = {{"id", n.id},
            {"list", n.list},
            {"participant", n.participant},
            {"kind", notice_kind_name(n.kind)},
            {"provider", n.provider},
            {"values", values_json(n.values)},
            {"state", notice_state_name(n.state)},
            {"created", format_rfc3339(n.created)},
            {"changed", format_rfc3339(n.changed)},
            {"history", std::move(history)}};
  if (!n.service.empty()) j["service"] = n.service;
  if (!n.comment.empty()) j["comment"] = n.comment;
  if (!n.reason.empty()) j["reason"] = n.reason;
  if (n.published_sequence) j["published_sequence"] = n.published_sequence;
  return j;
}

std::optional<std::size_t> find_provider(const TrustedList& list, std::string_view provider) {
  for (std::size_t i = 0; i < list.providers.size(); ++i) {
    const auto& p = list.providers[i];
    for (const auto& n : p.trade_name)
      if (n.value == provider) return i;
    for (const auto& n : p.name)
      if (n.value == provider) return i;
  }
  return std::nullopt;
}

bool provider_has_code(const TrustServiceProvider& provider, std::string_view code) {
  if (code.empty()) return false;
  for (const auto& n : provider.trade_name) {
    const std::string_view v = n.value;
    if (v.size() != 6 + code.size() || v[5] != '-' || v.substr(6) != code) continue;
    if (std::all_of(v.begin(), v.begin() + 5, [](char c) { return c >= 'A' && c <= 'Z'; })) return true;
  }
  return false;
}

Result<TrustedList> apply_notice(const TrustedList& list, const ChangeNotice& n, UnixTime now) {
  if (auto s = check_values(n); !s) return s.error();
  auto pi = find_provider(list, n.provider);
  if (!pi) return make_error(ErrorKind::not_found, "tl_provider_not_found", "no provider \"" + n.provider + "\" in the list");
  TrustedList out = list;
  TrustServiceProvider& p = out.providers[*pi];
  const UnixTime when = n.values.status_starting_time.value_or(now);
  std::optional<std::size_t> si;
  if (!n.service.empty()) {
    si = find_service(p, n.service);
    if (!si) return make_error(ErrorKind::not_found, "tl_service_not_found", "the provider has no service with certificate " + n.service);
  }
  switch (n.kind) {
    case NoticeKind::new_service: {
      const Sha256 digest = sha256(n.values.certificate);
      for (const auto& s : p.services)
        if (identity_has(s.digital_identity, digest)) return invalid("the certificate is already listed for a service");
      TrustService s;
      s.type_identifier = n.values.type_identifier;
      s.name = n.values.names;
      s.digital_identity.push_back({DigitalId::Kind::x509_certificate, n.values.certificate, ""});
      s.status = n.values.status.empty() ? std::string(kSvcStatusGranted) : n.values.status;
      s.status_starting_time = when;
      if (n.values.supply_points) s.supply_points = *n.values.supply_points;
      p.services.push_back(std::move(s));
      break;
    }
    case NoticeKind::new_certificate: {
      TrustService& s = p.services[*si];
      const Sha256 digest = sha256(n.values.certificate);
      if (identity_has(s.digital_identity, digest)) return invalid("the certificate is already in the service");
      auto fresh = public_key_of(n.values.certificate);
      bool same_key = false;
      for (const auto& id : s.digital_identity) {
        if (id.kind != DigitalId::Kind::x509_certificate || !fresh) continue;
        auto old = public_key_of(id.der);
        if (old && EVP_PKEY_eq(old->get(), fresh->get()) == 1) same_key = true;
      }
      if (!same_key)
        return invalid("a certificate for another public key is a new service (kind new_service), not new_certificate");
      // Certificates of one identity stay together, before SKI/subject name entries.
      auto pos = std::find_if(s.digital_identity.begin(), s.digital_identity.end(),
                              [](const DigitalId& d) { return d.kind != DigitalId::Kind::x509_certificate; });
      s.digital_identity.insert(pos, DigitalId{DigitalId::Kind::x509_certificate, n.values.certificate, ""});
      break;
    }
    case NoticeKind::status_change: {
      TrustService& s = p.services[*si];
      if (s.status == n.values.status) return invalid("the service already has that status");
      if (auto st = push_history(s, when); !st) return st.error();
      s.status = n.values.status;
      break;
    }
    case NoticeKind::update: {
      TrustService& s = p.services[*si];
      if (auto st = push_history(s, when); !st) return st.error();
      if (!n.values.names.empty()) s.name = n.values.names;
      if (n.values.supply_points) s.supply_points = *n.values.supply_points;
      break;
    }
    case NoticeKind::termination: {
      bool changed = false;
      for (std::size_t i = 0; i < p.services.size(); ++i) {
        if (si && i != *si) continue;
        TrustService& s = p.services[i];
        if (s.status == kSvcStatusWithdrawn) continue;
        if (auto st = push_history(s, when); !st) return st.error();
        s.status = kSvcStatusWithdrawn;
        changed = true;
      }
      if (!changed) return invalid("nothing to terminate: the services are already withdrawn");
      break;
    }
  }
  return out;
}

// ---- storage -------------------------------------------------------------------------

Bytes encode_notice(const ChangeNotice& n) {
  json history = json::array();
  for (const auto& h : n.history)
    history.push_back({{"t", h.time}, {"a", h.actor}, {"x", h.action}, {"n", h.note}, {"s", h.sequence}});
  json v = values_json(n.values);
  v.erase("certificate_sha256");
  json j = {{"id", n.id},           {"list", n.list},       {"participant", n.participant},
            {"kind", notice_kind_name(n.kind)}, {"provider", n.provider}, {"service", n.service},
            {"values", std::move(v)}, {"comment", n.comment}, {"state", notice_state_name(n.state)},
            {"created", n.created}, {"changed", n.changed}, {"reason", n.reason},
            {"published", n.published_sequence}, {"history", std::move(history)}};
  const std::string text_value = j.dump(-1, ' ', false, json::error_handler_t::replace);
  Bytes out;
  out.reserve(text_value.size() + 1);
  out.push_back(kNoticeFormat);
  out.insert(out.end(), text_value.begin(), text_value.end());
  return out;
}

Result<ChangeNotice> decode_notice(ByteView value) {
  if (value.empty() || value[0] != kNoticeFormat) return corrupt("unknown format");
  const std::string_view body = as_chars(value.subspan(1));
  json j = json::parse(body.begin(), body.end(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) return corrupt("not JSON");
  ChangeNotice n;
  auto u64 = [&j](const char* k, std::uint64_t& out) {
    auto it = j.find(k);
    if (it == j.end() || !it->is_number_unsigned()) return false;
    out = it->get<std::uint64_t>();
    return true;
  };
  auto i64 = [](const json& o, const char* k, std::int64_t& out) {
    auto it = o.find(k);
    if (it == o.end() || !it->is_number_integer()) return false;
    out = it->get<std::int64_t>();
    return true;
  };
  std::uint64_t participant = 0;
  std::string kind, state;
  if (!u64("id", n.id) || !u64("participant", participant) || participant > 0xffffffffu ||
      !u64("published", n.published_sequence) || !i64(j, "created", n.created) || !i64(j, "changed", n.changed) ||
      !text(j, "list", n.list) || !text(j, "kind", kind) || !text(j, "provider", n.provider) ||
      !text(j, "service", n.service) || !text(j, "comment", n.comment) || !text(j, "state", state) ||
      !text(j, "reason", n.reason))
    return corrupt("fields");
  n.participant = static_cast<std::uint32_t>(participant);
  auto k = notice_kind_from_name(kind);
  if (!k) return corrupt("kind");
  n.kind = *k;
  auto st = kStateNames.parse(state);
  if (!st) return corrupt("state");
  n.state = *st;
  bool ok = false;
  std::string why;
  auto vit = j.find("values");
  if (vit == j.end()) return corrupt("values");
  n.values = values_from(*vit, ok, why);
  if (!ok) return corrupt("values: " + why);
  auto hit = j.find("history");
  if (hit == j.end() || !hit->is_array()) return corrupt("history");
  for (const auto& h : *hit) {
    if (!h.is_object()) return corrupt("history step");
    NoticeStep step;
    auto s = h.find("s");
    if (!i64(h, "t", step.time) || !text(h, "a", step.actor) || !text(h, "x", step.action) ||
        !text(h, "n", step.note) || s == h.end() || !s->is_number_unsigned())
      return corrupt("history step");
    step.sequence = s->get<std::uint64_t>();
    n.history.push_back(std::move(step));
  }
  return n;
}

Status put_notice(storage::WriteTxn& txn, const ChangeNotice& n) {
  return txn.put(storage::Table::tl_notices, id_key(n.id), encode_notice(n));
}

Status insert_notice(storage::WriteTxn& txn, ChangeNotice& n) {
  auto last = storage::last_entry(txn, storage::Table::tl_notices);
  if (!last) return std::move(last).error();
  n.id = 1;
  if (*last) {
    if ((*last)->key.size() != 8) return corrupt("key");
    n.id = get_be64((*last)->key.data()) + 1;
  }
  return put_notice(txn, n);
}

namespace {
template <typename Txn>
Result<std::optional<ChangeNotice>> get_notice_in(const Txn& txn, std::uint64_t id) {
  auto v = txn.get(storage::Table::tl_notices, id_key(id));
  if (!v) return std::move(v).error();
  if (!v->has_value()) return std::optional<ChangeNotice>();
  auto n = decode_notice(**v);
  if (!n) return std::move(n).error();
  return std::optional<ChangeNotice>(std::move(*n));
}
}  // namespace

Result<std::optional<ChangeNotice>> get_notice(const storage::ReadTxn& txn, std::uint64_t id) {
  return get_notice_in(txn, id);
}
Result<std::optional<ChangeNotice>> get_notice(const storage::WriteTxn& txn, std::uint64_t id) {
  return get_notice_in(txn, id);
}

Result<std::vector<ChangeNotice>> list_notices(const storage::ReadTxn& txn, std::optional<std::uint32_t> participant) {
  return storage::collect(txn, storage::Table::tl_notices, decode_notice,
                          [participant](const ChangeNotice& n) { return !participant || n.participant == *participant; });
}

}  // namespace trustmon::tsl
