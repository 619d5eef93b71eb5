// Test helper: compares two XML documents as trees (namespace URI + local name,
// attributes as a set, text exactly) ignoring ds:Signature elements, comments and
// whitespace-only text. Returns "" when equal, otherwise the path of the first difference.
#pragma once

#include <libxml/tree.h>

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "tsl/xml.hpp"

namespace trustmon::tsl::testing {

inline std::string node_name(const xmlNode* n) {
  std::string s = n->ns != nullptr ? std::string("{") + to_chars(n->ns->href) + "}" : std::string();
  return s + to_chars(n->name);
}

inline std::vector<const xmlNode*> significant_children(const xmlNode* n) {
  std::vector<const xmlNode*> out;
  for (const xmlNode* c = n->children; c != nullptr; c = c->next) {
    if (c->type == XML_ELEMENT_NODE) {
      if (is_element(c, kNsDs, "Signature") && n->parent != nullptr && n->parent->type == XML_DOCUMENT_NODE) continue;
      out.push_back(c);
    } else if (c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) {
      if (!xmlIsBlankNode(c)) out.push_back(c);
    }
  }
  return out;
}

inline std::map<std::string, std::string> attributes_of(const xmlNode* n) {
  std::map<std::string, std::string> out;
  for (const xmlAttr* a = n->properties; a != nullptr; a = a->next) {
    std::string key = a->ns != nullptr ? std::string("{") + to_chars(a->ns->href) + "}" : std::string();
    key += to_chars(a->name);
    XmlCharPtr v(xmlNodeListGetString(n->doc, a->children, 1));
    out[key] = v ? to_chars(v.get()) : "";
  }
  return out;
}

inline std::string compare_nodes(const xmlNode* a, const xmlNode* b, const std::string& path) {
  if (a->type != b->type) return path + ": node types differ";
  if (a->type != XML_ELEMENT_NODE) {
    XmlCharPtr ta(xmlNodeGetContent(a)), tb(xmlNodeGetContent(b));
    const std::string sa = ta ? to_chars(ta.get()) : "", sb = tb ? to_chars(tb.get()) : "";
    if (sa != sb) return path + "/text(): \"" + sa + "\" != \"" + sb + "\"";
    return "";
  }
  if (node_name(a) != node_name(b)) return path + ": element " + node_name(a) + " != " + node_name(b);
  const auto aa = attributes_of(a), ab = attributes_of(b);
  if (aa != ab) {
    for (const auto& [k, v] : aa) {
      auto it = ab.find(k);
      if (it == ab.end()) return path + "/@" + k + ": missing in second";
      if (it->second != v) return path + "/@" + k + ": \"" + v + "\" != \"" + it->second + "\"";
    }
    return path + ": extra attribute in second";
  }
  const auto ca = significant_children(a), cb = significant_children(b);
  std::map<std::string, int> seen;
  for (std::size_t i = 0; i < ca.size() && i < cb.size(); ++i) {
    const std::string name = ca[i]->type == XML_ELEMENT_NODE ? to_chars(ca[i]->name) : std::string("text()");
    const std::string child = path + "/" + name + "[" + std::to_string(++seen[name]) + "]";
    if (auto d = compare_nodes(ca[i], cb[i], child); !d.empty()) return d;
  }
  if (ca.size() != cb.size())
    return path + ": " + std::to_string(ca.size()) + " children != " + std::to_string(cb.size());
  return "";
}

inline std::string compare_documents(xmlDoc* a, xmlDoc* b) {
  const xmlNode* ra = xmlDocGetRootElement(a);
  const xmlNode* rb = xmlDocGetRootElement(b);
  if (ra == nullptr || rb == nullptr) return "/: missing root";
  return compare_nodes(ra, rb, "/" + std::string(to_chars(ra->name)));
}

}  // namespace trustmon::tsl::testing
