// Strings from the target cannot reorder, hide or forge text-report lines.
#include "formats/text_escape.h"

#include <gtest/gtest.h>

using namespace threadleak;

TEST(TextEscape, PrintableUtf8PassesUnchanged) {
    EXPECT_EQ(escape_text("worker-1"), "worker-1");
    EXPECT_EQ(escape_text("std::vector<int>::push_back(int&&)"), "std::vector<int>::push_back(int&&)");
    EXPECT_EQ(escape_text("caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80"),
              "caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80");
}

TEST(TextEscape, ControlsAreEscaped) {
    EXPECT_EQ(escape_text("evil\n==1== fake"), "evil\\x0a==1== fake");
    EXPECT_EQ(escape_text(std::string("a\0b\x1b[2Jc\x7f", 9)), "a\\x00b\\x1b[2Jc\\x7f");
    EXPECT_EQ(escape_text("\xc2\x85next-line \xc2\x9b"), "\\u0085next-line \\u009b");  // C1
}

TEST(TextEscape, BidiAndInvisibleCharactersAreEscaped) {
    EXPECT_EQ(escape_text("abc\xe2\x80\xae" "fed"), "abc\\u202efed");  // RLO
    EXPECT_EQ(escape_text("\xe2\x81\xa6x\xe2\x81\xa9"), "\\u2066x\\u2069");  // LRI .. PDI
    EXPECT_EQ(escape_text("a\xe2\x80\x8b" "b\xef\xbb\xbf"), "a\\u200bb\\ufeff");  // ZWSP, BOM
    EXPECT_EQ(escape_text("l\xe2\x80\xa8" "2"), "l\\u20282");  // line separator
    EXPECT_EQ(escape_text("\xd8\x9c"), "\\u061c");
}

TEST(TextEscape, InvalidUtf8BytesAreEscapedOneByOne) {
    EXPECT_EQ(escape_text("bad\xc3"), "bad\\xc3");                 // truncated
    EXPECT_EQ(escape_text("\xff\xfe" "end"), "\\xff\\xfeend");      // never valid
    EXPECT_EQ(escape_text("\xc0\xaf"), "\\xc0\\xaf");               // overlong '/'
    EXPECT_EQ(escape_text("\xed\xa0\x80"), "\\xed\\xa0\\x80");      // surrogate
    EXPECT_EQ(escape_text("\xf4\x90\x80\x80"), "\\xf4\\x90\\x80\\x80");  // above U+10FFFF
    EXPECT_EQ(escape_text("\xe2\x80" "x"), "\\xe2\\x80x");          // cut short by ASCII
}

TEST(ValidUtf8, KeepsValidTextWhateverItHoldsAndReplacesEachInvalidByte) {
    const std::string valid = std::string("nl\n tab\t nul") + '\0' + " \\ \" \xe2\x80\xae \xf0\x9f\xa7\xb5 \x7f";
    EXPECT_EQ(valid_utf8(valid), valid);
    const std::string fffd = "\xef\xbf\xbd";
    EXPECT_EQ(valid_utf8("bad\xc3"), "bad" + fffd);
    EXPECT_EQ(valid_utf8("\xff\xfe" "end"), fffd + fffd + "end");
    EXPECT_EQ(valid_utf8("\xc0\xaf"), fffd + fffd);                  // overlong '/'
    EXPECT_EQ(valid_utf8("\xed\xa0\x80"), fffd + fffd + fffd);        // surrogate
    EXPECT_EQ(valid_utf8("\xe2\x80" "x"), fffd + fffd + "x");          // cut short by ASCII
}

TEST(TextEscape, BackslashAlwaysAndQuoteOnlyWhenQuoted) {
    EXPECT_EQ(escape_text("a\\x0ab"), "a\\\\x0ab");  // cannot pass for an escape
    EXPECT_EQ(escape_text("operator\"\"_s"), "operator\"\"_s");
    EXPECT_EQ(escape_quoted("io\"\x01q\\"), "io\\\"\\x01q\\\\");
}
