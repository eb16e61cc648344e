#include "common/xml.h"

#include <algorithm>
#include <cstdint>

namespace lamina {

std::string XmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      case '\r':
        out += "&#xD;";
        break;
      case '\t':
      case '\n':
        out.push_back(c);
        break;
      default:
        // XML 1.0 cannot carry the other control characters at all, escaped or not.
        if (static_cast<unsigned char>(c) < 0x20)
          out += "\xEF\xBF\xBD";  // U+FFFD
        else
          out.push_back(c);
    }
  }
  return out;
}

XmlWriter::XmlWriter() : out_("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n") {}

void XmlWriter::Open(std::string_view name, std::string_view attributes) {
  out_ += '<';
  out_ += name;
  if (!attributes.empty()) {
    out_ += ' ';
    out_ += attributes;
  }
  out_ += '>';
}

void XmlWriter::Close(std::string_view name) {
  out_ += "</";
  out_ += name;
  out_ += '>';
}

void XmlWriter::Element(std::string_view name, std::string_view text) {
  Open(name);
  out_ += XmlEscape(text);
  Close(name);
}

// --- Parser ---------------------------------------------------------------------------------

const XmlElement* XmlElement::Child(std::string_view local_name) const {
  for (const XmlElement& child : children)
    if (child.name == local_name) return &child;
  return nullptr;
}

std::vector<const XmlElement*> XmlElement::Children(std::string_view local_name) const {
  std::vector<const XmlElement*> found;
  for (const XmlElement& child : children)
    if (child.name == local_name) found.push_back(&child);
  return found;
}

