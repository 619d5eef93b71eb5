// Reader and writer: the Ukrainian list (TL v5, 11 providers, 64 services) imported and
// exported again is the same tree element for element; malformed input is refused.
#include <gtest/gtest.h>

#include <string>

#include "common/ossl.hpp"
#include "tests/unit/tsl/xml_compare.hpp"
#include "tsl/xml.hpp"
#include "tsl/xml_reader.hpp"
#include "tsl/xml_writer.hpp"

namespace trustmon::tsl {
namespace {

const std::string kUaList = std::string(TRUSTMON_SOURCE_DIR) + "/tests/data/tl-samples/tl-ua.xml";

TEST(XmlReader, ReadsTheUkrainianList) {
  auto read = read_trusted_list_file(kUaList);
  ASSERT_TRUE(read.ok()) << read.error().message;
  const TrustedList& l = read->list;
  EXPECT_TRUE(read->signed_list);
  EXPECT_EQ(l.id, "TrustServiceStatusList-UA");
  EXPECT_EQ(l.scheme.version, 5);
  EXPECT_EQ(l.scheme.sequence_number, 33u);
  EXPECT_EQ(l.scheme.tsl_type, "http://uri.etsi.org/TrstSvc/TrustedList/TSLType/UAlist");
  EXPECT_EQ(l.scheme.territory, std::optional<std::string>("UA"));
  ASSERT_EQ(l.scheme.distribution_points.size(), 1u);
  EXPECT_EQ(l.scheme.distribution_points[0], "https://czo.gov.ua/download/tl/TL-UA.xml");
  EXPECT_EQ(l.providers.size(), 11u);
  std::size_t services = 0, history = 0, certs = 0;
  for (const auto& p : l.providers) {
    services += p.services.size();
    for (const auto& s : p.services) {
      if (s.history) history += s.history->size();
      for (const auto& id : s.digital_identity)
        if (id.kind == DigitalId::Kind::x509_certificate) ++certs;
    }
  }
  EXPECT_EQ(services, 60u);
  EXPECT_EQ(history, 4u);
  EXPECT_EQ(certs, 60u);
  EXPECT_EQ(l.providers[0].name[1].lang, "uk");
  EXPECT_EQ(l.providers[0].name[1].value, "Міністерство цифрової трансформації України");
}

TEST(XmlRoundTrip, UkrainianListExportsElementForElement) {
  auto original = read_file(kUaList);
  ASSERT_TRUE(original.ok());
  auto read = read_trusted_list(*original);
  ASSERT_TRUE(read.ok()) << read.error().message;
  WriteOptions w;
  w.version = 5;
  auto out = write_trusted_list(read->list, w);
  ASSERT_TRUE(out.ok()) << out.error().message;

  auto a = parse_xml(*original, true);
  auto b = parse_xml(*out, true);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(testing::compare_documents(a->get(), b->get()), "");

  // The comparison itself notices a one-character change.
  std::string changed = *out;
  const auto at = changed.find("Kyiv");
  ASSERT_NE(at, std::string::npos);
  changed[at] = 'k';
  auto c = parse_xml(changed, true);
  ASSERT_TRUE(c.ok());
  const std::string diff = testing::compare_documents(a->get(), c->get());
  EXPECT_NE(diff.find("Locality"), std::string::npos) << diff;

  // And a second import gives the same model.
  auto again = read_trusted_list(*out);
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_TRUE(again->list == read->list);
  EXPECT_FALSE(again->signed_list);
}

TEST(XmlReader, RefusesMalformedInput) {
  auto r1 = read_trusted_list("<TrustServiceStatusList");
  ASSERT_FALSE(r1.ok());
  EXPECT_EQ(r1.error().code, "tl_malformed");
  auto r2 = read_trusted_list("<x xmlns='http://uri.etsi.org/02231/v2#'/>");
  ASSERT_FALSE(r2.ok());
  EXPECT_EQ(r2.error().code, "tl_malformed");

  auto original = read_file(kUaList);
  ASSERT_TRUE(original.ok());
  std::string missing = *original;
  const auto at = missing.find("<TSLType>");
  const auto end = missing.find("</TSLType>");
  missing.erase(at, end + 10 - at);
  auto r3 = read_trusted_list(missing);
  ASSERT_FALSE(r3.ok());
  EXPECT_EQ(r3.error().code, "tl_malformed");
  EXPECT_NE(r3.error().message.find("SchemeInformation: missing TSLType"), std::string::npos) << r3.error().message;

  std::string v4 = *original;
  v4.replace(v4.find("<TSLVersionIdentifier>5<"), 24, "<TSLVersionIdentifier>4<");
  auto r4 = read_trusted_list(v4);
  ASSERT_FALSE(r4.ok());
  EXPECT_EQ(r4.error().code, "tl_unsupported_version");
}

// The UA list with `doctype` before its root element and `name_text` as the first
// SchemeOperatorName/Name.
std::string ua_list_with(const std::string& doctype, const std::string& name_text) {
  std::string xml = read_file(kUaList).value();
  // The sample has no XML declaration: the DOCTYPE opens the document.
  if (!doctype.empty()) xml.insert(0, doctype + "\n");
  const auto op = xml.find("<SchemeOperatorName>");
  const auto name_at = xml.find('>', xml.find("<Name", op)) + 1;
  const auto name_end = xml.find("</Name>", name_at);
  xml.replace(name_at, name_end - name_at, name_text);
  return xml;
}

// Review D3: one 100 KiB entity referenced 10,000 times (a 1 GB name before) and the
// "billion laughs" form are refused at the DOCTYPE, before any entity is declared.
TEST(XmlReader, RefusesDocumentTypeDeclarationsAndEntities) {
  std::string refs;
  for (int i = 0; i < 10000; ++i) refs += "&big;";
  const std::string quad = ua_list_with("<!DOCTYPE TrustServiceStatusList [<!ENTITY big \"" +
                                            std::string(100 * 1024, 'A') + "\">]>",
                                        refs);
  auto r = read_trusted_list(quad);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "tl_malformed");
  EXPECT_NE(r.error().message.find("document type declaration"), std::string::npos) << r.error().message;

