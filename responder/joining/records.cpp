// Joining application records (see records.hpp).
#include "responder/joining/records.hpp"

#include <algorithm>

#include "common/document_number.hpp"
#include "common/enum_names.hpp"
#include "storage/field_codec.hpp"

namespace trustmon::joining {
namespace {

constexpr std::uint8_t kFormat = 1;
constexpr std::string_view kPrefix = "JA-";

constexpr EnumNames<State, 3> kStates(
    {{{State::pending, "pending"}, {State::approved, "approved"}, {State::rejected, "rejected"}}});

Error corrupt() {
  return make_error(ErrorKind::storage, "storage_corrupt", "joining application record of the wrong format or length");
}

std::string json_text(const nlohmann::json& j) {
  return j.is_null() ? std::string() : j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

const char* state_name(State s) { return kStates.name(s).data(); }
std::optional<State> state_from_name(std::string_view name) { return kStates.parse(name); }

std::string format_number(Number n) { return format_document_number(kPrefix, n); }
std::optional<Number> parse_number(std::string_view text) { return parse_document_number(kPrefix, text); }

Bytes number_key(Number n) {
  Bytes k(8);
  put_be64(k.data(), n);
  return k;
}

std::optional<Number> decode_number_key(ByteView key) {
  if (key.size() != 8) return std::nullopt;
  return get_be64(key.data());
}

Bytes encode_application(const Application& a) {
  const std::string signer = json_text(a.signer);
  const std::string outcome = json_text(a.outcome);
  storage::FieldWriter w(128 + a.signed_bytes.size() + a.document.size() + signer.size() + outcome.size() +
                         a.address.size() + a.filed_by.size() + a.decided_by.size() + a.reason.size());
  w.u8(kFormat);
  w.be64(a.number);
  w.u8(static_cast<std::uint8_t>(a.state));
  w.time(a.filed);
  w.time(a.changed);
  w.str(a.address);
  w.str(a.filed_by);
  w.raw(a.secret_hash);
  w.var(a.signed_bytes);
  w.str(a.document);
  w.str(a.code);
  w.str(signer);
  w.str(a.decided_by);
  w.time(a.decided_at);
  w.str(a.reason);
  w.str(outcome);
  return w.take();
}

Result<Application> decode_application(ByteView value) {
  storage::FieldReader in(value);
  if (in.u8() != kFormat) return corrupt();
  Application a;
  a.number = in.be64();
  const std::uint8_t state = in.u8();
  a.filed = in.time();
  a.changed = in.time();
  a.address = in.str();
  a.filed_by = in.str();
  in.sha256(a.secret_hash);
  a.signed_bytes = to_bytes(in.var());
  a.document = in.str();
  a.code = in.str();
  const std::string signer = in.str();
  a.decided_by = in.str();
  a.decided_at = in.time();
  a.reason = in.str();
  const std::string outcome = in.str();
  if (!in.done() || state < 1 || state > 3) return corrupt();
  a.state = static_cast<State>(state);
  if (!signer.empty()) {
    a.signer = nlohmann::json::parse(signer, nullptr, false);
    if (a.signer.is_discarded()) return corrupt();
  }
  if (!outcome.empty()) {
    a.outcome = nlohmann::json::parse(outcome, nullptr, false);
    if (a.outcome.is_discarded()) return corrupt();
  }
  return a;
}

Bytes document_key(const Sha256& document_sha256) {
  Bytes k;
  k.reserve(1 + document_sha256.size());
  k.push_back(kByDocument);
  k.insert(k.end(), document_sha256.begin(), document_sha256.end());
  return k;
}

Bytes pending_prefix(std::string_view code) {
  Bytes k(1 + code.size());
  k[0] = kPending;
  std::copy(code.begin(), code.end(), k.begin() + 1);
  return k;
}

Bytes pending_key(std::string_view code, Number n) {
  Bytes k(1 + code.size() + 8);
  k[0] = kPending;
  std::copy(code.begin(), code.end(), k.begin() + 1);
  put_be64(k.data() + 1 + code.size(), n);
  return k;
}

}  // namespace trustmon::joining
