#include "schema/check.h"

#include "formats/format.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/sha256.h"
#include "util/text.h"

#include <map>
#include <memory>
#include <set>

namespace config_init::schema {

namespace {

struct LoadedSchema {
  std::shared_ptr<const Schema> schema;
  std::string sha256;
};

const LoadedSchema& load(const std::string& file, std::map<std::string, LoadedSchema>& cache) {
  const auto found = cache.find(file);
  if (found != cache.end()) return found->second;
  std::string text;
  if (const int error = read_file(file, text)) {
    throw UsageError(errno_message("cannot read schema " + file, error));
  }
  LoadedSchema loaded{Schema::parse(text, file), Sha256::of(text)};
  return cache.emplace(file, std::move(loaded)).first->second;
}

// The bytes DEST will hold for `file`.
bool checked_action(plan::Action action) {
  return action == plan::Action::create || action == plan::Action::update ||
         action == plan::Action::chmod || action == plan::Action::unchanged;
}

} // namespace

size_t Report::blocking() const {
  size_t count = 0;
  for (const FileCheck& check : checks) {
    if (check.mode == plan::SchemaMode::enforce) count += check.violations.size();
  }
  return count;
}

size_t Report::violations() const {
  size_t count = 0;
  for (const FileCheck& check : checks)
    count += check.violations.size();
  return count;
}

Report check(const plan::Plan& plan, const plan::Rules& rules) {
  Report report;
  if (rules.schemas.empty()) return report;
  std::map<std::string, LoadedSchema> cache;
  for (const plan::SchemaRule& rule : rules.schemas)
    load(rule.file, cache); // every schema is checked, even one that matches no file
  for (const plan::Change& change : plan.changes) {
    if (!checked_action(change.action)) continue;
    const plan::DesiredFile& file = change.file;
    const std::optional<formats::Format> format = formats::format_of_path(file.path);
    if (!format) continue;
    std::optional<formats::Value> document;
    for (const plan::SchemaRule& rule : rules.schemas) {
      if (!plan::glob_matches(rule.glob, file.path)) continue;
      if (!document) document = formats::parse(*format, plan::content_of(file), file.path);
      const LoadedSchema& loaded = load(rule.file, cache);
      report.checks.push_back(FileCheck{file.path, rule.file, loaded.sha256,
                                        rule.mode.value_or(rules.schema_mode),
                                        loaded.schema->validate(*document)});
    }
  }
  return report;
}

std::string describe(const FileCheck& check, const Violation& violation) {
  return check.path + ": " + violation.key_path + ": " + violation.keyword + " (schema " +
         check.schema_file + violation.schema_location + "): " + violation.message;
}

void enforce(const Report& report, Log& log) {
  std::string first;
  std::vector<std::string> files;
  for (const FileCheck& check : report.checks) {
    const bool enforced = check.mode == plan::SchemaMode::enforce;
    for (const Violation& violation : check.violations) {
      const std::string line = describe(check, violation);
      const LogFields fields = {{"event", "schema-violation"},
                                {"path", check.path},
                                {"key", violation.key_path},
                                {"keyword", violation.keyword},
                                {"schema", check.schema_file + violation.schema_location},
                                {"mode", plan::schema_mode_name(check.mode)}};
      if (enforced) {
        log.error(line, fields);
        if (first.empty()) first = line;
      } else {
        log.warn(line + " (--schema-mode warn: not blocking)", fields);
      }
    }
    if (enforced && !check.violations.empty() && (files.empty() || files.back() != check.path)) {
      files.push_back(check.path);
    }
  }
  const size_t blocking = report.blocking();
  if (blocking == 0) return;
  std::string names;
  for (const std::string& file : files)
    names += (names.empty() ? "" : ", ") + file;
  throw InputError(first +
                   (blocking > 1 ? " (and " + std::to_string(blocking - 1) + " more, logged above)"
                                 : std::string()) +
                   "; " + text::count_of(blocking, "schema violation") + " in " + names +
                   ": nothing written");
}

std::map<std::string, std::string> passed_schemas(const Report& report) {
  std::map<std::string, std::string> passed; // path -> digests
  std::set<std::string> failed;
  for (const FileCheck& check : report.checks) {
    if (!check.violations.empty()) failed.insert(check.path);
    std::string& digests = passed[check.path];
    digests += (digests.empty() ? "" : ",") + check.schema_sha256;
  }
  for (const std::string& path : failed)
    passed.erase(path);
  return passed;
}

void record(const Report& report, state::Manifest& manifest) {
  const std::map<std::string, std::string> passed = passed_schemas(report);
  for (state::ManifestFile& file : manifest.files) {
    const auto found = passed.find(file.path);
    if (found != passed.end()) file.schema_sha256 = found->second;
  }
}

} // namespace config_init::schema
