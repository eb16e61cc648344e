#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "common/ids.h"
#include "common/zip.h"
#include "layer/package.h"
#include "layer/tree.h"

namespace lamina::layer {
namespace {

TEST(Tree, PackageOfNamesTheOwningPackage) {
  struct Case {
    const char* path;
    const char* package;
  } cases[] = {
      {"python/pandas/core/frame.py", "pandas"},
      {"python/six.py", "six"},
      {"python/_cffi_backend.cpython-312-x86_64-linux-gnu.so", "_cffi_backend"},
      {"python/numpy-1.26.4.dist-info/METADATA", "numpy"},
      {"python/lib/python3.12/site-packages/requests/api.py", "requests"},
      {"nodejs/node_modules/lodash/index.js", "lodash"},
      {"nodejs/node_modules/@aws-sdk/client-s3/dist/index.js", "@aws-sdk/client-s3"},
      {"nodejs/node20/node_modules/uuid/index.js", "uuid"},
      {"bin/tool", "bin"},
      {"lib/libfoo.so.1", "lib"},
  };
  for (const Case& c : cases) EXPECT_EQ(PackageOf(c.path), c.package) << c.path;
}

TEST(Package, SameTreeSameBytesWhateverTheThreadCount) {
  namespace fs = std::filesystem;
  fs::path root = fs::temp_directory_path() / ("lamina-package-" + RandomHex(8));
  for (int i = 0; i < 50; ++i) {
    fs::path file =
        root / ("python/pkg" + std::to_string(i % 5)) / ("m" + std::to_string(i) + ".py");
    fs::create_directories(file.parent_path());
    std::ofstream(file) << std::string(1000 + i * 37, static_cast<char>('a' + i % 26));
  }
  fs::create_directories(root / "bin");
  std::ofstream(root / "bin/run") << "#!/bin/sh\n";
  fs::permissions(root / "bin/run", fs::perms::owner_all | fs::perms::group_read);
  fs::create_symlink("run", root / "bin/alias");
  std::ofstream(root / ".lamina-build") << "hash\n";

  PackageOptions one;
  one.threads = 1;
  PackageOptions many;
  many.threads = 7;
  auto first = PackageTree(root, one);
  auto second = PackageTree(root, many);
  ASSERT_TRUE(first.has_value()) << first.error();
  ASSERT_TRUE(second.has_value()) << second.error();
  EXPECT_EQ(first->archive, second->archive);
  EXPECT_EQ(first->files, 52u);
  auto entries = zip::ReadDirectory(first->archive).value();
  std::vector<std::string> names;
  for (const auto& entry : entries) names.push_back(entry.name);
  EXPECT_TRUE(std::is_sorted(names.begin(), names.end()));
  EXPECT_EQ(std::count(names.begin(), names.end(), ".lamina-build"), 0);
  for (const auto& entry : entries) {
    if (entry.name == "bin/run") {
      EXPECT_EQ(entry.UnixMode(), 0100755u);
    }
    if (entry.name == "bin/alias") {
      EXPECT_TRUE(entry.IsSymlink());
      EXPECT_EQ(zip::ReadEntry(first->archive, entry).value(), "run");
    }
    if (entry.name == "python/pkg0/m0.py") {
      EXPECT_EQ(entry.UnixMode(), 0100644u);
    }
  }
  EXPECT_TRUE(zip::Verify(first->archive).has_value());
  fs::remove_all(root);
}

}  // namespace
}  // namespace lamina::layer
