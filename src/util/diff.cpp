#include "util/diff.h"

#include <algorithm>
#include <vector>

namespace config_init {

namespace {

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < text.size()) {
    const size_t end = text.find('\n', start);
    if (end == std::string::npos) {
      lines.push_back(text.substr(start) + "\n\\ No newline at end of file");
      break;
    }
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

struct Edit {
  char op; // ' ', '-', '+'
  size_t before_line;
  size_t after_line;
  const std::string* text;
};

} // namespace

std::string unified_diff(const std::string& before, const std::string& after,
                         const std::string& name, size_t max_lines) {
  if (before == after) return "";
  if (before.find('\0') != std::string::npos || after.find('\0') != std::string::npos) {
    return "Binary files a/" + name + " and b/" + name + " differ\n";
  }
  const std::vector<std::string> a = split_lines(before);
  const std::vector<std::string> b = split_lines(after);
  if (a.size() + b.size() > max_lines) {
    return "(" + name + ": " + std::to_string(a.size()) + " -> " + std::to_string(b.size()) +
           " lines, too large to diff)\n";
  }
  // Longest common subsequence table, then a forward walk.
  std::vector<std::vector<unsigned>> lcs(a.size() + 1, std::vector<unsigned>(b.size() + 1, 0));
  for (size_t i = a.size(); i-- > 0;) {
    for (size_t j = b.size(); j-- > 0;) {
      lcs[i][j] = a[i] == b[j] ? lcs[i + 1][j + 1] + 1 : std::max(lcs[i + 1][j], lcs[i][j + 1]);
    }
  }
  std::vector<Edit> edits;
  size_t i = 0, j = 0;
  while (i < a.size() || j < b.size()) {
    if (i < a.size() && j < b.size() && a[i] == b[j]) {
      edits.push_back({' ', i, j, &a[i]});
      ++i, ++j;
    } else if (j < b.size() && (i == a.size() || lcs[i][j + 1] > lcs[i + 1][j])) {
      edits.push_back({'+', i, j, &b[j]});
      ++j;
    } else {
      edits.push_back({'-', i, j, &a[i]});
      ++i;
    }
  }

  std::string out = "--- a/" + name + "\n+++ b/" + name + "\n";
  constexpr size_t context = 3;
  size_t k = 0;
  while (k < edits.size()) {
    if (edits[k].op == ' ') {
      ++k;
      continue;
    }
    // A hunk: from `context` lines before this change to `context` lines after the last
    // change that is within 2*context of the next one.
    size_t first = k >= context ? k - context : 0;
    while (first < k && edits[first].op != ' ')
      ++first;
    size_t last = k;
    for (size_t m = k; m < edits.size(); ++m) {
      if (edits[m].op != ' ')
        last = m;
      else if (m - last > 2 * context)
        break;
    }
    const size_t end = std::min(edits.size(), last + context + 1);
    size_t before_count = 0, after_count = 0;
    for (size_t m = first; m < end; ++m) {
      before_count += edits[m].op != '+';
      after_count += edits[m].op != '-';
    }
    const size_t before_start = edits[first].before_line + (before_count ? 1 : 0);
    const size_t after_start = edits[first].after_line + (after_count ? 1 : 0);
    out += "@@ -" + std::to_string(before_start) + "," + std::to_string(before_count) + " +" +
           std::to_string(after_start) + "," + std::to_string(after_count) + " @@\n";
    for (size_t m = first; m < end; ++m)
      out += std::string(1, edits[m].op) + *edits[m].text + "\n";
    k = end;
  }
  return out;
}

} // namespace config_init
