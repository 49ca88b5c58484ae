// The loader maps a private, immutable copy of each plugin file (memfd, or a private directory),
// records the digest of the bytes it loaded, really unloads the stock plugins, and warns about
// plugins that can never be unloaded or whose RUNPATH uses $ORIGIN.
#include "plugin_test_support.h"

#include "plugin/elf_inspect.h"
#include "plugin/plugin_file.h"
#include "plugin/plugin_runtime.h"
#include "plugin/private_image.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>

#ifndef VERSIONED_1_PLUGIN
#error "VERSIONED_1_PLUGIN, VERSIONED_2_PLUGIN, UNIQUE_PLUGIN and STOCK_PLUGINS must be set"
#endif

namespace exaproxy::plugin::test {
namespace {

namespace fs = std::filesystem;

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Rewrites `to` in place (open with O_TRUNC, write), exactly what `cp` does to an existing file.
void cpOver(const fs::path& from, const fs::path& to) {
  std::string bytes = slurp(from);
  std::ofstream out(to, std::ios::binary | std::ios::trunc);
  out << bytes;
}

constexpr bool sanitized() {
#if defined(__SANITIZE_ADDRESS__)
  return true;
#else
  return false;
#endif
}

std::string maps() { return slurp("/proc/self/maps"); }

std::vector<std::string> stockPlugins() {
  std::vector<std::string> out;
  std::stringstream in(STOCK_PLUGINS);
  for (std::string p; std::getline(in, p, ':');)
    if (!p.empty())
      out.push_back(p);
  return out;
}

fs::path stock(const std::string& name) {
  for (const auto& p : stockPlugins())
    if (fs::path(p).filename() == name + ".so")
      return p;
  ADD_FAILURE() << name << ".so is not among STOCK_PLUGINS";
  return {};
}

class PluginImageTest : public PluginTest {
protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("exaproxy_image_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override {
    PluginTest::TearDown();
    ::unsetenv("EXAPROXY_PLUGIN_COPY");
    fs::remove_all(dir_);
  }
  // `source` installed as conf.d/<name> (a fresh copy).
  fs::path install(const fs::path& source, const std::string& name) {
    fs::copy_file(source, dir_ / name, fs::copy_options::overwrite_existing);
    return dir_ / name;
  }
  Result<LoadedPluginPtr> loadFile(const fs::path& file, const Settings& s = {},
                                   const std::string& section = "script") {
    LoadRequest req;
    req.name = file.stem().string();
    req.file = file;
    req.settings = toEntries(s, section);
    req.pool = &pool_;
    req.checkMode = true;
    return loadPlugin(req);
  }
  static std::string version(const LoadedPlugin& p) { return p.descriptor().version; }

