// See checker.hpp.
#include "tsl/checker.hpp"

#include <filesystem>

#include <xmlsec/crypto.h>
#include <xmlsec/openssl/evp.h>
#include <xmlsec/transforms.h>
#include <xmlsec/xmldsig.h>

#include <charconv>

namespace trustmon::tsl {

std::string default_schema_dir() {
  std::error_code ec;
  if (std::filesystem::exists(std::filesystem::path(kDefaultSchemaDir) / "tl-v6-all.xsd", ec)) return kDefaultSchemaDir;
  return kInstalledSchemaDir;
}

namespace {

struct XmlSecKeyDeleter {
  void operator()(xmlSecKey* k) const noexcept { xmlSecKeyDestroy(k); }
};
using XmlSecKeyPtr = std::unique_ptr<xmlSecKey, XmlSecKeyDeleter>;
struct DsigCtxDeleter {
  void operator()(xmlSecDSigCtx* c) const noexcept { xmlSecDSigCtxDestroy(c); }
};
using DsigCtxPtr = std::unique_ptr<xmlSecDSigCtx, DsigCtxDeleter>;

// Collects the first error (with its line) reported by a schema parser or validator.
struct FirstError {
  std::string text;
};

// libxml2 2.9 passes a non-const xmlError (2.12 made it const).
void collect_error(void* user, xmlError* err) {
  auto* first = static_cast<FirstError*>(user);
  if (err == nullptr || err->level < XML_ERR_ERROR || !first->text.empty()) return;
  std::string msg = err->message != nullptr ? err->message : "error";
  while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
  first->text = (err->line > 0 ? "line " + std::to_string(err->line) + ": " : std::string()) + msg;
}

Result<std::shared_ptr<xmlSchema>> load_schema(const std::string& path) {
  XmlSchemaParserCtxtPtr ctxt(xmlSchemaNewParserCtxt(path.c_str()));
  if (!ctxt) return make_error(ErrorKind::internal, "tl_schema_unavailable", "cannot read schema " + path);
  FirstError first;
  xmlSchemaSetParserStructuredErrors(ctxt.get(), collect_error, &first);
  xmlSchema* schema = xmlSchemaParse(ctxt.get());
  if (schema == nullptr)
    return make_error(ErrorKind::internal, "tl_schema_unavailable", "cannot parse schema " + path + (first.text.empty() ? "" : ": " + first.text));
  return std::shared_ptr<xmlSchema>(schema, xmlSchemaFree);
}

Error invalid(const std::string& why) { return make_error(ErrorKind::invalid, "tl_signature_invalid", why); }

xmlNode* child(const xmlNode* parent, const char* ns, const char* local) {
  for (xmlNode* c = first_element(parent); c != nullptr; c = next_element(c))
    if (is_element(c, ns, local)) return c;
  return nullptr;
}

std::string trimmed_text(const xmlNode* n) {
  std::string s = text_of(n);
  const auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  while (!s.empty() && is_space(s.back())) s.pop_back();
  std::size_t b = 0;
  while (b < s.size() && is_space(s[b])) ++b;
  return s.substr(b);
}

const EVP_MD* digest_by_uri(const std::string& uri) {
  if (uri == "http://www.w3.org/2001/04/xmlenc#sha256") return EVP_sha256();
  if (uri == "http://www.w3.org/2001/04/xmldsig-more#sha384") return EVP_sha384();
  if (uri == "http://www.w3.org/2001/04/xmlenc#sha512") return EVP_sha512();
  return nullptr;  // SHA-1 and anything unknown are refused
}

// The XAdES properties the checker relies on (both versions).
Status check_xades(xmlNode* signed_props, const Bytes& signer_der) {
  xmlNode* ssp = child(signed_props, kNsXades, "SignedSignatureProperties");
  if (ssp == nullptr) return invalid("xades:SignedSignatureProperties missing");
  if (child(ssp, kNsXades, "SigningTime") == nullptr) return invalid("xades:SigningTime missing");
  xmlNode* sc = child(ssp, kNsXades, "SigningCertificateV2");
  if (sc == nullptr) sc = child(ssp, kNsXades, "SigningCertificate");
  if (sc == nullptr) return invalid("xades:SigningCertificateV2 / SigningCertificate missing");
  for (xmlNode* cert = first_element(sc); cert != nullptr; cert = next_element(cert)) {
    xmlNode* cd = child(cert, kNsXades, "CertDigest");
    xmlNode* dm = cd != nullptr ? child(cd, kNsDs, "DigestMethod") : nullptr;
    xmlNode* dv = cd != nullptr ? child(cd, kNsDs, "DigestValue") : nullptr;
    std::string alg;
    if (dm == nullptr || dv == nullptr || !attribute(dm, "Algorithm", nullptr, alg)) continue;
    const EVP_MD* md = digest_by_uri(alg);
    if (md == nullptr) continue;
    auto want = digest(md, signer_der);
    auto have = base64_decode_lenient(trimmed_text(dv));
    if (want.ok() && have && *have == *want) return {};
  }
  return invalid("xades signing certificate digest does not match the pinned signer");
}

}  // namespace

Result<TlChecker> TlChecker::create(const std::string& schema_dir) {
  if (auto s = init_xml(); !s) return s.error();
  TlChecker c;
  auto v5 = load_schema(schema_dir + "/tl-v5-all.xsd");
  if (!v5) return std::move(v5).error();
  auto v6 = load_schema(schema_dir + "/tl-v6-all.xsd");
  if (!v6) return std::move(v6).error();
  c.v5_ = std::move(*v5);
  c.v6_ = std::move(*v6);
  return c;
}

Status TlChecker::check(std::string_view signed_xml, X509* signer) const {
  auto doc = parse_xml(signed_xml, true);
  if (!doc) return std::move(doc).error();
  if (auto s = verify_signature(doc->get(), signer); !s) return s;
  return validate_schema(doc->get());
}

Status TlChecker::verify_signature(xmlDoc* doc, X509* signer) const {
  if (signer == nullptr) return make_error(ErrorKind::invalid, "tl_signature_invalid", "no signer certificate to pin");
  xmlNode* root = xmlDocGetRootElement(doc);
  if (!is_element(root, kNsTsl, "TrustServiceStatusList")) return make_error(ErrorKind::invalid, "tl_malformed", "not a trusted list");
  xmlNode* sig = nullptr;
  int signatures = 0;
  xmlNode* last = nullptr;
  for (xmlNode* c = first_element(root); c != nullptr; c = next_element(c)) {
    last = c;
    if (is_element(c, kNsDs, "Signature")) {
      sig = c;
      ++signatures;
    }
  }
  if (signatures == 0) return make_error(ErrorKind::invalid, "tl_signature_missing", "the list has no ds:Signature");
  if (signatures > 1 || last != sig) return invalid("ds:Signature must be the single last child of the list");

  // The SignedProperties this signature carries, registered as an ID for reference 2.
  xmlNode* signed_props = nullptr;
  for (xmlNode* obj = first_element(sig); obj != nullptr; obj = next_element(obj)) {
    if (!is_element(obj, kNsDs, "Object")) continue;
    if (xmlNode* qp = child(obj, kNsXades, "QualifyingProperties")) signed_props = child(qp, kNsXades, "SignedProperties");
    if (signed_props != nullptr) break;
  }
  if (signed_props == nullptr) return invalid("xades:SignedProperties missing");
  std::string props_id;
  if (!attribute(signed_props, "Id", nullptr, props_id) || props_id.empty())
    return invalid("xades:SignedProperties has no Id");
  xmlAttr* id_attr = xmlHasProp(signed_props, to_xml("Id"));
  xmlAttr* existing = xmlGetID(doc, to_xml(props_id.c_str()));
  if (existing == nullptr) {
    if (xmlAddID(nullptr, doc, to_xml(props_id.c_str()), id_attr) == nullptr) return invalid("cannot register the SignedProperties Id");
  } else if (existing != id_attr) {
    return invalid("the SignedProperties Id is not unique");
  }

  const Bytes signer_der = x509_der(signer);
  if (xmlNode* ki = child(sig, kNsDs, "KeyInfo")) {
    for (xmlNode* xd = first_element(ki); xd != nullptr; xd = next_element(xd)) {
      if (!is_element(xd, kNsDs, "X509Data")) continue;
      for (xmlNode* xc = first_element(xd); xc != nullptr; xc = next_element(xc)) {
        if (!is_element(xc, kNsDs, "X509Certificate")) continue;
        auto der = base64_decode_lenient(trimmed_text(xc));
        if (!der || *der != signer_der) return invalid("the KeyInfo certificate is not the pinned signer");
      }
    }
  }

  EVP_PKEY* pub = X509_get0_pubkey(signer);
  if (pub == nullptr || EVP_PKEY_up_ref(pub) != 1) return ossl_error(ErrorKind::invalid, "tl_signature_invalid", "signer public key");
  xmlSecKeyDataPtr data = xmlSecOpenSSLEvpKeyAdopt(pub);
  if (data == nullptr) {
    EVP_PKEY_free(pub);
    return ossl_error(ErrorKind::invalid, "tl_signature_invalid", "xmlsec refused the signer key");
  }
  XmlSecKeyPtr key(xmlSecKeyCreate());
  if (!key || xmlSecKeySetValue(key.get(), data) < 0) {
    xmlSecKeyDataDestroy(data);
    return make_error(ErrorKind::invalid, "tl_signature_invalid", "cannot create the xmlsec key");
  }
  DsigCtxPtr ctx(xmlSecDSigCtxCreate(nullptr));
  if (!ctx) return make_error(ErrorKind::invalid, "tl_signature_invalid", "cannot create the verification context");
  ctx->signKey = key.release();
  // Only the document itself: no external or file URIs are ever dereferenced.
  ctx->enabledReferenceUris =
      static_cast<xmlSecTransformUriType>(xmlSecTransformUriTypeEmpty | xmlSecTransformUriTypeSameDocument);
  if (xmlSecDSigCtxVerify(ctx.get(), sig) < 0) return ossl_error(ErrorKind::invalid, "tl_signature_invalid", "xmlsec could not process the signature");
  if (ctx->status != xmlSecDSigStatusSucceeded) return invalid("the signature does not verify with the pinned signer");

  bool whole = false, props = false;
  const xmlSecSize n = xmlSecPtrListGetSize(&ctx->signedInfoReferences);
  for (xmlSecSize i = 0; i < n; ++i) {
    auto* ref = static_cast<xmlSecDSigReferenceCtx*>(xmlSecPtrListGetItem(&ctx->signedInfoReferences, i));
    if (ref == nullptr || ref->status != xmlSecDSigStatusSucceeded) return invalid("a reference does not verify");
    const std::string uri = ref->uri != nullptr ? to_chars(ref->uri) : "<none>";
    const std::string type = ref->type != nullptr ? to_chars(ref->type) : "";
    if (uri.empty()) {
      bool enveloped = false;
      for (xmlSecTransformPtr t = ref->transformCtx.first; t != nullptr; t = t->next)
        if (t->id == xmlSecTransformEnvelopedId) enveloped = true;
      if (enveloped) whole = true;
    } else if (type == "http://uri.etsi.org/01903#SignedProperties" && uri == "#" + props_id) {
      props = true;
    }
  }
  if (!whole) return invalid("no URI=\"\" reference with the enveloped-signature transform");
  if (!props) return invalid("no reference to xades:SignedProperties");
  return check_xades(signed_props, signer_der);
}

Status TlChecker::validate_schema(xmlDoc* doc) const {
  xmlNode* root = xmlDocGetRootElement(doc);
  xmlNode* si = root != nullptr ? child(root, kNsTsl, "SchemeInformation") : nullptr;
  xmlNode* vi = si != nullptr ? child(si, kNsTsl, "TSLVersionIdentifier") : nullptr;
  if (vi == nullptr) return make_error(ErrorKind::invalid, "tl_schema_invalid", "TSLVersionIdentifier missing");
  const std::string v = trimmed_text(vi);
  XmlDocPtr copy;
  xmlDoc* target = doc;
  xmlSchema* schema = nullptr;
  if (v == "6") {
    schema = v6_.get();
  } else if (v == "5") {
    schema = v5_.get();
    // libxml2 cannot hold XAdES v1's decimal X509SerialNumber (see checker.hpp).
    copy.reset(xmlCopyDoc(doc, 1));
    if (!copy) return make_error(ErrorKind::invalid, "xml_error", "cannot copy the document");
    target = copy.get();
    xmlNode* croot = xmlDocGetRootElement(target);
    if (xmlNode* sig = child(croot, kNsDs, "Signature")) {
      for (xmlNode* obj = first_element(sig); obj != nullptr; obj = next_element(obj)) {
        if (!is_element(obj, kNsDs, "Object")) continue;
        if (xmlNode* qp = child(obj, kNsXades, "QualifyingProperties")) {
          xmlUnlinkNode(qp);
          xmlFreeNode(qp);
        }
      }
    }
  } else {
    return make_error(ErrorKind::invalid, "tl_unsupported_version", "TSLVersionIdentifier " + v);
  }
  XmlSchemaValidCtxtPtr vctxt(xmlSchemaNewValidCtxt(schema));
  if (!vctxt) return make_error(ErrorKind::invalid, "xml_error", "cannot create a validation context");
  FirstError first;
  xmlSchemaSetValidStructuredErrors(vctxt.get(), collect_error, &first);
  const int rc = xmlSchemaValidateDoc(vctxt.get(), target);
  if (rc != 0) return make_error(ErrorKind::invalid, "tl_schema_invalid", first.text.empty() ? "schema validation failed" : first.text);
  return {};
}

}  // namespace trustmon::tsl
