// The log lines of a run: one per change, and the summary.
#pragma once

#include "layers/layer.h"
#include "plan/plan.h"
#include "publish/publish.h"
#include "run/run.h"
#include "util/log.h"

#include <string>
#include <vector>

namespace config_init::run {

// One line per directory created or removed, backup, key conflict and file (with its
// action, reason, sources, size and digest).
void log_changes(const plan::Plan& plan, const publish::PublishReport& report,
                 const std::vector<layers::Layer>& layers, Log& log);

// Counts what `plan` did (with `report`'s bytes) into an Outcome.
Outcome count_outcome(const plan::Plan& plan, const publish::PublishReport& report, size_t layers,
                      int64_t elapsed_ms);

// "done: N files (...) from L layers into DEST in T ms", with `trigger` when not empty.
void log_summary(const Outcome& outcome, const std::string& dest, const std::string& trigger,
                 Log& log);

} // namespace config_init::run
