// See xml_reader.hpp. Elements are read in schema order with a small cursor over the
// element children of each node: take() consumes an optional element, need() a required
// one, and done() refuses anything left over, so nothing is silently dropped.
#include "tsl/xml_reader.hpp"

#include <charconv>

#include "common/ossl.hpp"
#include "common/time.hpp"
#include "tsl/xml.hpp"

namespace trustmon::tsl {
namespace {

std::string trim(std::string s) {
  const auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  std::size_t b = 0, e = s.size();
  while (b < e && is_space(s[b])) ++b;
  while (e > b && is_space(s[e - 1])) --e;
  return s.substr(b, e - b);
}

class Reader {
 public:
  explicit Reader(xmlDoc* doc) : doc_(doc) {}

  bool ok() const { return ok_; }
  const std::string& error() const { return error_; }

  void fail(const std::string& path, const std::string& what) {
    if (ok_) error_ = path + ": " + what;
    ok_ = false;
  }

  // Element children of one node, consumed in order.
  class Children {
   public:
    Children(Reader& r, const xmlNode* parent, std::string path)
        : r_(r), cur_(first_element(parent)), path_(std::move(path)) {}
    xmlNode* take(const char* local, const char* ns = kNsTsl) {
      if (cur_ == nullptr || !is_element(cur_, ns, local)) return nullptr;
      xmlNode* n = cur_;
      cur_ = next_element(cur_);
      return n;
    }
    xmlNode* need(const char* local, const char* ns = kNsTsl) {
      xmlNode* n = take(local, ns);
      if (n == nullptr) r_.fail(path_, std::string("missing ") + local + found());
      return n;
    }
    xmlNode* peek() const { return cur_; }
    void done() {
      if (cur_ != nullptr) r_.fail(path_, "unexpected element" + found());
    }
    const std::string& path() const { return path_; }

   private:
    std::string found() const {
      if (cur_ == nullptr) return " (end of element)";
      return std::string(" (found ") + to_chars(cur_->name) + ")";
    }
    Reader& r_;
    xmlNode* cur_;
    std::string path_;
  };

  std::string lang_of(const xmlNode* n, const std::string& path) {
    std::string lang;
    if (!attribute(n, "lang", kNsXml, lang)) fail(path, "missing xml:lang");
    return lang;
  }

  MultiLang multilang(const xmlNode* n, const char* item, const std::string& path, bool trim_values) {
    MultiLang out;
    Children c(*this, n, path);
    while (xmlNode* e = c.take(item)) {
      std::string v = text_of(e);
      if (v.size() > kMaxNameBytes) {
        fail(path + "/" + item, "longer than " + std::to_string(kMaxNameBytes / 1024) + " KiB");
        break;
      }
      out.push_back({lang_of(e, path + "/" + item), trim_values ? trim(std::move(v)) : std::move(v)});
    }
    if (out.empty()) fail(path, std::string("missing ") + item);
    c.done();
    return out;
  }

  std::uint64_t integer(const xmlNode* n, const std::string& path) {
    const std::string t = trim(text_of(n));
    std::uint64_t v = 0;
    auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
    if (ec != std::errc() || p != t.data() + t.size() || t.empty()) fail(path, "not an unsigned integer: " + t);
    return v;
  }

  UnixTime date_time(const xmlNode* n, const std::string& path) {
    const std::string t = trim(text_of(n));
    auto v = parse_rfc3339(t);
    if (!v) {
      fail(path, "not a dateTime: " + t);
      return 0;
    }
    return *v;
  }

