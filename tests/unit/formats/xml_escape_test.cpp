// escape_xml (formats/xml_escape.h): any bytes come out as XML 1.0 character
// data that is also safe inside a quoted attribute.
#include "formats/xml_escape.h"

#include <gtest/gtest.h>

using namespace threadleak;

TEST(XmlEscape, MarkupCharactersBecomeEntities) {
    EXPECT_EQ(escape_xml("<script>alert(\"x\" & 'y')</script>"),
              "&lt;script&gt;alert(&quot;x&quot; &amp; &apos;y&apos;)&lt;/script&gt;");
    EXPECT_EQ(escape_xml("a]]>b"), "a]]&gt;b");  // cannot end a CDATA section or pass for one
    EXPECT_EQ(escape_xml("&amp;"), "&amp;amp;");
}

TEST(XmlEscape, PrintableUtf8AndBackslashPassUnchanged) {
    EXPECT_EQ(escape_xml("Pool::Pool(int) /src/a.cpp:42"), "Pool::Pool(int) /src/a.cpp:42");
    EXPECT_EQ(escape_xml("caf\xc3\xa9 \xe6\x97\xa5 \xf0\x9f\x98\x80"), "caf\xc3\xa9 \xe6\x97\xa5 \xf0\x9f\x98\x80");
    EXPECT_EQ(escape_xml("a\\x01b"), "a\\x01b");
    EXPECT_EQ(escape_xml("\xe2\x80\xae"), "\xe2\x80\xae");  // valid XML: escape_text is for display
}

TEST(XmlEscape, WhitespaceSurvivesAttributeNormalization) {
    EXPECT_EQ(escape_xml("a\tb\nc\rd"), "a&#9;b&#10;c&#13;d");
}

TEST(XmlEscape, CharactersXmlForbidsOrDiscouragesAreText) {
    EXPECT_EQ(escape_xml(std::string("a\0b\x01\x1b[2J\x7f", 9)), "a\\x00b\\x01\\x1b[2J\\x7f");
    EXPECT_EQ(escape_xml("\xc2\x85\xc2\x9f"), "\\u0085\\u009f");                  // C1 controls
    EXPECT_EQ(escape_xml("\xef\xbf\xbe\xef\xbf\xbf"), "\\ufffe\\uffff");          // not Chars
    EXPECT_EQ(escape_xml("\xef\xb7\x90"), "\\ufdd0");                             // noncharacter
    EXPECT_EQ(escape_xml("\xf0\x9f\xbf\xbf"), "\\U0001ffff");                     // noncharacter
    EXPECT_EQ(escape_xml("\xef\xbf\xbd"), "\xef\xbf\xbd");                        // U+FFFD is fine
}

TEST(XmlEscape, InvalidUtf8BytesAreEscapedOneByOne) {
    EXPECT_EQ(escape_xml("bad\xc3"), "bad\\xc3");
    EXPECT_EQ(escape_xml("\xff\xfe<"), "\\xff\\xfe&lt;");
    EXPECT_EQ(escape_xml("\xc0\xbc"), "\\xc0\\xbc");      // overlong '<'
    EXPECT_EQ(escape_xml("\xed\xa0\x80"), "\\xed\\xa0\\x80");  // surrogate
    EXPECT_EQ(escape_xml("\xf4\x90\x80\x80"), "\\xf4\\x90\\x80\\x80");  // above U+10FFFF
}
