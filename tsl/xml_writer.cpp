// See xml_writer.hpp. The tree is built with the TSL namespace as the default namespace
// on the root; fragments bring their own namespace declarations.
#include "tsl/xml_writer.hpp"

#include "common/time.hpp"

namespace trustmon::tsl {
namespace {

class Builder {
 public:
  Builder(xmlDoc* doc, xmlNs* ns, int version) : doc_(doc), ns_(ns), version_(version) {}
  bool ok() const { return status_.ok(); }
  const Status& status() const { return status_; }

  xmlNode* add(xmlNode* parent, const char* name) { return xmlNewChild(parent, ns_, to_xml(name), nullptr); }
  xmlNode* add(xmlNode* parent, const char* name, const std::string& text) {
    return xmlNewTextChild(parent, ns_, to_xml(name), to_xml(text.c_str()));
  }
  void lang(xmlNode* n, const std::string& l) { xmlNodeSetLang(n, to_xml(l.c_str())); }

  void multilang(xmlNode* parent, const char* name, const char* item, const MultiLang& values) {
    if (values.empty()) return;
    xmlNode* n = add(parent, name);
    multilang_items(n, item, values);
  }
  void multilang_items(xmlNode* n, const char* item, const MultiLang& values) {
    for (const auto& v : values) lang(add(n, item, v.value), v.lang);
  }

  void fragment(xmlNode* parent, const std::string& xml) {
    if (!status_.ok()) return;
    if (auto s = append_fragment(parent, xml); !s) status_ = std::move(s);
  }

  void address(xmlNode* parent, const char* name, const Address& a) {
    xmlNode* n = add(parent, name);
    xmlNode* pa = add(n, "PostalAddresses");
    for (const auto& p : a.postal) {
      xmlNode* e = add(pa, "PostalAddress");
      lang(e, p.lang);
      add(e, "StreetAddress", p.street_address);
      add(e, "Locality", p.locality);
      if (p.state_or_province) add(e, "StateOrProvince", *p.state_or_province);
      if (p.postal_code) add(e, "PostalCode", *p.postal_code);
      add(e, "CountryName", p.country_name);
    }
    multilang_items(add(n, "ElectronicAddress"), "URI", a.electronic);
  }

  void extensions(xmlNode* parent, const char* name, const std::vector<Extension>& exts) {
    if (exts.empty()) return;
    xmlNode* n = add(parent, name);
    for (const auto& e : exts) {
      xmlNode* x = add(n, "Extension");
      xmlSetProp(x, to_xml("Critical"), to_xml(e.critical ? "true" : "false"));
      fragment(x, e.xml);
    }
  }

  void digital_identity(xmlNode* parent, const DigitalIdentity& ids) {
    xmlNode* n = add(parent, "ServiceDigitalIdentity");
    for (const auto& id : ids) {
      xmlNode* d = add(n, "DigitalId");
      switch (id.kind) {
        case DigitalId::Kind::x509_certificate: add(d, "X509Certificate", base64_encode(id.der)); break;
        case DigitalId::Kind::x509_subject_name: add(d, "X509SubjectName", id.text); break;
        case DigitalId::Kind::x509_ski: add(d, "X509SKI", base64_encode(id.der)); break;
        case DigitalId::Kind::key_value: fragment(d, id.text); break;
        case DigitalId::Kind::other: fragment(add(d, "Other"), id.text); break;
      }
    }
  }

