// docs/profile-format.md is the profile reference and, rendered by man/md2man, the body of
// cloister-profile(5). Its key tables must name exactly the tables, keys and values the parser
// accepts. The parser's side is read from the parser itself: an unknown key is answered with
// the list of known ones, a bad value with the list of valid ones, and every documented key is
// fed to it. So nothing here is a hand-kept copy, and a new key fails this test until documented.
#include <catch2/catch.hpp>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "profile_fixtures.hpp"

namespace cloister {
namespace {

using testing::TempDir;

const std::string kDoc = "docs/profile-format.md";

struct DocRow {
  std::vector<std::string> cells;
  int line = 0;
};

// "### `[app]`" sections and the rows of their "| key | ..." tables, by table and key.
std::map<std::string, std::map<std::string, DocRow>> documented_keys() {
  std::ifstream in(std::string(CLOISTER_SOURCE_DIR) + "/" + kDoc);
  REQUIRE(in.good());
  std::map<std::string, std::map<std::string, DocRow>> out;
  const std::regex heading(R"(^###\s+`\[([a-z-]+)\]`\s*$)");
  const std::regex key_cell(R"(^`([a-z0-9-]+)`$)");
  std::string table;
  bool in_key_table = false;
  int n = 0;
  for (std::string line; std::getline(in, line);) {
    ++n;
    std::smatch m;
    if (std::regex_match(line, m, heading)) {
      table = m[1];
      out[table];
      in_key_table = false;
      continue;
    }
    if (line.rfind("#", 0) == 0) table.clear();
    if (table.empty() || line.rfind("|", 0) != 0) {
      in_key_table = false;
      continue;
    }
    std::vector<std::string> cells;
    std::string cell;
    bool code = false;
    for (std::size_t i = 1; i < line.size(); ++i) {
      if (line[i] == '`') code = !code;
      if (line[i] == '|' && !code) {
        cells.push_back(std::regex_replace(cell, std::regex(R"(^\s+|\s+$)"), ""));
        cell.clear();
      } else {
        cell += line[i];
      }
    }
    if (cells.empty()) continue;
    if (cells[0] == "key") {
      in_key_table = true;
    } else if (in_key_table && std::regex_match(cells[0], m, key_cell)) {
      out[table][m[1]] = DocRow{cells, n};
    }
  }
  return out;
}

// Every diagnostic the loader gives for one profile text.
std::vector<std::string> diagnostics_for(const std::string& text) {
  TempDir dir;
  const std::string file = dir.write("probe.toml", text);
  try {
    profile::load_file(file, testing::fake_context(dir));
  } catch (const ProfileError& e) {
    std::vector<std::string> out;
    for (const auto& d : e.diagnostics()) out.push_back(d.message);
    return out;
  } catch (const Error& e) {
    return {e.what()};
  }
  return {};
}

// "a, b and c" -> {a, b, c}
std::set<std::string> split_list(std::string text) {
  text = std::regex_replace(text, std::regex(" and "), ", ");
  text = std::regex_replace(text, std::regex(" or "), ", ");
  std::set<std::string> out;
  std::stringstream s(text);
  for (std::string item; std::getline(s, item, ',');) {
    item = std::regex_replace(item, std::regex(R"(^\s+|\s+$)"), "");
    item = std::regex_replace(item, std::regex(R"(^"|"$)"), "");
    if (!item.empty()) out.insert(item);
  }
  return out;
}

// What follows "known keys are " in the parser's answer to an unknown key.
std::string known_after(const std::vector<std::string>& diags, const std::string& marker) {
  for (const auto& d : diags) {
    auto at = d.find(marker);
    if (at != std::string::npos) return d.substr(at + marker.size());
  }
  return "";
}

std::string joined(const std::set<std::string>& items) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : ", ") + i;
  return out;
}

const std::string kUnknown = "zz-not-a-key";

