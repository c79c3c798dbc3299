#include "run/changes_log.h"

#include "util/text.h"

namespace config_init::run {

namespace {

std::string describe_sources(const plan::DesiredFile& file,
                             const std::vector<layers::Layer>& layers) {
  if (file.layers.empty()) return "";
  if (file.layers.size() > 1) {
    std::string list;
    for (int index : file.layers)
      list += (list.empty() ? "" : ", ") + std::to_string(index + 1);
    return "merged from layers " + list;
  }
  return "from layer " + std::to_string(file.layers.front() + 1) + " " +
         layers[static_cast<size_t>(file.layers.front())].spec.root;
}

} // namespace

void log_changes(const plan::Plan& plan, const publish::PublishReport& report,
                 const std::vector<layers::Layer>& layers, Log& log) {
  for (const std::string& directory : report.directories_created) {
    log.info("created directory " + directory + "/",
             {{"action", "created"}, {"path", directory + "/"}});
  }
  for (const auto& [path, backup] : report.backups) {
    log.warn(plan::backup_message(plan, path, backup),
             {{"action", "backed-up"}, {"path", path}, {"backup", backup}});
  }
  for (const plan::Change& change : plan.changes) {
    const plan::DesiredFile& file = change.file;
    for (const merge::EditConflict& conflict : change.conflicts) {
      log.warn(file.path + ": the app and the layers both changed " +
                   (conflict.key_path.empty() ? std::string("the document") : conflict.key_path) +
                   "; the layers' value wins",
               {{"action", "conflict"}, {"path", file.path}, {"key", conflict.key_path}});
    }
    const std::string verb = plan::action_verb(change.action);
    std::string reason(change.reason);
    if (plan::writes_content(change.action)) {
      const std::string sources = describe_sources(file, layers);
      reason += (sources.empty() ? "" : "; " + sources) + "; " + std::to_string(file.digest.size) +
                " bytes, sha256 " + file.digest.sha256.substr(0, 12) + ", verified";
    }
    log.info(verb + " " + file.path + " (" + reason + ")",
             {{"action", verb}, {"path", file.path}, {"reason", reason}});
  }
  for (const std::string& directory : report.directories_removed) {
    log.info("removed directory " + directory + "/ (empty, created by config-init)",
             {{"action", "removed"}, {"path", directory + "/"}});
  }
}

Outcome count_outcome(const plan::Plan& plan, const publish::PublishReport& report, size_t layers,
                      int64_t elapsed_ms) {
  Outcome outcome;
  outcome.created = plan.count(plan::Action::create);
  outcome.updated = plan.count(plan::Action::update) + plan.count(plan::Action::chmod);
  outcome.unchanged = plan.count(plan::Action::unchanged) + plan.count(plan::Action::keep);
  outcome.removed = plan.count(plan::Action::remove);
  outcome.files = plan.changes.size() - outcome.removed;
  outcome.bytes_written = report.bytes_written;
  outcome.layers = layers;
  outcome.elapsed_ms = elapsed_ms;
  return outcome;
}

void log_summary(const Outcome& outcome, const std::string& dest, const std::string& trigger,
                 Log& log) {
  LogFields fields = {{"event", "summary"},
                      log_number("files", static_cast<int64_t>(outcome.files)),
                      log_number("created", static_cast<int64_t>(outcome.created)),
                      log_number("updated", static_cast<int64_t>(outcome.updated)),
                      log_number("unchanged", static_cast<int64_t>(outcome.unchanged)),
                      log_number("removed", static_cast<int64_t>(outcome.removed)),
                      log_number("bytes_written", static_cast<int64_t>(outcome.bytes_written)),
                      log_number("layers", static_cast<int64_t>(outcome.layers)),
                      log_number("elapsed_ms", outcome.elapsed_ms)};
  if (!trigger.empty()) fields.push_back({"trigger", trigger});
  log.notice((trigger.empty() ? "" : trigger + ": ") +
                 "done: " + text::count_of(outcome.files, "file") + " (" +
                 std::to_string(outcome.created) + " created, " + std::to_string(outcome.updated) +
                 " updated, " + std::to_string(outcome.unchanged) + " unchanged, " +
                 std::to_string(outcome.removed) + " removed) from " +
                 text::count_of(outcome.layers, "layer") + " into " + dest + " in " +
                 std::to_string(outcome.elapsed_ms) + " ms",
             fields);
}

} // namespace config_init::run
