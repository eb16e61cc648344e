#pragma once

// A minimal XML writer for the restXml and query protocols' replies. Not thread-safe (one per
// reply).

#include <string>
#include <string_view>

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

}  // namespace lamina
