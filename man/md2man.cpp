// md2man: renders cloister's Markdown as a man(7) page, so a manual page and the document it comes
// from are one text and cannot drift. It knows the subset the docs use: ATX headings, paragraphs,
// hard breaks (a line ending in a backslash), fenced code, pipe tables, "- " and "1. " lists,
// `code`, **bold**, *italic*, [links](target), and an `<!-- include: PATH -->` line that splices
// another file in (PATH relative to --root).
//
// usage: md2man --title T --section S --date D --source S --manual M --root DIR
//               --docdir DIR [--man-link FILE=PAGE(S)]... [--output FILE] INPUT.md
// INPUT is relative to --root; the page goes to FILE or stdout. Links to other Markdown files
// become their installed path under --docdir, or PAGE(S) when given with --man-link.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

struct Options {
  std::string title, section, date, source, manual, root, docdir, input, output;
  std::map<std::string, std::string> man_links;  // repo-relative .md file -> "page(5)"
};

struct Line {
  std::string text;
  std::string dir;  // repo-relative directory of the file it came from, for links
};

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t") - b + 1);
}

bool starts_with(const std::string& s, const std::string& p) { return s.rfind(p, 0) == 0; }

std::string parent_dir(const std::string& path) {
  const auto slash = path.rfind('/');
  return slash == std::string::npos ? "" : path.substr(0, slash);
}

void read_lines(const Options& o, const std::string& rel, std::vector<Line>& out, int depth) {
  if (depth > 4) throw std::runtime_error(rel + ": includes nest too deep");
  std::ifstream in(o.root + "/" + rel);
  if (!in) throw std::runtime_error("cannot read " + o.root + "/" + rel);
  const std::string kInclude = "<!-- include: ";
  for (std::string text; std::getline(in, text);) {
    const std::string t = trim(text);
    if (starts_with(t, kInclude) && t.size() > kInclude.size() + 4 &&
        t.compare(t.size() - 4, 4, " -->") == 0) {
      read_lines(o, t.substr(kInclude.size(), t.size() - kInclude.size() - 4), out, depth + 1);
      continue;
    }
    out.push_back({text, parent_dir(rel)});
  }
}

bool is_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// One character of text as troff input. `literal`: code, where every '-' is a minus sign so
// options copied from the page work; in prose only a '-' that starts a word is one.
void put_char(std::string& out, const std::string& s, std::size_t& i, bool literal) {
  const auto c = static_cast<unsigned char>(s[i]);
  if (c == '\\') {
    out += "\\e";
  } else if (c == '-') {
    const bool word_start = i == 0 || !is_alnum(s[i - 1]);
    out += (literal || word_start) ? "\\-" : "-";
  } else if (c == '\t') {
    out += "    ";
  } else if (c < 0x80) {
    out += static_cast<char>(c);
  } else {
    // UTF-8 to \[uXXXX], which groff and mandoc both read whatever the input encoding.
    int extra = c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : 1;
    unsigned cp = c & (0x3fu >> extra);
    for (int k = 0; k < extra && i + 1 < s.size(); ++k) cp = (cp << 6) | (s[++i] & 0x3f);
    char buf[16];
    std::snprintf(buf, sizeof buf, "\\[u%04X]", cp);
    out += buf;
  }
}

class Inline {
 public:
  Inline(const Options& o, const std::string& dir) : o_(o), dir_(dir) {}