  Address address(const xmlNode* n, const std::string& path) {
    Address a;
    Children c(*this, n, path);
    if (xmlNode* pa = c.need("PostalAddresses")) {
      Children pc(*this, pa, path + "/PostalAddresses");
      while (xmlNode* p = pc.take("PostalAddress")) {
        const std::string pp = pc.path() + "/PostalAddress";
        PostalAddress out;
        out.lang = lang_of(p, pp);
        Children f(*this, p, pp);
        if (xmlNode* e = f.need("StreetAddress")) out.street_address = text_of(e);
        if (xmlNode* e = f.need("Locality")) out.locality = text_of(e);
        if (xmlNode* e = f.take("StateOrProvince")) out.state_or_province = text_of(e);
        if (xmlNode* e = f.take("PostalCode")) out.postal_code = text_of(e);
        if (xmlNode* e = f.need("CountryName")) out.country_name = text_of(e);
        f.done();
        a.postal.push_back(std::move(out));
      }
      if (a.postal.empty()) fail(pc.path(), "missing PostalAddress");
      pc.done();
    }
    if (xmlNode* ea = c.need("ElectronicAddress")) a.electronic = multilang(ea, "URI", path + "/ElectronicAddress", true);
    c.done();
    return a;
  }

  std::vector<Extension> extensions(const xmlNode* n, const std::string& path) {
    std::vector<Extension> out;
    Children c(*this, n, path);
    while (xmlNode* e = c.take("Extension")) {
      Extension ext;
      std::string critical;
      if (!attribute(e, "Critical", nullptr, critical)) fail(path + "/Extension", "missing Critical");
      critical = trim(critical);
      ext.critical = critical == "true" || critical == "1";
      auto xml = children_c14n(doc_, e);
      if (!xml) fail(path + "/Extension", xml.error().message);
      else ext.xml = std::move(*xml);
      out.push_back(std::move(ext));
    }
    if (out.empty()) fail(path, "missing Extension");
    c.done();
    return out;
  }

  Bytes base64(const xmlNode* n, const std::string& path) {
    auto v = base64_decode_lenient(trim(text_of(n)));
    if (!v) {
      fail(path, "invalid base64");
      return {};
    }
    return std::move(*v);
  }

  DigitalIdentity digital_identity(const xmlNode* n, const std::string& path) {
    DigitalIdentity out;
    Children c(*this, n, path);
    while (xmlNode* d = c.take("DigitalId")) {
      const std::string dp = path + "/DigitalId";
      Children dc(*this, d, dp);
      DigitalId id;
      if (xmlNode* e = dc.take("X509Certificate")) {
        id.kind = DigitalId::Kind::x509_certificate;
        id.der = base64(e, dp + "/X509Certificate");
        if (ok_ && !x509_from_der(id.der)) fail(dp + "/X509Certificate", "not a DER X.509 certificate");
      } else if (xmlNode* e2 = dc.take("X509SubjectName")) {
        id.kind = DigitalId::Kind::x509_subject_name;
        id.text = text_of(e2);
      } else if (xmlNode* e3 = dc.take("KeyValue", kNsDs)) {
        id.kind = DigitalId::Kind::key_value;
        auto xml = element_c14n(doc_, e3);
        if (!xml) fail(dp, xml.error().message);
        else id.text = std::move(*xml);
      } else if (xmlNode* e4 = dc.take("X509SKI")) {
        id.kind = DigitalId::Kind::x509_ski;
        id.der = base64(e4, dp + "/X509SKI");
      } else if (xmlNode* e5 = dc.take("Other")) {
        id.kind = DigitalId::Kind::other;
        auto xml = children_c14n(doc_, e5);
        if (!xml) fail(dp, xml.error().message);
        else id.text = std::move(*xml);
      } else {
        fail(dp, "unknown digital identity");
      }
      dc.done();
      out.push_back(std::move(id));
    }
    c.done();
    return out;
  }