  std::string laughs = "<!DOCTYPE TrustServiceStatusList [<!ENTITY l0 \"ha\">";
  for (int i = 1; i < 10; ++i)
    laughs += "<!ENTITY l" + std::to_string(i) + " \"" + [&] {
      std::string x;
      for (int k = 0; k < 10; ++k) x += "&l" + std::to_string(i - 1) + ";";
      return x;
    }() + "\">";
  laughs += "]>";
  auto b = read_trusted_list(ua_list_with(laughs, "&l9;"));
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.error().code, "tl_malformed");

  // A DOCTYPE without an internal subset (an external DTD, never loaded) is refused too,
  // and so is an external entity.
  auto ext = read_trusted_list(ua_list_with("<!DOCTYPE TrustServiceStatusList SYSTEM \"file:///etc/passwd\">", "x"));
  ASSERT_FALSE(ext.ok());
  EXPECT_EQ(ext.error().code, "tl_malformed");
  auto xxe = read_trusted_list(
      ua_list_with("<!DOCTYPE TrustServiceStatusList [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>", "&x;"));
  ASSERT_FALSE(xxe.ok());
  EXPECT_EQ(xxe.error().code, "tl_malformed");
  // An undeclared entity is not well-formed; predefined and character references are text.
  EXPECT_EQ(read_trusted_list(ua_list_with("", "&undeclared;")).error().code, "tl_malformed");
  auto ok = read_trusted_list(ua_list_with("", "A &amp; B &#x0406;"));
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  EXPECT_EQ(ok->list.scheme.operator_name.front().value, "A & B \xd0\x86");
}

TEST(XmlReader, CapsTextSizes) {
  // A name at the cap is read; one octet more is refused, naming the path.
  auto at_cap = read_trusted_list(ua_list_with("", std::string(kMaxNameBytes, 'n')));
  ASSERT_TRUE(at_cap.ok()) << at_cap.error().message;
  auto over = read_trusted_list(ua_list_with("", std::string(kMaxNameBytes + 1, 'n')));
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.error().code, "tl_malformed");
  EXPECT_NE(over.error().message.find("SchemeOperatorName/Name: longer than 8 KiB"), std::string::npos)
      << over.error().message;
  // Any text node over kMaxXmlTextBytes is refused by the parser (here a legal notice).
  std::string xml = read_file(kUaList).value();
  const auto notice = xml.find("<TSLLegalNotice");
  ASSERT_NE(notice, std::string::npos);
  const auto text_at = xml.find('>', notice) + 1;
  xml.insert(text_at, std::string(kMaxXmlTextBytes + 1, 'x'));
  auto big = read_trusted_list(xml);
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.error().code, "tl_malformed");
  EXPECT_NE(big.error().message.find("text node longer than 1024 KiB"), std::string::npos) << big.error().message;
}

}  // namespace
}  // namespace trustmon::tsl