  void scheme(xmlNode* root, const SchemeInformation& s) {
    xmlNode* n = add(root, "SchemeInformation");
    add(n, "TSLVersionIdentifier", std::to_string(version_));
    add(n, "TSLSequenceNumber", std::to_string(s.sequence_number));
    add(n, "TSLType", s.tsl_type);
    multilang(n, "SchemeOperatorName", "Name", s.operator_name);
    address(n, "SchemeOperatorAddress", s.operator_address);
    multilang(n, "SchemeName", "Name", s.scheme_name);
    multilang(n, "SchemeInformationURI", "URI", s.information_uri);
    add(n, "StatusDeterminationApproach", s.status_determination_approach);
    multilang(n, "SchemeTypeCommunityRules", "URI", s.type_community_rules);
    if (s.territory) add(n, "SchemeTerritory", *s.territory);
    const auto& pl = s.policy_or_legal_notice;
    if (!pl.policies.empty() || !pl.legal_notices.empty()) {
      xmlNode* p = add(n, "PolicyOrLegalNotice");
      if (!pl.policies.empty()) multilang_items(p, "TSLPolicy", pl.policies);
      else multilang_items(p, "TSLLegalNotice", pl.legal_notices);
    }
    add(n, "HistoricalInformationPeriod", std::to_string(s.historical_information_period));
    if (!s.pointers.empty()) {
      xmlNode* ps = add(n, "PointersToOtherTSL");
      for (const auto& p : s.pointers) {
        xmlNode* pn = add(ps, "OtherTSLPointer");
        if (!p.digital_identities.empty()) {
          xmlNode* ids = add(pn, "ServiceDigitalIdentities");
          for (const auto& id : p.digital_identities) digital_identity(ids, id);
        }
        add(pn, "TSLLocation", p.location);
        if (!p.additional_information.empty()) {
          xmlNode* ai = add(pn, "AdditionalInformation");
          for (const auto& info : p.additional_information) {
            if (info.kind == AdditionalInformation::Kind::textual) lang(add(ai, "TextualInformation", info.value), info.lang);
            else fragment(add(ai, "OtherInformation"), info.value);
          }
        }
      }
    }
    add(n, "ListIssueDateTime", format_rfc3339(s.list_issue_date_time));
    xmlNode* nu = add(n, "NextUpdate");
    if (s.next_update) add(nu, "dateTime", format_rfc3339(*s.next_update));
    if (!s.distribution_points.empty()) {
      xmlNode* dp = add(n, "DistributionPoints");
      for (const auto& u : s.distribution_points) add(dp, "URI", u);
    }
    extensions(n, "SchemeExtensions", s.extensions);
  }

  template <typename T>
  void service_head(xmlNode* n, const T& s) {
    add(n, "ServiceTypeIdentifier", s.type_identifier);
    multilang(n, "ServiceName", "Name", s.name);
    digital_identity(n, s.digital_identity);
    add(n, "ServiceStatus", s.status);
    add(n, "StatusStartingTime", format_rfc3339(s.status_starting_time));
  }

  void service(xmlNode* parent, const TrustService& s) {
    xmlNode* svc = add(parent, "TSPService");
    xmlNode* n = add(svc, "ServiceInformation");
    service_head(n, s);
    multilang(n, "SchemeServiceDefinitionURI", "URI", s.scheme_service_definition_uri);
    if (!s.supply_points.empty()) {
      xmlNode* sp = add(n, "ServiceSupplyPoints");
      for (const auto& p : s.supply_points) {
        xmlNode* e = add(sp, "ServiceSupplyPoint", p.uri);
        // The attribute arrived with TS 119 612 v2.2.1's schema change (TL v6).
        if (version_ >= 6 && !p.type.empty()) xmlSetProp(e, to_xml("type"), to_xml(p.type.c_str()));
      }
    }
    multilang(n, "TSPServiceDefinitionURI", "URI", s.tsp_service_definition_uri);
    extensions(n, "ServiceInformationExtensions", s.extensions);
    if (s.history) {
      xmlNode* h = add(svc, "ServiceHistory");
      for (const auto& hi : *s.history) {
        xmlNode* in = add(h, "ServiceHistoryInstance");
        service_head(in, hi);
        extensions(in, "ServiceInformationExtensions", hi.extensions);
      }
    }
  }

