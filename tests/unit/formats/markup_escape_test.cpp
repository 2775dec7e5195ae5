// Target strings inside SVG and HTML (formats/markup_escape.h): markup
// characters become entities, what a terminal would not show plainly is
// shown as the text report shows it, and nothing left is outside XML 1.0.
#include <gtest/gtest.h>

#include "formats/markup_escape.h"

namespace threadleak {
namespace {

TEST(MarkupEscape, MarkupCharactersBecomeEntities) {
    EXPECT_EQ(escape_markup("<script>alert(1)</script>"), "&lt;script&gt;alert(1)&lt;/script&gt;");
    EXPECT_EQ(escape_markup("a\"b'c&d]]>e"), "a&quot;b&#39;c&amp;d]]&gt;e");
    EXPECT_EQ(escape_markup("--!> <!-- x"), "--!&gt; &lt;!-- x");
    EXPECT_EQ(escape_markup("plain ns::f(int) é"), "plain ns::f(int) é");
}

TEST(MarkupEscape, ControlsBidiInvalidBytesAndNoncharactersAreShownEscaped) {
    EXPECT_EQ(escape_markup("a\nb\tc\x01"), "a\\x0ab\\x09c\\x01");
    EXPECT_EQ(escape_markup("evil\xe2\x80\xaegpj"), "evil\\u202egpj");
    EXPECT_EQ(escape_markup("bad\xff\xfe byte"), "bad\\xff\\xfe byte");
    EXPECT_EQ(escape_markup("nonchar\xef\xbf\xbe\xef\xbf\xbf"), "nonchar\\ufffe\\uffff");
    EXPECT_EQ(escape_markup("back\\slash"), "back\\\\slash");
}

TEST(MarkupEscape, CutCountsCharactersAndNeverSplitsOneOrAnEntity) {
    EXPECT_EQ(escape_markup_cut("abcdef", 6), "abcdef");
    EXPECT_EQ(escape_markup_cut("abcdefg", 6), "abcd..");
    EXPECT_EQ(escape_markup_cut("abcdefg", 2), "");
    EXPECT_EQ(escape_markup_cut("éééééé", 5), "ééé..");           // two bytes each
    EXPECT_EQ(escape_markup_cut("<<<<<<", 5), "&lt;&lt;&lt;..");  // cut before the entities
    EXPECT_EQ(escape_markup_cut("a\xe2\x80\xae" "bc", 5), "a\\u..");  // the shown escape is what is cut
    EXPECT_EQ(escape_markup_cut("ab&", 3), "ab&amp;");
}

}  // namespace
}  // namespace threadleak
