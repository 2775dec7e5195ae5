// Files of a traced process are opened inside its root: its symlinks cannot
// point threadleak (running as root) at files outside that root.
#include "stacks/module_file.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

using namespace threadleak;
namespace fs = std::filesystem;

namespace {

fs::path make_root() {
    fs::path root = fs::temp_directory_path() / ("threadleak-root-" + std::to_string(getpid()));
    fs::remove_all(root);
    fs::create_directories(root / "lib");
    return root;
}

}  // namespace

TEST(ModuleFile, AbsoluteSymlinkInTheTargetsRootStaysInsideIt) {
    fs::path root = make_root();
    // Inside the target's root this names its own /secret, which does not exist;
    // resolved from the host it would be the host's file.
    std::ofstream(fs::temp_directory_path() / "threadleak-host-file") << "host";
    fs::create_symlink(fs::temp_directory_path() / "threadleak-host-file", root / "lib" / "evil.so");
    Mapping m{0x1000, 0x2000, 0, 0, 0, "/lib/evil.so"};
    EXPECT_FALSE(open_module_file(root.string(), 0, m).has_value());
    fs::remove_all(root);
    fs::remove(fs::temp_directory_path() / "threadleak-host-file");
}

TEST(ModuleFile, FileInsideTheRootIsOpenedAndNamedWithItsRoot) {
    fs::path root = make_root();
    std::ofstream(root / "lib" / "plugin.so") << "not really ELF";
    Mapping m{0x1000, 0x2000, 0, 0, 0, "/lib/plugin.so"};
    auto f = open_module_file(root.string(), 0, m);
    ASSERT_TRUE(f.has_value());
    EXPECT_EQ(f->path, (root / "lib" / "plugin.so").string());
    fs::remove_all(root);
}

TEST(ModuleFile, FifoOrDeviceAtALibraryPathIsNeverOpened) {
    fs::path root = make_root();
    ASSERT_EQ(mkfifo((root / "lib" / "fifo.so").c_str(), 0600), 0);
    fs::create_symlink("/dev/null", root / "lib" / "null.so");  // resolves to the root's /dev/null
    fs::create_directories(root / "dev");
    // A FIFO opened for reading would block until a writer comes: the test would hang.
    EXPECT_FALSE(open_module_file(root.string(), 0, Mapping{0x1000, 0x2000, 0, 0, 0, "/lib/fifo.so"}));
    EXPECT_FALSE(open_module_file(root.string(), 0, Mapping{0x1000, 0x2000, 0, 0, 0, "/lib/null.so"}));
    EXPECT_FALSE(open_module_file("", 0, Mapping{0x1000, 0x2000, 0, 0, 0, "/dev/null"}));
    fs::remove_all(root);
}
