// ABI 1.5: connections and notes. The new entries' rules (note keys, values, the bound, replacing
// in place; verdict_set_note / verdict_set_user), the chain applying what a verdict carries
// (returned by a hook or completed from a worker thread; never for ERROR), later plugins reading
// the notes, and on_connection_close: called for a plugin built for 1.5, never read from the
// descriptor of one built for 1.4 (same code, shorter size). The plugin is
// tests/plugin_abi/plugins/abi15.c.
#include "plugin_test_support.h"

#include "plugin/host_api.h"
#include "plugin/loaded_plugin.h"
#include "plugin/plugin_transaction.h"
#include "plugin/txn_notes.h"
#include "plugin/txn_state.h"

#include <exaproxy/plugin.hpp>

#include <cstddef>
#include <optional>
#include <string>

namespace exaproxy::plugin::test {
namespace {

exaproxy_str S(std::string_view s) { return exaproxy_str{s.data(), s.size()}; }
std::string_view V(exaproxy_str s) { return {s.ptr, s.len}; }

const exaproxy_host_api& api() { return *hostApi(); }

TEST(Abi15Table, AppendsTheNewEntries) {
  EXPECT_EQ(api().abi_minor, EXAPROXY_ABI_MINOR);
  EXPECT_GE(api().abi_minor, 5);
  EXPECT_GT(offsetof(exaproxy_host_api, conn_id), offsetof(exaproxy_host_api, timer_cancel));
  EXPECT_TRUE(EXAPROXY_HAS_FIELD(&api(), exaproxy_host_api, verdict_set_user));
  // The descriptor grew by one hook: a 1.1-1.4 descriptor ends where it starts.
  EXPECT_EQ(EXAPROXY_PLUGIN_SIZE_AS_OF(4), offsetof(exaproxy_plugin, on_connection_close));
  EXPECT_EQ(EXAPROXY_PLUGIN_SIZE_AS_OF(1), EXAPROXY_PLUGIN_SIZE_AS_OF(4));
  // 1.7 appended on_body: a 1.5 (or 1.6) descriptor ends where it starts.
  EXPECT_EQ(EXAPROXY_PLUGIN_SIZE_AS_OF(5), offsetof(exaproxy_plugin, on_body));
  EXPECT_EQ(EXAPROXY_PLUGIN_SIZE_AS_OF(0), offsetof(exaproxy_plugin, description));
}

TEST(Abi15Notes, KeysValuesAndTheBound) {
  exaproxy_txn t;
  t.connection = 42;
  EXPECT_EQ(api().conn_id(&t), 42u);
  EXPECT_EQ(api().conn_id(nullptr), 0u);
  for (const char* ok : {"group", "tag", "ext.log", "A-b_9"})
    EXPECT_EQ(api().note_set(&t, S(ok), S("v"), 0), EXAPROXY_OK) << ok;
  for (const char* bad : {"", "with space", "k=v", "caf\xc3\xa9", "a\nb"})
    EXPECT_EQ(api().note_set(&t, S(bad), S("v"), 0), EXAPROXY_E_INVALID) << bad;
  EXPECT_EQ(api().note_set(&t, S(std::string(EXAPROXY_NOTE_KEY_MAX + 1, 'k')), S("v"), 0),
            EXAPROXY_E_INVALID);
  EXPECT_EQ(api().note_set(&t, S("v"), S("a\r\nb"), 0), EXAPROXY_E_INVALID);
  EXPECT_EQ(api().note_set(&t, S("v"), S(std::string("a\0b", 3)), 0), EXAPROXY_E_INVALID);
  EXPECT_EQ(api().note_set(&t, S("v"), S(std::string(EXAPROXY_NOTE_VALUE_MAX + 1, 'x')), 0),
            EXAPROXY_E_INVALID);
  EXPECT_EQ(api().note_set(&t, S("v"), S("spaces and UTF-8 \xc3\xa9 are fine"), 0), EXAPROXY_OK);
  ASSERT_EQ(api().note_count(&t), 5u);

  // Replaced in place, flags too (unknown bits dropped).
  EXPECT_EQ(api().note_set(&t, S("group"), S("pupils"), EXAPROXY_NOTE_LOG | 0x100u), EXAPROXY_OK);
  ASSERT_EQ(api().note_count(&t), 5u);
  exaproxy_str k{}, v{};
  uint32_t flags = 0;
  ASSERT_EQ(api().note_at(&t, 0, &k, &v, &flags), EXAPROXY_OK);
  EXPECT_EQ(V(k), "group");
  EXPECT_EQ(V(v), "pupils");
  EXPECT_EQ(flags, uint32_t{EXAPROXY_NOTE_LOG});
  EXPECT_EQ(api().note_at(&t, 5, &k, &v, nullptr), EXAPROXY_E_NOT_FOUND);
  ASSERT_EQ(api().note_get(&t, S("tag"), &v), EXAPROXY_OK);
  EXPECT_EQ(V(v), "v");
  EXPECT_EQ(api().note_get(&t, S("TAG"), &v), EXAPROXY_E_NOT_FOUND) << "keys are case-sensitive";
  EXPECT_EQ(api().note_get(&t, S("missing"), &v), EXAPROXY_E_NOT_FOUND);

  for (int i = 0; api().note_count(&t) < EXAPROXY_NOTES_MAX; ++i)
    ASSERT_EQ(api().note_set(&t, S("n" + std::to_string(i)), S("x"), 0), EXAPROXY_OK);
  EXPECT_EQ(api().note_set(&t, S("one-too-many"), S("x"), 0), EXAPROXY_E_INVALID);
  EXPECT_EQ(api().note_set(&t, S("group"), S("staff"), 0), EXAPROXY_OK) << "replacing still works";

  std::string logged = "decision";
  Notes only{{"a", "1", EXAPROXY_NOTE_LOG}, {"b", "2", 0}, {"c", "x y", EXAPROXY_NOTE_LOG}};
  appendLoggedNotes(logged, only);
  EXPECT_EQ(logged, "decision a=1 c=x y");
}

TEST(Abi15Verdict, CarriesNotesAndAUser) {
  exaproxy_verdict v;
  EXPECT_EQ(api().verdict_set_note(&v, S("tag"), S("t1"), EXAPROXY_NOTE_LOG), EXAPROXY_OK);
  EXPECT_EQ(api().verdict_set_note(&v, S("bad key"), S("t1"), 0), EXAPROXY_E_INVALID);
  EXPECT_EQ(api().verdict_set_note(nullptr, S("tag"), S("t1"), 0), EXAPROXY_E_INVALID);
  EXPECT_EQ(api().verdict_set_user(&v, S("alice")), EXAPROXY_OK);
  for (const char* bad : {"al ice", "a\r\nb", "tab\there"})
    EXPECT_EQ(api().verdict_set_user(&v, S(bad)), EXAPROXY_E_INVALID) << bad;
  EXPECT_EQ(api().verdict_set_user(&v, S(std::string(257, 'u'))), EXAPROXY_E_INVALID);
  ASSERT_EQ(v.notes.size(), 1u);
  EXPECT_EQ(v.user, std::optional<std::string>("alice")) << "a refused user leaves the last one";
}

class Abi15Chain : public PluginTest {
protected:
  std::optional<Outcome> run(const ChainPtr& chain, http::RequestHead& req,
                             uint64_t connection = 7) {
    std::optional<Outcome> got;
    TxInfo i = info();
    i.connection = connection;
    tx_ = std::make_unique<PluginTransaction>(chain, loop_, &pool_, i);
    tx_->runRequest(req, [&](Outcome o) { got = std::move(o); });
    runUntil(loop_, [&] { return got.has_value(); });
    return got;
  }
  PluginPolicy policy() { return PluginPolicy{5000ms, false, false}; }
  std::unique_ptr<PluginTransaction> tx_;
};

TEST_F(Abi15Chain, APendingVerdictFromAWorkerLeavesNotesAndTheUserForLaterPlugins) {
  auto first = load("10-a", "abi15",
                    {{"when", "pending"},
                     {"note", "group=pupils"},
                     {"log_note", "tag=t1"},
                     {"user", "alice"},
                     {"txn_note", "seen=first"}});
  auto later = load("20-b", "abi15", {{"echo", "on"}, {"txn_note", "group=ignored-if-set"}});
  ASSERT_TRUE(first && later);
  auto req = getRequest();
  auto got = run(chainOf({{first, policy()}, {later, policy()}}), req, 1234);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->kind, Outcome::Kind::Continue);
  EXPECT_EQ(headerValues(req, "x-conn-id"), (std::vector<std::string>{"1234"}));
  EXPECT_EQ(headerValues(req, "x-user"), (std::vector<std::string>{"alice"}));
  // The hook's own note first, then the verdict's; the later plugin replaced group in place.
  EXPECT_EQ(headerValues(req, "x-notes"),
            (std::vector<std::string>{"seen=first;group=ignored-if-set;tag=t1"}));
  EXPECT_EQ(headerValues(req, "x-note-found"), (std::vector<std::string>{"ignored-if-set"}));
  EXPECT_EQ(tx_->identity().user, "alice");
  std::string logged;
  appendLoggedNotes(logged, tx_->notes());
  EXPECT_EQ(logged, "tag=t1");
  EXPECT_EQ(metric(*first, "rc"), 0);
  EXPECT_EQ(metric(*later, "rc"), 0);
}

TEST_F(Abi15Chain, AFinalVerdictCarriesThemTooButAnErrorDoesNot) {
  auto deny =
      load("10-d", "abi15", {{"action", "deny"}, {"log_note", "why=listed"}, {"user", "bob"}});
  auto req = getRequest();
  auto got = run(chainOf({{deny, policy()}}), req);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->kind, Outcome::Kind::Deny);
  EXPECT_EQ(tx_->identity().user, "bob");
  ASSERT_EQ(tx_->notes().size(), 1u);
  EXPECT_EQ(tx_->notes()[0].key, "why");

