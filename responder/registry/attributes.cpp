// Attribute extraction, normalisation and index keys (see attributes.hpp).
#include "responder/registry/attributes.hpp"

#include "common/enum_names.hpp"
#include "common/der.hpp"
#include "common/utf8.hpp"
#include "responder/pki/cert_view.hpp"
#include "responder/registry/serial_hex.hpp"

#include <openssl/asn1.h>

#include <algorithm>
#include <cstring>

namespace trustmon::registry {

// The certificate walk these functions read (pki/cert_view.hpp).
using pki::directory_string_utf8;
using pki::ExtensionView;
using pki::kOidSubjectAltName;
using pki::kOidSubjectDirectoryAttributes;
using pki::NameAttribute;
using pki::parse_cert_parts;
using pki::parse_general_names;
using pki::unique_extension;

namespace {

// An SDA attribute value as text: a string type converted to UTF-8 as subject values are
// (directory_string_utf8), anything else (or an invalid string) as '#' + hex of its DER
// (RFC 4514 style).
std::string value_text(const der::Tlv& t) {
  if (auto text = directory_string_utf8(t.tag, t.content)) return std::move(*text);
  return "#" + hex_encode(t.whole);
}

// ------------------------------------------------------------------- normalisation

bool ascii_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && ascii_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && ascii_space(s.back())) s.remove_suffix(1);
  return s;
}

