// The audited write: the one way a service changes the store on behalf of an actor and
// records what happened in the hash-chained event log, in the same durable commit.
//
// Policy:
//  * an action is one Writer job that opens a child transaction, applies the change in it
//    and appends ONE event whose payload has one shape:
//      {action, outcome, target, code?, details?}
//    (action: what was attempted, e.g. "participant.block"; outcome: "ok", "refused" or a
//    module's own word such as "reserved"; target: what it was done to; code: the
//    refusal's stable code; details: further facts). The event type is the module's (what
//    the audit API filters on); it defaults to the action;
//  * a refusal (Error::is_refusal(): a bad input, a conflict, a missing thing…) aborts the
//    child transaction, so the action changes nothing, and is still recorded: outcome
//    "refused", the code, and the event type `refused_type` when the module has one;
//  * a fault (a storage or internal error, or any error once the transaction itself has
//    failed, e.g. a full map whose code reads "unavailable" to clients) fails the whole
//    job: the Writer rolls the job back, so nothing is recorded, and the caller gets the
//    error. A full map makes the Writer grow the map and run the job again;
//  * the job is re-runnable: each run starts from the event as submitted and an empty
//    result, so nothing of a discarded run (after map growth) reaches the caller or the log;
//  * secrets never reach an event: every member named in kSecretFields is removed from the
//    payload, at any depth, whichever module filled it. The list is declared here once;
//  * a refusal decided before any action runs (authentication, roles, another provider's
//    issuer) is one `access.denied` event of the same shape: record_denial() as its own
//    job, or append_audit(txn, denial_event(…)) inside a job that refuses only some items.
#pragma once

#include <array>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include <nlohmann/json.hpp>

#include "common/clock.hpp"
#include "common/result.hpp"
#include "storage/lmdb.hpp"
#include "storage/writer.hpp"

namespace trustmon::storage {

// Members an event payload never carries: a representative's API token (shown once, only
// its hash is stored) and a webhook's signing secret.
inline constexpr std::array<std::string_view, 2> kSecretFields = {"token", "secret"};

// The event type of refusals decided outside an action.
inline constexpr std::string_view kDeniedType = "access.denied";

struct AuditEvent {
  std::string type;          // event type; "" = the action
  std::string refused_type;  // event type when the action is refused; "" = type
  std::string actor;         // Actor::label(), or a component ("dispatcher", "sweeper")
  UnixTime time = 0;
  std::string action;
  std::string outcome = "ok";
  nlohmann::json target = nlohmann::json::object();
  std::string code;          // a refusal's code; "" = none
  nlohmann::json details;    // null or an empty object = none
  // Top-level members of an event's older payload shape, kept for the readers that
  // predate the common shape (never overriding a member of it).
  nlohmann::json legacy;
  bool recorded = true;      // false: a no-op the module does not record (the same commit again)
};

// The event of `action` on `target` by `actor` at `now`, outcome "ok" until the job says
// otherwise.
AuditEvent action_event(std::string actor, std::string action, nlohmann::json target, UnixTime now);

// `action` refused before any action ran: an access.denied event with outcome "refused"
// and the refusal's code.
AuditEvent denial_event(std::string actor, std::string action, nlohmann::json target, const Error& why,
                        UnixTime now);

// {action, outcome, target, code?, details?} (+ legacy members) as JSON text, every
// kSecretFields member removed; text that is not UTF-8 is replaced, never thrown on.
std::string audit_payload(const AuditEvent& event);
// Appends `event` (type, actor, time and the payload above) to the event log.
Status append_audit(WriteTxn& txn, const AuditEvent& event);

namespace detail {
// Ends one run of an audited job: commits `child` (error == nullptr) or aborts it,
// records the event in `parent`, and returns a fault for the Writer (or ok).
Status settle(WriteTxn& parent, WriteTxn& child, const Error* error, AuditEvent& event);
Error no_result();
}  // namespace detail

class AuditedWrite {
 public:
  // Applies the action inside the child transaction. It may fill the event further
  // (target, details, type, outcome, code) as it learns what it acts on; a returned
  // refusal is recorded, a fault fails the job.
  template <typename T>
  using Apply = std::function<Result<T>(WriteTxn& txn, AuditEvent& event)>;
  // Runs on the Writer thread once the action is durable (the value), refused (the
  // refusal, durable as an event) or failed (the fault).
  template <typename T>
  using Done = std::function<void(Result<T>)>;

  explicit AuditedWrite(Writer& writer) : writer_(writer) {}

  // `lane`: the Writer queue it waits in (urgent: CSR reservations, revocations).
  template <typename T>
  void run(AuditEvent event, Apply<T> apply, Done<T> done, Lane lane = Lane::normal);
  // The same, waiting for the commit (tools, service threads, tests; never on an event
  // loop or the Writer thread).
  template <typename T>
  Result<T> run_sync(AuditEvent event, Apply<T> apply);

  // Records denial_event(…) as its own job; `done` gets the commit's status.
  void record_denial(std::string actor, std::string action, nlohmann::json target, const Error& why, UnixTime now,
                     std::function<void(Status)> done);

 private:
  template <typename T>
  using Slot = std::shared_ptr<std::optional<Result<T>>>;
  template <typename T>
  static Writer::Job job(AuditEvent event, Apply<T> apply, Slot<T> slot);
  template <typename T>
  static Result<T> outcome(Status committed, std::optional<Result<T>>& slot);

  Writer& writer_;
};

template <typename T>
Writer::Job AuditedWrite::job(AuditEvent event, Apply<T> apply, Slot<T> slot) {
  return [event = std::move(event), apply = std::move(apply), slot = std::move(slot)](WriteTxn& txn) -> Status {
    slot->reset();  // the Writer runs the job again after growing the map: start clean
    AuditEvent ev = event;
    auto child = WriteTxn::begin_child(txn);
    if (!child) return std::move(child).error();
    Result<T> applied = apply(*child, ev);
    if (Status s = detail::settle(txn, *child, applied.ok() ? nullptr : &applied.error(), ev); !s) return s;
    *slot = std::move(applied);
    return {};
  };
}

template <typename T>
Result<T> AuditedWrite::outcome(Status committed, std::optional<Result<T>>& slot) {
  if (!committed) return std::move(committed).error();
  if (!slot) return detail::no_result();
  return std::move(*slot);
}

template <typename T>
void AuditedWrite::run(AuditEvent event, Apply<T> apply, Done<T> done, Lane lane) {
  auto slot = std::make_shared<std::optional<Result<T>>>();
  writer_.submit(
      job<T>(std::move(event), std::move(apply), slot),
      [slot, done = std::move(done)](Status s) {
        if (done) done(outcome<T>(std::move(s), *slot));
      },
      lane);
}

template <typename T>
Result<T> AuditedWrite::run_sync(AuditEvent event, Apply<T> apply) {
  auto slot = std::make_shared<std::optional<Result<T>>>();
  Status s = writer_.run_sync(job<T>(std::move(event), std::move(apply), slot));
  return outcome<T>(std::move(s), *slot);
}

}  // namespace trustmon::storage
