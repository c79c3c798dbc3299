#include "run/record.h"

#include "util/sha256.h"

#include <algorithm>
#include <memory>
#include <set>

namespace config_init::run {

namespace {

// A seeded file the app now owns keeps its record while a layer still provides it; a stale
// file the app changed is no longer config-init's.
bool keeps_seeded_record(const plan::Change& change) {
  return change.action == plan::Action::keep && change.file.policy == plan::Policy::seed &&
         !change.file.layers.empty();
}

} // namespace

std::optional<state::Manifest> carried_over(const state::Manifest* previous,
                                            const plan::Plan& plan) {
  if (!previous) return std::nullopt;
  state::Manifest carried;
  for (const plan::Change& change : plan.changes) { // provided files first, in path order
    if (!keeps_seeded_record(change)) continue;
    if (const state::ManifestFile* seeded = previous->find(change.file.path))
      carried.files.push_back(*seeded);
  }
  carried.directories = previous->directories;
  return carried;
}

namespace {

// The manifest record of `change` (one that record_run keeps).
void describe(const plan::Change& change, const std::vector<layers::Layer>& layers,
              const std::map<std::string, std::string>& schemas, state::ManifestFile& entry) {
  const plan::DesiredFile& file = change.file;
  entry.path = file.path;
  entry.sha256 = file.digest.sha256;
  entry.size = file.digest.size;
  entry.mode = file.mode;
  for (int index : file.layers)
    entry.layers.push_back(layers[static_cast<size_t>(index)].spec.root);
  entry.policy = plan::policy_name(file.policy);
  entry.merged = file.merged;
  entry.secret = file.secret;
  entry.identity = change.identity;
  if (change.has_base())
    entry.base_sha256 = change.base_sha256.empty() ? Sha256::of(*change.base) : change.base_sha256;
  const auto passed = schemas.find(file.path);
  if (passed != schemas.end()) entry.schema_sha256 = passed->second;
}

} // namespace

RunRecord record_run(const std::vector<layers::Layer>& layers,
                     const std::vector<Digest>& layer_digests, const plan::Plan& plan,
                     const state::Manifest* previous, const publish::PublishReport& report,
                     std::vector<state::ManifestSource> sources,
                     const std::map<std::string, std::string>& schemas) {
  RunRecord record;
  state::Manifest& manifest = record.manifest;
  manifest.tool_version = CONFIG_INIT_VERSION;
  for (size_t i = 0; i < layers.size(); ++i) {
    const layers::Layer& layer = layers[i];
    manifest.layers.push_back(state::ManifestLayer{layer.spec.root, layer.present,
                                                   layer.spec.secret, layer_digests[i].size,
                                                   layer_digests[i].sha256});
  }
  // The changes that have a record, in path order (the seeded files kept before, with their
  // last record): an index each, not a record each.
  auto kept = std::make_shared<std::vector<uint32_t>>();
  for (size_t i = 0; i < plan.changes.size(); ++i) {
    const plan::Change& change = plan.changes[i];
    if (change.action == plan::Action::remove) continue;
    if (change.action == plan::Action::keep &&
        !(keeps_seeded_record(change) && previous && previous->find(change.file.path)))
      continue;
    kept->push_back(static_cast<uint32_t>(i));
  }
  record.files.count = kept->size();
  record.files.fill = [kept, &layers, &plan, previous, &schemas](size_t i,
                                                                 state::ManifestFile& entry) {
    const plan::Change& change = plan.changes[(*kept)[i]];
    if (change.action == plan::Action::keep) {
      entry = *previous->find(change.file.path);
    } else {
      describe(change, layers, schemas, entry);
    }
  };
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
  return record;
}

} // namespace config_init::run
