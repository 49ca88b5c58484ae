// Unit tests of DomainList: label-boundary suffix matching, normalisation, list files (comments,
// hosts-file lines, errors at path:line), IP literals, and a large list.
#include "domain_list.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <unistd.h>

using exaproxy::common::DomainList;

namespace {

DomainList listOf(std::initializer_list<const char*> names) {
  DomainList l;
  for (const char* n : names) {
    std::string why;
    EXPECT_TRUE(l.add(n, &why)) << n << ": " << why;
  }
  l.build();
  return l;
}

// A temporary file removed at the end of the test.
class TempFile {
public:
  explicit TempFile(const std::string& content) {
    char tmpl[] = "/tmp/acl-list-XXXXXX";
    int fd = ::mkstemp(tmpl);
    EXPECT_NE(fd, -1);
    ::close(fd);
    path_ = tmpl;
    std::ofstream(path_) << content;
  }
  ~TempFile() { std::remove(path_.c_str()); }
  const std::string& path() const { return path_; }

private:
  std::string path_;
};

} // namespace

TEST(DomainListTest, SuffixMatchOnLabelBoundaries) {
  auto l = listOf({"evil.com", "ads.example.org"});
  EXPECT_TRUE(l.contains("evil.com"));
  EXPECT_TRUE(l.contains("www.evil.com"));
  EXPECT_TRUE(l.contains("a.b.c.evil.com"));
  EXPECT_FALSE(l.contains("notevil.com")) << "evil.com must not match notevil.com";
  EXPECT_FALSE(l.contains("www.notevil.com"));
  EXPECT_FALSE(l.contains("evil.com.au"));
  EXPECT_FALSE(l.contains("com"));
  EXPECT_FALSE(l.contains("vil.com"));
  EXPECT_TRUE(l.contains("x.ads.example.org"));
  EXPECT_FALSE(l.contains("example.org")) << "a parent of a listed name is not listed";
  EXPECT_FALSE(l.contains("bads.example.org"));
  EXPECT_TRUE(l.contains("evil.com.")) << "a trailing dot is the same name";
  EXPECT_FALSE(l.contains(""));
}

TEST(DomainListTest, NormalisesEntries) {
  auto l = listOf({"*.Wild.Example", ".dot.example", "trailing.example.", "  spaced.example\t"});
  EXPECT_EQ(l.size(), 4u);
  EXPECT_TRUE(l.contains("wild.example"));
  EXPECT_TRUE(l.contains("a.wild.example"));
  EXPECT_TRUE(l.contains("dot.example"));
  EXPECT_TRUE(l.contains("trailing.example"));
  EXPECT_TRUE(l.contains("spaced.example"));
}

TEST(DomainListTest, RejectsInvalidNames) {
  DomainList l;
  std::string why;
  // "a..": found by acl_domains_fuzz (one trailing dot is dropped; "a." was stored, never found).
  for (const char* bad : {"", ".", "a..b", "a..", "*.evil.com..", "bad name.com", "semi;colon.com",
                          "a*.com", "x.*.com", "1:2:3", "ex\xc3\xa4mple.com"}) {
    EXPECT_FALSE(l.add(bad, &why)) << "accepted '" << bad << "'";
    EXPECT_FALSE(why.empty());
  }
  EXPECT_FALSE(l.add(std::string(64, 'a') + ".com", &why)) << "63 characters per label at most";
  EXPECT_TRUE(l.add(std::string(63, 'a') + ".com", &why)) << why;
  l.build();
  EXPECT_EQ(l.size(), 1u) << "rejected names must leave nothing behind";
}

TEST(DomainListTest, DuplicatesCountOnceAndBuildCanBeRepeated) {
  DomainList l;
  l.add("a.example");
  l.add("A.EXAMPLE");
  l.add("b.example");
  l.build();
  EXPECT_EQ(l.size(), 2u);
  l.add("c.example");
  l.add("a.example");
  l.build();
  EXPECT_EQ(l.size(), 3u);
  EXPECT_TRUE(l.contains("x.a.example"));
  EXPECT_TRUE(l.contains("c.example"));
}

TEST(DomainListTest, IpLiteralsMatchWholeOnly) {
  auto l = listOf({"192.0.2.1", "2001:db8::1", "2.1"});
  EXPECT_TRUE(l.contains("192.0.2.1"));
  EXPECT_TRUE(l.contains("2001:db8::1"));
  EXPECT_FALSE(l.contains("198.51.2.1")) << "an address has no parent domains";
  EXPECT_FALSE(l.contains("2001:db8::2"));
}

TEST(DomainListTest, EmptyListMatchesNothing) {
  DomainList l;
  l.build();
  EXPECT_EQ(l.size(), 0u);
  EXPECT_FALSE(l.contains("example.com"));
}

TEST(DomainListTest, LoadsFilesWithCommentsAndHostsLines) {
  TempFile f("# a block list\n"
             "\n"
             "malware.example   # trailing comment\n"
             "  Tracker.Example\r\n"
             "0.0.0.0 ads.example other-ads.example\n"
             "127.0.0.1 localhost\n"
             "::1 ip6-localhost\n");
  DomainList l;
  std::string error;
  ASSERT_TRUE(l.loadFile(f.path(), error)) << error;
  l.build();
  EXPECT_EQ(l.size(), 4u);
  EXPECT_TRUE(l.contains("www.malware.example"));
  EXPECT_TRUE(l.contains("tracker.example"));
  EXPECT_TRUE(l.contains("ads.example"));
  EXPECT_TRUE(l.contains("other-ads.example"));
  EXPECT_FALSE(l.contains("localhost"));
}

TEST(DomainListTest, FileErrorsNamePathAndLine) {
  TempFile f("good.example\nanother.example\nbad name here\n");
  DomainList l;
  std::string error;
  EXPECT_FALSE(l.loadFile(f.path(), error));
  EXPECT_EQ(error.rfind(f.path() + ":3: expected one name per line", 0), 0u) << error;

  TempFile g("good.example\n0.0.0.0 fine.example b@d.example\n");
  EXPECT_FALSE(l.loadFile(g.path(), error));
  EXPECT_EQ(error.rfind(g.path() + ":2: invalid character", 0), 0u) << error;

  EXPECT_FALSE(l.loadFile("/nonexistent/list.txt", error));
  EXPECT_NE(error.find("/nonexistent/list.txt: cannot open"), std::string::npos) << error;
}

TEST(DomainListTest, ManyNames) {
  DomainList l;
  for (int i = 0; i < 200000; ++i)
    ASSERT_TRUE(l.add("host" + std::to_string(i) + ".zone" + std::to_string(i % 100) + ".test"));
  l.build();
  EXPECT_EQ(l.size(), 200000u);
  for (int i = 0; i < 200000; i += 997) {
    auto name = "host" + std::to_string(i) + ".zone" + std::to_string(i % 100) + ".test";
    EXPECT_TRUE(l.contains(name)) << name;
    EXPECT_TRUE(l.contains("sub." + name)) << name;
    EXPECT_FALSE(l.contains("x" + name)) << name;
  }
  EXPECT_FALSE(l.contains("zone1.test"));
}
