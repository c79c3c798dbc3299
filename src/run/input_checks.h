// Checks on the inputs as read, before anything is merged: mistakes that would otherwise
// pass silently.
#pragma once

#include "layers/layer.h"
#include "plan/rules.h"
#include "util/log.h"

#include <vector>

namespace config_init::run {

// Warns when no layer exists at all (the run would produce nothing; --require makes that an
// error), and when a --policy, --arrays or spec rule matches no file of any layer: a warning
// naming the rule, an InputError under --strict.
void check_inputs(const plan::Rules& rules, const std::vector<layers::Layer>& layers, Log& log);

} // namespace config_init::run
