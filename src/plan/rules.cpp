#include "plan/rules.h"

#include "util/error.h"

#include <algorithm>

namespace config_init::plan {

Policy parse_policy(std::string_view text) {
  if (text == "merge") return Policy::merge;
  if (text == "replace") return Policy::replace;
  if (text == "seed") return Policy::seed;
  if (text == "ignore") return Policy::ignore;
  throw UsageError("unknown policy '" + std::string(text) +
                   "' (expected merge, replace, seed or ignore)");
}

SchemaMode parse_schema_mode(std::string_view text) {
  if (text == "enforce") return SchemaMode::enforce;
  if (text == "warn") return SchemaMode::warn;
  throw UsageError("unknown schema mode '" + std::string(text) + "' (expected enforce or warn)");
}

const char* schema_mode_name(SchemaMode mode) {
  return mode == SchemaMode::warn ? "warn" : "enforce";
}

const char* policy_name(Policy policy) {
  switch (policy) {
  case Policy::merge:
    return "merge";
  case Policy::replace:
    return "replace";
  case Policy::seed:
    return "seed";
  case Policy::ignore:
    return "ignore";
  }
  return "merge";
}

namespace {

// Glob match where `*` and `?` stay within one path element, `**` crosses elements,
// and `[...]` is a character class. Recursive with memo-free backtracking: globs are short.
bool match(const char* glob, const char* text) {
  while (*glob) {
    if (glob[0] == '*' && glob[1] == '*') {
      glob += 2;
      if (*glob == '/') ++glob; // "**/" also matches no directory at all
      for (const char* rest = text;; ++rest) {
        if (match(glob, rest)) return true;
        if (!*rest) return false;
      }
    }
    if (*glob == '*') {
      ++glob;
      for (const char* rest = text;; ++rest) {
        if (match(glob, rest)) return true;
        if (!*rest || *rest == '/') return false;
      }
    }
    if (!*text) return false;
    if (*glob == '?') {
      if (*text == '/') return false;
    } else if (*glob == '[') {
      const char* close = glob + 1;
      if (*close == '!' || *close == '^') ++close;
      if (*close == ']') ++close;
      while (*close && *close != ']')
        ++close;
      if (!*close) { // no closing bracket: a literal '['
        if (*text != '[') return false;
      } else {
        const char* p = glob + 1;
        const bool negate = (*p == '!' || *p == '^');
        if (negate) ++p;
        bool found = false;
        for (bool first = true; p < close; first = false) {
          if (p[1] == '-' && p + 2 < close) {
            found = found || (*text >= p[0] && *text <= p[2]);
            p += 3;
          } else {
            found = found || (*text == *p) || (first && *p == ']' && *text == ']');
            ++p;
          }
        }
        if (found == negate || *text == '/') return false;
        glob = close;
      }
    } else if (*glob != *text) {
      return false;
    }
    ++glob;
    ++text;
  }
  return !*text;
}

} // namespace

bool glob_matches(const std::string& glob, const std::string& path) {
  if (glob.find('/') == std::string::npos) {
    const size_t slash = path.rfind('/');
    const std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
    return match(glob.c_str(), name.c_str());
  }
  return match(glob.c_str(), path.c_str());
}

std::vector<const FileRule*> unmatched_rules(const Rules& rules,
                                             const std::vector<std::string>& paths) {
  std::vector<const FileRule*> unmatched;
  for (const FileRule& rule : rules.files) {
    const bool matched = std::any_of(paths.begin(), paths.end(), [&](const std::string& path) {
      return glob_matches(rule.glob, path);
    });
    if (!matched) unmatched.push_back(&rule);
  }
  return unmatched;
}

PathSettings settings_for(const Rules& rules, const std::string& path) {
  PathSettings settings;
  for (const FileRule& rule : rules.files) {
    if (!glob_matches(rule.glob, path)) continue;
    if (rule.policy) settings.policy = *rule.policy;
    if (rule.mode) settings.mode = rule.mode;
    if (rule.arrays) settings.merge.arrays = *rule.arrays;
    settings.merge.array_paths.insert(settings.merge.array_paths.end(), rule.array_paths.begin(),
                                      rule.array_paths.end());
    settings.merge.deletions.insert(settings.merge.deletions.end(), rule.deletions.begin(),
                                    rule.deletions.end());
  }
  return settings;
}

} // namespace config_init::plan
