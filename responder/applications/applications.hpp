// Applications of participants for the central body's trust services (for example a
// certificate for a provider's CA): the record, its storage in Table::applications and
// the workflow submitted -> in_review -> approved | rejected, approved -> completed
// (submitted -> rejected is allowed too). The central body attaches the result (e.g. the
// issued certificate as PEM) when it completes an application.
//
// Policies:
//  * Any participant's operator or admin submits; a participant sees its own
//    applications, central-body administrators see all and move them through the states.
//  * Attachments are text (a CSR as PEM, notes); at most kMaxAttachments of at most
//    kMaxAttachmentBytes each. An attachment of type application/pkcs10 (or whose text is
//    a PEM CERTIFICATE REQUEST) must parse and carry a valid self-signature; a result
//    certificate must be one PEM certificate.
//  * Every step is one audited write (storage/audited.hpp) that re-reads the record,
//    checks the transition, writes it and appends an event (application.submitted,
//    application.in_review, application.approved, application.rejected,
//    application.completed) with the actor's label and {action: application.submit |
//    application.status, outcome, target {application, participant?}, details {service,
//    attachments | from, to, note}}; refusals change nothing ("application_not_found",
//    "application_invalid", "application_transition_invalid"), and those decided against
//    the stored record are recorded as application.refused.
//  * Record: format byte kApplicationFormat || JSON text, every field checked on decode.
//    Key: be64 id (last id + 1, allocated in the Writer job).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/actor.hpp"
#include "common/clock.hpp"
#include "common/result.hpp"
#include "storage/audited.hpp"
#include "storage/lmdb.hpp"
#include "storage/writer.hpp"

namespace trustmon::applications {

inline constexpr std::uint8_t kApplicationFormat = 1;
inline constexpr std::size_t kMaxAttachments = 8;
inline constexpr std::size_t kMaxAttachmentBytes = 64 * 1024;
inline constexpr std::size_t kMaxTextBytes = 8 * 1024;

enum class State : std::uint8_t { submitted, in_review, approved, rejected, completed };
const char* state_name(State s);
std::optional<State> state_from_name(std::string_view name);
// May an application in `from` move to `to`?
bool transition_allowed(State from, State to);

struct Attachment {
  std::string name;
  std::string media_type;  // e.g. application/pkcs10, text/plain
  std::string content;     // text (PEM for a CSR)
};

struct Step {
  UnixTime time = 0;
  std::string actor;
  std::string state;
  std::string note;
};

struct Application {
  std::uint64_t id = 0;
  std::uint32_t participant = 0;
  std::string service;  // what is asked for, e.g. "ca_certificate"
  std::string text;     // free text
  std::vector<Attachment> attachments;
  State state = State::submitted;
  UnixTime created = 0;
  UnixTime changed = 0;
  std::string result_certificate;  // PEM, set on completion
  std::string result_note;
  std::vector<Step> history;
};

// {"service", "text"?, "attachments": [{"name", "media_type", "content"}]}.
Result<Application> application_from_json(const nlohmann::json& body);
nlohmann::json to_json(const Application& a);

Bytes encode_application(const Application& a);
Result<Application> decode_application(ByteView value);
Result<std::optional<Application>> get_application(const storage::ReadTxn& txn, std::uint64_t id);
// participant nullopt = all.
Result<std::vector<Application>> list_applications(const storage::ReadTxn& txn,
                                                   std::optional<std::uint32_t> participant);

class ApplicationService {
 public:
  // Runs on the Writer thread after the commit (or the refusal / failure).
  using Done = std::function<void(Result<nlohmann::json>)>;
  ApplicationService(storage::Writer& writer, const Clock& clock) : audited_(writer), clock_(clock) {}

  void submit(const Actor& actor, Application application, Done done);
  // `result_certificate` (PEM) is required for completed and refused otherwise.
  void set_state(const Actor& actor, std::uint64_t id, State to, std::string note, std::string result_certificate,
                 Done done);

 private:
  storage::AuditedWrite audited_;
  const Clock& clock_;
};

}  // namespace trustmon::applications