  // An ERROR verdict (here allowed through by on_error = allow) leaves nothing.
  auto failed = load("10-e", "abi15", {{"action", "error"}, {"note", "k=v"}, {"user", "carol"}});
  auto req2 = getRequest();
  got = run(chainOf({{failed, PluginPolicy{5000ms, false, true}}}), req2);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->kind, Outcome::Kind::Continue);
  EXPECT_TRUE(tx_->notes().empty());
  EXPECT_TRUE(tx_->identity().user.empty());

  // Nor one the host finds malformed (a redirect without a location becomes an ERROR).
  auto malformed =
      load("10-m", "abi15", {{"action", "redirect"}, {"note", "k=v"}, {"user", "dave"}});
  auto req3 = getRequest();
  got = run(chainOf({{malformed, PluginPolicy{5000ms, false, true}}}), req3);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->kind, Outcome::Kind::Continue);
  EXPECT_EQ(malformed->counters.errors.load(), 1u);
  EXPECT_TRUE(tx_->notes().empty());
  EXPECT_TRUE(tx_->identity().user.empty());
}

TEST_F(Abi15Chain, ConnectionCloseReachesA15PluginOnlyWhenItsDescriptorCoversTheHook) {
  auto current = load("10-c", "abi15");
  auto older = load("20-o", "abi15_as_1_4");
  ASSERT_TRUE(current && older);
  EXPECT_EQ(older->descriptor().abi_minor, 4);
  EXPECT_FALSE(EXAPROXY_HAS_FIELD(&older->descriptor(), exaproxy_plugin, on_connection_close));
  auto chain = chainOf({{current, policy()}, {older, policy()}});
  chain->onConnectionClose(99);
  chain->onConnectionClose(100);
  EXPECT_EQ(metric(*current, "closes"), 2);
  EXPECT_EQ(metric(*older, "closes"), 0) << "a 1.4 descriptor's size ends before the hook";
}

