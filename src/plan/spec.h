// The spec file (--spec FILE, YAML): per-file rules that flags would make unwieldy.
// Its schema is documented in docs/spec.md.
#pragma once

#include "layers/layer.h"
#include "plan/rules.h"

#include <string>
#include <vector>

namespace config_init::plan {

// Reads the spec at `path` and adds its rules to `rules`; `secret_layers` entries mark the
// matching `layers` secret. Throws UsageError "path:line: cause" for an invalid spec
// (unknown key, wrong type, bad glob, policy, mode or strategy) and for an unreadable file.
void load_spec(const std::string& path, Rules& rules, std::vector<layers::LayerSpec>& layers);

// Parses a mode written as an octal string ("0644", "644", "0o644"); throws UsageError.
unsigned parse_mode(const std::string& text);

} // namespace config_init::plan