  std::string render(const std::string& s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
      const char c = s[i];
      if (c == '\\' && i + 1 < s.size() &&
          std::string("\\`*_[]()|<>#-!").find(s[i + 1]) != std::string::npos) {
        ++i;
        put_char(out, s, i, false);
      } else if (c == '`') {
        std::size_t ticks = 0;
        while (i + ticks < s.size() && s[i + ticks] == '`') ++ticks;
        const std::string fence(ticks, '`');
        const auto end = s.find(fence, i + ticks);
        if (end == std::string::npos) throw std::runtime_error("unclosed ` in: " + s);
        std::string code = s.substr(i + ticks, end - i - ticks);
        if (ticks > 1) code = trim(code);
        out += font('B');
        for (std::size_t k = 0; k < code.size(); ++k) put_char(out, code, k, true);
        out += unfont();
        i = end + ticks - 1;
      } else if (c == '*' && i + 1 < s.size() && s[i + 1] == '*') {
        const auto end = s.find("**", i + 2);
        if (end == std::string::npos) throw std::runtime_error("unclosed ** in: " + s);
        out += font('B');
        literal_ = true;
        out += render(s.substr(i + 2, end - i - 2));
        literal_ = false;
        out += unfont();
        i = end + 1;
      } else if (c == '*' && i + 1 < s.size() && s[i + 1] != ' ' && s[i + 1] != '*' &&
                 s.find('*', i + 1) != std::string::npos && s[s.find('*', i + 1) - 1] != ' ') {
        const auto end = s.find('*', i + 1);
        out += font('I');
        out += render(s.substr(i + 1, end - i - 1));
        out += unfont();
        i = end;
      } else if (c == '[' && link(s, i, out)) {
        // link() consumed it
      } else {
        put_char(out, s, i, literal_);
      }
    }
    return out;
  }

 private:
  std::string font(char f) {
    fonts_.push_back(f);
    return std::string("\\f") + f;
  }
  std::string unfont() {
    fonts_.pop_back();
    return std::string("\\f") + (fonts_.empty() ? 'R' : fonts_.back());
  }

  // [text](target): web links keep their address, Markdown files become a man page or their
  // installed path, anchors and directories just their text.
  bool link(const std::string& s, std::size_t& i, std::string& out) {
    const auto close = s.find("](", i);
    if (close == std::string::npos) return false;
    const auto end = s.find(')', close);
    if (end == std::string::npos) return false;
    const std::string text = s.substr(i + 1, close - i - 1);
    std::string target = s.substr(close + 2, end - close - 2);
    const std::string shown = render(text);
    if (starts_with(target, "http://") || starts_with(target, "https://")) {
      out += shown;
      if (target != text) out += " <" + render(target) + ">";
    } else if (target.find(".md") != std::string::npos && !starts_with(target, "#")) {
      target = target.substr(0, target.find('#'));
      const std::string rel = std::filesystem::path(dir_.empty() ? target : dir_ + "/" + target)
                                  .lexically_normal()
                                  .string();
      auto page = o_.man_links.find(rel);
      std::string ref;
      if (page != o_.man_links.end()) {
        const auto paren = page->second.find('(');
        // One statement each: the order of a + b + c's operands is unspecified.
        ref = font('B');
        ref += render(page->second.substr(0, paren));
        ref += unfont();
        ref += page->second.substr(paren);
      } else {
        ref = font('I');
        ref += render(o_.docdir + "/" + rel);
        ref += unfont();
      }
      const std::string base = rel.substr(rel.rfind('/') + 1);
      const bool names_file = text == base || text == rel || text == "`" + base + "`";
      out += (names_file || page != o_.man_links.end()) ? ref : shown + " (" + ref + ")";
    } else {
      out += shown;
    }
    i = end;
    return true;
  }

  const Options& o_;
  std::string dir_;
  std::vector<char> fonts_;
  bool literal_ = false;
};

// Text lines of the page, filled to 80 bytes (troff joins them again; mandoc's lint asks for
// short input lines). A line may not start with '.' or '\'': troff would read a request. A word
// in a font other than roman (options, paths, names) gets a leading \%, so troff never
// hyphenates it: it must read as it is typed. (\% anywhere else in a word would mark a break.)
void put_text(std::ostream& out, const std::string& text, bool wrap = true) {
  constexpr std::size_t kWidth = 80;
  char font = 'R';
  auto literal_word = [&font](const std::string& w) {
    bool literal = font != 'R';
    for (std::size_t p = 0; (p = w.find("\\f", p)) != std::string::npos; p += 2) {
      if (p > 0 && w[p - 1] == '\\') continue;
      if (p + 2 < w.size()) font = w[p + 2];
      literal = literal || font != 'R';
    }
    return literal && w.rfind("\\%", 0) != 0 ? "\\%" + w : w;
  };
  std::string line;
  auto flush = [&] {
    if (line.empty()) return;
    if (line[0] == '.' || line[0] == '\'') out << "\\&";
    out << line << "\n";
    line.clear();
  };
  std::istringstream lines(text);
  for (std::string l; std::getline(lines, l);) {
    std::istringstream words(l);
    for (std::string w; words >> w;) {
      w = literal_word(w);
      if (!line.empty() && (!wrap || line.size() + 1 + w.size() <= kWidth)) {
        line += " " + w;
      } else {
        flush();
        line = w;
      }
    }
    if (!wrap) flush();
  }
  flush();
}

std::string macro_arg(std::string s) {
  for (std::size_t p = 0; (p = s.find('"', p)) != std::string::npos; p += 4)
    s.replace(p, 1, "\\(dq");
  return "\"" + s + "\"";
}

