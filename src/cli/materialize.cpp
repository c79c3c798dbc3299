// `config-init materialize`: the main job.
#include "cli/commands.h"
#include "cli/pipeline.h"
#include "plan/compose.h"
#include "plan/plan.h"
#include "publish/publish.h"
#include "state/base_store.h"
#include "state/lock.h"
#include "state/manifest.h"
#include "util/error.h"
#include "util/plural.h"
#include "util/sha256.h"

#include <algorithm>
#include <fcntl.h>
#include <optional>
#include <set>
#include <sys/stat.h>
#include <unistd.h>

namespace config_init::cli {

namespace {

state::Manifest build_manifest(const std::vector<layers::Layer>& layers,
                               const std::vector<Digest>& layer_digests, const plan::Plan& plan,
                               const state::Manifest* previous,
                               const publish::PublishReport& report,
                               std::vector<state::ManifestSource> sources) {
  state::Manifest manifest;
  manifest.tool_version = CONFIG_INIT_VERSION;
  for (size_t i = 0; i < layers.size(); ++i) {
    const layers::Layer& layer = layers[i];
    manifest.layers.push_back(state::ManifestLayer{layer.spec.root, layer.present,
                                                   layer.spec.secret, layer.files.size(),
                                                   layer_digests[i].sha256});
  }
  for (const plan::Change& change : plan.changes) {
    const plan::DesiredFile& file = change.file;
    if (change.action == plan::Action::remove) continue;
    if (change.action == plan::Action::keep) {
      // A seeded file the app now owns keeps its record while a layer still provides it;
      // a stale file the app changed is no longer config-init's.
      const state::ManifestFile* seeded = previous ? previous->find(file.path) : nullptr;
      if (seeded && file.policy == plan::Policy::seed && !file.layers.empty()) {
        manifest.files.push_back(*seeded);
      }
      continue;
    }
    state::ManifestFile entry;
    entry.path = file.path;
    entry.sha256 = file.digest.sha256;
    entry.size = file.digest.size;
    entry.mode = file.mode;
    for (int index : file.layers)
      entry.layers.push_back(layers[static_cast<size_t>(index)].spec.root);
    entry.policy = plan::policy_name(file.policy);
    entry.merged = file.merged;
    entry.secret = file.secret;
    const auto written = report.identities.find(file.path);
    entry.identity = written != report.identities.end() ? written->second : change.identity;
    if (change.base) entry.base_sha256 = Sha256::of(*change.base);
    manifest.files.push_back(std::move(entry));
  }
  std::set<std::string> directories(report.directories_created.begin(),
                                    report.directories_created.end());
  if (previous) directories.insert(previous->directories.begin(), previous->directories.end());
  for (const std::string& removed : report.directories_removed)
    directories.erase(removed);
  manifest.directories.assign(directories.begin(), directories.end());
  std::sort(sources.begin(), sources.end(),
            [](const state::ManifestSource& a, const state::ManifestSource& b) {
              return a.real_path < b.real_path;
            });
  manifest.sources = std::move(sources);
  return manifest;
}

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
    std::string reason = change.reason;
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

// Undoes what this run created in the destination before it failed on invalid input,
// so the destination is as it was.
void undo_created(const SafeDir& dest, bool created_state_dir,
                  const std::vector<std::string>& created_dest) {
  if (created_state_dir) {
    ::unlinkat(dest.fd(), state::lock_path, 0);
    ::unlinkat(dest.fd(), state::state_directory, AT_REMOVEDIR);
  }
  for (auto it = created_dest.rbegin(); it != created_dest.rend(); ++it)
    ::rmdir(it->c_str());
}

} // namespace

int run_materialize(const Options& options, Log& log) {
  const auto start = std::chrono::steady_clock::now();
  log.info("materializing " + std::to_string(options.layers.size()) + " layer" +
               (options.layers.size() == 1 ? "" : "s") + " into " + options.dest,
           {{"dest", options.dest}, {"version", CONFIG_INIT_VERSION}});

  // 0. The last run's manifest, read without the lock, as a hint: files whose identity it
  //    records unchanged are not hashed again. Read again under the lock below.
  // Manifests are compared by digest: the texts are not kept (megabytes for large trees).
  std::optional<std::string> hint_digest;
  std::optional<state::Manifest> hint;
  try {
    SafeDir existing;
    if (open_destination(options.dest, false, existing, nullptr)) {
      if (const std::optional<std::string> text = state::read_manifest_text(existing)) {
        hint = state::parse_manifest(*text, existing.path() + "/" + state::manifest_path);
        hint_digest = Sha256::of(*text);
      }
    }
  } catch (const Error&) {
    hint.reset(); // reported by the reads under the lock, if it persists
  }

  // 1. Read, validate and merge every input. Nothing in the destination is touched yet.
  Inputs inputs = read_and_compose(options, log, hint ? &*hint : nullptr);
  const std::vector<layers::Layer>& layers = inputs.layers;
  plan::Composition& composition = inputs.composition;
  const std::vector<Digest> layer_digests = composition.layer_digests;

  // 2. Open (or create) the destination and take its lock.
  // The run we wait for may remove a destination it created itself (undo on invalid input):
  // then open (create) it again.
  SafeDir dest;
  std::vector<std::string> created_dest;
  bool created_state_dir = false;
  std::optional<state::DestinationLock> lock;
  for (int attempt = 1; !lock; ++attempt) {
    created_dest.clear();
    open_destination(options.dest, true, dest, &created_dest);
    try {
      lock.emplace(state::DestinationLock::acquire(dest, log, created_state_dir));
    } catch (const IoError&) {
      struct stat st {};
      if (attempt >= 5 || ::fstat(dest.fd(), &st) != 0 || st.st_nlink != 0) throw;
    }
  }

  // 3. Plan against what the destination holds now.
  std::optional<state::Manifest> previous;
  plan::Plan plan;
  std::vector<std::string> directories = {""};
  for (const plan::DesiredFile& file : composition.files) {
    directories.push_back(split_path(file.path).first);
  }
  std::vector<state::ManifestSource> sources = std::move(composition.sources);
  std::optional<std::string> previous_digest;
  try {
    try {
      if (const std::optional<std::string> text = state::read_manifest_text(dest)) {
        previous_digest = Sha256::of(*text);
        if (hint && previous_digest == hint_digest) {
          previous = std::move(hint);
        } else {
          previous = state::parse_manifest(*text, dest.path() + "/" + state::manifest_path);
        }
      }
      hint.reset();
    } catch (const InputError& error) {
      log.warn(std::string(error.what()) + "; treating the destination as never materialized");
    }
    plan = plan::make_plan(
        std::move(composition),
        plan::PlanContext{&dest, previous ? &*previous : nullptr, options.on_drift}, options.rules);
  } catch (const InputError&) {
    undo_created(dest, created_state_dir, created_dest);
    throw;
  }

  // Leftovers of a run killed mid-write.
  if (previous) {
    for (const state::ManifestFile& file : previous->files) {
      directories.push_back(split_path(file.path).first);
    }
  }
  // ... and in config-init's own directories (manifest, merge bases, backups).
  const size_t content_directories = directories.size();
  directories.push_back(state::state_directory);
  for (size_t i = 0; i < content_directories; ++i) {
    const std::string directory = directories[i];
    const std::string suffix = directory.empty() ? "" : "/" + directory;
    directories.push_back(std::string(state::state_directory) + "/base" + suffix);
    directories.push_back(std::string(state::state_directory) + "/backup" + suffix);
  }
  if (publish::interrupted_run(dest)) publish::remove_leftover_temporaries(dest, directories, log);

  // 4. Publish: back up, write and verify, flush, rename, remove stale files; then
  //    config-init's own state (merge bases, the manifest last).
  const auto state_writer =
      [&](const publish::PublishReport& published) -> std::optional<std::string> {
    std::string text = state::serialize(build_manifest(layers, layer_digests, plan,
                                                       previous ? &*previous : nullptr, published,
                                                       std::move(sources)));
    if (previous_digest == Sha256::of(text)) return std::nullopt;
    return text;
  };
  const publish::PublishReport report = publish::publish(plan, dest, options.rules, state_writer);
  log_changes(plan, report, layers, log);

  const size_t created = plan.count(plan::Action::create);
  const size_t updated = plan.count(plan::Action::update) + plan.count(plan::Action::chmod);
  const size_t unchanged = plan.count(plan::Action::unchanged) + plan.count(plan::Action::keep);
  const size_t removed = plan.count(plan::Action::remove);
  const int64_t ms = elapsed_ms(start);
  log.notice("done: " + count_of(plan.changes.size() - removed, "file") + " (" +
                 std::to_string(created) + " created, " + std::to_string(updated) + " updated, " +
                 std::to_string(unchanged) + " unchanged, " + std::to_string(removed) +
                 " removed) from " + count_of(layers.size(), "layer") + " into " + options.dest +
                 " in " + std::to_string(ms) + " ms",
             {{"event", "summary"},
              log_number("files", static_cast<int64_t>(plan.changes.size() - removed)),
              log_number("created", static_cast<int64_t>(created)),
              log_number("updated", static_cast<int64_t>(updated)),
              log_number("unchanged", static_cast<int64_t>(unchanged)),
              log_number("removed", static_cast<int64_t>(removed)),
              log_number("bytes_written", static_cast<int64_t>(report.bytes_written)),
              log_number("layers", static_cast<int64_t>(layers.size())),
              log_number("elapsed_ms", ms)});
  return 0;
}

} // namespace config_init::cli
