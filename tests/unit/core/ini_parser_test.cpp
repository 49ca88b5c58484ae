#include "core/ini_parser.h"

#include "temp_dir.h"

#include <gtest/gtest.h>

using namespace exaproxy;

TEST(IniParser, SectionsKeysAndComments) {
  auto doc = parseIni("# head comment\n"
                      "; another\n"
                      "\n"
                      "[Server]\n"
                      "  Loops = 4  \n"
                      "user=\n"
                      "[listener   Main ]\n"
                      "address = 127.0.0.1:3128\n",
                      "f.conf");
  ASSERT_TRUE(doc.errors.empty()) << doc.errors[0].toString();
  ASSERT_EQ(doc.entries.size(), 3u);
  EXPECT_EQ(doc.entries[0].section, "server");
  EXPECT_EQ(doc.entries[0].key, "loops");
  EXPECT_EQ(doc.entries[0].value, "4");
  EXPECT_EQ(doc.entries[0].line, 5);
  EXPECT_EQ(doc.entries[0].file, "f.conf");
  EXPECT_EQ(doc.entries[1].key, "user");
  EXPECT_EQ(doc.entries[1].value, "");
  EXPECT_EQ(doc.entries[2].section, "listener Main");
  ASSERT_EQ(doc.sections.size(), 2u);
  EXPECT_EQ(doc.sections[1].line, 7);
  EXPECT_EQ(doc.sections[1].name, "listener Main");
}

TEST(IniParser, InlineCommentsNeedWhitespace) {
  auto doc = parseIni("[s]\n"
                      "a = 30s # why\n"
                      "b = 30s\t; why\n"
                      "c = http://a.test/#frag\n"
                      "d = x;y\n"
                      "e = # only a comment\n"
                      "[t] # trailing comment\n"
                      "f = \"quoted # kept?\"\n",
                      "f.conf");
  ASSERT_TRUE(doc.errors.empty()) << doc.errors[0].toString();
  ASSERT_EQ(doc.entries.size(), 6u);
  EXPECT_EQ(doc.entries[0].value, "30s");
  EXPECT_EQ(doc.entries[1].value, "30s");
  EXPECT_EQ(doc.entries[2].value, "http://a.test/#frag");
  EXPECT_EQ(doc.entries[3].value, "x;y");
  EXPECT_EQ(doc.entries[4].value, "");
  EXPECT_EQ(doc.entries[5].section, "t");
  EXPECT_EQ(doc.entries[5].value, "\"quoted"); // quotes have no meaning
}

TEST(IniParser, CrlfBomAndValueWithEquals) {
  auto doc = parseIni("\xEF\xBB\xBF[s]\r\nk = a=b\r\n", "f.conf");
  ASSERT_TRUE(doc.errors.empty());
  ASSERT_EQ(doc.entries.size(), 1u);
  EXPECT_EQ(doc.entries[0].value, "a=b");
}

TEST(IniParser, ErrorsCarryFileAndLine) {
  auto doc = parseIni("orphan = 1\n"
                      "[server\n"
                      "[ok]\n"
                      "just some words\n"
                      "= value\n"
                      "two words = x\n"
                      "[]\n"
                      "[a b c]\n"
                      "[x] junk\n"
                      "dropped = yes\n"
                      "[good]\n"
                      "good = yes\n",
                      "dir/10-x.conf");
  ASSERT_EQ(doc.errors.size(), 8u) << doc.errors.back().toString();
  EXPECT_EQ(doc.errors[0].toString(), "dir/10-x.conf:1: orphan: key before any [section]");
  EXPECT_EQ(doc.errors[1].line, 2);
  EXPECT_NE(doc.errors[1].message.find("unterminated"), std::string::npos);
  EXPECT_EQ(doc.errors[2].line, 4);
  EXPECT_EQ(doc.errors[2].toString(),
            "dir/10-x.conf:4: [ok] expected 'key = value', '[section]' or a comment");
  EXPECT_EQ(doc.errors[3].line, 5);
  EXPECT_EQ(doc.errors[3].section, "ok");
  EXPECT_EQ(doc.errors[4].line, 6);
  EXPECT_EQ(doc.errors[5].line, 7);
  EXPECT_EQ(doc.errors[6].line, 8);
  EXPECT_EQ(doc.errors[7].line, 9);
  EXPECT_EQ(doc.errors[7].section, ""); // a bad header is not reported under the previous one
  // Reading carries on after errors; keys under a bad header are dropped, not given to the
  // previous section.
  ASSERT_EQ(doc.entries.size(), 1u);
  EXPECT_EQ(doc.entries[0].section, "good");
  EXPECT_EQ(doc.entries[0].line, 12);
}

TEST(IniParser, NormaliseSectionName) {
  EXPECT_EQ(normaliseSectionName(" LISTENER\t  Eth0 "), "listener Eth0");
  EXPECT_EQ(normaliseSectionName("dns"), "dns");
  std::string why;
  EXPECT_FALSE(normaliseSectionName("  ", &why));
  EXPECT_FALSE(why.empty());
  EXPECT_FALSE(normaliseSectionName("a b c"));
  EXPECT_FALSE(normaliseSectionName("a]"));
}

TEST(IniParser, ReadsFilesAndReportsUnreadable) {
  test::TempDir dir;
  auto file = dir.write("a.conf", "[s]\nk = v\n");
  auto doc = parseIniFile(file);
  ASSERT_TRUE(doc.errors.empty());
  EXPECT_EQ(doc.entries[0].file, file.string());
  auto missing = parseIniFile(dir.path() / "missing.conf");
  ASSERT_EQ(missing.errors.size(), 1u);
  EXPECT_NE(missing.errors[0].toString().find("missing.conf: cannot read"), std::string::npos);
}
