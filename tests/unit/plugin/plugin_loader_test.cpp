// The loader refuses each broken plugin with a reason that says exactly why, and keeps loading
// plugins built against the frozen 1.0 headers.
#include "plugin_test_support.h"

#include "plugin/abi_check.h"
#include "plugin/plugin_runtime.h"
#include "plugin/plugin_transaction.h"

#include <elf.h>
#include <unistd.h>

#include <fstream>
#include <optional>
#include <sstream>

namespace exaproxy::plugin::test {
namespace {

class PluginLoaderTest : public PluginTest {
protected:
  std::string refusal(const std::string& file, const Settings& s = {}) {
    auto r = tryLoad(file, s);
    EXPECT_FALSE(r) << file << " should be refused";
    return r ? "" : r.error().message;
  }
  std::filesystem::path temp(const std::string& name) {
    auto dir =
        std::filesystem::temp_directory_path() / ("exaproxy_loader_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    return dir / name;
  }
};

// The ABI versions the broken plugins claim (broken/*.c): derived from the headers, so that the
// next minor does not make these tests stale.
const std::string kHostAbi = "1." + std::to_string(EXAPROXY_ABI_MINOR);
const std::string kNextMinor = "1." + std::to_string(EXAPROXY_ABI_MINOR + 1);
const std::string kOtherMajor = "2." + std::to_string(EXAPROXY_ABI_MINOR);

#define EXPECT_HAS(haystack, needle)                                                               \
  EXPECT_NE((haystack).find(needle), std::string::npos) << "in: " << (haystack)

TEST_F(PluginLoaderTest, LoadsAGoodPlugin) {
  auto p = load("10-scripted", "scripted");
  ASSERT_TRUE(p);
  EXPECT_EQ(std::string(p->descriptor().name), "scripted");
  EXPECT_EQ(p->abiString(), "1.1") << "scripted declares 1.1: a 1.1 plugin on this 1.2 host";
  EXPECT_EQ(p->description(), "test plugin driven by its settings");
  EXPECT_EQ(p->statusJson(), "{\"scripted\":true}");
}

TEST_F(PluginLoaderTest, RefusesMissingEntrySymbol) {
  EXPECT_HAS(refusal("no_symbol"), "no entry symbol exaproxy_plugin_entry");
}

TEST_F(PluginLoaderTest, RefusesOtherMajor) {
  auto why = refusal("major_mismatch");
  EXPECT_HAS(why, "built for ABI " + kOtherMajor);
  EXPECT_HAS(why, "major must be 1");
}

TEST_F(PluginLoaderTest, LoadsA12Plugin) {
  auto p = load("10-abi12", "abi12");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->abiString(), "1.2") << "built with ABI 1.2 (EXAPROXY_TARGET_ABI_MINOR=2)";
  EXPECT_EQ(p->description(), "test plugin using the ABI 1.2 entries");
}

// A C++ plugin built with the current SDK for 1.0 hosts (EXAPROXY_TARGET_ABI_MINOR=0): the 1.0
// descriptor, and it runs here too (tests/plugin_abi/frozen_1_0/host_1_0.c runs it on a 1.0 host).
TEST_F(PluginLoaderTest, LoadsACppPluginBuiltFor10) {
  auto p = load("10-target", "target_1_0", {{"hosts", "bad.example"}});
  ASSERT_TRUE(p);
  EXPECT_EQ(p->abiString(), "1.0");
  EXPECT_EQ(p->descriptor().size, offsetof(exaproxy_plugin, description));
  EXPECT_EQ(p->description(), "");
}

TEST_F(PluginLoaderTest, RefusesNewerMinor) {
  auto why = refusal("newer_minor");
  EXPECT_HAS(why, "built for ABI " + kNextMinor);
  EXPECT_HAS(why, "newer than this host's " + kHostAbi);
}

TEST_F(PluginLoaderTest, RefusesTooSmallDescriptor) {
  EXPECT_HAS(refusal("too_small"), "descriptor too small: size 16 bytes");
}

TEST_F(PluginLoaderTest, RefusesWhenCreateFails) {
  EXPECT_HAS(refusal("create_fails"), "create failed: create_fails: ");
  EXPECT_HAS(refusal("create_fails"), "license key missing");
}

TEST_F(PluginLoaderTest, ConfigErrorNamesFileAndLine) {
  auto why = refusal("config_error", {{"good", "1"}, {"bad", "x"}});
  EXPECT_HAS(why, "test.conf:3: [script] bad: expected a number");
}

TEST_F(PluginLoaderTest, RefusesMissingLibraryDependency) {
  auto why = refusal("missing_dep");
  EXPECT_HAS(why, "dlopen failed");
  EXPECT_HAS(why, "libmissing_dep_lib.so");
}

TEST_F(PluginLoaderTest, RefusesNonElfAndOtherArchitectures) {
  auto text = temp("text.so");
  std::ofstream(text) << "#!/bin/sh\necho not a library\n";
  EXPECT_HAS(checkElf(text).error().message, "not an ELF file");

  // A copy of a good plugin with e_machine patched to AArch64 (or x86-64 on an AArch64 host).
  auto other = temp("other_arch.so");
  std::filesystem::copy_file(pluginPath("scripted"), other,
                             std::filesystem::copy_options::overwrite_existing);
  std::fstream f(other, std::ios::in | std::ios::out | std::ios::binary);
  uint16_t machine = 0;
  f.seekg(18);
  f.read(reinterpret_cast<char*>(&machine), 2);
  uint16_t patched = machine == EM_AARCH64 ? EM_X86_64 : EM_AARCH64;
  f.seekp(18);
  f.write(reinterpret_cast<const char*>(&patched), 2);
  f.close();
  auto why = checkElf(other).error().message;
  EXPECT_HAS(why, patched == EM_AARCH64 ? "built for aarch64" : "built for x86-64");

  LoadRequest r;
  r.name = "other";
  r.file = other;
  auto loaded = loadPlugin(r);
  ASSERT_FALSE(loaded);
  EXPECT_HAS(loaded.error().message, "this host is");
  EXPECT_HAS(refusal("does_not_exist"), "file not found");
}

TEST_F(PluginLoaderTest, VerifyPluginReportsEachCheck) {
  std::ostringstream good, bad;
  EXPECT_EQ(PluginRuntime::verifyPlugin(pluginPath("deny_hosts"), good), 0);
  EXPECT_HAS(good.str(), "entry symbol exaproxy_plugin_entry: ok");
  EXPECT_HAS(good.str(), "name=deny_hosts");
  EXPECT_HAS(good.str(), "OK: ");
  EXPECT_EQ(PluginRuntime::verifyPlugin(pluginPath("newer_minor"), bad), 1);
  EXPECT_HAS(bad.str(), "REFUSED: built for ABI " + kNextMinor);
}

// The compatibility rule, tested: a plugin compiled against the frozen 1.0 headers (smaller
// descriptor and API table) loads on this 1.2 host and every call it makes still works.
TEST_F(PluginLoaderTest, FrozenAbi10PluginKeepsWorking) {
  auto p = load("10-frozen", "frozen_1_0");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->abiString(), "1.0");
  EXPECT_LT(p->descriptor().size, sizeof(exaproxy_plugin));
  EXPECT_EQ(p->description(), "") << "the 1.1 field is not read from a 1.0 descriptor";
  auto req = getRequest("http://origin.test/x");
  std::optional<Outcome> got;
  PluginTransaction tx(chainOf({{p, PluginPolicy{}}}), loop_, &pool_, info());
  tx.runRequest(req, [&](Outcome o) { got = std::move(o); });
  ASSERT_TRUE(runUntil(loop_, [&] { return got.has_value(); }));
  EXPECT_EQ(got->kind, Outcome::Kind::Continue);
  EXPECT_EQ(req.headers.get("x-abi").value_or(""), "1.0");
  EXPECT_EQ(req.pathAndQuery, "/v1/x");
}

} // namespace
} // namespace exaproxy::plugin::test
