#pragma once

// A minimal XML writer for the restXml and query protocols' replies. Not thread-safe (one per
// reply). Below it, a small parser for XML request bodies (S3's CreateBucketConfiguration,
// Tagging, Delete, CompleteMultipartUpload, ...).

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/expected.h"

namespace lamina {

std::string XmlEscape(std::string_view text);

class XmlWriter {
 public:
  // Starts with the XML declaration.
  XmlWriter();
  void Open(std::string_view name, std::string_view attributes = {});
  void Close(std::string_view name);
  // <name>escaped text</name>
  void Element(std::string_view name, std::string_view text);
  const std::string& str() const { return out_; }
  std::string Take() { return std::move(out_); }

 private:
  std::string out_;
};

// One parsed element. Namespaces are not resolved: `name` is the local part and an `xmlns`
// declaration is an ordinary attribute (S3 accepts its documents with or without one).
struct XmlElement {
  std::string name;  // local name: any "prefix:" removed
  // The character data directly inside this element (entities decoded, CDATA included, line
  // ends normalized to \n), concatenated across the child elements in between. Not trimmed.
  std::string text;
  // As written (names keep their prefixes); values decoded and whitespace-normalized as XML
  // 1.0 section 3.3.3 says.
  std::vector<std::pair<std::string, std::string>> attributes;
  std::vector<XmlElement> children;

  // The first child with this local name, or nullptr.
  const XmlElement* Child(std::string_view local_name) const;
  // Every child with this local name, in document order.
  std::vector<const XmlElement*> Children(std::string_view local_name) const;
  // Trimmed text of the first child with this name, or nullopt when absent.
  std::optional<std::string> ChildText(std::string_view local_name) const;
};

// Default nesting limit for ParseXml; S3's deepest request documents (lifecycle and
// notification filters) nest six deep.
inline constexpr size_t kXmlDefaultMaxDepth = 64;

// Parses one XML 1.0 document in UTF-8: an optional BOM and <?xml ...?> declaration, comments,
// processing instructions and whitespace around one root element. Returns a short human error
// message (with the byte offset) when the document is not well-formed: unbalanced or
// mismatched tags, text or a second element after the root, an unknown or malformed entity
// reference, a character XML forbids, invalid UTF-8, a declared encoding other than UTF-8,
// nesting deeper than `max_depth` elements (the root is depth 1), or any <!DOCTYPE> or other
// markup declaration (refused outright, so entity expansion attacks have nothing to expand).
// Runs in time linear in the document (a tag's attributes are checked for duplicates in
// n log n); pure and thread-safe. The returned tree is at most
// `max_depth` deep, which also bounds the recursion of its destructor.
Expected<XmlElement, std::string> ParseXml(std::string_view document,
                                           size_t max_depth = kXmlDefaultMaxDepth);

}  // namespace lamina