  void provider(xmlNode* parent, const TrustServiceProvider& p) {
    xmlNode* tsp = add(parent, "TrustServiceProvider");
    xmlNode* info = add(tsp, "TSPInformation");
    multilang(info, "TSPName", "Name", p.name);
    multilang(info, "TSPTradeName", "Name", p.trade_name);
    address(info, "TSPAddress", p.address);
    multilang(info, "TSPInformationURI", "URI", p.information_uri);
    extensions(info, "TSPInformationExtensions", p.extensions);
    xmlNode* services = add(tsp, "TSPServices");
    for (const auto& s : p.services) service(services, s);
  }

 private:
  xmlDoc* doc_;
  xmlNs* ns_;
  int version_;
  Status status_;
};

bool element_only(const xmlNode* n) {
  bool any = false;
  for (const xmlNode* c = n->children; c != nullptr; c = c->next) {
    if (c->type == XML_ELEMENT_NODE) any = true;
    else if (c->type == XML_TEXT_NODE && !xmlIsBlankNode(c)) return false;
    else if (c->type != XML_TEXT_NODE && c->type != XML_COMMENT_NODE) return false;
  }
  return any;
}

// Inserts "\n" + tabs before each child and before the end tag of element-only nodes.
void indent(xmlNode* n, int depth) {
  if (!element_only(n)) return;
  // Drop existing blank text so re-indenting is stable.
  for (xmlNode* c = n->children; c != nullptr;) {
    xmlNode* next = c->next;
    if (c->type == XML_TEXT_NODE) {
      xmlUnlinkNode(c);
      xmlFreeNode(c);
    }
    c = next;
  }
  const std::string inner = "\n" + std::string(static_cast<std::size_t>(depth + 1), '\t');
  const std::string outer = "\n" + std::string(static_cast<std::size_t>(depth), '\t');
  for (xmlNode* c = n->children; c != nullptr; c = c->next) {
    if (c->type == XML_ELEMENT_NODE) indent(c, depth + 1);
    xmlAddPrevSibling(c, xmlNewDocText(n->doc, to_xml(inner.c_str())));
  }
  xmlAddChild(n, xmlNewDocText(n->doc, to_xml(outer.c_str())));
}

}  // namespace

Result<XmlDocPtr> build_document(const TrustedList& list, const WriteOptions& options) {
  if (options.version != 5 && options.version != 6)
    return make_error(ErrorKind::invalid, "tl_unsupported_version", "TSLVersionIdentifier " + std::to_string(options.version));
  if (auto s = init_xml(); !s) return s.error();
  XmlDocPtr doc(xmlNewDoc(to_xml("1.0")));
  if (!doc) return make_error(ErrorKind::invalid, "xml_error", "cannot allocate a document");
  xmlNode* root = xmlNewDocNode(doc.get(), nullptr, to_xml("TrustServiceStatusList"), nullptr);
  xmlDocSetRootElement(doc.get(), root);
  xmlNs* ns = xmlNewNs(root, to_xml(kNsTsl), nullptr);
  xmlSetNs(root, ns);
  if (!list.id.empty()) xmlSetProp(root, to_xml("Id"), to_xml(list.id.c_str()));
  xmlSetProp(root, to_xml("TSLTag"), to_xml(kTslTag));

  Builder b(doc.get(), ns, options.version);
  b.scheme(root, list.scheme);
  if (!list.providers.empty()) {
    xmlNode* pl = b.add(root, "TrustServiceProviderList");
    for (const auto& p : list.providers) b.provider(pl, p);
  }
  if (!b.ok()) return b.status().error();
  if (options.indent) indent(root, 0);
  return doc;
}

Result<std::string> write_trusted_list(const TrustedList& list, const WriteOptions& options) {
  auto doc = build_document(list, options);
  if (!doc) return std::move(doc).error();
  return serialize_xml(doc->get());
}

}  // namespace trustmon::tsl
