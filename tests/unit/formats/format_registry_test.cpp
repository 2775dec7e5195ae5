// The registry of output formats (formats/report_format.h): the one table the
// --format check, --help and the golden test are built from.
#include <gtest/gtest.h>

#include <set>
#include <sstream>

#include "formats/report_format.h"

namespace threadleak {
namespace {

TEST(FormatRegistry, RowsAreCompleteAndNamesUnique) {
    std::set<std::string_view> names, extensions;
    ASSERT_FALSE(report_formats().empty());
    for (const FormatInfo& f : report_formats()) {
        SCOPED_TRACE(f.name);
        EXPECT_FALSE(f.name.empty());
        EXPECT_FALSE(f.description.empty());
        EXPECT_EQ(f.description.find('\n'), std::string_view::npos);  // one --help line
        EXPECT_FALSE(f.extension.empty());
        EXPECT_NE(f.extension.front(), '.');
        EXPECT_NE(f.make, nullptr);
        EXPECT_TRUE(names.insert(f.name).second) << "duplicate name";
        EXPECT_TRUE(extensions.insert(f.extension).second) << "duplicate extension";
    }
}

TEST(FormatRegistry, MakeReportFormatFindsEveryRowByName) {
    for (const FormatInfo& f : report_formats()) {
        auto by_name = make_report_format(f.name);
        ASSERT_NE(by_name, nullptr) << f.name;
        std::ostringstream a, b;
        by_name->write(Report{}, a);
        f.make(FormatOptions{})->write(Report{}, b);
        EXPECT_EQ(a.str(), b.str()) << f.name;
        // A folded file has no header: a report without leaks is an empty one.
        if (f.name != "folded") {
            EXPECT_FALSE(a.str().empty()) << f.name;
        }
    }
    EXPECT_EQ(make_report_format("xml"), nullptr);
    EXPECT_EQ(make_report_format(""), nullptr);
    EXPECT_EQ(make_report_format("TEXT"), nullptr);
}

}  // namespace
}  // namespace threadleak
