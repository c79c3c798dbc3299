#include "run/input_checks.h"

#include "plan/rules.h"
#include "util/error.h"

#include <algorithm>

namespace config_init::run {

void check_inputs(const plan::Rules& rules, const std::vector<layers::Layer>& layers, Log& log) {
  const bool any_present = std::any_of(layers.begin(), layers.end(),
                                       [](const layers::Layer& layer) { return layer.present; });
  if (!any_present) {
    std::string roots;
    for (const layers::Layer& layer : layers)
      roots += (roots.empty() ? "" : ", ") + layer.spec.root;
    log.warn("no layer exists (" + roots +
                 "): nothing to materialize; to make a missing file an error, name it with "
                 "--require PATH",
             {{"event", "no-layer"}});
    return; // every rule would match nothing: this warning says why
  }

  std::vector<std::string> paths;
  for (const layers::Layer& layer : layers) {
    for (const layers::SourceFile& file : layer.files)
      paths.push_back(file.path);
  }
  for (const plan::FileRule* rule : plan::unmatched_rules(rules, paths)) {
    const std::string message =
        (rule->origin.empty() ? "the rule for " + rule->glob : rule->origin) +
        ": matches no file of any layer (a typo? the glob without '/' matches a file name in "
        "any directory, with '/' the whole path)";
    if (rules.strict) throw InputError(message + " (an error under --strict)");
    log.warn(message + "; the rule has no effect",
             {{"event", "unmatched-rule"}, {"glob", rule->glob}});
  }
}

} // namespace config_init::run
