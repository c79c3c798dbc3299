// The record of a run: the manifest that describes DEST once the plan is published.
#pragma once

#include "layers/layer.h"
#include "plan/plan.h"
#include "publish/publish.h"
#include "state/manifest.h"
#include "util/fs.h"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace config_init::run {

// What record_run reads of the last run's manifest for `plan`: the records of the seeded
// files it keeps, and the directories config-init created. Kept so that the rest of the last
// run's records can be freed before publishing (issue 15). nullopt when `previous` is null.
std::optional<state::Manifest> carried_over(const state::Manifest* previous,
                                            const plan::Plan& plan);

// The record of a run: the manifest after publishing `plan`, all but its file records in
// `manifest`, those made one at a time from the plan as they are written (`files`: never
// held whole, issue 15). It refers to the arguments of record_run, which must outlive it.
struct RunRecord {
  state::Manifest manifest;
  state::FileRecords files;
};

// The record after publishing `plan` (`layers` for their specs only; `layer_digests` gives
// each one's digest and number of files): every file written or unchanged with its digest,
// mode, layers, identity (as publishing left it in its change) and merge base, and the
// sha256 of the schemas it passed (`schemas`); seeded files the app owns keep their
// `previous` record (the last run's manifest, or carried_over's part); directories
// config-init created, now or before, minus those removed; `sources`, the layer files
// hashed, sorted by path.
RunRecord record_run(const std::vector<layers::Layer>& layers,
                     const std::vector<Digest>& layer_digests, const plan::Plan& plan,
                     const state::Manifest* previous, const publish::PublishReport& report,
                     std::vector<state::ManifestSource> sources,
                     const std::map<std::string, std::string>& schemas);

} // namespace config_init::run