  OtherTslPointer pointer(const xmlNode* n, const std::string& path) {
    OtherTslPointer p;
    Children c(*this, n, path);
    if (xmlNode* ids = c.take("ServiceDigitalIdentities")) {
      Children ic(*this, ids, path + "/ServiceDigitalIdentities");
      while (xmlNode* sdi = ic.take("ServiceDigitalIdentity"))
        p.digital_identities.push_back(digital_identity(sdi, ic.path() + "/ServiceDigitalIdentity"));
      if (p.digital_identities.empty()) fail(ic.path(), "missing ServiceDigitalIdentity");
      ic.done();
    }
    if (xmlNode* e = c.need("TSLLocation")) p.location = trim(text_of(e));
    if (xmlNode* ai = c.take("AdditionalInformation")) {
      const std::string ap = path + "/AdditionalInformation";
      Children ac(*this, ai, ap);
      while (xmlNode* item = ac.peek()) {
        AdditionalInformation info;
        if (ac.take("TextualInformation") != nullptr) {
          info.kind = AdditionalInformation::Kind::textual;
          info.lang = lang_of(item, ap + "/TextualInformation");
          info.value = text_of(item);
        } else if (ac.take("OtherInformation") != nullptr) {
          info.kind = AdditionalInformation::Kind::other;
          auto xml = children_c14n(doc_, item);
          if (!xml) fail(ap, xml.error().message);
          else info.value = std::move(*xml);
        } else {
          break;
        }
        p.additional_information.push_back(std::move(info));
      }
      if (p.additional_information.empty()) fail(ap, "empty AdditionalInformation");
      ac.done();
    }
    c.done();
    return p;
  }

  SchemeInformation scheme(const xmlNode* n) {
    const std::string path = "/TrustServiceStatusList/SchemeInformation";
    SchemeInformation s;
    Children c(*this, n, path);
    if (xmlNode* e = c.need("TSLVersionIdentifier")) s.version = static_cast<int>(integer(e, path + "/TSLVersionIdentifier"));
    if (xmlNode* e = c.need("TSLSequenceNumber")) s.sequence_number = integer(e, path + "/TSLSequenceNumber");
    if (xmlNode* e = c.need("TSLType")) s.tsl_type = trim(text_of(e));
    if (xmlNode* e = c.need("SchemeOperatorName")) s.operator_name = multilang(e, "Name", path + "/SchemeOperatorName", false);
    if (xmlNode* e = c.need("SchemeOperatorAddress")) s.operator_address = address(e, path + "/SchemeOperatorAddress");
    if (xmlNode* e = c.need("SchemeName")) s.scheme_name = multilang(e, "Name", path + "/SchemeName", false);
    if (xmlNode* e = c.need("SchemeInformationURI")) s.information_uri = multilang(e, "URI", path + "/SchemeInformationURI", true);
    if (xmlNode* e = c.need("StatusDeterminationApproach")) s.status_determination_approach = trim(text_of(e));
    if (xmlNode* e = c.take("SchemeTypeCommunityRules"))
      s.type_community_rules = multilang(e, "URI", path + "/SchemeTypeCommunityRules", true);
    if (xmlNode* e = c.take("SchemeTerritory")) s.territory = trim(text_of(e));
    if (xmlNode* e = c.take("PolicyOrLegalNotice")) {
      const std::string pp = path + "/PolicyOrLegalNotice";
      Children pc(*this, e, pp);
      while (xmlNode* x = pc.take("TSLPolicy")) s.policy_or_legal_notice.policies.push_back({lang_of(x, pp), trim(text_of(x))});
      if (s.policy_or_legal_notice.policies.empty())
        while (xmlNode* x = pc.take("TSLLegalNotice")) s.policy_or_legal_notice.legal_notices.push_back({lang_of(x, pp), text_of(x)});
      if (s.policy_or_legal_notice.policies.empty() && s.policy_or_legal_notice.legal_notices.empty())
        fail(pp, "missing TSLPolicy or TSLLegalNotice");
      pc.done();
    }
    if (xmlNode* e = c.need("HistoricalInformationPeriod"))
      s.historical_information_period = integer(e, path + "/HistoricalInformationPeriod");
    if (xmlNode* e = c.take("PointersToOtherTSL")) {
      Children pc(*this, e, path + "/PointersToOtherTSL");
      while (xmlNode* p = pc.take("OtherTSLPointer")) s.pointers.push_back(pointer(p, pc.path() + "/OtherTSLPointer"));
      if (s.pointers.empty()) fail(pc.path(), "missing OtherTSLPointer");
      pc.done();
    }
    if (xmlNode* e = c.need("ListIssueDateTime")) s.list_issue_date_time = date_time(e, path + "/ListIssueDateTime");
    if (xmlNode* e = c.need("NextUpdate")) {
      Children nc(*this, e, path + "/NextUpdate");
      if (xmlNode* d = nc.take("dateTime")) s.next_update = date_time(d, nc.path() + "/dateTime");
      nc.done();
    }
    if (xmlNode* e = c.take("DistributionPoints")) {
      Children dc(*this, e, path + "/DistributionPoints");
      while (xmlNode* u = dc.take("URI")) s.distribution_points.push_back(trim(text_of(u)));
      if (s.distribution_points.empty()) fail(dc.path(), "missing URI");
      dc.done();
    }
    if (xmlNode* e = c.take("SchemeExtensions")) s.extensions = extensions(e, path + "/SchemeExtensions");
    c.done();
    return s;
  }

