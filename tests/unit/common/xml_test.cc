// ParseXml: one line per case (document -> tree or error), S3 request bodies, and hostile input
// (truncation at every byte, random mutation, deep nesting, entity attacks).

#include "common/xml.h"

#include <gtest/gtest.h>

#include <chrono>
#include <random>
#include <string>
#include <vector>

namespace lamina {
namespace {

// A compact rendering of a tree: name[attr=value,...]'text'{child;child}.
std::string Dump(const XmlElement& element) {
  std::string out = element.name;
  if (!element.attributes.empty()) {
    out += '[';
    for (size_t i = 0; i < element.attributes.size(); ++i) {
      if (i > 0) out += ',';
      out += element.attributes[i].first + "=" + element.attributes[i].second;
    }
    out += ']';
  }
  if (!element.text.empty()) out += "'" + element.text + "'";
  if (!element.children.empty()) {
    out += '{';
    for (size_t i = 0; i < element.children.size(); ++i) {
      if (i > 0) out += ';';
      out += Dump(element.children[i]);
    }
    out += '}';
  }
  return out;
}

struct ValidCase {
  std::string document;
  std::string tree;
};

TEST(XmlParse, WellFormedDocuments) {
  const std::vector<ValidCase> cases = {
      {"<a/>", "a"},
      {"<a></a>", "a"},
      {"<a ></a >", "a"},
      {"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<a>x</a>\n", "a'x'"},
      {"<?xml version='1.0' encoding='utf-8' standalone='yes'?><a/>", "a"},
      {"<?xml version=\"1.0\"?><a/>", "a"},
      {"\xEF\xBB\xBF<a>bom</a>", "a'bom'"},
      {"<!-- before --><?app data?>\n<a/><!-- after -->\n<?app more?>  ", "a"},
      {"<a><b>1</b><c/><b>2</b></a>", "a{b'1';c;b'2'}"},
      {"<a>x<b/>y<!-- c -->z</a>", "a'xyz'{b}"},
      {"<a>  padded  </a>", "a'  padded  '"},
      {"<a>&amp;&lt;&gt;&quot;&apos;</a>", "a'&<>\"''"},
      {"<a>&#65;&#x42;&#x20AC;&#x1F600;&#0000000065;</a>", "a'AB\u20AC\U0001F600A'"},
      {"<a>&#9;&#10;&#13;</a>", "a'\t\n\r'"},
      {"<a><![CDATA[<not> &amp; a tag]]></a>", "a'<not> &amp; a tag'"},
      {"<a><![CDATA[]]></a>", "a"},
      {"<a>1\r\n2\r3\n4</a>", "a'1\n2\n3\n4'"},
      {"<a>1 > 0 ] ]]</a>", "a'1 > 0 ] ]]'"},
      {"<a x='1' y=\"2\"/>", "a[x=1,y=2]"},
      {"<a x = '1'\n\ty\t=\t\"2\" />", "a[x=1,y=2]"},
      {"<a x='say \"hi\"' y=\"it's\"/>", "a[x=say \"hi\",y=it's]"},
      {"<a x=\"1&amp;2&#x3C;&lt;\"/>", "a[x=1&2<<]"},
      {"<a x=\"1\t2\n3\r\n4\"/>", "a[x=1 2 3 4]"},
      {"<a x=\"&#9;&#10;\"/>", "a[x=\t\n]"},
      {"<a x=\"\"/>", "a[x=]"},
      {"<s3:Tagging xmlns:s3=\"http://s3.amazonaws.com/doc/2006-03-01/\"><s3:TagSet/>"
       "</s3:Tagging>",
       "Tagging[xmlns:s3=http://s3.amazonaws.com/doc/2006-03-01/]{TagSet}"},
      {"<caf\xC3\xA9 \xC3\xA9t\xC3\xA9=\"\xE2\x82\xAC\">\xE6\x97\xA5</caf\xC3\xA9>",
       "caf\xC3\xA9[\xC3\xA9t\xC3\xA9=\xE2\x82\xAC]'\xE6\x97\xA5'"},
      {"<_a-b.c d_1='x'/>", "_a-b.c[d_1=x]"},
      {"<a><?pi inside?>t</a>", "a't'"},
      {"<a>\x7F\xC2\x80</a>", "a'\x7F\xC2\x80'"},
  };
  for (const auto& test : cases) {
    SCOPED_TRACE(test.document);
    auto parsed = ParseXml(test.document);
    ASSERT_TRUE(parsed.has_value()) << parsed.error();
    EXPECT_EQ(Dump(*parsed), test.tree);
  }
}

struct InvalidCase {
  std::string document;
  std::string error;  // a substring of the message
};

TEST(XmlParse, MalformedDocumentsAreErrors) {
  const std::vector<InvalidCase> cases = {
      {"", "no root element"},
      {"  \n ", "no root element"},
      {"<!-- only a comment -->", "no root element"},
      {"<a>", "ends inside <a>"},
      {"<a><b></b>", "ends inside <a>"},
      {"<a", "unterminated start tag"},
      {"<a x='1'", "unterminated start tag"},
      {"<a></b>", "does not match"},
      {"<a><b></a></b>", "does not match"},
      {"<A></a>", "does not match"},
      {"<p:a></q:a>", "does not match"},
      {"<a></a></a>", "a second element"},
      {"</a>", "expected the root element"},
      {"<a/><b/>", "a second element after the root"},
      {"<a/>text", "text after the root"},
      {"text<a/>", "text before the root"},
      {"<a/><![CDATA[x]]>", "CDATA outside"},
      {"<a>&foo;</a>", "unknown entity '&foo;'"},
      {"<a>&amp</a>", "unterminated"},
      {"<a>& </a>", "unterminated"},
      {"<a>&;</a>", "unknown entity"},
      {"<a>&#0;</a>", "forbidden character"},
      {"<a>&#x0;</a>", "forbidden character"},
      {"<a>&#x1;</a>", "forbidden character"},
      {"<a>&#xD800;</a>", "forbidden character"},
      {"<a>&#xDFFF;</a>", "forbidden character"},
      {"<a>&#xFFFE;</a>", "forbidden character"},
      {"<a>&#x110000;</a>", "out of range"},
      {"<a>&#99999999999999999999;</a>", "out of range"},
      {"<a>&#;</a>", "empty character reference"},
      {"<a>&#x;</a>", "empty character reference"},
      {"<a>&#12a;</a>", "malformed character reference"},
      {"<a>&#X41;</a>", "malformed character reference"},
      {"<a>&#x-1;</a>", "malformed character reference"},
      {"<a x='&bogus;'/>", "unknown entity"},
      {"<a x='1' x='2'/>", "duplicate attribute 'x'"},
      {"<a x=1/>", "must be quoted"},
      {"<a x/>", "expected '='"},
      {"<a x='1\"/>", "unterminated attribute value"},
      {"<a x='<'/>", "'<' in an attribute value"},
      {"<a x='1'y='2'/>", "expected whitespace"},
      {"<a =''/>", "malformed attribute"},
      {"<a>]]></a>", "']]>' in character data"},
      {"<a><!-- x -- y --></a>", "'--' inside a comment"},
      {"<a><!-- x ---></a>", "'--' inside a comment"},
      {"<a><!-- x</a>", "unterminated comment"},
      {"<a><![CDATA[x</a>", "unterminated CDATA"},
      {"<a><?pi x</a>", "unterminated processing instruction"},
      {"<a><?pi</a>", "malformed processing instruction"},
      {"<a><?</a>", "without a target"},
      {"<?xml version='1.0'?><?xml version='1.0'?><a/>", "not at the start"},
      {"<a/><?xml version='1.0'?>", "not at the start"},
      {" <?xml version='1.0'?><a/>", "not at the start"},
      {"<?xml version='1.0'", "unterminated XML declaration"},
      {"<?xml version='1.0' encoding='ISO-8859-1'?><a/>", "unsupported encoding"},
      {"<?xml version='1.0' encoding='UTF-16'?><a/>", "unsupported encoding"},
      {"<:a/>", "not a valid qualified name"},
      {"<a:/>", "not a valid qualified name"},
      {"<a:b:c/>", "not a valid qualified name"},
      {"<a :x='1'/>", "not a valid qualified name"},
      {"<1a/>", "malformed start tag"},
      {"< a/>", "malformed start tag"},
      {"<a><1/></a>", "malformed start tag"},
      {"<a></ a>", "malformed end tag"},
      {"<a></a x>", "malformed end tag"},
      // Invalid UTF-8: a stray continuation byte, an overlong '/', a surrogate, a truncated
      // sequence, a code point past U+10FFFF, 0xFF.
      {"<a>\x80</a>", "invalid UTF-8"},
      {"<a>\xC0\xAF</a>", "invalid UTF-8"},
      {"<a>\xE0\x80\xAF</a>", "invalid UTF-8"},
      {"<a>\xED\xA0\x80</a>", "invalid UTF-8"},
      {"<a>\xE2\x82</a>", "invalid UTF-8"},
      {"<a>\xE2\x82", "invalid UTF-8"},
      {"<a>\xF4\x90\x80\x80</a>", "invalid UTF-8"},
      {"<a>\xFF</a>", "invalid UTF-8"},
      {"<a x='\xFE'/>", "invalid UTF-8"},
      {std::string("<a>\0</a>", 8), "control character"},
      {"<a>\x01</a>", "control character"},
      {"<a>\x1B</a>", "control character"},
      {"<a>\xEF\xBF\xBF</a>", "character not allowed"},
  };
  for (const auto& test : cases) {
    SCOPED_TRACE(test.document);
    auto parsed = ParseXml(test.document);
    ASSERT_FALSE(parsed.has_value()) << Dump(*parsed);
    EXPECT_NE(parsed.error().find(test.error), std::string::npos) << parsed.error();
    EXPECT_EQ(parsed.error().rfind("XML is not well-formed: ", 0), 0u) << parsed.error();
  }
}

TEST(XmlParse, ErrorsNameTheByteOffset) {
  auto parsed = ParseXml("<a>&foo;</a>");
  ASSERT_FALSE(parsed.has_value());
  EXPECT_NE(parsed.error().find("(byte 3)"), std::string::npos) << parsed.error();
}

TEST(XmlParse, RefusesEveryDoctype) {
  // XXE and "billion laughs": refused before anything is expanded or fetched.
  const std::vector<std::string> documents = {
      "<!DOCTYPE a><a/>",
      "<?xml version=\"1.0\"?>\n<!DOCTYPE foo [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>"
      "<foo>&xxe;</foo>",
      "<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\">"
      "<!ENTITY lol2 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">]><lolz>&lol2;</lolz>",
      "<a><!DOCTYPE b></a>",
      "<a/><!DOCTYPE b>",
  };
  for (const auto& document : documents) {
    auto parsed = ParseXml(document);
    ASSERT_FALSE(parsed.has_value()) << document;
    EXPECT_NE(parsed.error().find("DOCTYPE is not allowed"), std::string::npos) << parsed.error();
  }
  auto entity = ParseXml("<a><!ENTITY x \"y\"></a>");
  ASSERT_FALSE(entity.has_value());
  EXPECT_NE(entity.error().find("markup declarations are not allowed"), std::string::npos);
}

TEST(XmlParse, DepthLimit) {
  EXPECT_TRUE(ParseXml("<a><b><c/></b></a>", 3).has_value());
  EXPECT_TRUE(ParseXml("<a><b><c></c></b></a>", 3).has_value());
  auto deep = ParseXml("<a><b><c/></b></a>", 2);
  ASSERT_FALSE(deep.has_value());
  EXPECT_NE(deep.error().find("nesting deeper than the limit of 2"), std::string::npos);
  EXPECT_TRUE(ParseXml("<a/>", 1).has_value());
  EXPECT_FALSE(ParseXml("<a/>", 0).has_value());

  std::string at_limit, past_limit;
  for (size_t i = 0; i < kXmlDefaultMaxDepth; ++i) at_limit += "<e>";
  for (size_t i = 0; i < kXmlDefaultMaxDepth; ++i) at_limit += "</e>";
  EXPECT_TRUE(ParseXml(at_limit).has_value());
  past_limit = "<x>" + at_limit + "</x>";
  EXPECT_FALSE(ParseXml(past_limit).has_value());

  // A million open tags fail at the limit without recursion or a million allocations.
  std::string hostile;
  for (int i = 0; i < 1000000; ++i) hostile += "<a>";
  auto result = ParseXml(hostile);
  ASSERT_FALSE(result.has_value());
  EXPECT_NE(result.error().find("nesting deeper"), std::string::npos);
}

// S3's CompleteMultipartUpload, as the SDKs send it (ETags carry their quotes, escaped or not).
constexpr char kCompleteMultipartUpload[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">\n"
    "  <!-- two parts -->\n"
    "  <Part>\n"
    "    <ETag>&quot;a54357aff0632cce46d942af68356b38&quot;</ETag>\n"
    "    <PartNumber>1</PartNumber>\n"
    "    <ChecksumCRC32>AAAAAA==</ChecksumCRC32>\n"
    "  </Part>\n"
    "  <Part><ETag>\"0c78aef83f66abc1fa1e8477f296d394\"</ETag><PartNumber>2</PartNumber></Part>\n"
    "</CompleteMultipartUpload>";

TEST(XmlParse, CompleteMultipartUploadBody) {
  auto parsed = ParseXml(kCompleteMultipartUpload);
  ASSERT_TRUE(parsed.has_value()) << parsed.error();
  const XmlElement& root = *parsed;
  EXPECT_EQ(root.name, "CompleteMultipartUpload");
  ASSERT_EQ(root.attributes.size(), 1u);
  EXPECT_EQ(root.attributes[0].first, "xmlns");
  std::vector<const XmlElement*> parts = root.Children("Part");
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[0]->ChildText("ETag"), "\"a54357aff0632cce46d942af68356b38\"");
  EXPECT_EQ(parts[0]->ChildText("PartNumber"), "1");
  EXPECT_EQ(parts[0]->ChildText("ChecksumCRC32"), "AAAAAA==");
  EXPECT_EQ(parts[1]->ChildText("ETag"), "\"0c78aef83f66abc1fa1e8477f296d394\"");
  EXPECT_EQ(parts[1]->ChildText("PartNumber"), "2");
  EXPECT_EQ(parts[1]->ChildText("ChecksumCRC32"), std::nullopt);
  EXPECT_EQ(root.Child("Part"), parts[0]);
  EXPECT_EQ(root.Child("Missing"), nullptr);
  EXPECT_TRUE(root.Children("Missing").empty());
}

TEST(XmlParse, ChildTextTrimsButTextDoesNot) {
  auto parsed = ParseXml(
      "<Tagging><TagSet><Tag><Key>\n  project \t</Key><Value></Value></Tag></TagSet></Tagging>");
  ASSERT_TRUE(parsed.has_value()) << parsed.error();
  const XmlElement* tag = parsed->Child("TagSet")->Child("Tag");
  ASSERT_NE(tag, nullptr);
  EXPECT_EQ(tag->ChildText("Key"), "project");
  EXPECT_EQ(tag->Child("Key")->text, "\n  project \t");
  EXPECT_EQ(tag->ChildText("Value"), "");
  EXPECT_EQ(tag->ChildText("Nope"), std::nullopt);
}

TEST(XmlParse, PrefixedS3Documents) {
  auto parsed = ParseXml(
      "<s3:Delete xmlns:s3=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
      "<s3:Object><s3:Key>a&amp;b.txt</s3:Key><s3:VersionId>v1</s3:VersionId></s3:Object>"
      "<s3:Object><s3:Key><![CDATA[c<d>.txt]]></s3:Key></s3:Object>"
      "<s3:Quiet>true</s3:Quiet></s3:Delete>");
  ASSERT_TRUE(parsed.has_value()) << parsed.error();
  EXPECT_EQ(parsed->name, "Delete");
  auto objects = parsed->Children("Object");
  ASSERT_EQ(objects.size(), 2u);
  EXPECT_EQ(objects[0]->ChildText("Key"), "a&b.txt");
  EXPECT_EQ(objects[0]->ChildText("VersionId"), "v1");
  EXPECT_EQ(objects[1]->ChildText("Key"), "c<d>.txt");
  EXPECT_EQ(parsed->ChildText("Quiet"), "true");
}

TEST(XmlParse, EveryTruncationIsAnError) {
  // The root's end tag is the last byte, so every proper prefix is incomplete.
  const std::string document = std::string(kCompleteMultipartUpload);
  ASSERT_TRUE(ParseXml(document).has_value());
  for (size_t length = 0; length < document.size(); ++length) {
    auto parsed = ParseXml(std::string_view(document).substr(0, length));
    ASSERT_FALSE(parsed.has_value()) << "prefix of " << length << " bytes parsed";
    ASSERT_FALSE(parsed.error().empty());
  }
  const std::string rich =
      "\xEF\xBB\xBF<?xml version='1.0'?><!--c--><?p i?><r a='&amp;&#x41;' b=\"\t\">x&lt;"
      "<![CDATA[<]]>\xE2\x82\xAC<e/><f g='1'>&#128512;</f></r>";
  ASSERT_TRUE(ParseXml(rich).has_value());
  for (size_t length = 0; length < rich.size(); ++length)
    ASSERT_FALSE(ParseXml(std::string_view(rich).substr(0, length)).has_value()) << length;
}

TEST(XmlParse, RandomMutationsNeverCrash) {
  const std::string seeds[] = {
      kCompleteMultipartUpload,
      "<?xml version='1.0'?><!--c--><r a='&amp;&#x41;'>x&lt;<![CDATA[<]]><e/><f g='1'/></r>",
      "<a:b xmlns:a='u'><a:c>&#x20AC;</a:c><!DOCTYPE x></a:b>",
  };
  const std::string alphabet = "<>/?!-[]&;#x=\"' \r\n\tabAB:0\x80\xC3\xE2\xF0\xFF";
  std::mt19937 random(2024);
  size_t parsed_ok = 0;
  for (int round = 0; round < 20000; ++round) {
    std::string document = seeds[round % 3];
    int edits = 1 + static_cast<int>(random() % 4);
    for (int edit = 0; edit < edits && !document.empty(); ++edit) {
      size_t at = random() % document.size();
      char c = alphabet[random() % alphabet.size()];
      switch (random() % 3) {
        case 0:
          document[at] = c;
          break;
        case 1:
          document.insert(document.begin() + static_cast<long>(at), c);
          break;
        default:
          document.erase(at, 1 + random() % 8);
      }
    }
    auto result = ParseXml(document);
    if (result.has_value()) {
      ++parsed_ok;
    } else {
      ASSERT_FALSE(result.error().empty());
    }
  }
  // Some mutations (inside text) stay well-formed; most do not.
  EXPECT_GT(parsed_ok, 0u);
  EXPECT_LT(parsed_ok, 20000u);
}

TEST(XmlParse, LargeInputsStayLinear) {
  // Each would take minutes if any step were quadratic.
  auto start = std::chrono::steady_clock::now();

  std::string many_attributes = "<a";
  for (int i = 0; i < 200000; ++i) many_attributes += " n" + std::to_string(i) + "='v'";
  many_attributes += "/>";
  auto attributes = ParseXml(many_attributes);
  ASSERT_TRUE(attributes.has_value()) << attributes.error();
  EXPECT_EQ(attributes->attributes.size(), 200000u);

  std::string duplicate = many_attributes.substr(0, many_attributes.size() - 2) + " n5='w'/>";
  EXPECT_FALSE(ParseXml(duplicate).has_value());

  std::string entities = "<a>";
  for (int i = 0; i < 500000; ++i) entities += "&amp;x\r\n";
  entities += "</a>";
  auto text = ParseXml(entities);
  ASSERT_TRUE(text.has_value());
  EXPECT_EQ(text->text.size(), 500000u * 3);

  std::string siblings = "<a>";
  for (int i = 0; i < 200000; ++i) siblings += "<b>t</b>\n";
  siblings += "</a>";
  auto wide = ParseXml(siblings);
  ASSERT_TRUE(wide.has_value());
  EXPECT_EQ(wide->children.size(), 200000u);

  // Long runs that never find their terminator.
  EXPECT_FALSE(ParseXml("<a><!--" + std::string(1000000, '-') + "</a>").has_value());
  EXPECT_FALSE(ParseXml("<a>" + std::string(1000000, ']') + "></a>").has_value());
  EXPECT_FALSE(ParseXml("<a x='" + std::string(1000000, '&') + "'/>").has_value());

  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(20));
}

}  // namespace
}  // namespace lamina