// ---- plugin.hpp --------------------------------------------------------------------------------

namespace sdk = exaproxy::sdk;

class Abi15Sdk : public ::testing::Test {
protected:
  void SetUp() override { sdk::detail::api() = hostApi(); }
  void TearDown() override { sdk::detail::api() = nullptr; }
};

TEST_F(Abi15Sdk, TxnAndVerdictWrappers) {
  exaproxy_txn t;
  t.connection = 5;
  sdk::Txn tx(&t, nullptr);
  EXPECT_EQ(tx.connectionId(), 5u);
  EXPECT_EQ(tx.note("group"), std::nullopt);
  EXPECT_TRUE(tx.setNote("group", "pupils"));
  EXPECT_TRUE(tx.setNote("tag", "t", true));
  EXPECT_FALSE(tx.setNote("bad key", "x"));
  EXPECT_EQ(tx.note("group"), std::optional<std::string_view>("pupils"));
  auto all = tx.notes();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[1].first, "tag");
  EXPECT_EQ(t.notes[1].flags, uint32_t{EXAPROXY_NOTE_LOG});

  exaproxy_verdict v;
  EXPECT_EQ(
      sdk::Verdict::next().note("group", "staff").note("log", "yes", true).user("bob").fill(&v),
      EXAPROXY_CONTINUE);
  ASSERT_EQ(v.notes.size(), 2u);
  EXPECT_EQ(v.notes[1].flags, uint32_t{EXAPROXY_NOTE_LOG});
  EXPECT_EQ(v.user, std::optional<std::string>("bob"));
  exaproxy_verdict refused;
  EXPECT_EQ(sdk::Verdict::next().user("two words").fill(&refused), EXAPROXY_ERROR);
  EXPECT_NE(refused.outcome.reason.find("verdict_set_user refused"), std::string::npos);
}

