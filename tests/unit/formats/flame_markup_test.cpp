// The svg and html formats parsed by xmllint, as a browser or an XML tool
// would read them: well-formed for every report, hostile names only ever
// text, the html's policy allowing its own script and style by hash alone,
// and ten thousand frames drawn so that every label fits its box.
#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <sstream>

#include "flame_test_support.h"
#include "formats/csp_hash.h"
#include "formats/flame_script.h"
#include "formats/report_format.h"

namespace threadleak {
namespace {

using namespace flame_test;

std::string render(const std::string& format, const Report& r, FormatOptions options = {}) {
    std::ostringstream out;
    make_report_format(format, options)->write(r, out);
    return out.str();
}

Report pool_report() {
    Report r;
    r.session.command = {"./app"};
    r.leaks = {pool_group(3, BlockedFor{2'000'000'000, true}), pool_group(1)};
    r.leaks[1].created_by[2].function = "other_pool()";
    return r;
}

/// xmllint's answer to an XPath expression over `document`.
std::string xpath(const std::string& document, const std::string& expression) {
    const CommandResult r = xmllint(document, "--xpath '" + expression + "'");
    EXPECT_EQ(r.status, 0) << expression << ": " << r.out;
    return r.out.ends_with('\n') ? r.out.substr(0, r.out.size() - 1) : r.out;
}

void expect_no_raw_hostile_bytes(const std::string& document) {
    EXPECT_EQ(document.find("\xe2\x80\xae"), std::string::npos) << "a raw U+202E";
    EXPECT_EQ(document.find('\xff'), std::string::npos) << "a raw 0xff";
    EXPECT_EQ(document.find("\xef\xbf\xbe"), std::string::npos) << "a raw U+FFFE";
    EXPECT_EQ(document.find("<script>alert"), std::string::npos) << "markup from a name";
}

TEST(FlameMarkup, SvgAndHtmlAreWellFormedXmlForEveryReport) {
    if (run_shell("command -v xmllint").status != 0) GTEST_SKIP() << "xmllint missing: run scripts/install-deps.sh";
    for (const Report& r : {Report{}, pool_report(), hostile_report()}) {
        for (const char* format : {"svg", "html"}) {
            for (FormatOptions o : {FormatOptions{}, FormatOptions{FlameStack::Creation, FlameWeight::Time},
                                    FormatOptions{FlameStack::Blocking, FlameWeight::Count}}) {
                const std::string doc = render(format, r, o);
                const CommandResult lint = xmllint(doc);
                EXPECT_EQ(lint.status, 0) << format << " " << to_string(o.stack) << ": " << lint.out;
            }
        }
    }
}

std::filesystem::path golden_file(const std::string& name) {
    if (const char* root = std::getenv("THREADLEAK_ROOT"); root && *root)
        return std::filesystem::path(root) / "tests/unit/formats/golden" / name;
    return std::filesystem::path(__FILE__).parent_path() / "golden" / name;
}

TEST(FlameMarkup, AttachGoldenSvgAndHtmlAreWellFormedAndHostileNamesOnlyText) {
    if (run_shell("command -v xmllint").status != 0) GTEST_SKIP() << "xmllint missing: run scripts/install-deps.sh";
    for (const char* name : {"attach-svg.svg", "attach-html.html"}) {
        std::ifstream in(golden_file(name), std::ios::binary);
        ASSERT_TRUE(in) << name << " is missing: run scripts/update-golden.sh";
        std::ostringstream doc;
        doc << in.rdbuf();
        const CommandResult lint = xmllint(doc.str());
        EXPECT_EQ(lint.status, 0) << name << ": " << lint.out;
        expect_no_raw_hostile_bytes(doc.str());
        EXPECT_EQ(doc.str().find('\x1b'), std::string::npos) << name;
        EXPECT_EQ(xpath(doc.str(), "count(//*[local-name()=\"script\"])"), "1") << name;
    }
}

TEST(FlameMarkup, HostileNamesInTheSvgAreOnlyText) {
    const std::string svg = render("svg", hostile_report());
    expect_no_raw_hostile_bytes(svg);
    EXPECT_EQ(xpath(svg, "count(//*[local-name()=\"script\"])"), "1");
    EXPECT_EQ(xpath(svg, "count(//@*[starts-with(local-name(), \"on\")])"), "0");
    EXPECT_EQ(xpath(svg, "count(//*[local-name()=\"img\" or local-name()=\"a\" or local-name()=\"image\"])"), "0");
    // The frame's tooltip holds the name as text, shown as the text report shows it.
    EXPECT_EQ(xpath(svg, "count(//*[local-name()=\"title\"][starts-with(., "
                         "\"<script>alert(1)</script>\")])"),
              "4");  // the leak's creation and blocking frames, the process's fork frame and its thread's
    EXPECT_NE(xpath(svg, "string(//*[local-name()=\"desc\"])").find("\\u202e"), std::string::npos);
}

TEST(FlameMarkup, HostileNamesInTheHtmlAreOnlyText) {
    const std::string html = render("html", hostile_report());
    expect_no_raw_hostile_bytes(html);
    EXPECT_EQ(xpath(html, "count(//*[local-name()=\"script\"])"), "1");
    EXPECT_EQ(xpath(html, "count(//@*[starts-with(local-name(), \"on\")])"), "0");
    EXPECT_EQ(xpath(html, "count(//*[local-name()=\"img\" or local-name()=\"iframe\" or local-name()=\"a\"]"
                          "[not(starts-with(@href, \"#\"))])"),
              "0");
    EXPECT_NE(xpath(html, "string(//*[local-name()=\"main\"])").find("<script>alert(1)</script>"),
              std::string::npos);
}

TEST(FlameMarkup, HtmlPolicyAllowsItsOwnScriptAndStyleByHashOnly) {
    const std::string html = render("html", pool_report());
    const std::regex csp("<meta http-equiv=\"Content-Security-Policy\" content=\"([^\"]*)\"/>");
    std::smatch m;
    ASSERT_TRUE(std::regex_search(html, m, csp)) << html.substr(0, 800);
    const std::string policy = m[1];
    const auto between = [&](const std::string& open, const std::string& close) {
        const size_t start = html.find(open) + open.size();
        return html.substr(start, html.find(close, start) - start);
    };
    EXPECT_EQ(policy, "default-src 'none'; script-src " + csp_sha256(between("<script>", "</script>")) +
                          "; style-src " + csp_sha256(between("<style>", "</style>")) +
                          "; img-src 'none'; base-uri 'none'; form-action 'none'");
    EXPECT_EQ(policy.find("unsafe"), std::string::npos);
    EXPECT_LT(html.find("Content-Security-Policy"), html.find("<style>")) << "the policy comes first";
    EXPECT_EQ(html.find(" style=\""), std::string::npos) << "a style attribute the policy would block";
}

TEST(FlameMarkup, ScriptAndStyleCannotEndTheirElementEarly) {
    for (const std::string* text : {&flame_script(), &flame_style()}) {
        EXPECT_EQ(text->find("]]>"), std::string::npos);
        EXPECT_EQ(text->find("</"), std::string::npos);
        EXPECT_EQ(text->find("<!--"), std::string::npos);
    }
    EXPECT_EQ(flame_style().find_first_of("<&"), std::string::npos);  // plain text in XML too
}

TEST(FlameMarkup, CspHashIsTheBase64OfSha256) {
    // RFC 6234's "abc" test vector, base64-encoded.
    EXPECT_EQ(csp_sha256("abc"), "'sha256-ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0='");
    EXPECT_EQ(csp_sha256(""), "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='");
}

TEST(FlameMarkup, TenThousandFramesStayReadable) {
    const Report r = many_frames_report(2000, 5);  // 10,000 distinct blocking frames
    const std::string svg = render("svg", r);
    EXPECT_LT(svg.size(), 6u << 20) << "bytes";
    if (run_shell("command -v xmllint").status == 0) {
        EXPECT_EQ(xmllint(svg).status, 0);
    }
    // Each frame: <g class="f X[ h]" ...><title>...</title><rect ... width="W" .../><text ...>LABEL</text></g>
    const auto field = [&](size_t from, const std::string& open, const std::string& close) {
        const size_t start = svg.find(open, from) + open.size();
        return svg.substr(start, svg.find(close, start) - start);
    };
    size_t frames = 0, hidden = 0, labelled = 0;
    for (size_t at = svg.find("<g class=\"f "); at != std::string::npos; at = svg.find("<g class=\"f ", at + 1)) {
        ++frames;
        const bool is_hidden = field(at, "<g class=\"", "\"").ends_with(" h");
        const size_t rect = svg.find("<rect ", at);
        const double width = std::stod(field(rect, "width=\"", "\""));
        const std::string label = field(svg.find("<text ", rect), ">", "</text>");
        if (is_hidden) {
            ++hidden;
            EXPECT_LT(width, 0.5);
            continue;
        }
        EXPECT_GE(width, 0.5) << "a visible frame too narrow to see";
        if (label.empty()) continue;
        ++labelled;
        EXPECT_LE(static_cast<double>(label.size()) * 7.3 + 6, width + 1e-9) << "label '" << label << "' overflows";
    }
    RecordProperty("frames", static_cast<int>(frames));
    RecordProperty("hidden", static_cast<int>(hidden));
    RecordProperty("labelled", static_cast<int>(labelled));
    RecordProperty("bytes", static_cast<int>(svg.size()));
    // Root, 10 creation sites, [thread start] under each, 10,000 blocking frames, 10 leaves... at least.
    EXPECT_GE(frames, 10'000u);
    EXPECT_GT(hidden, 0u) << "frames under half a pixel are hidden until a zoom";
    EXPECT_GT(labelled, 10u);
    EXPECT_LT(labelled, 400u) << "labels only where they fit";
}

}  // namespace
}  // namespace threadleak
