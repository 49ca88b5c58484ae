#include "ui/static_files.h"

#include <gtest/gtest.h>

#include <fstream>

namespace exaproxy::ui {
namespace {

namespace fs = std::filesystem;

class StaticFilesTest : public ::testing::Test {
protected:
  void SetUp() override {
    dir = fs::temp_directory_path() / ("exaproxy-www-" + std::to_string(::getpid()));
    fs::create_directories(dir / "www" / "views");
    fs::create_directories(dir / "www" / "templates");
    std::ofstream(dir / "www" / "index.html") << "<!doctype html>";
    std::ofstream(dir / "www" / "views" / "dns.js") << "export {}";
    std::ofstream(dir / "www" / ".hidden") << "x";
    std::ofstream(dir / "www" / "templates" / "error.html") << "x";
    std::ofstream(dir / "secret") << "x";
    www = dir / "www";
  }
  void TearDown() override { fs::remove_all(dir); }
  fs::path dir, www;
};

TEST_F(StaticFilesTest, ServesIndexAndFilesWithTypes) {
  auto index = findStaticFile(www, "/");
  ASSERT_TRUE(index);
  EXPECT_EQ(index->path, www / "index.html");
  EXPECT_EQ(index->contentType, "text/html; charset=utf-8");
  auto view = findStaticFile(www, "/views/dns.js");
  ASSERT_TRUE(view);
  EXPECT_EQ(view->contentType, "text/javascript; charset=utf-8");
  EXPECT_TRUE(findStaticFile(www, "//views//dns.js"));
}

TEST_F(StaticFilesTest, RefusesEverythingOutsideOrHidden) {
  EXPECT_FALSE(findStaticFile(www, "/../secret"));
  EXPECT_FALSE(findStaticFile(www, "/views/../../secret"));
  EXPECT_FALSE(findStaticFile(www, "/.hidden"));
  EXPECT_FALSE(findStaticFile(www, "/views"));
  EXPECT_FALSE(findStaticFile(www, "/missing.js"));
  EXPECT_FALSE(findStaticFile(www, "views/dns.js"));
  EXPECT_FALSE(findStaticFile(www, "/views\\dns.js"));
  EXPECT_FALSE(findStaticFile(www, "/templates/error.html")) << "the proxy's pages, not the UI's";
}

TEST(WwwDir, ConfiguredWinsElseTheSourceTree) {
  EXPECT_EQ(resolveWwwDir("/srv/www"), fs::path("/srv/www"));
  EXPECT_EQ(resolveWwwDir(""), fs::path(EXAPROXY_SOURCE_DIR) / "www");
}

} // namespace
} // namespace exaproxy::ui
