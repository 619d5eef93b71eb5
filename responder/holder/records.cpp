// The holder's request records (see records.hpp).
#include "responder/holder/records.hpp"

#include <algorithm>
#include <charconv>

#include "common/document_number.hpp"
#include "common/enum_names.hpp"
#include "storage/field_codec.hpp"

namespace trustmon::holder {
namespace {

constexpr std::uint8_t kFormat = 1;

constexpr EnumNames<RenewalState, 4> kRenewalStates({{{RenewalState::submitted, "submitted"},
                                                       {RenewalState::accepted, "accepted"},
                                                       {RenewalState::rejected, "rejected"},
                                                       {RenewalState::issued, "issued"}}});
constexpr EnumNames<RevocationRequestState, 3> kRequestStates({{{RevocationRequestState::submitted, "submitted"},
                                                                {RevocationRequestState::done, "done"},
                                                                {RevocationRequestState::rejected, "rejected"}}});

Error corrupt(const char* what) {
  return make_error(ErrorKind::storage, "storage_corrupt", std::string(what) + " record of the wrong format or length");
}

void put_cert(storage::FieldWriter& w, const CertRef& c) {
  w.be32(c.issuer);
  w.var(c.serial);
  w.raw(c.sha256);
}
void get_cert(storage::FieldReader& in, CertRef& c) {
  c.issuer = in.be32();
  c.serial = to_bytes(in.var());
  in.sha256(c.sha256);
}

void put_identifiers(storage::FieldWriter& w, const std::vector<HolderIdentifier>& ids) {
  w.be32(static_cast<std::uint32_t>(ids.size()));
  for (const auto& id : ids) {
    w.str(id.kind);
    w.str(id.value);
  }
}
void get_identifiers(storage::FieldReader& in, std::vector<HolderIdentifier>& ids) {
  const std::size_t n = in.count(8);
  if (n > kMaxIdentifiers) return in.fail();
  for (std::size_t i = 0; i < n && in.ok(); ++i) {
    HolderIdentifier id;
    id.kind = in.str();
    id.value = in.str();
    ids.push_back(std::move(id));
  }
}

void put_decision(storage::FieldWriter& w, const std::optional<Decision>& d) {
  w.u8(d ? 1 : 0);
  if (!d) return;
  w.str(d->by);
  w.time(d->at);
  w.str(d->reason);
}
void get_decision(storage::FieldReader& in, std::optional<Decision>& d) {
  const std::uint8_t present = in.u8();
  if (present > 1) return in.fail();
  if (present == 0) return;
  Decision x;
  x.by = in.str();
  x.at = in.time();
  x.reason = in.str();
  d = std::move(x);
}

}  // namespace

const char* state_name(RenewalState s) { return kRenewalStates.name(s).data(); }
const char* state_name(RevocationRequestState s) { return kRequestStates.name(s).data(); }
std::optional<RenewalState> renewal_state_from_name(std::string_view name) { return kRenewalStates.parse(name); }
std::optional<RevocationRequestState> revocation_request_state_from_name(std::string_view name) {
  return kRequestStates.parse(name);
}

std::optional<RenewalState> after(RenewalState from, RenewalStep step) {
  if (!is_open(from)) return std::nullopt;
  switch (step) {
    case RenewalStep::accept: return RenewalState::accepted;  // again from accepted: unchanged
    case RenewalStep::reject: return RenewalState::rejected;
    case RenewalStep::issue: return RenewalState::issued;
  }
  return std::nullopt;
}

std::optional<RevocationRequestState> after(RevocationRequestState from, RevocationRequestStep step) {
  if (!is_open(from)) return std::nullopt;
  switch (step) {
    case RevocationRequestStep::revoked: return RevocationRequestState::done;
    case RevocationRequestStep::reject: return RevocationRequestState::rejected;
  }
  return std::nullopt;
}

bool is_open(RenewalState s) { return s == RenewalState::submitted || s == RenewalState::accepted; }
bool is_open(RevocationRequestState s) { return s == RevocationRequestState::submitted; }

std::string renewal_number(RequestNumber n) { return format_document_number("RN-", n); }
std::string revocation_request_number(RequestNumber n) { return format_document_number("RR-", n); }
std::optional<RequestNumber> parse_renewal_number(std::string_view text) { return parse_document_number("RN-", text); }
std::optional<RequestNumber> parse_revocation_request_number(std::string_view text) {
  return parse_document_number("RR-", text);
}

Bytes number_key(RequestNumber n) {
  Bytes k(8);
  put_be64(k.data(), n);
  return k;
}

std::optional<RequestNumber> decode_number_key(ByteView key) {
  if (key.size() != 8) return std::nullopt;
  return get_be64(key.data());
}

Bytes encode_renewal(const RenewalRecord& r) {
  storage::FieldWriter w(512 + r.csr_der.size() + r.signed_request.size());
  w.u8(kFormat);
  w.be64(r.number);
  w.u8(static_cast<std::uint8_t>(r.state));
  w.time(r.created);
  w.time(r.changed);
  w.str(r.filed_by);
  w.str(r.holder_name);
  put_identifiers(w, r.identifiers);
  put_cert(w, r.current);
  w.be32(r.participant);
  w.be64(r.reservation);
  w.var(r.csr_der);
  w.raw(r.csr_sha256);
  w.raw(r.spki_sha256);
  w.u8(r.pop_verified ? 1 : 0);
  w.var(r.signed_request);
  put_decision(w, r.decision);
  put_cert(w, r.issued);
  return w.take();
}

Result<RenewalRecord> decode_renewal(ByteView value) {
  storage::FieldReader in(value);
  if (in.u8() != kFormat) return corrupt("renewal");
  RenewalRecord r;
  r.number = in.be64();
  const std::uint8_t state = in.u8();
  r.created = in.time();
  r.changed = in.time();
  r.filed_by = in.str();
  r.holder_name = in.str();
  get_identifiers(in, r.identifiers);
  get_cert(in, r.current);
  r.participant = in.be32();
  r.reservation = in.be64();
  r.csr_der = to_bytes(in.var());
  in.sha256(r.csr_sha256);
  in.sha256(r.spki_sha256);
  const std::uint8_t pop = in.u8();
  r.signed_request = to_bytes(in.var());
  get_decision(in, r.decision);
  get_cert(in, r.issued);
  if (!in.done() || pop > 1 || state < 1 || state > 4) return corrupt("renewal");
  r.pop_verified = pop == 1;
  r.state = static_cast<RenewalState>(state);
  return r;
}

Bytes encode_revocation_request(const RevocationRequestRecord& r) {
  storage::FieldWriter w(512 + r.signed_request.size());
  w.u8(kFormat);
  w.be64(r.number);
  w.u8(static_cast<std::uint8_t>(r.state));
  w.time(r.created);
  w.time(r.changed);
  w.str(r.filed_by);
  w.str(r.holder_name);
  put_identifiers(w, r.identifiers);
  put_cert(w, r.target);
  w.u8(static_cast<std::uint8_t>(r.reason));
  put_cert(w, r.signer);
  w.be32(r.participant);
  w.var(r.signed_request);
  put_decision(w, r.decision);
  w.time(r.revoked_at);
  w.str(r.done_by);
  return w.take();
}

Result<RevocationRequestRecord> decode_revocation_request(ByteView value) {
  storage::FieldReader in(value);
  if (in.u8() != kFormat) return corrupt("revocation request");
  RevocationRequestRecord r;
  r.number = in.be64();
  const std::uint8_t state = in.u8();
  r.created = in.time();
  r.changed = in.time();
  r.filed_by = in.str();
  r.holder_name = in.str();
  get_identifiers(in, r.identifiers);
  get_cert(in, r.target);
  r.reason = in.u8();
  get_cert(in, r.signer);
  r.participant = in.be32();
  r.signed_request = to_bytes(in.var());
  get_decision(in, r.decision);
  r.revoked_at = in.time();
  r.done_by = in.str();
  if (!in.done() || state < 1 || state > 3 || r.reason > 10) return corrupt("revocation request");
  r.state = static_cast<RevocationRequestState>(state);
  return r;
}

Bytes index_key(IndexKind kind, ByteView key) {
  Bytes k;
  k.reserve(1 + key.size());
  k.push_back(kind);
  k.insert(k.end(), key.begin(), key.end());
  return k;
}

bool shares_identifier(const std::vector<HolderIdentifier>& filed, const std::vector<HolderIdentifier>& identifiers) {
  return std::any_of(filed.begin(), filed.end(), [&](const HolderIdentifier& f) {
    return std::find(identifiers.begin(), identifiers.end(), f) != identifiers.end();
  });
}

}  // namespace trustmon::holder
