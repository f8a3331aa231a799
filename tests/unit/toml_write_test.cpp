// The TOML writer behind the instance record: every string, whatever its bytes, comes back from
// toml++ as the same text (or, for bytes that are not UTF-8, as the characters with their
// numbers), and nothing in a value can end the string, the line or the table it sits in.
#include "sys/toml_write.hpp"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "profile/toml.hpp"

using cloister::sys::toml_quote;
using cloister::sys::TomlWriter;

namespace {

// What toml++ reads back from `key = <quoted>`.
std::string read_back(const std::string& quoted) {
  const toml::table t = toml::parse("key = " + quoted + "\n");
  const auto v = t["key"].value<std::string>();
  REQUIRE(v.has_value());
  return *v;
}

}  // namespace

TEST_CASE("toml_quote: escapes what TOML needs escaped, keeps UTF-8, names stray bytes") {
  struct Case {
    const char* what;
    std::string in;
    std::string quoted;
    std::string read;  // what toml++ reads back
  };
  const std::vector<Case> cases = {
      {"plain", "viewer-4242", "\"viewer-4242\"", "viewer-4242"},
      {"empty", "", "\"\"", ""},
      {"quote and backslash", "a\"b\\c", "\"a\\\"b\\\\c\"", "a\"b\\c"},
      {"a quote that would end the string and start a key", "x\"\nid = \"evil",
       "\"x\\\"\\nid = \\\"evil\"", "x\"\nid = \"evil"},
      {"the short escapes", "\b\t\n\f\r", "\"\\b\\t\\n\\f\\r\"", "\b\t\n\f\r"},
      {"other control characters and DEL", std::string("\x01\x1b[8m\x7f", 6),
       "\"\\u0001\\u001B[8m\\u007F\"", std::string("\x01\x1b[8m\x7f", 6)},
      {"NUL", std::string("a\0b", 3), "\"a\\u0000b\"", std::string("a\0b", 3)},
      {"UTF-8 as it is", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
       "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"",
       "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"},
      {"a byte that is not UTF-8", "a\xff", "\"a\\u00FF\"", "a\xc3\xbf"},
      {"a cut sequence", "\xe2\x82", "\"\\u00E2\\u0082\"", "\xc3\xa2\xc2\x82"},
      {"an overlong slash", "\xc0\xaf", "\"\\u00C0\\u00AF\"", "\xc3\x80\xc2\xaf"},
      {"a surrogate", "\xed\xa0\x80", "\"\\u00ED\\u00A0\\u0080\"", "\xc3\xad\xc2\xa0\xc2\x80"},
      {"past U+10FFFF", "\xf4\x90\x80\x80", "\"\\u00F4\\u0090\\u0080\\u0080\"",
       "\xc3\xb4\xc2\x90\xc2\x80\xc2\x80"},
  };
  for (const auto& c : cases) {
    INFO(c.what);
    CHECK(toml_quote(c.in) == c.quoted);
    CHECK(read_back(toml_quote(c.in)) == c.read);
  }
}

TEST_CASE("toml_quote: every single byte and every byte pair reads back as TOML") {
  for (int a = 0; a < 256; ++a) {
    for (int b = 0; b < 256; b += 17) {
      const std::string s{static_cast<char>(a), static_cast<char>(b), 'z'};
      INFO(a << " " << b);
      const std::string back = read_back(toml_quote(s));
      CHECK(back.back() == 'z');
    }
  }
}

TEST_CASE("TomlWriter: root keys, sections, arrays of inline tables, odd keys") {
  TomlWriter w;
  w.comment("a test");
  w.num("version", 3);
  w.strs("argv", {"sh", "-c", "echo \"hi\"\n"});
  w.nums("groups", {4, 1000});
  w.nums("none", {});
  w.flag("yes", true);
  w.begin_array("items");
  w.begin_item();
  w.str("path", "/a");
  w.num("access", -1);
  w.flag("directory", false);
  w.end_item();
  w.begin_item();
  w.end_item();
  w.end_array();
  w.begin_array("empty");
  w.end_array();
  w.section("ns");
  w.str("mnt", "mnt:[4026532301]");
  w.str("a key.with dots", "v");
  const toml::table t = toml::parse(w.text());
  CHECK(t["version"].value<std::int64_t>() == 3);
  CHECK(t["argv"][2].value<std::string>() == "echo \"hi\"\n");
  CHECK(t["groups"][1].value<std::int64_t>() == 1000);
  CHECK(t["none"].as_array()->empty());
  CHECK(t["yes"].value<bool>() == true);
  REQUIRE(t["items"].as_array()->size() == 2);
  CHECK(t["items"][0]["path"].value<std::string>() == "/a");
  CHECK(t["items"][0]["access"].value<std::int64_t>() == -1);
  CHECK(t["items"][0]["directory"].value<bool>() == false);
  CHECK(t["items"][1].as_table()->empty());
  CHECK(t["empty"].as_array()->empty());
  CHECK(t["ns"]["mnt"].value<std::string>() == "mnt:[4026532301]");
  CHECK(t["ns"]["a key.with dots"].value<std::string>() == "v");
  CHECK(t.size() == 8);  // nothing else at the root: the section's keys stayed in it
}
