// libxml2 and xmlsec plumbing shared by the trusted-list modules: move-only owners for
// their handles, one-time library initialisation, the namespaces of TS 119 612, and small
// tree helpers (element iteration, text, exclusive-C14N fragments).
//
// Policy: libxml2 never touches the network in this process. init_xml() installs
// libxml2's "no network" entity loader once (process-wide), so schema imports and
// external entities can only come from local files; every parse also passes
// XML_PARSE_NONET and never XML_PARSE_NOENT/DTDLOAD.
// Documents with a document type declaration are refused outright (tl_malformed), at the
// <!DOCTYPE, before any entity is declared: a trusted list (TS 119 612, an XML Schema
// document) has no business declaring entities, and without declarations no entity
// reference can be expanded (reliability review D3: one 100 KiB entity referenced 10,000
// times made a 1 GB name through xmlNodeGetContent). A text node (or attribute value)
// longer than kMaxXmlTextBytes is refused too; the reader caps names further.
#pragma once

#include <libxml/tree.h>
#include <libxml/xmlschemas.h>

#include <memory>
#include <string>
#include <string_view>

#include "common/result.hpp"

namespace trustmon::tsl {

inline constexpr const char* kNsTsl = "http://uri.etsi.org/02231/v2#";
inline constexpr const char* kNsDs = "http://www.w3.org/2000/09/xmldsig#";
inline constexpr const char* kNsXades = "http://uri.etsi.org/01903/v1.3.2#";
inline constexpr const char* kNsXml = "http://www.w3.org/XML/1998/namespace";
inline constexpr const char* kTslTag = "http://uri.etsi.org/19612/TSLTag";

struct XmlDocDeleter {
  void operator()(xmlDoc* d) const noexcept { xmlFreeDoc(d); }
};
using XmlDocPtr = std::unique_ptr<xmlDoc, XmlDocDeleter>;
struct XmlSchemaDeleter {
  void operator()(xmlSchema* s) const noexcept { xmlSchemaFree(s); }
};
using XmlSchemaPtr = std::unique_ptr<xmlSchema, XmlSchemaDeleter>;
struct XmlSchemaParserCtxtDeleter {
  void operator()(xmlSchemaParserCtxt* c) const noexcept { xmlSchemaFreeParserCtxt(c); }
};
using XmlSchemaParserCtxtPtr = std::unique_ptr<xmlSchemaParserCtxt, XmlSchemaParserCtxtDeleter>;
struct XmlSchemaValidCtxtDeleter {
  void operator()(xmlSchemaValidCtxt* c) const noexcept { xmlSchemaFreeValidCtxt(c); }
};
using XmlSchemaValidCtxtPtr = std::unique_ptr<xmlSchemaValidCtxt, XmlSchemaValidCtxtDeleter>;
struct XmlCharDeleter {
  void operator()(xmlChar* p) const noexcept { xmlFree(p); }
};
using XmlCharPtr = std::unique_ptr<xmlChar, XmlCharDeleter>;

// libxml2 + xmlsec (OpenSSL backend) initialisation; idempotent and thread-safe.
// Returns the failure of the first attempt on every later call.
Status init_xml();

// The longest text node or attribute value parse_xml accepts (the largest in real lists
// is a base64 certificate of a few KiB).
inline constexpr std::size_t kMaxXmlTextBytes = 1024 * 1024;

// Parses a document held in memory (no network, no DTD, no entities, capped text). `keep_blanks`
// false drops whitespace-only text between elements (for reading into the model);
// signature verification needs the bytes as they are, so it passes true.
Result<XmlDocPtr> parse_xml(std::string_view bytes, bool keep_blanks);

// Serialises a whole document as UTF-8 with an XML declaration, no re-indentation.
Result<std::string> serialize_xml(xmlDoc* doc);

inline const char* to_chars(const xmlChar* s) { return reinterpret_cast<const char*>(s); }
inline const xmlChar* to_xml(const char* s) { return reinterpret_cast<const xmlChar*>(s); }

// True if `node` is an element named `local` in namespace `ns`.
bool is_element(const xmlNode* node, const char* ns, const char* local);
// First element child (any namespace), or the next element sibling; nullptr at the end.
xmlNode* first_element(const xmlNode* parent);
xmlNode* next_element(const xmlNode* node);
// Concatenated text content of a node ("" if none).
std::string text_of(const xmlNode* node);
// Value of an attribute without namespace, or in namespace `ns`; nullopt-like "" + flag.
bool attribute(const xmlNode* node, const char* name, const char* ns, std::string& out);

// The children of `parent` (not the element itself) as exclusive canonical XML, each
// element carrying the namespace declarations it uses: a self-contained fragment that
// keeps unknown content (extensions, Other identities) exactly as signed data sees it.
Result<std::string> children_c14n(xmlDoc* doc, xmlNode* parent);
// The element itself and its subtree as exclusive canonical XML.
Result<std::string> element_c14n(xmlDoc* doc, xmlNode* element);
// Parses a fragment produced by children_c14n/element_c14n and appends copies of its
// nodes as children of `parent` (in `parent`'s document).
Status append_fragment(xmlNode* parent, std::string_view fragment);

}  // namespace trustmon::tsl
