#include "run/run.h"

#include "publish/publish.h"
#include "run/changes_log.h"
#include "run/destination.h"
#include "run/inputs.h"
#include "run/record.h"
#include "schema/check.h"
#include "state/manifest.h"
#include "util/error.h"
#include "util/sha256.h"
#include "util/text.h"

#include <map>
#include <optional>

namespace config_init::run {

namespace {

// The last run's manifest and the digest of its text (to tell whether the new one differs).
struct PreviousState {
  std::optional<state::Manifest> manifest;
  std::optional<std::string> digest;
  const state::Manifest* get() const { return manifest ? &*manifest : nullptr; }
};

// Reads DEST's manifest once. A corrupt one is logged and treated as none.
PreviousState read_previous_state(const SafeDir& dest, Log& log) {
  PreviousState previous;
  try {
    if (const std::optional<std::string> text = state::read_manifest_text(dest)) {
      previous.digest = Sha256::of(*text);
      previous.manifest = state::parse_manifest(*text, dest.path() + "/" + state::manifest_path);
    }
  } catch (const InputError& error) {
    log.warn(std::string(error.what()) + "; treating the destination as never materialized");
    previous = PreviousState{};
  }
  return previous;
}

// The DEST directories where a killed run may have left temporaries: those of the files
// planned now and of the files the last run recorded.
std::vector<std::string> content_directories(const plan::Plan& plan,
                                             const state::Manifest* previous) {
  std::vector<std::string> directories = {""};
  for (const plan::Change& change : plan.changes)
    directories.push_back(split_path(change.file.path).first);
  if (previous) {
    for (const state::ManifestFile& file : previous->files)
      directories.push_back(split_path(file.path).first);
  }
  return directories;
}

// How often a run plans again because the app replaced a structured file while it was
// being merged, before it gives up (exit 4, every file old or new).
constexpr int max_attempts = 10;

Outcome materialize_once(const Settings& settings, Log& log, const std::string& trigger,
                         std::chrono::steady_clock::time_point start) {
  log.info("materializing " + text::count_of(settings.layers.size(), "layer") + " into " +
               settings.dest,
           {{"dest", settings.dest}, {"version", CONFIG_INIT_VERSION}});

  // 1. An existing destination is locked first, so that its state is read once and stays
  //    true for the whole run. A destination that cannot be locked (missing, read-only) is
  //    opened after the inputs are validated: an invalid input is reported as such.
  std::optional<LockedDestination> dest;
  try {
    dest = LockedDestination::open(settings.dest, false, log);
  } catch (const IoError&) {
    dest.reset(); // reported again below if the inputs are valid
  }
  PreviousState previous;
  if (dest) previous = read_previous_state(dest->dir(), log);

  // 2. Read, validate and merge every input. Nothing in the destination is touched yet
  //    (what locking created is undone on invalid input).
  std::vector<layers::Layer> layers;
  plan::Composition composition;
  try {
    Inputs inputs = read_and_compose(settings.layers, settings.rules, log, previous.get());
    layers = std::move(inputs.layers);
    composition = std::move(inputs.composition);
    // The listings are composed: what the rest of the run needs is in the composition (the
    // per-layer counts in its layer digests). Freed now, not held to the end (issue 15).
    for (layers::Layer& layer : layers)
      std::vector<layers::SourceFile>().swap(layer.files);
  } catch (const InputError&) {
    if (dest) dest->undo_created();
    throw;
  }
  if (!dest) {
    dest = LockedDestination::open(settings.dest, true, log);
    previous = read_previous_state(dest->dir(), log);
  }
  const SafeDir& dir = dest->dir();

  // 3. Plan against what the destination holds now.
  const std::vector<Digest> layer_digests = composition.layer_digests;
  std::vector<state::ManifestSource> sources = std::move(composition.sources);
  plan::Plan plan;
  schema::Report schemas;
  try {
    plan =
        plan::make_plan(std::move(composition),
                        plan::PlanContext{&dir, previous.get(), settings.on_drift}, settings.rules);
    // Every final result, three-way merges included, against its --schema rules.
    schemas = schema::check(plan, settings.rules);
    schema::enforce(schemas, log);
  } catch (const Error&) {
    dest->undo_created();
    throw;
  }
  if (publish::interrupted_run(dir)) {
    publish::remove_leftover_temporaries(dir, content_directories(plan, previous.get()), log);
  }
  // Of the last run's records, only what the record of this run reads is kept: the rest
  // (some 1 KB per file) is freed before publishing (issue 15).
  const std::optional<state::Manifest> carried = carried_over(previous.get(), plan);
  previous.manifest.reset();

  // 4. Publish the files, then record the state: the manifest describes the files as they
  //    are once in place, and is written only when it differs from the last one.
  publish::Publisher publisher(dir, settings.rules);
  const publish::PublishReport report = publisher.publish_files(plan);
  {
    // The record's file records are made from the plan as they are written, never held
    // whole (issue 15): hashed as the manifest's text is made, then, when it differs from
    // the last one, made again straight into its temporary file.
    const std::map<std::string, std::string> passed = schema::passed_schemas(schemas);
    const RunRecord record = record_run(layers, layer_digests, plan, carried ? &*carried : nullptr,
                                        report, std::move(sources), passed);
    Sha256 digest;
    state::serialize(record.manifest, record.files,
                     [&digest](std::string_view piece) { digest.update(piece); });
    const bool same = previous.digest == digest.hex_digest();
    publisher.publish_state(same ? nullptr : &record.manifest, &record.files);
  }
  log_changes(plan, report, layers, log);

  const Outcome outcome = count_outcome(plan, report, layers.size(), elapsed_ms(start));
  log_summary(outcome, settings.dest, trigger, log);
  return outcome;
}

} // namespace

Outcome materialize(const Settings& settings, Log& log, const std::string& trigger) {
  const auto start = std::chrono::steady_clock::now();
  for (int attempt = 1;; ++attempt) {
    try {
      return materialize_once(settings, log, trigger, start);
    } catch (const publish::DestinationChanged& changed) {
      if (attempt == max_attempts) throw;
      log.notice(std::string(changed.what()) + "; merging again",
                 {{"event", "retry"}, log_number("attempt", static_cast<int64_t>(attempt + 1))});
    }
  }
}

Preview preview(const Settings& settings, Log& log) {
  Preview result;
  Inputs inputs = read_and_compose(settings.layers, settings.rules, log);
  result.layers = std::move(inputs.layers);
  result.dest_exists = open_destination(settings.dest, false, result.dest, nullptr);
  std::optional<state::Manifest> previous;
  if (result.dest_exists) {
    try {
      previous = state::load_manifest(result.dest);
    } catch (const InputError& error) {
      log.warn(std::string(error.what()) + "; treating the destination as never materialized");
    }
  }
  result.plan =
      plan::make_plan(std::move(inputs.composition),
                      plan::PlanContext{result.dest_exists ? &result.dest : nullptr,
                                        previous ? &*previous : nullptr, settings.on_drift},
                      settings.rules);
  result.schemas = schema::check(result.plan, settings.rules);
  return result;
}

} // namespace config_init::run