std::string ascii_case(std::string_view s, bool upper) {
  std::string out(s);
  for (char& c : out) {
    if (upper && c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    if (!upper && c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::uint32_t fold_code_point(std::uint32_t cp) {
  if (cp >= 'A' && cp <= 'Z') return cp + 0x20;
  if (cp >= 0xc0 && cp <= 0xde && cp != 0xd7) return cp + 0x20;     // Latin-1 capitals
  if (cp >= 0x410 && cp <= 0x42f) return cp + 0x20;                 // А..Я
  if (cp >= 0x400 && cp <= 0x40f) return cp + 0x50;                 // Ѐ..Џ (Є І Ї Ў ...)
  if ((cp >= 0x460 && cp <= 0x481) || (cp >= 0x48a && cp <= 0x4bf))  // pairs: even = capital (Ґ = U+0490)
    return cp | 1;
  if (cp >= 0x4c1 && cp <= 0x4ce) return (cp & 1) ? cp + 1 : cp;    // pairs: odd = capital
  if (cp >= 0x4d0 && cp <= 0x4ff) return cp | 1;
  return cp;
}

bool unicode_space(std::uint32_t cp) { return cp == ' ' || (cp >= 0x09 && cp <= 0x0d) || cp == 0xa0; }
bool apostrophe(std::uint32_t cp) { return cp == 0x2019 || cp == 0x02bc || cp == 0x60; }

// cn / o: trim, collapse whitespace, unify apostrophes, fold case (valid UTF-8 only).
std::string fold_name(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  bool pending_space = false;
  for (std::size_t i = 0; i < s.size();) {
    const Utf8Step st = utf8_step(s, i);
    if (!st.valid) return std::string(trim(s));  // not reached from normalise(): checked before
    i += st.length;
    const std::uint32_t cp = st.code_point;
    if (unicode_space(cp)) {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out.push_back(' ');
    pending_space = false;
    append_utf8(out, apostrophe(cp) ? '\'' : fold_code_point(cp));
  }
  return out;
}

void add(std::vector<Attribute>& out, AttrKind kind, std::string_view raw, std::string suffix = {}) {
  Attribute a{kind, std::move(suffix), normalise(kind, raw)};
  if (a.value.empty()) return;
  if (std::find(out.begin(), out.end(), a) == out.end()) out.push_back(std::move(a));
}

// Subject attribute types by content octets: commonName, serialNumber, organizationName,
// organizationIdentifier (2.5.4.x) and PKCS #9 emailAddress.
constexpr std::uint8_t kOidCommonName[] = {0x55, 0x04, 0x03};
constexpr std::uint8_t kOidSerialNumber[] = {0x55, 0x04, 0x05};
constexpr std::uint8_t kOidOrganization[] = {0x55, 0x04, 0x0a};
constexpr std::uint8_t kOidOrganizationIdentifier[] = {0x55, 0x04, 0x61};
constexpr std::uint8_t kOidEmailAddress[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x01};

void add_subject(std::vector<Attribute>& out, const std::vector<NameAttribute>& subject) {
  for (const auto& a : subject) {
    AttrKind kind;
    if (std::ranges::equal(a.oid, kOidSerialNumber))
      kind = AttrKind::serial_number;
    else if (std::ranges::equal(a.oid, kOidOrganizationIdentifier))
      kind = AttrKind::organization_identifier;
    else if (std::ranges::equal(a.oid, kOidCommonName))
      kind = AttrKind::cn;
    else if (std::ranges::equal(a.oid, kOidOrganization))
      kind = AttrKind::o;
    else if (std::ranges::equal(a.oid, kOidEmailAddress))
      kind = AttrKind::email;
    else
      continue;
    // A value that is not a convertible string contributes nothing.
    if (auto text = directory_string_utf8(a.value.tag, a.value.content)) add(out, kind, *text);
  }
}

// SubjectAltName ::= GeneralNames: rfc822Name [1] and dNSName [2] entries. A malformed
// extension (any malformed entry) contributes nothing, and so does a repeated one.
void add_san(std::vector<Attribute>& out, const std::vector<ExtensionView>& exts) {
  const ExtensionView* ext = unique_extension(exts, kOidSubjectAltName);
  if (ext == nullptr) return;
  der::Reader in(ext->value);
  der::Tlv seq;
  if (!in.expect(der::kSequence, seq)) return;
  auto names = parse_general_names(seq.content);
  if (!names) return;
  for (const auto& g : *names) {
    if (g.tag == 0x81)
      add(out, AttrKind::san_email, as_chars(g.content));
    else if (g.tag == 0x82)
      add(out, AttrKind::san_dns, as_chars(g.content));
  }
}

// SubjectDirectoryAttributes ::= SEQUENCE OF Attribute;
// Attribute ::= SEQUENCE { type OBJECT IDENTIFIER, values SET OF ANY }.
// The first such extension is read.
void add_sda(std::vector<Attribute>& out, const std::vector<ExtensionView>& exts) {
  const auto at = std::find_if(exts.begin(), exts.end(), [](const ExtensionView& e) {
    return std::ranges::equal(e.oid, kOidSubjectDirectoryAttributes);
  });
  if (at == exts.end()) return;
  der::Reader in(at->value);
  der::Tlv seq;
  if (!in.expect(der::kSequence, seq)) return;
  der::Reader attrs(seq.content);
  while (!attrs.empty()) {
    der::Tlv attr, type, values;
    if (!attrs.expect(der::kSequence, attr)) return;
    der::Reader body(attr.content);
    if (!body.expect(der::kOid, type) || !body.expect(der::kSet, values)) return;
    const std::string oid = der::oid_text(type.content);
    if (oid.size() <= kUaSdaArc.size() + 1 || oid.compare(0, kUaSdaArc.size(), kUaSdaArc) != 0 ||
        oid[kUaSdaArc.size()] != '.')
      continue;
    std::string suffix = oid.substr(kUaSdaArc.size() + 1);
    der::Reader vals(values.content);
    while (!vals.empty()) {
      der::Tlv v;
      if (!vals.next(v)) return;
      add(out, AttrKind::sda, value_text(v), suffix);
    }
  }
}

constexpr EnumNames<AttrKind, 10> kKindNames({{
    {AttrKind::serial_number, "serial_number"},
    {AttrKind::organization_identifier, "organization_identifier"},
    {AttrKind::cn, "cn"},
    {AttrKind::o, "o"},
    {AttrKind::email, "email"},
    {AttrKind::san_email, "san_email"},
    {AttrKind::san_dns, "san_dns"},
    {AttrKind::sha256, "sha256"},
    {AttrKind::issuer_serial, "issuer_serial"},
    {AttrKind::spki_sha256, "spki_sha256"},
}});

struct SdaName {
  std::string_view suffix;
  std::string_view name;
};
constexpr SdaName kSdaNames[] = {{kSdaDrfo, "drfo"}, {kSdaEdrpou, "edrpou"}, {kSdaUnzr, "unzr"}};

bool valid_suffix(std::string_view s) {
  if (s.empty() || s.front() == '.' || s.back() == '.' || s.size() > 64) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '.' ? s[i + 1] == '.' : !(s[i] >= '0' && s[i] <= '9')) return false;
  }
  return true;
}

Error invalid_value(std::string_view why) { return make_error(ErrorKind::invalid, "query_value_invalid", std::string(why)); }

}  // namespace

std::string normalise(AttrKind kind, std::string_view raw) {
  // Octets that are not text become '#' + their hex, then normalised as text (which only
  // sets the case of the hex digits): stored, indexed and searched in that form, and never
  // raw in a JSON payload.
  if (!utf8_valid(raw)) return normalise(kind, "#" + hex_encode(as_bytes(raw)));
  switch (kind) {
    case AttrKind::serial_number:
    case AttrKind::organization_identifier:
    case AttrKind::sda:
      return ascii_case(trim(raw), true);
    case AttrKind::email:
    case AttrKind::san_email:
      return ascii_case(trim(raw), false);
    case AttrKind::san_dns: {
      // Every trailing dot goes (with the spaces around it), so that normalising a
      // normalised name changes nothing: "a.." once lost only one dot, and a query for the
      // stored "a." then looked up "a" (found by fuzz_cert_attributes).
      std::string_view t = trim(raw);
      while (t.size() > 1 && t.back() == '.') {
        t.remove_suffix(1);
        t = trim(t);
      }
      return ascii_case(t, false);
    }
    case AttrKind::cn:
    case AttrKind::o:
      return fold_name(raw);
    case AttrKind::sha256:
    case AttrKind::spki_sha256:
      return ascii_case(trim(raw), false);
    case AttrKind::issuer_serial:
      return std::string(trim(raw));
  }
  return std::string(raw);
}

std::string attribute_name(const Attribute& a) {
  if (a.kind == AttrKind::sda) {
    for (const auto& n : kSdaNames)
      if (n.suffix == a.sda_suffix) return std::string(n.name);
    return "sda:" + a.sda_suffix;
  }
  return std::string(kKindNames.name(a.kind));
}

std::vector<Attribute> extract_attributes(const std::vector<NameAttribute>& subject,
                                          const std::vector<ExtensionView>& extensions, const Sha256& cert_sha256) {
  std::vector<Attribute> out;
  out.reserve(12);
  add_subject(out, subject);
  add_san(out, extensions);
  add_sda(out, extensions);
  out.push_back({AttrKind::sha256, {}, hex_encode(cert_sha256)});
  return out;
}

std::optional<std::vector<Attribute>> extract_attributes(ByteView der) {
  auto parts = parse_cert_parts(der);
  if (!parts) return std::nullopt;
  return extract_attributes(parts->subject, parts->extensions, sha256(der));
}

Bytes spki_index_key(const Sha256& fingerprint) {
  Bytes key;
  key.reserve(1 + fingerprint.size());
  key.push_back(static_cast<std::uint8_t>(AttrKind::spki_sha256));
  key.insert(key.end(), fingerprint.begin(), fingerprint.end());
  return key;
}

Bytes index_key(const Attribute& a) {
  if (a.kind == AttrKind::issuer_serial) return {};
  Bytes rest;
  if (a.kind == AttrKind::sha256 || a.kind == AttrKind::spki_sha256) {
    auto raw = hex_decode(a.value);
    if (!raw || raw->size() != 32) return {};
    rest = std::move(*raw);
  } else {
    rest.reserve(a.sda_suffix.size() + 1 + a.value.size());
    if (a.kind == AttrKind::sda) {
      rest.insert(rest.end(), a.sda_suffix.begin(), a.sda_suffix.end());
      rest.push_back(0);
    }
    rest.insert(rest.end(), a.value.begin(), a.value.end());
  }
  Bytes key;
  if (1 + rest.size() > kMaxIndexKey) {
    const Sha256 h = sha256(rest);
    key.reserve(1 + h.size());
    key.push_back(static_cast<std::uint8_t>(static_cast<std::uint8_t>(a.kind) | 0x80));
    key.insert(key.end(), h.begin(), h.end());
  } else {
    key.reserve(1 + rest.size());
    key.push_back(static_cast<std::uint8_t>(a.kind));
    key.insert(key.end(), rest.begin(), rest.end());
  }
  return key;
}

std::vector<std::pair<std::string, std::string>> attribute_pairs(const std::vector<Attribute>& attributes) {
  std::vector<std::pair<std::string, std::string>> out;
  out.reserve(attributes.size());
  for (const auto& a : attributes) out.emplace_back(attribute_name(a), a.value);
  return out;
}

Result<Attribute> parse_attribute_query(std::string_view kind, std::string_view value) {
  Attribute a;
  bool known = false;
  if (kind.substr(0, 4) == "sda:") {
    a.kind = AttrKind::sda;
    a.sda_suffix = std::string(kind.substr(4));
    if (a.sda_suffix.compare(0, kUaSdaArc.size() + 1, std::string(kUaSdaArc) + ".") == 0)
      a.sda_suffix.erase(0, kUaSdaArc.size() + 1);  // the full OID is accepted too
    if (!valid_suffix(a.sda_suffix))
      return make_error(ErrorKind::invalid, "query_kind_unknown", "sda:<suffix> needs an OID suffix such as 7.1");
    known = true;
  }
  for (const auto& n : kSdaNames) {
    if (!known && kind == n.name) {
      a.kind = AttrKind::sda;
      a.sda_suffix = std::string(n.suffix);
      known = true;
    }
  }
  if (auto k = kKindNames.parse(kind); !known && k) {
    a.kind = *k;
    known = true;
  }
  if (!known) return make_error(ErrorKind::invalid, "query_kind_unknown", "unknown attribute \"" + std::string(kind) + "\"");
  a.value = normalise(a.kind, value);
  if (a.value.empty()) return invalid_value("the value is empty");
  if (a.kind == AttrKind::sha256 || a.kind == AttrKind::spki_sha256) {
    auto raw = hex_decode(a.value);
    if (a.value.size() != 64 || !raw) return invalid_value("a SHA-256 is 64 hexadecimal digits");
  }
  if (a.kind == AttrKind::issuer_serial) {
    const std::size_t colon = a.value.find(':');
    if (colon == std::string::npos || colon == 0) return invalid_value("issuer_serial is <issuer>:<hex serial>");
    auto serial = serial_from_hex(std::string_view(a.value).substr(colon + 1));
    if (!serial) return invalid_value("the serial must be hexadecimal");
    a.value = a.value.substr(0, colon) + ":" + hex_encode(*serial, true);
  }
  if (a.kind != AttrKind::issuer_serial && index_key(a).empty())
    return invalid_value("the value cannot be searched");
  return a;
}

Result<Attribute> parse_attribute_query(std::string_view text) {
  const std::size_t eq = text.find('=');
  if (eq == std::string_view::npos) return make_error(ErrorKind::invalid, "query_kind_unknown", "a query is kind=value");
  return parse_attribute_query(text.substr(0, eq), text.substr(eq + 1));
}

void append_attributes_json(std::string& out, const std::vector<Attribute>& attributes) {
  out.push_back('[');
  bool first = true;
  for (const auto& a : attributes) {
    if (!first) out.push_back(',');
    first = false;
    out.push_back('[');
    append_json_string(out, attribute_name(a));
    out.push_back(',');
    append_json_string(out, a.value);
    out.push_back(']');
  }
  out.push_back(']');
}

}  // namespace trustmon::registry