std::vector<std::string> cells(const std::string& row) {
  std::vector<std::string> out;
  std::string t = trim(row), cur;
  if (starts_with(t, "|")) t.erase(0, 1);
  if (!t.empty() && t.back() == '|' && (t.size() < 2 || t[t.size() - 2] != '\\')) t.pop_back();
  bool code = false;
  for (std::size_t i = 0; i < t.size(); ++i) {
    if (t[i] == '\\' && i + 1 < t.size() && t[i + 1] == '|') {
      cur += "\\|";
      ++i;
    } else if (t[i] == '`') {
      code = !code;
      cur += t[i];
    } else if (t[i] == '|' && !code) {
      out.push_back(trim(cur));
      cur.clear();
    } else {
      cur += t[i];
    }
  }
  out.push_back(trim(cur));
  return out;
}

std::string plain_upper(const std::string& s) {
  std::string out;
  for (char c : s)
    if (c != '`' && c != '*') out += (c >= 'a' && c <= 'z') ? static_cast<char>(c - 32) : c;
  return out;
}

class Writer {
 public:
  Writer(const Options& o, std::ostream& out) : o_(o), out_(out) {}

  void run(const std::vector<Line>& lines) {
    out_ << ".\\\" Generated by md2man from " << o_.input << "; edit that file, not this one.\n"
         << ".TH " << macro_arg(o_.title) << " " << macro_arg(o_.section) << " "
         << macro_arg(o_.date) << " " << macro_arg(o_.source) << " " << macro_arg(o_.manual)
         << "\n";
    std::size_t i = 0;
    while (i < lines.size()) {
      const std::string t = trim(lines[i].text);
      Inline in(o_, lines[i].dir);
      if (t.empty() || t == "---") {
        ++i;
      } else if (starts_with(t, "<!--")) {
        while (i < lines.size() && lines[i].text.find("-->") == std::string::npos) ++i;
        ++i;
      } else if (starts_with(t, "```")) {
        paragraph_break();
        out_ << ".RS 2\n.EX\n";
        for (++i; i < lines.size() && !starts_with(trim(lines[i].text), "```"); ++i) {
          std::string code;
          const std::string& l = lines[i].text;
          for (std::size_t k = 0; k < l.size(); ++k) put_char(code, l, k, true);
          if (code.empty() || code[0] == '.' || code[0] == '\'') code = "\\&" + code;
          out_ << code << "\n";
        }
        ++i;
        out_ << ".EE\n.RE\n";
        need_pp_ = true;
      } else if (starts_with(t, "#")) {
        heading(t, in);
        ++i;
      } else if (starts_with(t, "|")) {
        std::vector<std::vector<std::string>> rows;
        for (; i < lines.size() && starts_with(trim(lines[i].text), "|"); ++i)
          rows.push_back(cells(lines[i].text));
        table(rows, in);
      } else if (starts_with(t, "- ") || starts_with(t, "* ") || ordered(t)) {
        const bool bullet = !ordered(t);
        std::string item = t.substr(t.find(' ') + 1);
        const std::string mark = bullet ? "\\(bu" : t.substr(0, t.find(' '));
        for (++i;
             i < lines.size() && starts_with(lines[i].text, "  ") && !trim(lines[i].text).empty();
             ++i)
          item += "\n" + trim(lines[i].text);
        out_ << ".IP " << mark << " " << (bullet ? 2 : 4) << "\n";
        put_text(out_, in.render(item));
        need_pp_ = true;
      } else {
        std::string text;
        for (; i < lines.size(); ++i) {
          const std::string l = trim(lines[i].text);
          if (l.empty() || starts_with(l, "#") || starts_with(l, "```") || starts_with(l, "|") ||
              ((starts_with(l, "- ") || ordered(l)) && !text.empty()))
            break;
          const bool hard_break = l.size() > 1 && l.back() == '\\' && l[l.size() - 2] != '\\';
          std::string rendered = in.render(hard_break ? l.substr(0, l.size() - 1) : l);
          if (section_ == "NAME") {
            const auto dash = rendered.find(" \\- ");
            const auto plain = rendered.find(" - ");
            if (dash == std::string::npos && plain != std::string::npos)
              rendered.replace(plain, 3, " \\- ");
          }
          text += rendered + "\n" + (hard_break ? ".br\n" : "");
        }
        paragraph_break();
        std::istringstream ls(text);
        for (std::string l; std::getline(ls, l);) {
          if (l == ".br")
            out_ << l << "\n";
          else
            put_text(out_, l);
        }
        need_pp_ = true;
      }
    }
  }

