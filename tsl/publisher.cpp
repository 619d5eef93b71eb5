// See publisher.hpp.
#include "tsl/publisher.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "common/time.hpp"
#include "storage/event_log.hpp"
#include "tsl/xml_writer.hpp"

namespace trustmon::tsl {

UnixTime max_next_update(UnixTime issue) {
  const std::int64_t days = issue >= 0 ? issue / 86400 : (issue - 86399) / 86400;
  const UnixTime time_of_day = issue - days * 86400;
  const CivilDate d = civil_from_days(days);
  std::int64_t year = d.year;
  unsigned month = d.month + 6;
  if (month > 12) {
    month -= 12;
    ++year;
  }
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  unsigned last = kDays[month - 1];
  if (month == 2 && ((year % 4 == 0 && year % 100 != 0) || year % 400 == 0)) last = 29;
  const unsigned day = std::min(d.day, last);
  return days_from_civil(year, month, day) * 86400 + time_of_day;
}

Result<PublishedVersion> Publisher::publish(std::string_view name, const Actor& actor, const PublishOptions& options) {
  return publish_change(name, actor, options, nullptr, nullptr);
}

Result<PublishedVersion> Publisher::publish_change(std::string_view name, const Actor& actor,
                                                   const PublishOptions& options, const ModelChange& change,
                                                   const AlsoInJob& also) {
  if (!valid_list_name(name)) return make_error(ErrorKind::invalid, "tl_invalid_name", "invalid list name");
  if (options.period <= 0) return make_error(ErrorKind::invalid, "tl_invalid_period", "the publication period must be positive");
  const UnixTime now = clock_.now();
  const UnixTime next_update = now + options.period;
  if (next_update > max_next_update(now))
    return make_error(ErrorKind::invalid, "tl_next_update_too_far", "NextUpdate may be at most 6 months after ListIssueDateTime");

  // Read the model and the last number (short read transaction, released before the Writer).
  TrustedList list;
  std::uint64_t last = 0;
  {
    auto txn = storage::ReadTxn::begin(env_);
    if (!txn) return std::move(txn).error();
    storage::ReadScope scope(*txn);
    if (!scope.status()) return scope.status().error();
    auto model = load_model(*txn, name);
    if (!model) return std::move(model).error();
    if (!model->has_value()) return make_error(ErrorKind::not_found, "tl_not_found", "no trusted list named " + std::string(name));
    list = std::move(**model);
    auto l = last_published_sequence(*txn, name);
    if (!l) return std::move(l).error();
    last = *l;
  }
  // The model as read (to detect a concurrent change) and, with a change, the new model.
  std::optional<TrustedList> base;
  std::optional<TrustedList> changed;
  if (change) {
    auto next = change(list);
    if (!next) return std::move(next).error();
    base = std::move(list);
    changed = std::move(*next);
    list = *changed;
  }
  if (!options.excluded_certificates.empty()) {
    const auto excluded = [&](const DigitalIdentity& identity) {
      for (const DigitalId& id : identity)
        if (id.kind == DigitalId::Kind::x509_certificate &&
            std::find(options.excluded_certificates.begin(), options.excluded_certificates.end(), id.der) !=
                options.excluded_certificates.end())
          return true;
      return false;
    };
    for (const auto& tsp : list.providers)
      for (const auto& svc : tsp.services) {
        bool named = excluded(svc.digital_identity);
        if (svc.history)
          for (const auto& h : *svc.history) named = named || excluded(h.digital_identity);
        if (named)
          return make_error(ErrorKind::unprocessable, "tl_test_certificate",
                            "a test bed certificate may not be published on a trusted list");
      }
  }
  const std::uint64_t sequence = std::max(last, list.scheme.sequence_number) + 1;
  list.scheme.sequence_number = sequence;
  list.scheme.version = options.version;
  list.scheme.list_issue_date_time = now;
  list.scheme.next_update = next_update;

  WriteOptions w;
  w.version = options.version;
  auto doc = build_document(list, w);
  if (!doc) return std::move(doc).error();
  if (auto s = signer_.sign(doc->get(), options.version, now); !s) return std::move(s).error();
  auto xml = serialize_xml(doc->get());
  if (!xml) return std::move(xml).error();
  if (auto c = checker_.check(*xml, signer_.certificate()); !c)
    return make_error(ErrorKind::unprocessable, "tl_check_failed", c.error().code + ": " + c.error().message);

  PublishedVersion version;
  version.list_name = std::string(name);
  version.sequence = sequence;
  version.issued = now;
  version.next_update = next_update;
  version.sha256 = sha256(as_bytes(*xml));
  version.xml = std::move(*xml);
  version.warnings = signer_.warnings();

  nlohmann::json payload = {{"list", version.list_name},
                            {"sequence", sequence},
                            {"version", options.version},
                            {"issued", format_rfc3339(now)},
                            {"next_update", format_rfc3339(next_update)},
                            {"sha256", hex_encode(version.sha256)},
                            {"bytes", version.xml.size()}};
  const storage::EventIn event{"tl.published", options.event_actor.empty() ? actor.label() : options.event_actor,
                               payload.dump(), now};
  Status s = writer_.run_sync([&](storage::WriteTxn& txn) -> Status {
    auto current = last_published_sequence(txn, version.list_name);
    if (!current) return std::move(current).error();
    if (*current >= sequence)
      return make_error(ErrorKind::conflict, "tl_publish_conflict", "sequence " + std::to_string(sequence) + " was taken meanwhile");
    if (changed) {
      auto stored = load_model(txn, version.list_name);
      if (!stored) return std::move(stored).error();
      if (!stored->has_value() || **stored != *base)
        return make_error(ErrorKind::conflict, "tl_publish_conflict", "the trusted list model changed meanwhile");
      if (auto st = store_model(txn, version.list_name, *changed); !st) return st;
    }
    if (auto st = put_version(txn, version); !st) return st;
    auto seq = storage::append_event(txn, event);
    if (!seq) return std::move(seq).error();
    if (also) return also(txn, version);
    return {};
  });
  if (!s) return std::move(s).error();
  return version;
}

}  // namespace trustmon::tsl
