// ReportOutputs (formats/report_outputs.h): every output is opened before the
// command runs, and each is written in its own format, whole or not at all.
#include "formats/report_outputs.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include <nlohmann/json.hpp>

#include "common/errors.h"

namespace threadleak {
namespace {

namespace fs = std::filesystem;

class ReportOutputsTest : public ::testing::Test {
protected:
    void SetUp() override {
        char dir[] = "/tmp/threadleak-outputs-XXXXXX";
        ASSERT_NE(mkdtemp(dir), nullptr);
        dir_ = dir;
    }
    void TearDown() override { fs::remove_all(dir_); }

    std::string path(const std::string& name) const { return (dir_ / name).string(); }
    static std::string read(const std::string& path) {
        std::ifstream in(path, std::ios::binary);
        return {std::istreambuf_iterator<char>(in), {}};
    }
    size_t file_count() const {
        return static_cast<size_t>(std::distance(fs::directory_iterator(dir_), fs::directory_iterator()));
    }

    fs::path dir_;
};

Report leaking_report() {
    Report r;
    r.session.command = {"/bin/app"};
    r.session.exit_code = 0;
    LeakGroup g;
    g.threads = {{10, "/bin/app", 11, "worker", 10}};
    r.leaks = {g};
    return r;
}

TEST_F(ReportOutputsTest, EachOutputIsWrittenInItsFormat) {
    ReportOutputs outputs({{path("r.json"), "json"}, {path("r.xml"), "junit"}, {path("r.txt"), "text"}});
    EXPECT_EQ(file_count(), 3u);  // opened: their temporary files exist, the reports do not yet
    EXPECT_FALSE(fs::exists(path("r.json")));
    outputs.write(leaking_report());
    EXPECT_EQ(nlohmann::json::parse(read(path("r.json"))).at("leaked_threads"), 1);
    EXPECT_TRUE(read(path("r.xml")).starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites"));
    EXPECT_TRUE(read(path("r.txt")).starts_with("==10== threadleak: thread T11 \"worker\""));
    EXPECT_EQ(file_count(), 3u) << "no temporary file is left";
}

TEST_F(ReportOutputsTest, AnUnwritableOutputFailsBeforeAnythingIsWritten) {
    { std::ofstream(path("r.json")) << "older report\n"; }
    try {
        ReportOutputs outputs({{path("r.json"), "json"}, {path("no-dir/r.xml"), "junit"}});
        FAIL() << "opened an output in a missing directory";
    } catch (const UserError& e) {
        EXPECT_EQ(e.exit_code(), exit_code::kCantCreate);
        EXPECT_EQ(std::string(e.what()), "cannot write --output " + path("no-dir/r.xml") +
                                             ": No such file or directory; choose a writable path");
    }
    EXPECT_EQ(read(path("r.json")), "older report\n");
    EXPECT_EQ(file_count(), 1u) << "the first output's temporary file is left";
}

}  // namespace
}  // namespace threadleak
