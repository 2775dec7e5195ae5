// The package as a user meets it: build/threadleak_VERSION_amd64.deb (make test
// builds it first) unpacked into a scratch root with dpkg -x, its binary run,
// its man page rendered with man -l, its bash completion sourced and called, its
// control file read; and `make install` staging the same files. No root needed.
#include "run_harness.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;
using threadleak_test::MakeTempDir;
using threadleak_test::RepoRoot;

std::string ReadFile(const fs::path &path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

using Result = threadleak_test::RunResult;

/// Runs `argv` (PATH searched) with `env` added to the environment and every
/// variable in `unset` removed; kills it after `guard`.
Result Exec(const std::vector<std::string> &argv, const std::map<std::string, std::string> &env = {},
            const std::vector<std::string> &unset = {},
            std::chrono::seconds guard = std::chrono::seconds(120)) {
  return threadleak_test::CollectThreadleak(threadleak_test::SpawnProgram(argv, env, unset), guard);
}

/// VERSION from the Makefile: the one place it is defined.
std::string MakefileVersion() {
  const std::string makefile = ReadFile(RepoRoot() / "Makefile");
  std::smatch m;
  if (!std::regex_search(makefile, m, std::regex(R"((?:^|\n)VERSION\s*:=\s*(\S+))"))) return "";
  return m[1];
}

/// Regular files under `root`, relative, with their permission bits.
std::map<std::string, fs::perms> FilesUnder(const fs::path &root) {
  std::map<std::string, fs::perms> files;
  for (const auto &entry : fs::recursive_directory_iterator(root))
    if (entry.is_regular_file())
      files[fs::relative(entry.path(), root).string()] = entry.status().permissions();
  return files;
}

class PackagingTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    version_ = MakefileVersion();
    deb_ = RepoRoot() / "build" / ("threadleak_" + version_ + "_amd64.deb");
    scratch_ = MakeTempDir();
    unpacked_ = Exec({"dpkg", "-x", deb_.string(), scratch_.string()});
  }
  static void TearDownTestSuite() { fs::remove_all(scratch_); }

  void SetUp() override {
    ASSERT_FALSE(version_.empty()) << "no `VERSION := ...` line in " << RepoRoot() / "Makefile";
    ASSERT_TRUE(fs::exists(deb_)) << deb_ << " is missing: run `make deb` first";
    ASSERT_EQ(unpacked_.exit_code, 0) << "dpkg -x " << deb_ << ": " << unpacked_.Describe();
  }

  static fs::path Installed(const std::string &relative) { return scratch_ / relative; }

  /// The man page as `man -l` renders it, in ASCII, one long line per paragraph.
  static Result RenderedManPage() {
    return Exec({"man", "-l", Installed("usr/share/man/man1/threadleak.1.gz").string()},
               {{"LC_ALL", "C"}, {"MANWIDTH", "200"}, {"MANPAGER", "cat"}, {"PAGER", "cat"},
                {"MAN_DISABLE_SECCOMP", "1"}});
  }

  static inline std::string version_;
  static inline fs::path deb_, scratch_;
  static inline Result unpacked_;
};

TEST_F(PackagingTest, InstalledBinaryPrintsTheMakefileVersion) {
  const fs::path binary = Installed("usr/bin/threadleak");
  ASSERT_TRUE(fs::exists(binary)) << "the .deb has no usr/bin/threadleak";
  const Result r = Exec({binary.string(), "--version"});
  EXPECT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_EQ(r.out, "threadleak " + version_ + "\n") << r.Describe();
  EXPECT_EQ(r.err, "");
}

TEST_F(PackagingTest, ManPageRendersEveryRunOptionAndEveryExitCode) {
  const Result man = RenderedManPage();
  ASSERT_EQ(man.exit_code, 0) << man.Describe();
  EXPECT_NE(man.out.find("threadleak - find leaked threads"), std::string::npos) << man.out;
  EXPECT_NE(man.out.find("--format"), std::string::npos) << man.out;

  // Every flag that `run --help` lists has its own entry ("  -o,--output TEXT"),
  // so the page cannot fall behind the binary.
  const Result help = Exec({Installed("usr/bin/threadleak").string(), "run", "--help"});
  ASSERT_EQ(help.exit_code, 0) << help.Describe();
  // CLI11 option lines: "  -o,--output TEXT    description".
  const std::regex long_flag(R"((?:^|\n) +(?:-[a-zA-Z],)?(--[a-z][a-z0-9-]*))");
  int flags = 0;
  for (std::sregex_iterator it(help.out.begin(), help.out.end(), long_flag), end; it != end; ++it) {
    ++flags;
    EXPECT_TRUE(std::regex_search(man.out, std::regex("\n +(-[a-zA-Z],)?" + (*it)[1].str() + "[ \n]")))
        << (*it)[1] << " is in `threadleak run --help` but has no entry in the man page:\n" << man.out;
  }
  EXPECT_GE(flags, 9) << help.out;

  // EXIT STATUS lists each code of userspace/common/errors.h as its own entry.
  const std::string heading = "\nEXIT STATUS\n";
  const size_t exit_status = man.out.find(heading);
  ASSERT_NE(exit_status, std::string::npos) << man.out;
  // From the heading's own newline to the next heading (a line not indented).
  std::string section = man.out.substr(exit_status + heading.size() - 1);
  std::smatch next_heading;
  if (std::regex_search(section, next_heading, std::regex("\n[A-Z]")))
    section.resize(static_cast<size_t>(next_heading.position(0)));
  const std::string errors_h = ReadFile(RepoRoot() / "userspace/common/errors.h");
  const std::regex code_line(R"(inline constexpr int (k\w+) = (\d+);)");
  int codes = 0;
  for (std::sregex_iterator it(errors_h.begin(), errors_h.end(), code_line), end; it != end; ++it) {
    ++codes;
    EXPECT_TRUE(std::regex_search(section, std::regex("\n +" + (*it)[2].str() + " ")))
        << "exit code " << (*it)[2] << " (" << (*it)[1] << " in userspace/common/errors.h) "
        << "is missing from EXIT STATUS:\n" << section;
  }
  EXPECT_GE(codes, 9) << "no exit codes found in userspace/common/errors.h";
}

