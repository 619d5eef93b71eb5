// See store.hpp.
#include "tsl/store.hpp"

#include <nlohmann/json.hpp>

#include "common/time.hpp"
#include "storage/event_log.hpp"
#include "storage/field_codec.hpp"
#include "storage/scan.hpp"
#include "tsl/xml_reader.hpp"

namespace trustmon::tsl {
namespace {

constexpr std::uint8_t kKindScheme = 0x01;
constexpr std::uint8_t kKindProvider = 0x02;

// ---- field codec (storage/field_codec.hpp) -----------------------------------------

// Local names, so the put/get overloads below are found for the model's types.
struct Out : storage::FieldWriter {
  Out() : FieldWriter(256) {}
};
struct In : storage::FieldReader {
  explicit In(ByteView v) : FieldReader(v) {}
};

void put(Out& o, const std::string& s) { o.var(as_bytes(s)); }
void put(Out& o, const Bytes& b) { o.var(b); }
void put(Out& o, bool v) { o.u8(v ? 1 : 0); }
void put(Out& o, std::uint64_t v) { o.be64(v); }
void put(Out& o, std::int64_t v) { o.be64(static_cast<std::uint64_t>(v)); }
void put(Out& o, int v) { o.be32(static_cast<std::uint32_t>(v)); }

void get(In& i, std::string& s) {
  ByteView b = i.var();
  s.assign(as_chars(b));
}
void get(In& i, Bytes& b) { b = to_bytes(i.var()); }
void get(In& i, bool& v) {
  const std::uint8_t b = i.u8();
  if (b > 1) i.fail();
  v = b == 1;
}
void get(In& i, std::uint64_t& v) { v = i.be64(); }
void get(In& i, std::int64_t& v) { v = static_cast<std::int64_t>(i.be64()); }
void get(In& i, int& v) { v = static_cast<int>(i.be32()); }

template <typename T>
void put(Out& o, const std::optional<T>& v) {
  o.u8(v ? 1 : 0);
  if (v) put(o, *v);
}
template <typename T>
void get(In& i, std::optional<T>& v) {
  const std::uint8_t present = i.u8();
  if (present > 1) i.fail();
  v.reset();
  if (present == 1) {
    T t{};
    get(i, t);
    v = std::move(t);
  }
}
template <typename T>
void put(Out& o, const std::vector<T>& v) {
  o.be32(static_cast<std::uint32_t>(v.size()));
  for (const auto& x : v) put(o, x);
}
template <typename T>
void get(In& i, std::vector<T>& v) {
  const std::size_t n = i.count(1);
  v.clear();
  v.reserve(n);
  for (std::size_t k = 0; k < n && i.ok(); ++k) {
    T t{};
    get(i, t);
    v.push_back(std::move(t));
  }
}

void put(Out& o, const LangString& v) { put(o, v.lang), put(o, v.value); }
void get(In& i, LangString& v) { get(i, v.lang), get(i, v.value); }
void put(Out& o, const PostalAddress& v) {
  put(o, v.lang), put(o, v.street_address), put(o, v.locality), put(o, v.state_or_province), put(o, v.postal_code),
      put(o, v.country_name);
}
void get(In& i, PostalAddress& v) {
  get(i, v.lang), get(i, v.street_address), get(i, v.locality), get(i, v.state_or_province), get(i, v.postal_code),
      get(i, v.country_name);
}
void put(Out& o, const Address& v) { put(o, v.postal), put(o, v.electronic); }
void get(In& i, Address& v) { get(i, v.postal), get(i, v.electronic); }
void put(Out& o, const Extension& v) { put(o, v.critical), put(o, v.xml); }
void get(In& i, Extension& v) { get(i, v.critical), get(i, v.xml); }
void put(Out& o, const DigitalId& v) {
  o.u8(static_cast<std::uint8_t>(v.kind));
  put(o, v.der), put(o, v.text);
}
void get(In& i, DigitalId& v) {
  const std::uint8_t k = i.u8();
  if (k > static_cast<std::uint8_t>(DigitalId::Kind::other)) i.fail();
  v.kind = static_cast<DigitalId::Kind>(k);
  get(i, v.der), get(i, v.text);
}
void put(Out& o, const AdditionalInformation& v) {
  o.u8(static_cast<std::uint8_t>(v.kind));
  put(o, v.lang), put(o, v.value);
}
void get(In& i, AdditionalInformation& v) {
  const std::uint8_t k = i.u8();
  if (k > static_cast<std::uint8_t>(AdditionalInformation::Kind::other)) i.fail();
  v.kind = static_cast<AdditionalInformation::Kind>(k);
  get(i, v.lang), get(i, v.value);
}
void put(Out& o, const OtherTslPointer& v) { put(o, v.digital_identities), put(o, v.location), put(o, v.additional_information); }
void get(In& i, OtherTslPointer& v) { get(i, v.digital_identities), get(i, v.location), get(i, v.additional_information); }
void put(Out& o, const SupplyPoint& v) { put(o, v.uri), put(o, v.type); }
void get(In& i, SupplyPoint& v) { get(i, v.uri), get(i, v.type); }
void put(Out& o, const ServiceHistoryInstance& v) {
  put(o, v.type_identifier), put(o, v.name), put(o, v.digital_identity), put(o, v.status),
      put(o, v.status_starting_time), put(o, v.extensions);
}
void get(In& i, ServiceHistoryInstance& v) {
  get(i, v.type_identifier), get(i, v.name), get(i, v.digital_identity), get(i, v.status),
      get(i, v.status_starting_time), get(i, v.extensions);
}
void put(Out& o, const TrustService& v) {
  put(o, v.type_identifier), put(o, v.name), put(o, v.digital_identity), put(o, v.status),
      put(o, v.status_starting_time), put(o, v.scheme_service_definition_uri), put(o, v.supply_points),
      put(o, v.tsp_service_definition_uri), put(o, v.extensions), put(o, v.history);
}
void get(In& i, TrustService& v) {
  get(i, v.type_identifier), get(i, v.name), get(i, v.digital_identity), get(i, v.status),
      get(i, v.status_starting_time), get(i, v.scheme_service_definition_uri), get(i, v.supply_points),
      get(i, v.tsp_service_definition_uri), get(i, v.extensions), get(i, v.history);
}
void put(Out& o, const TrustServiceProvider& v) {
  put(o, v.name), put(o, v.trade_name), put(o, v.address), put(o, v.information_uri), put(o, v.extensions),
      put(o, v.services);
}
void get(In& i, TrustServiceProvider& v) {
  get(i, v.name), get(i, v.trade_name), get(i, v.address), get(i, v.information_uri), get(i, v.extensions),
      get(i, v.services);
}
void put(Out& o, const SchemeInformation& v) {
  put(o, v.version), put(o, v.sequence_number), put(o, v.tsl_type), put(o, v.operator_name),
      put(o, v.operator_address), put(o, v.scheme_name), put(o, v.information_uri),
      put(o, v.status_determination_approach), put(o, v.type_community_rules), put(o, v.territory),
      put(o, v.policy_or_legal_notice.policies), put(o, v.policy_or_legal_notice.legal_notices),
      put(o, v.historical_information_period), put(o, v.pointers), put(o, v.list_issue_date_time),
      put(o, v.next_update), put(o, v.distribution_points), put(o, v.extensions);
}
void get(In& i, SchemeInformation& v) {
  get(i, v.version), get(i, v.sequence_number), get(i, v.tsl_type), get(i, v.operator_name),
      get(i, v.operator_address), get(i, v.scheme_name), get(i, v.information_uri),
      get(i, v.status_determination_approach), get(i, v.type_community_rules), get(i, v.territory),
      get(i, v.policy_or_legal_notice.policies), get(i, v.policy_or_legal_notice.legal_notices),
      get(i, v.historical_information_period), get(i, v.pointers), get(i, v.list_issue_date_time),
      get(i, v.next_update), get(i, v.distribution_points), get(i, v.extensions);
}

Error corrupt(const std::string& what) { return make_error(ErrorKind::storage, "storage_corrupt", "tl record: " + what); }

// ---- keys ----------------------------------------------------------------------------

Bytes name_prefix(std::string_view name) {
  Bytes k(name.begin(), name.end());
  k.push_back(0x00);
  return k;
}
Bytes scheme_key(std::string_view name) {
  Bytes k = name_prefix(name);
  k.push_back(kKindScheme);
  return k;
}
Bytes provider_key(std::string_view name, std::uint32_t index) {
  Bytes k = name_prefix(name);
  k.push_back(kKindProvider);
  k.resize(k.size() + 4);
  put_be32(k.data() + k.size() - 4, index);
  return k;
}
Bytes version_key(std::string_view name, std::uint64_t seq) {
  Bytes k = name_prefix(name);
  k.resize(k.size() + 8);
  put_be64(k.data() + k.size() - 8, seq);
  return k;
}

template <typename Txn>
Result<std::optional<TrustedList>> load_model_in(const Txn& txn, std::string_view name) {
  if (!valid_list_name(name)) return make_error(ErrorKind::invalid, "tl_invalid_name", "invalid list name");
  auto scheme = txn.get(storage::Table::tl_model, scheme_key(name));
  if (!scheme) return std::move(scheme).error();
  if (!scheme->has_value()) return std::optional<TrustedList>();
  TrustedList list;
  std::uint32_t providers = 0;
  {
    In in(**scheme);
    if (in.u8() != kModelFormat) return corrupt("unknown model format");
    get(in, list.id);
    get(in, list.scheme);
    providers = in.be32();
    if (!in.done()) return corrupt("scheme record");
  }
  Bytes prefix = name_prefix(name);
  prefix.push_back(kKindProvider);
  Status walked = storage::for_each_prefix(txn, storage::Table::tl_model, prefix, [&](ByteView key, ByteView value) -> Status {
    const std::size_t index = list.providers.size();
    if (key.size() != prefix.size() + 4 || get_be32(key.data() + prefix.size()) != index)
      return corrupt("provider records out of sequence");
    In in(value);
    if (in.u8() != kModelFormat) return corrupt("unknown provider format");
    TrustServiceProvider p;
    get(in, p);
    if (!in.done()) return corrupt("provider record");
    list.providers.push_back(std::move(p));
    return {};
  });
  if (!walked) return std::move(walked).error();
  if (list.providers.size() != providers) return corrupt("provider count");
  return std::optional<TrustedList>(std::move(list));
}

template <typename Txn>
Result<std::uint64_t> last_sequence_in(const Txn& txn, std::string_view name) {
  if (!valid_list_name(name)) return make_error(ErrorKind::invalid, "tl_invalid_name", "invalid list name");
  auto cursor = storage::Cursor::open(txn, storage::Table::tl_versions);
  if (!cursor) return std::move(cursor).error();
  // Position after the last key of this list: the first key >= name || 0x01.
  Bytes after(name.begin(), name.end());
  after.push_back(0x01);
  auto found = cursor->seek(after);
  if (!found) return std::move(found).error();
  auto moved = *found ? cursor->prev() : cursor->last();
  if (!moved) return std::move(moved).error();
  if (!*moved) return std::uint64_t{0};
  const Bytes prefix = name_prefix(name);
  if (!has_prefix(cursor->key(), prefix) || cursor->key().size() != prefix.size() + 8) return std::uint64_t{0};
  return get_be64(cursor->key().data() + prefix.size());
}

}  // namespace

bool valid_list_name(std::string_view name) {
  if (name.empty() || name.size() > kMaxListName) return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                    c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

Bytes encode_model_scheme(const TrustedList& list) {
  Out o;
  o.u8(kModelFormat);
  put(o, list.id);
  put(o, list.scheme);
  o.be32(static_cast<std::uint32_t>(list.providers.size()));
  return o.take();
}

Bytes encode_model_provider(const TrustServiceProvider& provider) {
  Out o;
  o.u8(kModelFormat);
  put(o, provider);
  return o.take();
}

Status store_model(storage::WriteTxn& txn, std::string_view name, const TrustedList& list) {
  if (!valid_list_name(name)) return make_error(ErrorKind::invalid, "tl_invalid_name", "invalid list name");
  // Remove every record of this list, then write the new ones.
  std::vector<Bytes> old;
  Status walked = storage::for_each_prefix(txn, storage::Table::tl_model, name_prefix(name),
                                           [&old](ByteView key, ByteView) { old.push_back(to_bytes(key)); });
  if (!walked) return walked;
  for (const auto& k : old)
    if (auto r = txn.del(storage::Table::tl_model, k); !r) return std::move(r).error();
  if (auto s = txn.put(storage::Table::tl_model, scheme_key(name), encode_model_scheme(list)); !s) return s;
  for (std::size_t i = 0; i < list.providers.size(); ++i) {
    if (auto s = txn.put(storage::Table::tl_model, provider_key(name, static_cast<std::uint32_t>(i)),
                         encode_model_provider(list.providers[i]));
        !s)
      return s;
  }
  return {};
}

Result<std::optional<TrustedList>> load_model(const storage::ReadTxn& txn, std::string_view name) {
  return load_model_in(txn, name);
}
Result<std::optional<TrustedList>> load_model(const storage::WriteTxn& txn, std::string_view name) {
  return load_model_in(txn, name);
}

Result<std::vector<std::string>> list_names(const storage::ReadTxn& txn) {
  std::vector<std::string> out;
  Status walked = storage::for_each(txn, storage::Table::tl_model, [&out](ByteView k, ByteView) {
    const std::size_t sep = as_chars(k).find('\0');
    if (sep != std::string_view::npos && sep + 2 == k.size() && k[sep + 1] == kKindScheme)
      out.emplace_back(as_chars(k.first(sep)));
  });
  if (!walked) return std::move(walked).error();
  return out;
}

Bytes encode_version(const PublishedVersion& v) {
  Out o;
  o.u8(kVersionFormat);
  put(o, v.sequence);
  put(o, v.issued);
  put(o, v.next_update);
  o.var(ByteView(v.sha256.data(), v.sha256.size()));
  put(o, v.xml);
  return o.take();
}

Result<PublishedVersion> decode_version(std::string_view name, ByteView value, bool with_xml) {
  In in(value);
  if (in.u8() != kVersionFormat) return corrupt("unknown version format");
  PublishedVersion v;
  v.list_name = std::string(name);
  get(in, v.sequence);
  get(in, v.issued);
  get(in, v.next_update);
  ByteView digest = in.var();
  if (digest.size() != v.sha256.size()) in.fail();
  else std::copy(digest.begin(), digest.end(), v.sha256.begin());
  ByteView xml = in.var();
  if (!in.done()) return corrupt("version record");
  if (with_xml) v.xml.assign(as_chars(xml));
  return v;
}

Status put_version(storage::WriteTxn& txn, const PublishedVersion& v) {
  if (!valid_list_name(v.list_name)) return make_error(ErrorKind::invalid, "tl_invalid_name", "invalid list name");
  auto inserted = txn.put_if_absent(storage::Table::tl_versions, version_key(v.list_name, v.sequence), encode_version(v));
  if (!inserted) return std::move(inserted).error();
  if (!*inserted) return make_error(ErrorKind::conflict, "tl_publish_conflict", "version " + std::to_string(v.sequence) + " exists");
  return {};
}

Result<std::optional<PublishedVersion>> get_version(const storage::ReadTxn& txn, std::string_view name,
                                                    std::uint64_t sequence) {
  if (!valid_list_name(name)) return make_error(ErrorKind::invalid, "tl_invalid_name", "invalid list name");
  auto v = txn.get(storage::Table::tl_versions, version_key(name, sequence));
  if (!v) return std::move(v).error();
  if (!v->has_value()) return std::optional<PublishedVersion>();
  auto d = decode_version(name, **v);
  if (!d) return std::move(d).error();
  return std::optional<PublishedVersion>(std::move(*d));
}

Result<std::optional<PublishedVersion>> get_current(const storage::ReadTxn& txn, std::string_view name) {
  auto last = last_published_sequence(txn, name);
  if (!last) return std::move(last).error();
  if (*last == 0) return std::optional<PublishedVersion>();
  return get_version(txn, name, *last);
}

Result<std::optional<VersionView>> find_version_view(const storage::ReadTxn& txn, std::string_view name,
                                                     std::uint64_t sequence) {
  if (!valid_list_name(name)) return make_error(ErrorKind::invalid, "tl_invalid_name", "invalid list name");
  if (sequence == 0) {
    auto last = last_sequence_in(txn, name);
    if (!last) return std::move(last).error();
    if (*last == 0) return std::optional<VersionView>();
    sequence = *last;
  }
  auto v = txn.get(storage::Table::tl_versions, version_key(name, sequence));
  if (!v) return std::move(v).error();
  if (!v->has_value()) return std::optional<VersionView>();
  In in(**v);
  if (in.u8() != kVersionFormat) return corrupt("unknown version format");
  VersionView view;
  get(in, view.sequence);
  get(in, view.issued);
  get(in, view.next_update);
  ByteView digest = in.var();
  if (digest.size() != view.sha256.size()) in.fail();
  else std::copy(digest.begin(), digest.end(), view.sha256.begin());
  view.xml = as_chars(in.var());
  if (!in.done()) return corrupt("version record");
  return std::optional<VersionView>(view);
}

Result<std::vector<PublishedVersion>> list_versions(const storage::ReadTxn& txn, std::string_view name) {
  if (!valid_list_name(name)) return make_error(ErrorKind::invalid, "tl_invalid_name", "invalid list name");
  std::vector<PublishedVersion> out;
  Status walked = storage::for_each_prefix(txn, storage::Table::tl_versions, name_prefix(name),
                                           [&](ByteView, ByteView value) -> Status {
                                             auto v = decode_version(name, value, false);
                                             if (!v) return std::move(v).error();
                                             out.push_back(std::move(*v));
                                             return {};
                                           });
  if (!walked) return std::move(walked).error();
  return out;
}

Result<std::uint64_t> last_published_sequence(const storage::ReadTxn& txn, std::string_view name) {
  return last_sequence_in(txn, name);
}
Result<std::uint64_t> last_published_sequence(const storage::WriteTxn& txn, std::string_view name) {
  return last_sequence_in(txn, name);
}

Result<ImportResult> import_list(storage::Writer& writer, std::string_view name, std::string_view xml,
                                 const Actor& actor, const Clock& clock,
                                 const std::function<bool()>& stop_requested) {
  if (!valid_list_name(name)) return make_error(ErrorKind::invalid, "tl_invalid_name", "invalid list name");
  auto read = read_trusted_list(xml);
  if (!read) return std::move(read).error();
  if (stop_requested && stop_requested())
    return make_error(ErrorKind::unavailable, "shutting_down", "the server is stopping");
  ImportResult result;
  result.sequence_number = read->list.scheme.sequence_number;
  result.providers = read->list.providers.size();
  for (const auto& p : read->list.providers) result.services += p.services.size();
  result.was_signed = read->signed_list;
  const std::string list_name(name);
  const TrustedList& list = read->list;
  nlohmann::json payload = {{"list", list_name},
                            {"sequence_number", result.sequence_number},
                            {"providers", result.providers},
                            {"services", result.services},
                            {"sha256", hex_encode(sha256(as_bytes(xml)))}};
  storage::EventIn event{"tl.imported", actor.label(), payload.dump(), clock.now()};
  Status s = writer.run_sync([&](storage::WriteTxn& txn) -> Status {
    if (auto st = store_model(txn, list_name, list); !st) return st;
    auto seq = storage::append_event(txn, event);
    if (!seq) return std::move(seq).error();
    return {};
  });
  if (!s) return std::move(s).error();
  return result;
}

}  // namespace trustmon::tsl