namespace {

bool IsXmlSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

std::string_view TrimXmlSpace(std::string_view text) {
  while (!text.empty() && IsXmlSpace(text.front())) text.remove_prefix(1);
  while (!text.empty() && IsXmlSpace(text.back())) text.remove_suffix(1);
  return text;
}

// XML 1.0 production [2] Char.
bool IsXmlChar(uint32_t code_point) {
  return code_point == 0x9 || code_point == 0xA || code_point == 0xD ||
         (code_point >= 0x20 && code_point <= 0xD7FF) ||
         (code_point >= 0xE000 && code_point <= 0xFFFD) ||
         (code_point >= 0x10000 && code_point <= 0x10FFFF);
}

// Names: ASCII letters, '_' and ':' start one, digits, '-' and '.' may follow; every non-ASCII
// character is accepted (the document's UTF-8 was validated up front).
bool IsNameStart(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' || c >= 0x80;
}
bool IsNameChar(unsigned char c) {
  return IsNameStart(c) || (c >= '0' && c <= '9') || c == '-' || c == '.';
}

void AppendUtf8(uint32_t code_point, std::string* out) {
  if (code_point < 0x80) {
    out->push_back(static_cast<char>(code_point));
  } else if (code_point < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (code_point >> 6)));
    out->push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  } else if (code_point < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (code_point >> 12)));
    out->push_back(static_cast<char>(0x80 | ((code_point >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (code_point >> 18)));
    out->push_back(static_cast<char>(0x80 | ((code_point >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((code_point >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  }
}

// One pass over a document. Elements are built on an explicit stack, never by recursion, so
// hostile nesting costs heap (bounded by max_depth), not C++ stack.
class XmlParser {
 public:
  XmlParser(std::string_view document, size_t max_depth)
      : document_(document), max_depth_(max_depth) {}

  Expected<XmlElement, std::string> Parse() {
    if (!CheckCharacters()) return Unexpected(std::move(error_));
    if (document_.substr(0, 3) == "\xEF\xBB\xBF") position_ = 3;
    if (!ParseDeclaration() || !ParseMisc(/*before_root=*/true))
      return Unexpected(std::move(error_));
    if (AtEnd()) {
      Fail("the document has no root element");
      return Unexpected(std::move(error_));
    }
    XmlElement root;
    if (!ParseElementTree(&root) || !ParseMisc(/*before_root=*/false))
      return Unexpected(std::move(error_));
    return root;
  }

 private:
  bool AtEnd() const { return position_ >= document_.size(); }
  bool LookingAt(std::string_view text) const {
    return document_.substr(position_, text.size()) == text;
  }

  bool Fail(std::string_view message) {
    if (error_.empty())
      error_ = "XML is not well-formed: " + std::string(message) + " (byte " +
               std::to_string(position_) + ")";
    return false;
  }

  // Every byte sequence must be UTF-8 for a character XML allows.
  bool CheckCharacters() {
    const auto* bytes = reinterpret_cast<const unsigned char*>(document_.data());
    const size_t size = document_.size();
    for (size_t i = 0; i < size;) {
      position_ = i;
      unsigned char lead = bytes[i];
      if (lead < 0x80) {
        if (lead < 0x20 && lead != '\t' && lead != '\n' && lead != '\r')
          return Fail("control character not allowed in XML");
        ++i;
        continue;
      }
      size_t length;
      uint32_t code_point;
      if (lead >= 0xC2 && lead <= 0xDF) {
        length = 2;
        code_point = lead & 0x1F;
      } else if (lead >= 0xE0 && lead <= 0xEF) {
        length = 3;
        code_point = lead & 0x0F;
      } else if (lead >= 0xF0 && lead <= 0xF4) {
        length = 4;
        code_point = lead & 0x07;
      } else {
        return Fail("invalid UTF-8");
      }
      if (size - i < length) return Fail("invalid UTF-8");
      for (size_t k = 1; k < length; ++k) {
        if ((bytes[i + k] & 0xC0) != 0x80) return Fail("invalid UTF-8");
        code_point = (code_point << 6) | (bytes[i + k] & 0x3F);
      }
      // Overlong forms, surrogates and code points past U+10FFFF are not UTF-8.
      if ((length == 3 && code_point < 0x800) || (length == 4 && code_point < 0x10000) ||
          (code_point >= 0xD800 && code_point <= 0xDFFF) || code_point > 0x10FFFF)
        return Fail("invalid UTF-8");
      if (!IsXmlChar(code_point)) return Fail("character not allowed in XML");
      i += length;
    }
    position_ = 0;
    return true;
  }

  bool SkipSpace() {
    size_t start = position_;
    while (!AtEnd() && IsXmlSpace(document_[position_])) ++position_;
    return position_ > start;
  }

  // A Name at the current position (empty when there is none), kept as a view of the document.
  std::string_view ParseName() {
    size_t start = position_;
    if (AtEnd() || !IsNameStart(static_cast<unsigned char>(document_[position_]))) return {};
    ++position_;
    while (!AtEnd() && IsNameChar(static_cast<unsigned char>(document_[position_]))) ++position_;
    return document_.substr(start, position_ - start);
  }

  // Element and attribute names must be namespace-well-formed: "local" or "prefix:local".
  bool CheckQualifiedName(std::string_view name) {
    size_t colon = name.find(':');
    if (colon == std::string_view::npos) return true;
    if (colon == 0 || colon + 1 == name.size() ||
        name.find(':', colon + 1) != std::string_view::npos)
      return Fail("'" + std::string(name) + "' is not a valid qualified name");
    return true;
  }

  // <?xml version="1.0" encoding="UTF-8" standalone="yes"?>, only at the very start.
  bool ParseDeclaration() {
    if (!LookingAt("<?xml") || position_ + 5 >= document_.size() ||
        !(IsXmlSpace(document_[position_ + 5]) || document_[position_ + 5] == '?'))
      return true;
    size_t end = document_.find("?>", position_);
    if (end == std::string_view::npos) return Fail("unterminated XML declaration");
    std::string_view declaration = document_.substr(position_, end - position_);
    size_t encoding = declaration.find("encoding");
    if (encoding != std::string_view::npos) {
      std::string_view rest = declaration.substr(encoding + 8);
      size_t quote = rest.find_first_of("'\"");
      size_t close = quote == std::string_view::npos ? quote : rest.find(rest[quote], quote + 1);
      if (close == std::string_view::npos) return Fail("malformed encoding in XML declaration");
      std::string name(rest.substr(quote + 1, close - quote - 1));
      for (char& c : name) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
      if (name != "utf-8" && name != "utf8" && name != "us-ascii" && name != "ascii")
        return Fail("unsupported encoding '" + name + "' (only UTF-8 is accepted)");
    }
    position_ = end + 2;
    return true;
  }

  // Whitespace, comments and processing instructions around the root element; before it, stops
  // at the root's '<'.
  bool ParseMisc(bool before_root) {
    while (true) {
      SkipSpace();
      if (AtEnd()) return true;
      if (LookingAt("<!--")) {
        if (!ParseComment()) return false;
      } else if (LookingAt("<?")) {
        if (!ParseProcessingInstruction()) return false;
      } else if (LookingAt("<!")) {
        return FailDeclaration();
      } else if (document_[position_] == '<') {
        return before_root ? true : Fail("a second element after the root element");
      } else {
        return Fail(before_root ? "text before the root element" : "text after the root element");
      }
    }
  }

  bool FailDeclaration() {
    if (LookingAt("<!DOCTYPE")) return Fail("DOCTYPE is not allowed");
    if (LookingAt("<![CDATA[")) return Fail("CDATA outside the root element");
    return Fail("markup declarations are not allowed");
  }

  // <!-- ... --> where the content has no "--".
  bool ParseComment() {
    size_t dashes = document_.find("--", position_ + 4);
    if (dashes == std::string_view::npos) return Fail("unterminated comment");
    if (dashes + 2 >= document_.size() || document_[dashes + 2] != '>') {
      position_ = dashes;
      return Fail("'--' inside a comment");
    }
    position_ = dashes + 3;
    return true;
  }

  // <?target ...?>; the reserved target "xml" belongs to the declaration at the start only.
  bool ParseProcessingInstruction() {
    position_ += 2;
    std::string_view target = ParseName();
    if (target.empty()) return Fail("processing instruction without a target");
    if (target.size() == 3 && (target[0] | 0x20) == 'x' && (target[1] | 0x20) == 'm' &&
        (target[2] | 0x20) == 'l')
      return Fail("XML declaration not at the start of the document");
    if (!LookingAt("?>") && !SkipSpace()) return Fail("malformed processing instruction");
    size_t end = document_.find("?>", position_);
    if (end == std::string_view::npos) return Fail("unterminated processing instruction");
    position_ = end + 2;
    return true;
  }

  // At '&': one entity or character reference, decoded onto `out`.
  bool ParseReference(std::string* out) {
    size_t start = position_;
    ++position_;
    // The longest reference that can be valid is "&#x0010FFFF;" with a few leading zeros; a
    // bounded look-ahead keeps hostile input linear.
    constexpr size_t kMaxReferenceLength = 32;
    size_t semicolon = document_.substr(position_, kMaxReferenceLength).find(';');
    if (semicolon == std::string_view::npos) return Fail("unterminated or overlong reference");
    std::string_view body = document_.substr(position_, semicolon);
    if (body == "amp") {
      out->push_back('&');
    } else if (body == "lt") {
      out->push_back('<');
    } else if (body == "gt") {
      out->push_back('>');
    } else if (body == "quot") {
      out->push_back('"');
    } else if (body == "apos") {
      out->push_back('\'');
    } else if (!body.empty() && body[0] == '#') {
      bool hex = body.size() > 1 && body[1] == 'x';
      std::string_view digits = body.substr(hex ? 2 : 1);
      if (digits.empty()) return Fail("empty character reference");
      uint32_t code_point = 0;
      for (char c : digits) {
        int digit;
        if (c >= '0' && c <= '9') {
          digit = c - '0';
        } else if (hex && c >= 'a' && c <= 'f') {
          digit = c - 'a' + 10;
        } else if (hex && c >= 'A' && c <= 'F') {
          digit = c - 'A' + 10;
        } else {
          return Fail("malformed character reference");
        }
        code_point = code_point * (hex ? 16 : 10) + static_cast<uint32_t>(digit);
        if (code_point > 0x10FFFF) return Fail("character reference out of range");
      }
      if (!IsXmlChar(code_point)) return Fail("character reference to a forbidden character");
      AppendUtf8(code_point, out);
    } else {
      position_ = start;
      return Fail("unknown entity '&" + std::string(body) + ";'");
    }
    position_ += semicolon + 1;
    return true;
  }

  // Appends document_[from, to) with line ends normalized (\r\n and a lone \r become \n).
  void AppendNormalized(size_t from, size_t to, std::string* out) {
    std::string_view text = document_.substr(from, to - from);
    while (!text.empty()) {
      size_t cr = text.find('\r');
      if (cr == std::string_view::npos) {
        out->append(text);
        return;
      }
      out->append(text.substr(0, cr));
      out->push_back('\n');
      text.remove_prefix(cr + 1);
      if (!text.empty() && text.front() == '\n') text.remove_prefix(1);
    }
  }

  // At '<' of a start tag. Fills the element's name and attributes; `qualified_name` is the
  // name as written, which the end tag must repeat.
  bool ParseStartTag(XmlElement* element, std::string_view* qualified_name, bool* empty) {
    ++position_;
    std::string_view name = ParseName();
    if (name.empty()) return Fail("malformed start tag");
    if (!CheckQualifiedName(name)) return false;
    *qualified_name = name;
    element->name = std::string(name.substr(name.find(':') + 1));
    while (true) {
      bool had_space = SkipSpace();
      if (AtEnd()) return Fail("unterminated start tag <" + std::string(name) + ">");
      if (document_[position_] == '>') {
        ++position_;
        *empty = false;
        break;
      }
      if (LookingAt("/>")) {
        position_ += 2;
        *empty = true;
        break;
      }
      if (!had_space) return Fail("expected whitespace before an attribute");
      std::string_view attribute = ParseName();
      if (attribute.empty()) return Fail("malformed attribute in <" + std::string(name) + ">");
      if (!CheckQualifiedName(attribute)) return false;
      SkipSpace();
      if (AtEnd() || document_[position_] != '=') return Fail("expected '=' after an attribute");
      ++position_;
      SkipSpace();
      if (AtEnd() || (document_[position_] != '"' && document_[position_] != '\''))
        return Fail("attribute value must be quoted");
      char quote = document_[position_++];
      std::string value;
      if (!ParseAttributeValue(quote, &value)) return false;
      element->attributes.emplace_back(std::string(attribute), std::move(value));
    }
    return CheckUniqueAttributes(*element);
  }

  // After the opening quote; consumes the closing one. XML 1.0 3.3.3: a literal tab, line end
  // or \r\n becomes one space; character references are kept as written.
  bool ParseAttributeValue(char quote, std::string* value) {
    size_t run = position_;
    while (true) {
      if (AtEnd()) return Fail("unterminated attribute value");
      char c = document_[position_];
      if (c == quote) {
        value->append(document_.substr(run, position_ - run));
        ++position_;
        return true;
      }
      if (c == '<') return Fail("'<' in an attribute value");
      if (c == '&' || c == '\t' || c == '\n' || c == '\r') {
        value->append(document_.substr(run, position_ - run));
        if (c == '&') {
          if (!ParseReference(value)) return false;
        } else {
          value->push_back(' ');
          ++position_;
          if (c == '\r' && !AtEnd() && document_[position_] == '\n') ++position_;
        }
        run = position_;
        continue;
      }
      ++position_;
    }
  }

  // Sorting keeps a tag with many attributes O(n log n) rather than quadratic.
  bool CheckUniqueAttributes(const XmlElement& element) {
    if (element.attributes.size() < 2) return true;
    std::vector<std::string_view> names;
    names.reserve(element.attributes.size());
    for (const auto& [name, value] : element.attributes) names.push_back(name);
    std::sort(names.begin(), names.end());
    auto duplicate = std::adjacent_find(names.begin(), names.end());
    if (duplicate != names.end())
      return Fail("duplicate attribute '" + std::string(*duplicate) + "'");
    return true;
  }

  // At '<' of the root's start tag: the whole tree, iteratively.
  bool ParseElementTree(XmlElement* root) {
    if (document_[position_] != '<' || LookingAt("</")) return Fail("expected the root element");
    if (max_depth_ < 1) return Fail("nesting deeper than the limit of 0 elements");
    // Open elements and the names their end tags must repeat.
    std::vector<XmlElement> open;
    std::vector<std::string_view> open_names;
    {
      XmlElement element;
      std::string_view name;
      bool empty = false;
      if (!ParseStartTag(&element, &name, &empty)) return false;
      if (empty) {
        *root = std::move(element);
        return true;
      }
      open.push_back(std::move(element));
      open_names.push_back(name);
    }
    while (true) {
      if (AtEnd()) return Fail("the document ends inside <" + std::string(open_names.back()) + ">");
      char c = document_[position_];
      if (c == '&') {
        if (!ParseReference(&open.back().text)) return false;
        continue;
      }
      if (c != '<') {
        if (!ParseCharacterData(&open.back().text)) return false;
        continue;
      }
      if (LookingAt("</")) {
        position_ += 2;
        std::string_view name = ParseName();
        SkipSpace();
        if (AtEnd() || document_[position_] != '>') return Fail("malformed end tag");
        if (name != open_names.back())
          return Fail("end tag </" + std::string(name) + "> does not match <" +
                      std::string(open_names.back()) + ">");
        ++position_;
        XmlElement finished = std::move(open.back());
        open.pop_back();
        open_names.pop_back();
        if (open.empty()) {
          *root = std::move(finished);
          return true;
        }
        open.back().children.push_back(std::move(finished));
      } else if (LookingAt("<!--")) {
        if (!ParseComment()) return false;
      } else if (LookingAt("<![CDATA[")) {
        size_t start = position_ + 9;
        size_t end = document_.find("]]>", start);
        if (end == std::string_view::npos) return Fail("unterminated CDATA section");
        AppendNormalized(start, end, &open.back().text);
        position_ = end + 3;
      } else if (LookingAt("<!")) {
        return FailDeclaration();
      } else if (LookingAt("<?")) {
        if (!ParseProcessingInstruction()) return false;
      } else {
        if (open.size() + 1 > max_depth_)
          return Fail("nesting deeper than the limit of " + std::to_string(max_depth_) +
                      " elements");
        XmlElement element;
        std::string_view name;
        bool empty = false;
        if (!ParseStartTag(&element, &name, &empty)) return false;
        if (empty) {
          open.back().children.push_back(std::move(element));
        } else {
          open.push_back(std::move(element));
          open_names.push_back(name);
        }
      }
    }
  }

  // Text up to the next '<' or '&'. "]]>" may not appear in it.
  bool ParseCharacterData(std::string* text) {
    size_t start = position_;
    while (!AtEnd() && document_[position_] != '<' && document_[position_] != '&') {
      if (document_[position_] == ']' && LookingAt("]]>")) return Fail("']]>' in character data");
      ++position_;
    }
    AppendNormalized(start, position_, text);
    return true;
  }

  std::string_view document_;
  size_t max_depth_;
  size_t position_ = 0;
  std::string error_;
};

}  // namespace

std::optional<std::string> XmlElement::ChildText(std::string_view local_name) const {
  const XmlElement* child = Child(local_name);
  if (child == nullptr) return std::nullopt;
  return std::string(TrimXmlSpace(child->text));
}

Expected<XmlElement, std::string> ParseXml(std::string_view document, size_t max_depth) {
  return XmlParser(document, max_depth).Parse();
}

}  // namespace lamina