// The same plugin code on a 1.4 host (its table ends at timer_cancel).
TEST_F(Abi15Sdk, OnAnOlderHost) {
  exaproxy_host_api old = *hostApi();
  old.size = static_cast<uint32_t>(offsetof(exaproxy_host_api, conn_id));
  old.abi_minor = 4;
  sdk::detail::api() = &old;
  exaproxy_txn t;
  t.connection = 5;
  sdk::Txn tx(&t, nullptr);
  EXPECT_EQ(tx.connectionId(), 0u);
  EXPECT_FALSE(tx.setNote("group", "pupils"));
  EXPECT_TRUE(t.notes.empty());
  EXPECT_TRUE(tx.notes().empty());
  exaproxy_verdict v;
  EXPECT_EQ(sdk::Verdict::next().note("group", "staff").fill(&v), EXAPROXY_ERROR);
  EXPECT_NE(v.outcome.reason.find("older than 1.5"), std::string::npos) << v.outcome.reason;
  exaproxy_verdict plain;
  EXPECT_EQ(sdk::Verdict::next().fill(&plain), EXAPROXY_CONTINUE) << "nothing 1.5 asked for";
}

struct Closes : sdk::Plugin {
  using sdk::Plugin::Plugin;
  void onConnectionClose(uint64_t id) override { last = id; }
  uint64_t last = 0;
};
struct Plain : sdk::Plugin {
  using sdk::Plugin::Plugin;
};

TEST_F(Abi15Sdk, TheHookIsRegisteredOnlyWhenOverridden) {
  constexpr auto closes =
      sdk::detail::describe<Closes, sdk::detail::ReconfigureAuto>("c", "1", "t", "");
  constexpr auto plain =
      sdk::detail::describe<Plain, sdk::detail::ReconfigureAuto>("p", "1", "t", "");
  EXPECT_NE(closes.on_connection_close, nullptr);
  EXPECT_EQ(plain.on_connection_close, nullptr);
  EXPECT_EQ(closes.size, sizeof(exaproxy_plugin));
  exaproxy_host h;
  sdk::detail::Instance inst{sdk::Host(hostApi(), &h), nullptr};
  auto owned = std::make_unique<Closes>(inst.host);
  Closes* raw = owned.get();
  inst.plugin = std::move(owned);
  closes.on_connection_close(&inst, 77);
  EXPECT_EQ(raw->last, 77u);
}

} // namespace
} // namespace exaproxy::plugin::test
