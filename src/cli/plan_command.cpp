// `config-init plan`: what materialize would do, as a list and a diff. Writes nothing.
#include "cli/commands.h"
#include "run/run.h"
#include "util/diff.h"
#include "util/error.h"
#include "util/text.h"

#include <iostream>

namespace config_init::cli {

namespace {

std::string current_content(const SafeDir& dest, const std::string& path) {
  FileDescriptor fd;
  std::string content;
  if (dest.open_file(path, fd) == 0) read_all(fd.get(), content);
  return content;
}

const char* plan_verb(plan::Action action) {
  switch (action) {
  case plan::Action::create:
    return "create";
  case plan::Action::update:
    return "update";
  case plan::Action::chmod:
    return "chmod";
  case plan::Action::unchanged:
    return "unchanged";
  case plan::Action::keep:
    return "keep";
  case plan::Action::remove:
    return "remove";
  }
  return "?";
}

// The --schema checks: each file and schema, its violations, and whether they would block.
std::string schema_section(const schema::Report& report) {
  if (report.checks.empty()) return "";
  std::string out = "schemas: " + text::count_of(report.checks.size(), "check") + ", " +
                    text::count_of(report.violations(), "violation") + " (" +
                    std::to_string(report.blocking()) + " would block)\n";
  for (const schema::FileCheck& check : report.checks) {
    out += "  " + std::string(check.violations.empty() ? "pass" : "FAIL") + "  " + check.path +
           "  (" + check.schema_file + ", " + plan::schema_mode_name(check.mode) + ")\n";
    for (const schema::Violation& violation : check.violations) {
      out += std::string("        ") +
             (check.mode == plan::SchemaMode::enforce ? "blocks: " : "warns:  ") +
             schema::describe(check, violation) + "\n";
    }
  }
  return out;
}

} // namespace

int run_plan(const Options& options, Log& log) {
  const auto start = std::chrono::steady_clock::now();
  const run::Preview preview = run::preview(run_settings(options), log);
  const plan::Plan& plan = preview.plan;
  const SafeDir& dest = preview.dest;
  const bool exists = preview.dest_exists;

  std::string out = "plan for " + options.dest + (exists ? "" : " (does not exist yet)") + ":\n";
  std::string diffs;
  for (const plan::Change& change : plan.changes) {
    const plan::DesiredFile& file = change.file;
    std::string line = std::string("  ") + plan_verb(change.action);
    line.resize(13, ' ');
    out += line + file.path + "  (" + std::string(change.reason) + ")\n";
    for (const merge::EditConflict& conflict : change.conflicts) {
      out += "               conflict: the app and the layers both changed " +
             (conflict.key_path.empty() ? std::string("the document") : conflict.key_path) +
             "; the layers win\n";
    }
    const bool shows_diff =
        plan::writes_content(change.action) || change.action == plan::Action::remove;
    if (!shows_diff) continue;
    if (file.secret) {
      diffs += "--- a/" + file.path + "\n+++ b/" + file.path + "\n<redacted: secret layer>\n";
      continue;
    }
    const std::string before =
        change.action == plan::Action::create ? "" : current_content(dest, file.path);
    const std::string after = change.action == plan::Action::remove ? "" : plan::content_of(file);
    diffs += unified_diff(before, after, file.path);
  }
  const size_t changing = plan.count(plan::Action::create) + plan.count(plan::Action::update) +
                          plan.count(plan::Action::chmod) + plan.count(plan::Action::remove);
  out += std::to_string(plan.count(plan::Action::create)) + " to create, " +
         std::to_string(plan.count(plan::Action::update)) + " to update, " +
         std::to_string(plan.count(plan::Action::chmod)) + " to chmod, " +
         std::to_string(plan.count(plan::Action::remove)) + " to remove, " +
         std::to_string(plan.changes.size() - changing) + " unchanged or kept\n";
  out += schema_section(preview.schemas);
  if (!diffs.empty()) out += "\n" + diffs;
  std::cout << out << std::flush;
  schema::enforce(preview.schemas, log); // exit 3 when materialize would refuse
  log.notice("planned " + text::count_of(plan.changes.size(), "file") + ", " +
                 std::to_string(changing) + " to change, in " + std::to_string(elapsed_ms(start)) +
                 " ms (nothing written)",
             {{"event", "summary"},
              log_number("files", static_cast<int64_t>(plan.changes.size())),
              log_number("changes", static_cast<int64_t>(changing))});
  return 0;
}

} // namespace config_init::cli
