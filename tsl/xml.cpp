// See xml.hpp. xmlsec is initialised with its OpenSSL backend only (the package's
// pkg-config sets the crypto engine at compile time; no dynamic crypto loading).
#include "tsl/xml.hpp"

#include <libxml/c14n.h>
#include <libxml/parser.h>
#include <libxml/xmlIO.h>
#include <libxml/xmlsave.h>
#include <xmlsec/crypto.h>
#include <xmlsec/errors.h>
#include <xmlsec/xmlsec.h>

#include <mutex>

namespace trustmon::tsl {
namespace {

struct ParserCtxtDeleter {
  void operator()(xmlParserCtxt* c) const noexcept { xmlFreeParserCtxt(c); }
};
using ParserCtxtPtr = std::unique_ptr<xmlParserCtxt, ParserCtxtDeleter>;

struct OutputBufferDeleter {
  void operator()(xmlOutputBuffer* b) const noexcept { xmlOutputBufferClose(b); }
};
using OutputBufferPtr = std::unique_ptr<xmlOutputBuffer, OutputBufferDeleter>;

// xmlsec reports every failure on stderr by default; the callers turn failures into
// Errors themselves, and a server's stderr is not a log.
void quiet_xmlsec_errors(const char*, int, const char*, const char*, const char*, int, const char*) {}

Status init_once() {
  xmlInitParser();
  // Process-wide: external entities and schema imports may only come from local files.
  xmlSetExternalEntityLoader(xmlNoNetExternalEntityLoader);
  if (xmlSecInit() < 0) return make_error(ErrorKind::internal, "xml_init_failed", "xmlSecInit failed");
  if (xmlSecCheckVersion() != 1) return make_error(ErrorKind::internal, "xml_init_failed", "xmlsec library version mismatch");
  if (xmlSecCryptoAppInit(nullptr) < 0) return make_error(ErrorKind::internal, "xml_init_failed", "xmlsec crypto app init failed");
  if (xmlSecCryptoInit() < 0) return make_error(ErrorKind::internal, "xml_init_failed", "xmlsec crypto init failed");
  xmlSecErrorsSetCallback(quiet_xmlsec_errors);
  return {};
}

// Exclusive C14N of the whole of `doc`, leaving out the root element itself (its
// attributes and namespace declarations) when `skip_root` is set.
struct VisibleFilter {
  const xmlNode* root;
};

int visible_except_root(void* user, xmlNode* node, xmlNode* parent) {
  const auto* filter = static_cast<const VisibleFilter*>(user);
  if (node == nullptr) return 1;
  if (node->type == XML_NAMESPACE_DECL || node->type == XML_ATTRIBUTE_NODE) return parent != filter->root ? 1 : 0;
  return node != filter->root ? 1 : 0;
}

Result<std::string> c14n_doc(xmlDoc* doc, bool skip_root) {
  OutputBufferPtr buf(xmlAllocOutputBuffer(nullptr));
  if (!buf) return make_error(ErrorKind::invalid, "xml_error", "cannot allocate an output buffer");
  VisibleFilter filter{xmlDocGetRootElement(doc)};
  const int rc = xmlC14NExecute(doc, skip_root ? visible_except_root : nullptr, skip_root ? &filter : nullptr,
                                XML_C14N_EXCLUSIVE_1_0, nullptr, 0, buf.get());
  if (rc < 0) return make_error(ErrorKind::invalid, "xml_error", "canonicalisation failed");
  const xmlChar* content = xmlOutputBufferGetContent(buf.get());
  const std::size_t size = xmlOutputBufferGetSize(buf.get());
  return std::string(to_chars(content), size);
}

Result<std::string> subtree_c14n(xmlNode* element, bool skip_root) {
  XmlDocPtr tmp(xmlNewDoc(to_xml("1.0")));
  if (!tmp) return make_error(ErrorKind::invalid, "xml_error", "cannot allocate a document");
  // Copying into a new document re-declares, on the copy, every namespace the subtree
  // inherited from its ancestors, so the fragment stands alone.
  xmlNode* copy = xmlDocCopyNode(element, tmp.get(), 1);
  if (copy == nullptr) return make_error(ErrorKind::invalid, "xml_error", "cannot copy a subtree");
  xmlDocSetRootElement(tmp.get(), copy);
  return c14n_doc(tmp.get(), skip_root);
}

// Points every use of namespace `from` in the subtree of `n` at `to`.
void repoint_ns(xmlNode* n, const xmlNs* from, xmlNs* to) {
  if (n->type != XML_ELEMENT_NODE) return;
  if (n->ns == from) n->ns = to;
  for (xmlAttr* a = n->properties; a != nullptr; a = a->next)
    if (a->ns == from) a->ns = to;
  for (xmlNode* c = n->children; c != nullptr; c = c->next) repoint_ns(c, from, to);
}

// Removes declarations on `copy` that repeat what is already in scope at `parent`
// (a fragment declares every namespace it uses; inside the list most are inherited).
void drop_redundant_ns(xmlNode* copy, xmlNode* parent) {
  if (copy->type != XML_ELEMENT_NODE) return;
  xmlNs** link = &copy->nsDef;
  while (*link != nullptr) {
    xmlNs* decl = *link;
    xmlNs* outer = xmlSearchNs(parent->doc, parent, decl->prefix);
    if (outer != nullptr && xmlStrEqual(outer->href, decl->href)) {
      *link = decl->next;
      repoint_ns(copy, decl, outer);
      xmlFreeNs(decl);
    } else {
      link = &decl->next;
    }
  }
}

// SAX hook for <!DOCTYPE ...>: a trusted list has no document type declaration, and
// refusing it here, before its internal subset is read, means no entity is ever declared
// (so none can be expanded, by xmlNodeGetContent or anything else).
// (xmlCtxtReadMemory resets the context's user fields, so the flag is per thread: one
// parse at a time per thread.)
thread_local bool doctype_seen = false;
void refuse_doctype(void* ctx, const xmlChar*, const xmlChar*, const xmlChar*) {
  doctype_seen = true;
  xmlStopParser(static_cast<xmlParserCtxt*>(ctx));
}

// Walks the parsed tree (iteratively; libxml2 caps depth at 256) and refuses what
// parse_xml's policy excludes even if the parser let it through: DTD and entity nodes,
// and text longer than kMaxXmlTextBytes in one node.
Status check_tree(const xmlDoc* doc) {
  const auto too_long = [](const xmlNode* n) {
    return n->content != nullptr && xmlStrlen(n->content) > static_cast<int>(kMaxXmlTextBytes);
  };
  const xmlNode* n = doc->children;
  while (n != nullptr) {
    switch (n->type) {
      case XML_DTD_NODE:
      case XML_ENTITY_REF_NODE:
      case XML_ENTITY_NODE:
      case XML_ENTITY_DECL:
        return make_error(ErrorKind::invalid, "tl_malformed", "a trusted list may not declare or reference entities");
      case XML_TEXT_NODE:
      case XML_CDATA_SECTION_NODE:
      case XML_COMMENT_NODE:
        if (too_long(n))
          return make_error(ErrorKind::invalid, "tl_malformed",
                            "a text node longer than " + std::to_string(kMaxXmlTextBytes / 1024) + " KiB");
        break;
      case XML_ELEMENT_NODE:
        for (const xmlAttr* a = n->properties; a != nullptr; a = a->next)
          for (const xmlNode* t = a->children; t != nullptr; t = t->next) {
            if (t->type == XML_ENTITY_REF_NODE)
              return make_error(ErrorKind::invalid, "tl_malformed", "a trusted list may not reference entities");
            if (too_long(t))
              return make_error(ErrorKind::invalid, "tl_malformed",
                                "an attribute longer than " + std::to_string(kMaxXmlTextBytes / 1024) + " KiB");
          }
        break;
      default:
        break;
    }
    // Depth-first, without recursion.
    if (n->type == XML_ELEMENT_NODE && n->children != nullptr) {
      n = n->children;
      continue;
    }
    while (n != nullptr && n->next == nullptr) {
      n = n->parent;
      if (n == nullptr || n->type == XML_DOCUMENT_NODE) return {};
    }
    if (n != nullptr) n = n->next;
  }
  return {};
}

}  // namespace

Status init_xml() {
  static std::once_flag once;
  static Status status;
  std::call_once(once, [] { status = init_once(); });
  return status;
}

Result<XmlDocPtr> parse_xml(std::string_view bytes, bool keep_blanks) {
  if (auto s = init_xml(); !s) return s.error();
  if (bytes.size() > static_cast<std::size_t>(INT32_MAX)) return make_error(ErrorKind::invalid, "tl_malformed", "document too large");
  ParserCtxtPtr ctxt(xmlNewParserCtxt());
  if (!ctxt) return make_error(ErrorKind::invalid, "xml_error", "cannot allocate a parser");
  doctype_seen = false;
  ctxt->sax->internalSubset = refuse_doctype;
  int options = XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_NOCDATA;
  if (!keep_blanks) options |= XML_PARSE_NOBLANKS;
  XmlDocPtr doc(xmlCtxtReadMemory(ctxt.get(), bytes.data(), static_cast<int>(bytes.size()), nullptr, nullptr, options));
  if (doctype_seen)
    return make_error(ErrorKind::invalid, "tl_malformed",
                      "a trusted list may not have a document type declaration (DTD, entity declarations)");
  if (!doc) {
    const xmlError* err = xmlCtxtGetLastError(ctxt.get());
    std::string msg = "not well-formed XML";
    if (err != nullptr && err->message != nullptr) {
      msg += " (line " + std::to_string(err->line) + "): " + err->message;
      while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
    }
    return make_error(ErrorKind::invalid, "tl_malformed", msg);
  }
  if (Status st = check_tree(doc.get()); !st) return st.error();
  return doc;
}

Result<std::string> serialize_xml(xmlDoc* doc) {
  xmlChar* mem = nullptr;
  int size = 0;
  xmlDocDumpMemoryEnc(doc, &mem, &size, "UTF-8");
  if (mem == nullptr) return make_error(ErrorKind::invalid, "xml_error", "cannot serialise the document");
  XmlCharPtr owner(mem);
  return std::string(to_chars(mem), static_cast<std::size_t>(size));
}

bool is_element(const xmlNode* node, const char* ns, const char* local) {
  if (node == nullptr || node->type != XML_ELEMENT_NODE) return false;
  if (xmlStrcmp(node->name, to_xml(local)) != 0) return false;
  if (ns == nullptr) return node->ns == nullptr;
  return node->ns != nullptr && xmlStrcmp(node->ns->href, to_xml(ns)) == 0;
}

xmlNode* first_element(const xmlNode* parent) {
  for (xmlNode* c = parent->children; c != nullptr; c = c->next)
    if (c->type == XML_ELEMENT_NODE) return c;
  return nullptr;
}

xmlNode* next_element(const xmlNode* node) {
  for (xmlNode* c = node->next; c != nullptr; c = c->next)
    if (c->type == XML_ELEMENT_NODE) return c;
  return nullptr;
}

std::string text_of(const xmlNode* node) {
  XmlCharPtr content(xmlNodeGetContent(node));
  return content ? std::string(to_chars(content.get())) : std::string();
}

bool attribute(const xmlNode* node, const char* name, const char* ns, std::string& out) {
  XmlCharPtr v(ns == nullptr ? xmlGetNoNsProp(node, to_xml(name)) : xmlGetNsProp(node, to_xml(name), to_xml(ns)));
  if (!v) return false;
  out = to_chars(v.get());
  return true;
}

Result<std::string> children_c14n(xmlDoc* doc, xmlNode* parent) { (void)doc;
  return subtree_c14n(parent, true);
}

Result<std::string> element_c14n(xmlDoc* doc, xmlNode* element) { (void)doc;
  return subtree_c14n(element, false);
}

Status append_fragment(xmlNode* parent, std::string_view fragment) {
  std::string wrapped;
  wrapped.reserve(fragment.size() + 8);
  wrapped.append("<f>").append(fragment).append("</f>");
  auto doc = parse_xml(wrapped, true);
  if (!doc) return make_error(ErrorKind::invalid, "tl_malformed", "stored XML fragment does not parse: " + doc.error().message);
  xmlNode* root = xmlDocGetRootElement(doc->get());
  for (xmlNode* c = root->children; c != nullptr; c = c->next) {
    xmlNode* copy = xmlDocCopyNode(c, parent->doc, 1);
    if (copy == nullptr || xmlAddChild(parent, copy) == nullptr) {
      if (copy != nullptr) xmlFreeNode(copy);
      return make_error(ErrorKind::invalid, "xml_error", "cannot copy a fragment node");
    }
    drop_redundant_ns(copy, parent);
  }
  return {};
}

}  // namespace trustmon::tsl