  fs::path dir_;
};

// The memfd naming in /proc/self/maps: "/memfd:exaproxy:<conf.d file name> (deleted)".
bool mapped(const std::string& confName) {
  return maps().find("/memfd:exaproxy:" + confName) != std::string::npos;
}

TEST(PluginFileTest, DigestIsSha256OfTheContent) {
  EXPECT_EQ(
      sha256Hex(std::span<const unsigned char>(reinterpret_cast<const unsigned char*>("abc"), 3)),
      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  auto missing = fileDigest("/nonexistent/exaproxy/plugin.so");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().message, "file not found");
}

TEST_F(PluginImageTest, LoadsASealedMemfdCopyAndNamesTheConfdFile) {
  auto file = install(VERSIONED_1_PLUGIN, "40-versioned.so");
  auto p = loadFile(file);
  ASSERT_TRUE(p) << p.error().message;
  const auto& image = *(*p)->library();
  EXPECT_EQ(image.kind(), PrivateImage::Kind::Memfd);
  EXPECT_EQ(image.mapped().parent_path(), "/proc/self/fd");
  EXPECT_EQ((*p)->file(), file) << "logs and the UI keep naming the conf.d path";
  EXPECT_TRUE(mapped("40-versioned.so")) << maps();
  EXPECT_EQ(maps().find(file.string()), std::string::npos) << "the conf.d file is never mapped";

  int fd = std::stoi(image.mapped().filename().string());
  int seals = ::fcntl(fd, F_GET_SEALS);
  EXPECT_EQ(seals & (F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL),
            F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL);
  EXPECT_LT(::write(fd, "x", 1), 0) << "the copy is immutable";

  auto digest = fileDigest(file);
  ASSERT_TRUE(digest);
  EXPECT_EQ((*p)->digest(), *digest);
  EXPECT_EQ((*p)->digest().size(), 64u);

  // Rewrite in place with another build, then truncate: the running code is untouched, and the
  // digest of the file now differs from the loaded one (how a reload notices an upgrade).
  cpOver(VERSIONED_2_PLUGIN, file);
  EXPECT_NE(*fileDigest(file), (*p)->digest());
  fs::resize_file(file, 0);
  fs::remove(file);
  const auto& so = (*p)->library()->library();
  auto entry = so.get<const exaproxy_plugin*()>(EXAPROXY_ENTRY_SYMBOL);
  EXPECT_EQ(std::string(entry()->version), "1.0.0");
  EXPECT_EQ(version(**p), "1.0.0");
}

TEST_F(PluginImageTest, TwoBuildsOneAfterTheOtherAtOnePathAreDistinct) {
  auto file = install(VERSIONED_1_PLUGIN, "41-versioned.so");
  for (int round = 0; round < 3; ++round) {
    {
      auto p = loadFile(file);
      ASSERT_TRUE(p) << p.error().message;
      EXPECT_EQ(version(**p), "1.0.0") << "round " << round;
    }
    EXPECT_FALSE(mapped("41-versioned.so")) << "unloaded";
    // The memfd number is free again: the next load reuses it, and must not get 1.0.0 back.
    cpOver(VERSIONED_2_PLUGIN, file);
    {
      auto p = loadFile(file);
      ASSERT_TRUE(p) << p.error().message;
      EXPECT_EQ(version(**p), "1.0.1") << "round " << round;
    }
    cpOver(VERSIONED_1_PLUGIN, file);
  }
}

TEST_F(PluginImageTest, TwoBuildsSideBySideAreDistinct) {
  auto file = install(VERSIONED_1_PLUGIN, "42-versioned.so");
  auto first = loadFile(file);
  ASSERT_TRUE(first) << first.error().message;
  cpOver(VERSIONED_2_PLUGIN, file);
  auto second = loadFile(file);
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_EQ(version(**first), "1.0.0");
  EXPECT_EQ(version(**second), "1.0.1");
  EXPECT_NE((*first)->digest(), (*second)->digest());
  EXPECT_NE((*first)->library()->mapped(), (*second)->library()->mapped());
  EXPECT_NE((*first)->descriptor().create, (*second)->descriptor().create) << "two mappings";
}

TEST_F(PluginImageTest, PrivateDirectoryFallback) {
  ::setenv("EXAPROXY_PLUGIN_COPY", "directory", 1);
  auto file = install(VERSIONED_1_PLUGIN, "43-versioned.so");
  fs::path privateDir;
  {
    auto p = loadFile(file);
    ASSERT_TRUE(p) << p.error().message;
    const auto& image = *(*p)->library();
    ASSERT_EQ(image.kind(), PrivateImage::Kind::Directory);
    privateDir = image.mapped().parent_path();
    EXPECT_EQ(image.mapped().filename(), "43-versioned.so");
    EXPECT_NE(privateDir, dir_);
    struct stat st {};
    ASSERT_EQ(::stat(privateDir.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0700u);
    EXPECT_EQ(st.st_uid, ::geteuid());
    // Sanitizer builds keep the copy for the symboliser; others unlink it once loaded.
    EXPECT_EQ(fs::exists(image.mapped()), sanitized());
    EXPECT_EQ((*p)->digest(), *fileDigest(file));
    cpOver(VERSIONED_2_PLUGIN, file);
    fs::remove(file);
    EXPECT_EQ(version(**p), "1.0.0");
    auto entry = image.library().get<const exaproxy_plugin*()>(EXAPROXY_ENTRY_SYMBOL);
    EXPECT_EQ(std::string(entry()->version), "1.0.0");
  }
  EXPECT_FALSE(fs::exists(privateDir)) << "removed on unload";
  EXPECT_EQ(maps().find(privateDir.string()), std::string::npos);
  // The next build at that path loads too, from its own directory.
  install(VERSIONED_2_PLUGIN, "43-versioned.so");
  auto p = loadFile(file);
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_EQ(version(**p), "1.0.1");
}

// The real stock plugins: built with -fno-gnu-unique and the version script, glibc unmaps them
// when the last instance goes, and a different file at the same path then loads new code.
TEST_F(PluginImageTest, StockAclAndRedirectorAreUnmappedAfterDestroy) {
  struct Case {
    std::string plugin, confName;
    Settings settings;
    std::string section;
  };
  for (const auto& c :
       {Case{"acl", "44-acl.so", {}, "acl"},
        Case{"redirector", "45-redirector.so", {{"program", "/bin/cat"}}, "helper"}}) {
    auto file = install(stock(c.plugin), c.confName);
    {
      auto p = loadFile(file, c.settings, c.section);
      ASSERT_TRUE(p) << c.plugin << ": " << p.error().message;
      EXPECT_TRUE(mapped(c.confName)) << maps();
    }
    EXPECT_FALSE(mapped(c.confName)) << c.plugin << " is still mapped after destroy:\n" << maps();
    // Another file at the same conf.d path: its code, not the old one's.
    cpOver(VERSIONED_2_PLUGIN, file);
    auto p = loadFile(file);
    ASSERT_TRUE(p) << p.error().message;
    EXPECT_STREQ((*p)->descriptor().name, "versioned");
  }
}

TEST_F(PluginImageTest, StockPluginsExportOnlyTheEntryAndHaveNoUniqueSymbols) {
  ASSERT_GE(stockPlugins().size(), 2u);
  for (const auto& path : stockPlugins()) {
    auto bytes = readPluginFile(path);
    ASSERT_TRUE(bytes) << path;
    auto facts = inspectElf(*bytes);
    ASSERT_TRUE(facts.parsed) << path;
    EXPECT_TRUE(facts.uniqueSymbols.empty()) << path << ": " << facts.uniqueSymbols.front();
    EXPECT_TRUE(facts.extraExports.empty()) << path << ": " << facts.extraExports.size();
    EXPECT_TRUE(elfWarnings(facts).empty()) << path;
  }
}

TEST_F(PluginImageTest, VerifyPluginWarnsAboutUniqueSymbolsOriginAndExports) {
  auto bytes = readPluginFile(UNIQUE_PLUGIN);
  ASSERT_TRUE(bytes);
  auto facts = inspectElf(*bytes);
  EXPECT_FALSE(facts.uniqueSymbols.empty());
  EXPECT_EQ(facts.runpath, "$ORIGIN");
  EXPECT_GE(facts.extraExports.size(), 1u);

  std::ostringstream out;
  EXPECT_EQ(PluginRuntime::verifyPlugin(UNIQUE_PLUGIN, out), 0) << "warnings, not a refusal\n"
                                                                << out.str();
  auto text = out.str();
  EXPECT_NE(text.find("WARNING: "), std::string::npos) << text;
  EXPECT_NE(text.find("STB_GNU_UNIQUE symbol(s)"), std::string::npos) << text;
  EXPECT_NE(text.find("never unloads"), std::string::npos) << text;
  EXPECT_NE(text.find("RUNPATH '$ORIGIN' uses $ORIGIN"), std::string::npos) << text;
  EXPECT_NE(text.find("besides exaproxy_plugin_entry"), std::string::npos) << text;
  EXPECT_NE(std::find(facts.extraExports.begin(), facts.extraExports.end(),
                      "_Z25unique_rpath_extra_exportv"),
            facts.extraExports.end());

  // What the warning is about: verifyPlugin() destroyed its instance, yet glibc keeps the
  // object mapped (and a later copy would bind to its unique symbols).
  EXPECT_TRUE(mapped("unique_rpath.so")) << "glibc keeps objects with unique symbols";

  for (const auto& path : {stock("acl"), stock("xff")}) {
    std::ostringstream clean;
    PluginRuntime::verifyPlugin(path, clean);
    EXPECT_EQ(clean.str().find("WARNING"), std::string::npos) << clean.str();
  }
}

} // namespace
} // namespace exaproxy::plugin::test
