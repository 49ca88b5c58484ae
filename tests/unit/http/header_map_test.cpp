#include "http/header_map.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>

namespace exaproxy::http {
namespace {

TEST(HeaderMapTest, IequalsIsAsciiCaseInsensitive) {
  EXPECT_TRUE(iequals("Content-Length", "content-length"));
  EXPECT_TRUE(iequals("", ""));
  EXPECT_FALSE(iequals("Host", "Hosts"));
  EXPECT_FALSE(iequals("a", "b"));
  EXPECT_FALSE(iequals("\xc3\xa9", "\xc3\x89")); // no locale folding
}

TEST(HeaderMapTest, AddGetCountKeepOrder) {
  HeaderMap h;
  h.add("Host", "a.test");
  h.add("X-One", "1");
  h.add("x-one", "2");
  ASSERT_EQ(h.size(), 3u);
  EXPECT_EQ(h.get("HOST"), "a.test");
  EXPECT_EQ(h.get("X-ONE"), "1");
  EXPECT_EQ(h.count("x-one"), 2u);
  EXPECT_EQ(h.count("missing"), 0u);
  EXPECT_FALSE(h.get("missing").has_value());
  EXPECT_EQ(h.fields()[1].name, "X-One");
  EXPECT_EQ(h.fields()[2].value, "2");
}

TEST(HeaderMapTest, AddCopiesValuesThatOutliveTheCaller) {
  HeaderMap h;
  {
    std::string name = "X-Temporary-Field-Name-That-Is-Long";
    std::string value(100, 'v');
    h.add(name, value);
    name.assign(name.size(), '!');
    value.assign(value.size(), '!');
  }
  for (int i = 0; i < 50; ++i) {
    h.add("x-" + std::to_string(i), std::to_string(i)); // arena growth must not move earlier fields
  }
  EXPECT_EQ(h.fields()[0].name, "X-Temporary-Field-Name-That-Is-Long");
  EXPECT_EQ(h.fields()[0].value, std::string(100, 'v'));
  EXPECT_EQ(h.get("x-7"), "7");
}

TEST(HeaderMapTest, AddViewDoesNotCopy) {
  std::string raw = "Name: value";
  HeaderMap h;
  h.addView(std::string_view(raw).substr(0, 4), std::string_view(raw).substr(6));
  EXPECT_EQ(h.fields()[0].name.data(), raw.data());
  EXPECT_EQ(h.get("name"), "value");
}

TEST(HeaderMapTest, RemoveAllCaseInsensitive) {
  HeaderMap h;
  h.add("A", "1");
  h.add("b", "2");
  h.add("a", "3");
  h.remove("A");
  ASSERT_EQ(h.size(), 1u);
  EXPECT_EQ(h.fields()[0].name, "b");
  h.remove("nothing");
  EXPECT_EQ(h.size(), 1u);
}

TEST(HeaderMapTest, SetReplacesEveryLine) {
  HeaderMap h;
  h.add("Via", "1.0 a");
  h.add("X", "y");
  h.add("via", "1.1 b");
  h.set("Via", "1.1 c");
  EXPECT_EQ(h.count("via"), 1u);
  EXPECT_EQ(h.get("via"), "1.1 c");
  EXPECT_EQ(h.fields().back().name, "Via");
}

TEST(HeaderMapTest, HasTokenAcrossLinesAndLists) {
  HeaderMap h;
  h.add("Connection", "keep-alive, X-Foo");
  h.add("connection", " Upgrade ,  ");
  h.add("Other", "close");
  EXPECT_TRUE(h.hasToken("connection", "KEEP-ALIVE"));
  EXPECT_TRUE(h.hasToken("Connection", "x-foo"));
  EXPECT_TRUE(h.hasToken("Connection", "upgrade"));
  EXPECT_FALSE(h.hasToken("Connection", "close"));
  EXPECT_FALSE(h.hasToken("Connection", "keep"));
  EXPECT_FALSE(h.hasToken("Connection", ""));
  EXPECT_TRUE(h.hasToken("other", "close"));
}

TEST(HeaderMapTest, ClearEmpties) {
  HeaderMap h;
  h.add("A", "1");
  h.clear();
  EXPECT_EQ(h.size(), 0u);
  EXPECT_TRUE(h.empty());
  EXPECT_FALSE(h.get("a"));
}

TEST(HeaderMapTest, ReuseAfterClearKeepsNewViewsValid) {
  HeaderMap h;
  for (int round = 0; round < 3; ++round) {
    h.clear();
    for (int i = 0; i < 40; ++i) // several arena chunks
      h.add("x-" + std::to_string(i), std::string(static_cast<size_t>(i) + 1, 'a' + round));
    ASSERT_EQ(h.size(), 40u);
    for (int i = 0; i < 40; ++i)
      EXPECT_EQ(h.get("x-" + std::to_string(i)),
                std::string(static_cast<size_t>(i) + 1, 'a' + round));
  }
  h.add("Big", std::string(10000, 'b')); // larger than a chunk
  h.add("After", "ok");
  EXPECT_EQ(h.get("big"), std::string(10000, 'b'));
  EXPECT_EQ(h.get("after"), "ok");
  h.clear();
  h.add("Again", "fine");
  EXPECT_EQ(h.size(), 1u);
  EXPECT_EQ(h.get("again"), "fine");
}

TEST(HeaderMapTest, SetWithAValueFromTheSameMap) {
  HeaderMap h;
  h.add("X-A", "alpha");
  h.add("X-B", "beta");
  std::string_view a = *h.get("x-a");
  h.set("X-B", a); // the source view lives in the map's own arena
  h.set("X-C", *h.get("x-b"));
  EXPECT_EQ(h.get("x-a"), "alpha");
  EXPECT_EQ(h.get("x-b"), "alpha");
  EXPECT_EQ(h.get("x-c"), "alpha");
}

TEST(HeaderMapTest, CopyIsIndependentOfSourceBuffers) {
  std::string raw = "Host: a.test";
  HeaderMap copy;
  {
    HeaderMap h;
    h.addView(std::string_view(raw).substr(0, 4), std::string_view(raw).substr(6));
    h.add("X", "y");
    copy = h;
  }
  raw.assign(raw.size(), '#');
  ASSERT_EQ(copy.size(), 2u);
  EXPECT_EQ(copy.get("host"), "a.test");
  EXPECT_EQ(copy.get("x"), "y");
}

TEST(HeaderMapTest, MoveKeepsArenaViewsValid) {
  HeaderMap h;
  h.add("Short", "v"); // SSO-sized arena entry
  HeaderMap moved(std::move(h));
  EXPECT_EQ(moved.get("short"), "v");
  HeaderMap assigned;
  assigned = std::move(moved);
  EXPECT_EQ(assigned.get("short"), "v");
}

TEST(HeaderMapTest, RebaseMovesOnlyViewsInsideTheOldBuffer) {
  std::string a = "Name: one";
  std::string b = a;
  HeaderMap h;
  h.addView(std::string_view(a).substr(0, 4), std::string_view(a).substr(6));
  h.add("Own", "two");
  h.rebase(a.data(), a.size(), b.data());
  EXPECT_EQ(h.fields()[0].name.data(), b.data());
  EXPECT_EQ(h.get("own"), "two");
}

TEST(HeaderMapTest, ForEachListElementSkipsEmptyElements) {
  std::vector<std::string> got;
  forEachListElement(" a ,, b\t, ,c", [&](std::string_view e) {
    got.emplace_back(e);
    return true;
  });
  EXPECT_EQ(got, (std::vector<std::string>{"a", "b", "c"}));
}

} // namespace
} // namespace exaproxy::http