std::set<std::string> parser_tables() {
  const std::string known = known_after(diagnostics_for(kUnknown + " = 1\n"), "known keys are ");
  INFO("the parser's answer to an unknown top-level key no longer lists the tables");
  REQUIRE(!known.empty());
  std::set<std::string> out;
  const std::regex table(R"(\[([a-z-]+)\])");
  for (std::sregex_iterator it(known.begin(), known.end(), table), end; it != end; ++it)
    out.insert((*it)[1]);
  return out;
}

std::set<std::string> parser_keys(const std::string& table) {
  const std::string known =
      known_after(diagnostics_for("[" + table + "]\n" + kUnknown + " = 1\n"), "known keys are ");
  INFO("the parser's answer to an unknown key in [" << table << "] lists no known keys");
  REQUIRE(!known.empty());
  return split_list(known);
}

}  // namespace

TEST_CASE("docs/profile-format.md documents every table the parser accepts, and no other") {
  const auto docs = documented_keys();
  const auto tables = parser_tables();
  for (const auto& t : tables) {
    INFO("the parser accepts the table [" << t << "], but " << kDoc << " has no \"### `[" << t
                                          << "]`\" section with a \"| key | ... |\" table: add "
                                             "one (it is also cloister-profile(5))");
    CHECK(docs.count(t) == 1);
  }
  for (const auto& [t, keys] : docs) {
    INFO(kDoc << " has a section for [" << t << "], which the parser does not accept (it knows "
              << joined(tables) << "): remove the section or teach profile/parse.cpp the table");
    CHECK(tables.count(t) == 1);
  }
}

TEST_CASE("docs/profile-format.md lists exactly the keys the parser accepts") {
  const auto docs = documented_keys();
  for (const auto& table : parser_tables()) {
    if (!docs.count(table)) continue;  // reported by the test above
    const auto& doc_keys = docs.at(table);
    const auto keys = parser_keys(table);
    for (const auto& k : keys) {
      INFO("[" << table << "] " << k << " is accepted by the parser but missing from " << kDoc
               << ": add a row \"| `" << k << "` | type | default | meaning |\" to the `[" << table
               << "]` table");
      CHECK(doc_keys.count(k) == 1);
    }
    for (const auto& [k, row] : doc_keys) {
      INFO(kDoc << ":" << row.line << ": [" << table << "] " << k
                << " is documented, but the parser's unknown-key message lists only "
                << joined(keys) << ": remove the row, or add the key to profile/parse.cpp");
      CHECK(keys.count(k) == 1);
      // The key itself, not only the message: it must not be refused as unknown.
      const auto diags = diagnostics_for("[" + table + "]\n" + k + " = \"zz-not-a-value\"\n");
      for (const auto& d : diags) {
        INFO(kDoc << ":" << row.line << ": the parser refuses the documented key [" << table << "] "
                  << k << ": " << d);
        CHECK(d.find("unknown key") == std::string::npos);
      }
    }
  }
}

TEST_CASE("docs/profile-format.md lists exactly the values the parser accepts for each choice") {
  const auto docs = documented_keys();
  const std::regex quoted(R"re(`"([a-z0-9-]+)"`)re");
  int choices = 0;
  for (const auto& [table, keys] : docs) {
    for (const auto& [k, row] : keys) {
      const auto diags = diagnostics_for("[" + table + "]\n" + k + " = \"zz-not-a-value\"\n");
      const std::string valid = known_after(diags, "; expected ");
      if (valid.empty() || known_after(diags, "unknown value").empty()) continue;
      ++choices;
      const std::set<std::string> parser_values = split_list(valid);
      std::set<std::string> doc_values;
      const std::string& values = row.cells.at(1);
      for (std::sregex_iterator it(values.begin(), values.end(), quoted), end; it != end; ++it)
        doc_values.insert((*it)[1]);
      INFO(kDoc << ":" << row.line << ": [" << table << "] " << k << ": the parser accepts "
                << joined(parser_values) << "; the second column lists " << joined(doc_values)
                << ". Make the column list each value as `\"value\"` and say what it does");
      CHECK(doc_values == parser_values);
    }
  }
  // network, ipc, time, home, file-arguments, dbus-session, dbus-system at least.
  CHECK(choices >= 7);
}

}  // namespace cloister
