// Which command-line arguments name local files. Pure: text in, classification out.
#include "host/file_args.hpp"

#include <cctype>

#include "sys/path_text.hpp"

namespace cloister::host {
namespace {

using sys::split_path;

// RFC 3986: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":". Returns the scheme's length, 0 if
// the text does not start with one.
std::size_t scheme_length(const std::string& s) {
  if (s.empty() || !std::isalpha(static_cast<unsigned char>(s[0]))) return 0;
  for (std::size_t i = 1; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == ':') return i;
    if (!std::isalnum(c) && c != '+' && c != '-' && c != '.') return 0;
  }
  return 0;
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string join_path(const std::vector<std::string>& parts) {
  if (parts.empty()) return "/";
  std::string out;
  for (const auto& p : parts) out += "/" + p;
  return out;
}

// An absolute path with its empty components dropped; "." and ".." are refused, because the
// kernel resolves ".." after symlinks and the sandbox would not see the same file.
bool normalise_absolute(const std::string& path, std::string& out, std::string& problem) {
  std::vector<std::string> parts = split_path(path);
  for (const auto& p : parts) {
    if (p == "." || p == "..") {
      problem = "contains a \".\" or \"..\" component; give the plain path";
      return false;
    }
  }
  out = join_path(parts);
  return true;
}

FileArg local_path(const std::string& text, const std::string& path, ArgForm form) {
  FileArg a;
  a.form = form;
  a.text = text;
  if (!normalise_absolute(path, a.path, a.problem)) a.form = ArgForm::NotAFile;
  return a;
}

FileArg file_uri(const std::string& arg, std::size_t scheme_len) {
  FileArg a;
  a.text = arg;
  a.form = ArgForm::OtherUri;
  std::string rest = arg.substr(scheme_len + 1);
  std::string encoded_path;
  if (rest.compare(0, 2, "//") == 0) {
    std::size_t slash = rest.find('/', 2);
    std::string authority =
        rest.substr(2, slash == std::string::npos ? std::string::npos : slash - 2);
    // Another machine's file (file://host/...) is not ours to bind: passed on as it is.
    if (slash == std::string::npos || (!authority.empty() && lower(authority) != "localhost"))
      return a;
    encoded_path = rest.substr(slash);
  } else if (!rest.empty() && rest[0] == '/') {
    encoded_path = rest;  // file:/path
  } else {
    return a;
  }
  // A fragment or query ("page.html#part") is not part of the file's name (a '#' in a name is
  // written %23): the file is what comes before it, and the app still gets the whole URI.
  encoded_path = encoded_path.substr(0, encoded_path.find_first_of("?#"));
  // GLib refuses an encoded '/' in a file: URI and other readers decode it: the app and the
  // bind could then name different files, so there is no way to read it that is safe.
  for (std::size_t i = 0; i + 2 < encoded_path.size(); ++i) {
    if (encoded_path[i] == '%' && encoded_path[i + 1] == '2' &&
        (encoded_path[i + 2] == 'F' || encoded_path[i + 2] == 'f')) {
      a.form = ArgForm::NotAFile;
      a.problem = "is a file: URI with an encoded '/' (%2F), which apps read differently";
      return a;
    }
  }
  std::string path;
  if (!percent_decode(encoded_path, path)) {
    a.form = ArgForm::NotAFile;
    a.problem = "is a file: URI with a bad %-escape";
    return a;
  }
  a.form = ArgForm::FileUri;
  if (!normalise_absolute(path, a.path, a.problem)) a.form = ArgForm::NotAFile;
  return a;
}

}  // namespace

bool percent_decode(const std::string& in, std::string& out) {
  out.clear();
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out += in[i];
      continue;
    }
    if (i + 2 >= in.size() || !std::isxdigit(static_cast<unsigned char>(in[i + 1])) ||
        !std::isxdigit(static_cast<unsigned char>(in[i + 2])))
      return false;
    const int value = std::stoi(in.substr(i + 1, 2), nullptr, 16);
    if (value == 0) return false;
    out += static_cast<char>(value);
    i += 2;
  }
  return true;
}

FileArg classify_file_arg(const std::string& arg, const std::string& cwd, bool explicit_file) {
  FileArg a;
  a.text = arg;
  if (arg.empty()) return a;
  if (arg[0] == '/') return local_path(arg, arg, ArgForm::Path);

  if (std::size_t n = scheme_length(arg)) {
    if (lower(arg.substr(0, n)) == "file") return file_uri(arg, n);
    // From --open, "notes:2024.txt" is a file name; "https://..." still a URI.
    if (!explicit_file || arg.compare(n, 3, "://") == 0) {
      a.form = ArgForm::OtherUri;
      return a;
    }
  }
  // An option of the app is never taken for a file unless the user said it is one.
  if (!explicit_file && arg[0] == '-') return a;
  if (cwd.empty() || cwd[0] != '/') {
    a.problem = "is a relative path, and the current directory is unknown; give an absolute path";
    return a;
  }
  // The app receives the absolute path (its directory inside may differ), and that very text
  // is what is opened and bound, so taking ".." off lexically cannot split the two.
  std::vector<std::string> parts = split_path(cwd);
  for (const auto& p : split_path(arg)) {
    if (p == ".") continue;
    if (p == "..") {
      if (!parts.empty()) parts.pop_back();
      continue;
    }
    parts.push_back(p);
  }
  a.form = explicit_file ? ArgForm::Path : ArgForm::RelativePath;
  a.path = join_path(parts);
  a.text = a.path;
  return a;
}

}  // namespace cloister::host
