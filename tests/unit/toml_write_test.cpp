// The TOML writer behind the instance record: every string, whatever its bytes, comes back from
// toml++ as the same text (or, for bytes that are not UTF-8, as the characters with their
// numbers), and nothing in a value can end the string, the line or the table it sits in.
#include "sys/toml_write.hpp"

#include <catch2/catch.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "profile/toml.hpp"
#include "sys/printable.hpp"

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
      {"C1: CSI for some terminals",
       "a\xc2\x9b"
       "31m",
       "\"a\\u009B31m\"",
       "a\xc2\x9b"
       "31m"},
      {"right-to-left override", "x\xe2\x80\xaey", "\"x\\u202Ey\"", "x\xe2\x80\xaey"},
      {"line and paragraph separators", "a\xe2\x80\xa8\xe2\x80\xa9", "\"a\\u2028\\u2029\"",
       "a\xe2\x80\xa8\xe2\x80\xa9"},
      {"BOM, a noncharacter, the last code point: as they are",
       "\xef\xbb\xbf\xef\xbf\xbe\xf4\x8f\xbf\xbf", "\"\xef\xbb\xbf\xef\xbf\xbe\xf4\x8f\xbf\xbf\"",
       "\xef\xbb\xbf\xef\xbf\xbe\xf4\x8f\xbf\xbf"},
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

// Nothing a terminal acts on is left raw in the text: no C0, DEL, C1 or bidirectional control,
// no line separator, no byte that is not UTF-8.
bool shows_safely(const std::string& text) {
  for (std::size_t i = 0; i < text.size();) {
    std::uint32_t cp = 0;
    const std::size_t n = cloister::utf8_sequence(text, i, cp);
    if (n == 0 || cloister::terminal_control(cp) || cp == 0x2028 || cp == 0x2029) return false;
    i += n;
  }
  return true;
}

TEST_CASE("toml_quote: every byte pair reads back as TOML, and shows safely") {
  int failures = 0;
  for (int a = 0; a < 256; ++a) {
    for (int b = 0; b < 256; ++b) {
      const std::string s{static_cast<char>(a), static_cast<char>(b), 'z'};
      const std::string quoted = toml_quote(s);
      std::string back;
      try {
        back = toml::parse("key = " + quoted + "\n")["key"].value_or(std::string());
      } catch (const toml::parse_error&) {
      }
      if (back.empty() || back.back() != 'z' || !shows_safely(quoted)) {
        if (++failures <= 5) FAIL_CHECK(a << " " << b << ": " << quoted);
      }
    }
  }
  CHECK(failures == 0);
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
  w.num("min", INT64_MIN);
  w.num("max", INT64_MAX);
  w.section("ns");
  w.str("mnt", "mnt:[4026532301]");
  w.str("a key.with dots", "v");
  w.str("a \"key\" with \\ and \x01", "odd");
  w.section("odd] name");
  w.flag("here", true);
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
  CHECK(t["ns"]["a \"key\" with \\ and \x01"].value<std::string>() == "odd");
  CHECK(t["odd] name"]["here"].value<bool>() == true);
  CHECK(t["min"].value<std::int64_t>() == INT64_MIN);
  CHECK(t["max"].value<std::int64_t>() == INT64_MAX);
  CHECK(t.size() == 11);  // nothing else at the root: the sections' keys stayed in them
}

TEST_CASE("TomlWriter: a comment stays one line") {
  TomlWriter w;
  w.comment("first\nid = \"evil\"");
  w.num("version", 3);
  const toml::table t = toml::parse(w.text());
  CHECK(t.size() == 1);
  CHECK(t["version"].value<std::int64_t>() == 3);
}
