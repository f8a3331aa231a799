// Typed reads from toml++ nodes that report, rather than throw, what is wrong: each problem
// becomes a Diagnostic at the node's position and the caller carries on with the next key.
// Private to cloister_profile (toml++ is linked privately).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "profile/internal.hpp"
#include "profile/limits.hpp"
#include "profile/toml.hpp"

namespace cloister::profile::detail {

// "app" + "name" -> "app.name"; a key that is not a bare TOML key is quoted.
std::string join_key(const std::string& prefix, std::string_view k);
// "filesystem.tmpfs", 2 -> "filesystem.tmpfs[2]"
std::string index_key(const std::string& key, std::size_t i);

template <class E>
using EnumNames = std::vector<std::pair<const char*, E>>;

class TomlReader {
 public:
  TomlReader(const std::string& file, Diagnostics& diags) : file_(file), diags_(diags) {}

 protected:
  Origin at(const toml::node& n) const;
  Origin at(const toml::key& k) const;  // unknown keys are reported at the key's name

  void error(Origin where, std::string key, std::string message);
  void unknown_key(const toml::key& k, const std::string& table_key, const char* known);
  void wrong_type(const toml::node& v, const std::string& key, const std::string& expected);

  // Each returns nothing (after reporting) when the node has the wrong type.
  const toml::table* table(const toml::node& v, const std::string& key);
  std::optional<Item> string_value(const toml::node& v, const std::string& key);
  // The string elements of an array; a non-string element is reported and left out.
  std::optional<std::vector<Item>> string_array(const toml::node& v, const std::string& key);
  // string_array with the leading "?" of each entry moved into PathItem::optional.
  std::vector<PathItem> path_array(const toml::node& v, const std::string& key);
  std::optional<Setting<bool>> bool_value(const toml::node& v, const std::string& key);
  // An integer >= 0.
  std::optional<Setting<std::int64_t>> limit_value(const toml::node& v, const std::string& key);

  template <class E>
  std::optional<Setting<E>> enum_value(const toml::node& v, const std::string& key,
                                       const EnumNames<E>& names) {
    std::vector<std::string> words;
    for (const auto& [word, value] : names) words.emplace_back(word);
    const auto* s = v.as_string();
    if (s == nullptr) {
      wrong_type(v, key, "a string (" + quoted_list(words, " or ") + ")");
      return std::nullopt;
    }
    for (const auto& [word, value] : names) {
      if (s->get() == word) return Setting<E>{value, at(v), key};
    }
    error(at(v), key,
          "unknown value " + quote(s->get()) + "; expected " + quoted_list(words, " or "));
    return std::nullopt;
  }

 private:
  const std::string& file_;
  Diagnostics& diags_;
};

}  // namespace cloister::profile::detail