TEST_F(PackagingTest, BashCompletionCompletesSubcommandsFlagsAndFormats) {
  const fs::path completion = Installed("usr/share/bash-completion/completions/threadleak");
  ASSERT_TRUE(fs::exists(completion)) << "the .deb has no bash completion";
  // One output line per completion: COMPREPLY sorted, space-separated.
  const std::string script =
      "source \"$1\" || exit 3\n"
      "complete -p threadleak | grep -q -- '-F _threadleak' || exit 4\n"
      "t() { COMP_WORDS=(\"$@\"); COMP_CWORD=$(($# - 1)); COMPREPLY=(); _threadleak;\n"
      "      printf '%s\\n' \"${COMPREPLY[@]}\" | sort | paste -sd ' '; }\n"
      "t threadleak ''\n"
      "t threadleak run --fo\n"
      "t threadleak run --format ''\n"
      "t threadleak run --format j\n"
      "t threadleak run --format json --timeout 5s --error-exitc\n"
      "t threadleak attach --thr\n";
  const Result r = Exec({"bash", "--norc", "--noprofile", "-c", script, "bash", completion.string()});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_EQ(r.err, "");
  EXPECT_EQ(r.out,
            "attach run\n"
            "--format\n"
            "folded html json junit pprof svg text\n"
            "json junit\n"
            "--error-exitcode\n"
            "--threshold\n");
}

TEST_F(PackagingTest, ControlFileDependsOnlyOnRuntimeLibraries) {
  const Result r = Exec({"dpkg-deb", "--field", deb_.string(), "Package", "Version", "Architecture",
                        "Depends"});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_NE(r.out.find("Package: threadleak\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Version: " + version_ + "\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Architecture: amd64\n"), std::string::npos) << r.out;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(r.out, m, std::regex("Depends: (.*)\n"))) << r.out;
  std::vector<std::string> packages;
  std::stringstream depends(m[1].str());
  for (std::string item; std::getline(depends, item, ',');) {
    std::smatch name;
    if (std::regex_search(item, name, std::regex(R"([a-z0-9][a-z0-9+.-]*)"))) packages.push_back(name[0]);
  }
  for (const auto &p : packages) {
    EXPECT_FALSE(p.size() > 4 && p.compare(p.size() - 4, 4, "-dev") == 0) << p << " in " << m[1];
    EXPECT_EQ(p.find("iberty"), std::string::npos) << "libiberty is linked statically: " << m[1];
  }
  for (const char *lib : {"libbpf1", "libdw1", "libelf1", "libc6", "libstdc++6", "zlib1g"})
    EXPECT_NE(std::find(packages.begin(), packages.end(), lib), packages.end())
        << lib << " missing from Depends: " << m[1];
  // --format pprof: libprotobuf's runtime package, named by its soname
  // (libprotobuf32 in Debian 12), never libprotobuf-dev.
  EXPECT_TRUE(std::any_of(packages.begin(), packages.end(), [](const std::string &p) {
    return std::regex_match(p, std::regex(R"(libprotobuf[0-9]+[a-z0-9]*)"));
  })) << "libprotobuf's runtime package missing from Depends: " << m[1];
}

TEST_F(PackagingTest, MakeInstallStagesTheFilesOfTheDeb) {
  const std::string staged = MakeTempDir();
  // The parent make's jobserver and flags are not this make's.
  const Result r = Exec({"make", "-C", RepoRoot().string(), "--no-print-directory", "-s", "install",
                        "PREFIX=/usr", "DESTDIR=" + staged},
                       {}, {"MAKEFLAGS", "MFLAGS", "MAKELEVEL"}, std::chrono::seconds(600));
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  const auto from_deb = FilesUnder(scratch_);
  const auto from_install = FilesUnder(staged);
  ASSERT_FALSE(from_deb.empty());
  for (const auto &[path, perms] : from_deb) {
    ASSERT_TRUE(from_install.count(path)) << path << " is in the .deb but not installed by make install";
    EXPECT_EQ(perms, from_install.at(path)) << path;
    // The .deb's binary is stripped; every other file is the same bytes.
    if (path != "usr/bin/threadleak") {
      EXPECT_EQ(ReadFile(scratch_ / path), ReadFile(fs::path(staged) / path)) << path;
    }
  }
  for (const auto &[path, perms] : from_install)
    EXPECT_TRUE(from_deb.count(path)) << path << " is installed by make install but not in the .deb";
  const Result version = Exec({staged + "/usr/bin/threadleak", "--version"});
  EXPECT_EQ(version.out, "threadleak " + version_ + "\n") << version.Describe();
  fs::remove_all(staged);
}

}  // namespace
