// Change notices: a QTSP asks the central body to change its own entries of a trusted
// list; an administrator approves (the model changes and a new list is published) or
// rejects with a reason. This module owns the notice record, its storage in
// Table::tl_notices, which provider a participant may speak for, and the model change an
// approved notice makes. Publishing and the workflow's threads are in service.hpp.
//
// Kinds and what their `values` carry:
//   new_service      type, names, certificate (DER), status?, status_starting_time?,
//                    supply_points?: a new TSPService of the provider;
//   new_certificate  certificate: an extra X509Certificate in the service's digital
//                    identity. TS 119 612 allows several certificates in one identity
//                    only for the same public key, so a new key must be a new_service;
//   status_change    status, status_starting_time?;
//   update           names? and/or supply_points? (changed names or supply points);
//   termination      status_starting_time?: the service (or, without `service`, every
//                    service of the provider not already withdrawn) becomes withdrawn.
// For status_change, update and termination the service's information before the change
// becomes a ServiceHistoryInstance (newest first), and StatusStartingTime of the current
// entry becomes the effective time (the given status_starting_time, else the approval
// time), so the published history says what was in force until when.
//
// Which provider a participant speaks for: the TSP one of whose TSPTradeName values is
// the EN 319 412-1 semantic identifier of the participant's registration code,
// i.e. `XXXCC-<code>` (three letters of identifier type, two of country, a hyphen, the
// code), such as NTRUA-43395033 for the code 43395033. Nothing else binds a participant
// to a TSP; a provider not in the list cannot be changed by its QTSP (the central body
// adds it by importing a list). Administrators of the central body may file for any
// provider.
//
// Record: format byte kNoticeFormat || JSON text of the notice (the values are
// structured and change by kind; the JSON is parsed without exceptions and every field
// checked on decode, "storage_corrupt" otherwise). Key: be64 id, allocated as the last
// id + 1 inside the Writer job.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/bytes.hpp"
#include "common/clock.hpp"
#include "common/ossl.hpp"
#include "common/result.hpp"
#include "storage/lmdb.hpp"
#include "tsl/model.hpp"

namespace trustmon::tsl {

inline constexpr std::uint8_t kNoticeFormat = 1;
inline constexpr const char* kSvcStatusWithdrawn = "http://uri.etsi.org/TrstSvc/TrustedList/Svcstatus/withdrawn";

enum class NoticeKind : std::uint8_t { new_service, new_certificate, status_change, update, termination };
enum class NoticeState : std::uint8_t { submitted, approved, rejected };

const char* notice_kind_name(NoticeKind k);
std::optional<NoticeKind> notice_kind_from_name(std::string_view name);
const char* notice_state_name(NoticeState s);

struct NoticeValues {
  std::string type_identifier;                      // new_service
  MultiLang names;                                  // new_service, update
  Bytes certificate;                                // new_service, new_certificate (DER)
  std::string status;                               // new_service (default granted), status_change
  std::optional<UnixTime> status_starting_time;     // default: the approval time
  std::optional<std::vector<SupplyPoint>> supply_points;  // new_service, update
  bool operator==(const NoticeValues&) const = default;
};

struct NoticeStep {
  UnixTime time = 0;
  std::string actor;   // Actor::label()
  std::string action;  // submitted | approved | rejected
  std::string note;    // rejection reason
  std::uint64_t sequence = 0;  // the list published by an approval
  bool operator==(const NoticeStep&) const = default;
};

struct ChangeNotice {
  std::uint64_t id = 0;
  std::string list = "ua";      // trusted-list name
  std::uint32_t participant = 0;  // the filer's participant (0 = bootstrap administrator)
  NoticeKind kind = NoticeKind::status_change;
  std::string provider;  // a TSPTradeName or TSPName value naming the provider
  std::string service;   // hex SHA-256 of a certificate of the service ("" = none)
  NoticeValues values;
  std::string comment;   // free text from the filer
  NoticeState state = NoticeState::submitted;
  UnixTime created = 0;
  UnixTime changed = 0;
  std::string reason;                 // rejection reason
  std::uint64_t published_sequence = 0;  // the list that carries the approved change
  std::vector<NoticeStep> history;
  bool operator==(const ChangeNotice&) const = default;
};

// ---- parsing and views ---------------------------------------------------------------

// A notice from a request body: {"list"?, "kind", "provider", "service"?, "comment"?,
// "values": {"type", "names":[{"lang","value"}], "certificate": PEM or base64 DER,
// "status", "status_starting_time": RFC 3339, "supply_points":[{"uri","type"?}]}}.
// Checks the shape of the values for the kind. Errors: "tl_notice_invalid".
Result<ChangeNotice> notice_from_json(const nlohmann::json& body, std::string_view default_list);
// Everything the filer and administrators see (state, values, history).
nlohmann::json notice_to_json(const ChangeNotice& notice);

// ---- providers -----------------------------------------------------------------------

// Index of the provider one of whose TSPTradeName or TSPName values equals `provider`.
std::optional<std::size_t> find_provider(const TrustedList& list, std::string_view provider);
// Does `code` identify the provider (a TSPTradeName value `XXXCC-<code>`)?
bool provider_has_code(const TrustServiceProvider& provider, std::string_view code);

// ---- the change ----------------------------------------------------------------------

// The model after the notice, effective at `now` unless the notice names a time.
// Errors: "tl_provider_not_found", "tl_service_not_found", "tl_notice_invalid".
Result<TrustedList> apply_notice(const TrustedList& list, const ChangeNotice& notice, UnixTime now);

// ---- storage -------------------------------------------------------------------------

Bytes encode_notice(const ChangeNotice& notice);
Result<ChangeNotice> decode_notice(ByteView value);
// Assigns notice.id (last id + 1) and stores it.
Status insert_notice(storage::WriteTxn& txn, ChangeNotice& notice);
Status put_notice(storage::WriteTxn& txn, const ChangeNotice& notice);
Result<std::optional<ChangeNotice>> get_notice(const storage::ReadTxn& txn, std::uint64_t id);
Result<std::optional<ChangeNotice>> get_notice(const storage::WriteTxn& txn, std::uint64_t id);
// participant nullopt: every notice; otherwise only that participant's. Id order.
Result<std::vector<ChangeNotice>> list_notices(const storage::ReadTxn& txn, std::optional<std::uint32_t> participant);

}  // namespace trustmon::tsl
