// Subject comparison of a renewal (see subject.hpp).
#include "responder/holder/subject.hpp"

#include <openssl/objects.h>

#include <algorithm>

#include "common/der.hpp"
#include "common/ossl.hpp"
#include "responder/pki/cert_view.hpp"

namespace trustmon::holder {
namespace {

bool same_octets(ByteView a, ByteView b) { return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin()); }

bool same_value(const der::Tlv& a, const der::Tlv& b) {
  if (a.tag == b.tag) return same_octets(a.content, b.content);
  auto ta = pki::directory_string_utf8(a.tag, a.content);
  auto tb = pki::directory_string_utf8(b.tag, b.content);
  return ta && tb && *ta == *tb;
}

}  // namespace

std::string attribute_label(ByteView oid) {
  const std::string dotted = der::oid_text(oid);
  const int nid = OBJ_txt2nid(dotted.c_str());
  const char* name = nid != NID_undef ? OBJ_nid2ln(nid) : nullptr;
  ossl_errors();
  return name != nullptr ? std::string(name) : dotted;
}

Result<std::optional<SubjectChange>> compare_subjects(ByteView certificate_subject, ByteView request_subject) {
  auto cert = pki::parse_name(certificate_subject);
  auto req = pki::parse_name(request_subject);
  if (!cert || !req) return make_error(ErrorKind::invalid, "subject_malformed", "a subject name does not parse");
  const std::size_t common = std::min(cert->size(), req->size());
  for (std::size_t i = 0; i < common; ++i) {
    const pki::NameAttribute& a = (*cert)[i];
    const pki::NameAttribute& b = (*req)[i];
    if (same_octets(a.oid, b.oid) && same_value(a.value, b.value)) continue;
    return std::optional<SubjectChange>(SubjectChange{i, attribute_label(a.oid), attribute_label(b.oid)});
  }
  if (cert->size() == req->size()) return std::optional<SubjectChange>{};
  SubjectChange c;
  c.position = common;
  if (cert->size() > common) c.attribute = attribute_label((*cert)[common].oid);
  if (req->size() > common) c.requested = attribute_label((*req)[common].oid);
  return std::optional<SubjectChange>(std::move(c));
}

}  // namespace trustmon::holder
