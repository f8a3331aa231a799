#include "profile/toml_reader.hpp"

#include <string>

#include "profile/limits.hpp"

namespace cloister::profile::detail {
namespace {

std::string a_type(const toml::node& n) {
  switch (n.type()) {
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a float";
    case toml::node_type::boolean:
      return "a boolean";
    case toml::node_type::date:
      return "a date";
    case toml::node_type::time:
      return "a time";
    case toml::node_type::date_time:
      return "a date-time";
    case toml::node_type::none:
      break;
  }
  return "nothing";
}

Origin origin_at(const std::string& file, const toml::source_region& where) {
  return {file, static_cast<int>(where.begin.line), static_cast<int>(where.begin.column)};
}

}  // namespace

std::string join_key(const std::string& prefix, std::string_view k) {
  // Quoting keeps a key such as "a.b" readable as one part of the dotted name.
  bool bare = !k.empty();
  for (char c : k) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-';
    if (!ok) bare = false;
  }
  std::string part = bare ? shorten(k) : quote(k);
  return prefix.empty() ? part : prefix + "." + part;
}

std::string index_key(const std::string& key, std::size_t i) {
  return key + "[" + std::to_string(i) + "]";
}

Origin TomlReader::at(const toml::node& n) const { return origin_at(file_, n.source()); }
Origin TomlReader::at(const toml::key& k) const { return origin_at(file_, k.source()); }

void TomlReader::error(Origin where, std::string key, std::string message) {
  diags_.push_back({std::move(where), std::move(key), std::move(message)});
}

void TomlReader::unknown_key(const toml::key& k, const std::string& table_key, const char* known) {
  error(at(k), join_key(table_key, k.str()),
        "unknown key " + quote(k.str()) + " in [" + table_key + "]; known keys are " + known);
}

void TomlReader::wrong_type(const toml::node& v, const std::string& key,
                            const std::string& expected) {
  error(at(v), key, "expected " + expected + ", got " + a_type(v));
}

const toml::table* TomlReader::table(const toml::node& v, const std::string& key) {
  if (const auto* t = v.as_table()) return t;
  wrong_type(v, key, "a table ([" + key + "])");
  return nullptr;
}

std::optional<Item> TomlReader::string_value(const toml::node& v, const std::string& key) {
  if (const auto* s = v.as_string()) return Item{s->get(), at(v), key};
  wrong_type(v, key, "a string");
  return std::nullopt;
}

std::optional<std::vector<Item>> TomlReader::string_array(const toml::node& v,
                                                          const std::string& key) {
  const auto* arr = v.as_array();
  if (arr == nullptr) {
    std::string msg = "expected an array of strings, got " + a_type(v);
    // The hint only where it is surely right: "xterm -e x" wants splitting, not brackets.
    const auto* s = v.as_string();
    if (s != nullptr && s->get().find_first_of(" \t") == std::string::npos) {
      msg += "; write it as [" + quote(s->get()) + "]";
    }
    error(at(v), key, msg);
    return std::nullopt;
  }
  std::vector<Item> items;
  for (std::size_t i = 0; i < arr->size(); ++i) {
    if (auto item = string_value(*arr->get(i), index_key(key, i))) items.push_back(*item);
  }
  return items;
}

std::vector<PathItem> TomlReader::path_array(const toml::node& v, const std::string& key) {
  std::vector<PathItem> out;
  auto items = string_array(v, key);
  if (!items) return out;
  for (auto& item : *items) {
    PathItem p;
    // "?" marks a grant the host may lack; it is syntax, not part of the path.
    p.optional = !item.text.empty() && item.text[0] == '?';
    if (p.optional) item.text.erase(0, 1);
    p.item = std::move(item);
    out.push_back(std::move(p));
  }
  return out;
}

std::optional<Setting<bool>> TomlReader::bool_value(const toml::node& v, const std::string& key) {
  if (const auto* b = v.as_boolean()) return Setting<bool>{b->get(), at(v), key};
  wrong_type(v, key, "a boolean (true or false)");
  return std::nullopt;
}

std::optional<Setting<std::int64_t>> TomlReader::limit_value(const toml::node& v,
                                                             const std::string& key) {
  const auto* i = v.as_integer();
  if (i == nullptr) {
    wrong_type(v, key, "an integer (0 leaves the limit as it is)");
    return std::nullopt;
  }
  if (i->get() < 0) {
    error(at(v), key,
          "negative limit " + std::to_string(i->get()) +
              "; use a positive number, or 0 to leave the limit as it is");
    return std::nullopt;
  }
  return Setting<std::int64_t>{i->get(), at(v), key};
}

}  // namespace cloister::profile::detail