  // The fields ServiceInformation and ServiceHistoryInstance share, in schema order.
  template <typename T>
  void service_head(Children& c, T& s, const std::string& path) {
    if (xmlNode* e = c.need("ServiceTypeIdentifier")) s.type_identifier = trim(text_of(e));
    if (xmlNode* e = c.need("ServiceName")) s.name = multilang(e, "Name", path + "/ServiceName", false);
    if (xmlNode* e = c.need("ServiceDigitalIdentity")) s.digital_identity = digital_identity(e, path + "/ServiceDigitalIdentity");
    if (xmlNode* e = c.need("ServiceStatus")) s.status = trim(text_of(e));
    if (xmlNode* e = c.need("StatusStartingTime")) s.status_starting_time = date_time(e, path + "/StatusStartingTime");
  }

  TrustService service(const xmlNode* n, const std::string& path) {
    TrustService s;
    Children top(*this, n, path);
    if (xmlNode* info = top.need("ServiceInformation")) {
      const std::string ip = path + "/ServiceInformation";
      Children c(*this, info, ip);
      service_head(c, s, ip);
      if (xmlNode* e = c.take("SchemeServiceDefinitionURI"))
        s.scheme_service_definition_uri = multilang(e, "URI", ip + "/SchemeServiceDefinitionURI", true);
      if (xmlNode* e = c.take("ServiceSupplyPoints")) {
        Children sc(*this, e, ip + "/ServiceSupplyPoints");
        while (xmlNode* sp = sc.take("ServiceSupplyPoint")) {
          SupplyPoint p;
          p.uri = trim(text_of(sp));
          if (attribute(sp, "type", nullptr, p.type)) p.type = trim(p.type);
          s.supply_points.push_back(std::move(p));
        }
        if (s.supply_points.empty()) fail(sc.path(), "missing ServiceSupplyPoint");
        sc.done();
      }
      if (xmlNode* e = c.take("TSPServiceDefinitionURI"))
        s.tsp_service_definition_uri = multilang(e, "URI", ip + "/TSPServiceDefinitionURI", true);
      if (xmlNode* e = c.take("ServiceInformationExtensions"))
        s.extensions = extensions(e, ip + "/ServiceInformationExtensions");
      c.done();
    }
    if (xmlNode* h = top.take("ServiceHistory")) {
      const std::string hp = path + "/ServiceHistory";
      s.history.emplace();
      Children hc(*this, h, hp);
      while (xmlNode* inst = hc.take("ServiceHistoryInstance")) {
        const std::string ip = hp + "/ServiceHistoryInstance";
        ServiceHistoryInstance hi;
        Children c(*this, inst, ip);
        service_head(c, hi, ip);
        if (xmlNode* e = c.take("ServiceInformationExtensions"))
          hi.extensions = extensions(e, ip + "/ServiceInformationExtensions");
        c.done();
        s.history->push_back(std::move(hi));
      }
      hc.done();
    }
    top.done();
    return s;
  }