 private:
  static bool ordered(const std::string& t) {
    std::size_t d = 0;
    while (d < t.size() && t[d] >= '0' && t[d] <= '9') ++d;
    return d > 0 && t.compare(d, 2, ". ") == 0;
  }

  void paragraph_break() {
    if (need_pp_) out_ << ".PP\n";
    need_pp_ = false;
  }

  void heading(const std::string& t, Inline& in) {
    std::size_t level = 0;
    while (level < t.size() && t[level] == '#') ++level;
    const std::string text = trim(t.substr(level));
    if (level == 1) return;  // the document's title; the .TH line names the page
    if (level == 2) {
      section_ = plain_upper(text);
      out_ << ".SH " << macro_arg(section_) << "\n";
    } else {
      out_ << ".SS " << macro_arg(in.render(text)) << "\n";
    }
    need_pp_ = false;
  }

  // Each row is a tagged paragraph: the first cell is the tag. A key table ("| key | ... |")
  // shows its middle columns as "header: value" lines; other tables put all but the last cell
  // in the tag. A table reads better so in 80 columns than as a grid of wrapped cells.
  void table(const std::vector<std::vector<std::string>>& rows, Inline& in) {
    if (rows.size() < 2 || rows[1].empty() || rows[1][0].find("--") == std::string::npos)
      throw std::runtime_error("a table needs a header row and a --- row: " + rows[0][0]);
    const auto& head = rows[0];
    const bool keyed = plain_upper(head[0]) == "KEY";
    for (std::size_t r = 2; r < rows.size(); ++r) {
      const auto& row = rows[r];
      if (row.size() != head.size())
        throw std::runtime_error("table row with " + std::to_string(row.size()) +
                                 " cells under a header of " + std::to_string(head.size()) +
                                 ": | " + row[0] + " |");
      std::string tag, body;
      const std::size_t last = row.size() - 1;
      if (keyed) {
        tag = in.render(row[0]);
        for (std::size_t c = 1; c < last; ++c) {
          if (row[c].empty()) continue;
          body += "\\fI" + in.render(head[c]) + ":\\fR " + in.render(row[c]) + "\n.br\n";
        }
      } else {
        for (std::size_t c = 0; c < last; ++c)
          if (!row[c].empty()) tag += (tag.empty() ? "" : " ") + in.render(row[c]);
      }
      body += in.render(row[last]);
      out_ << ".TP\n";
      put_text(out_, tag.empty() ? "\\&" : tag, false);
      std::istringstream ls(body);
      for (std::string l; std::getline(ls, l);) {
        if (l == ".br")
          out_ << l << "\n";
        else
          put_text(out_, l);
      }
    }
    need_pp_ = true;
  }

  const Options& o_;
  std::ostream& out_;
  std::string section_;
  bool need_pp_ = false;
};

}  // namespace

int main(int argc, char** argv) {
  Options o;
  std::map<std::string, std::string*> flags = {{"--title", &o.title},   {"--section", &o.section},
                                               {"--date", &o.date},     {"--source", &o.source},
                                               {"--manual", &o.manual}, {"--root", &o.root},
                                               {"--docdir", &o.docdir}, {"--output", &o.output}};
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (flags.count(a) && i + 1 < argc) {
      *flags[a] = argv[++i];
    } else if (a == "--man-link" && i + 1 < argc) {
      const std::string v = argv[++i];
      o.man_links[v.substr(0, v.find('='))] = v.substr(v.find('=') + 1);
    } else if (o.input.empty() && a[0] != '-') {
      o.input = a;
    } else {
      std::fprintf(stderr, "md2man: unexpected argument %s\n", a.c_str());
      return 2;
    }
  }
  if (o.input.empty() || o.title.empty() || o.section.empty() || o.root.empty()) {
    std::fprintf(stderr, "usage: md2man --title T --section S --root DIR [...] INPUT.md\n");
    return 2;
  }
  try {
    std::vector<Line> lines;
    read_lines(o, o.input, lines, 0);
    std::ostringstream page;
    Writer(o, page).run(lines);
    if (o.output.empty()) {
      std::cout << page.str();
    } else {
      // Written aside and renamed, so a failed run never leaves half a page behind.
      const std::string tmp = o.output + ".tmp";
      std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
      out << page.str();
      out.close();
      if (!out) throw std::runtime_error("cannot write " + tmp);
      std::filesystem::rename(tmp, o.output);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "md2man: %s: %s\n", o.input.c_str(), e.what());
    return 1;
  }
  return 0;
}