  TrustServiceProvider provider(const xmlNode* n, const std::string& path) {
    TrustServiceProvider p;
    Children top(*this, n, path);
    if (xmlNode* info = top.need("TSPInformation")) {
      const std::string ip = path + "/TSPInformation";
      Children c(*this, info, ip);
      if (xmlNode* e = c.need("TSPName")) p.name = multilang(e, "Name", ip + "/TSPName", false);
      if (xmlNode* e = c.take("TSPTradeName")) p.trade_name = multilang(e, "Name", ip + "/TSPTradeName", false);
      if (xmlNode* e = c.need("TSPAddress")) p.address = address(e, ip + "/TSPAddress");
      if (xmlNode* e = c.need("TSPInformationURI")) p.information_uri = multilang(e, "URI", ip + "/TSPInformationURI", true);
      if (xmlNode* e = c.take("TSPInformationExtensions")) p.extensions = extensions(e, ip + "/TSPInformationExtensions");
      c.done();
    }
    if (xmlNode* services = top.need("TSPServices")) {
      const std::string sp = path + "/TSPServices";
      Children c(*this, services, sp);
      while (xmlNode* s = c.take("TSPService"))
        p.services.push_back(service(s, sp + "/TSPService[" + std::to_string(p.services.size() + 1) + "]"));
      if (p.services.empty()) fail(sp, "missing TSPService");
      c.done();
    }
    top.done();
    return p;
  }

  ReadList list(const xmlNode* root) {
    ReadList out;
    if (!is_element(root, kNsTsl, "TrustServiceStatusList")) {
      fail("/", "root element is not tsl:TrustServiceStatusList");
      return out;
    }
    attribute(root, "Id", nullptr, out.list.id);
    std::string tag;
    if (!attribute(root, "TSLTag", nullptr, tag)) fail("/TrustServiceStatusList", "missing TSLTag");
    Children c(*this, root, "/TrustServiceStatusList");
    if (xmlNode* s = c.need("SchemeInformation")) out.list.scheme = scheme(s);
    if (xmlNode* l = c.take("TrustServiceProviderList")) {
      Children pc(*this, l, "/TrustServiceStatusList/TrustServiceProviderList");
      while (xmlNode* p = pc.take("TrustServiceProvider"))
        out.list.providers.push_back(
            provider(p, pc.path() + "/TrustServiceProvider[" + std::to_string(out.list.providers.size() + 1) + "]"));
      if (out.list.providers.empty()) fail(pc.path(), "missing TrustServiceProvider");
      pc.done();
    }
    if (c.take("Signature", kNsDs) != nullptr) out.signed_list = true;
    c.done();
    return out;
  }

 private:
  xmlDoc* doc_;
  bool ok_ = true;
  std::string error_;
};

}  // namespace

Result<ReadList> read_trusted_list(std::string_view xml) {
  auto doc = parse_xml(xml, false);
  if (!doc) return std::move(doc).error();
  Reader reader(doc->get());
  ReadList out = reader.list(xmlDocGetRootElement(doc->get()));
  if (!reader.ok()) return make_error(ErrorKind::invalid, "tl_malformed", reader.error());
  const int v = out.list.scheme.version;
  if (v != 5 && v != 6)
    return make_error(ErrorKind::invalid, "tl_unsupported_version", "TSLVersionIdentifier " + std::to_string(v) + " (5 and 6 are supported)");
  return out;
}

Result<ReadList> read_trusted_list_file(const std::string& path) {
  auto bytes = read_file(path);
  if (!bytes) return std::move(bytes).error();
  return read_trusted_list(*bytes);
}

}  // namespace trustmon::tsl
