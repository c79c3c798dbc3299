// Three-way merge: the layers' new document, combined with the edits the app made to the
// file since config-init last wrote it (contract guarantee 5, "loses no data").
#pragma once

#include "formats/document.h"

#include <string>
#include <vector>

namespace config_init::merge {

// A key both the app and the layers changed since the last run; the layers' value won.
struct EditConflict {
  std::string key_path; // formatted with format_key_path; "" for the whole document
};

// Merges, key by key: `base` (what config-init wrote last time), `current` (the file as
// the app left it) and `next` (what the layers give now).
// - a key the app did not change takes the layers' value (absent if the layers removed it);
// - a key the layers did not change keeps the app's value (absent if the app removed it);
// - a key both changed: tables merge recursively, otherwise the layers win and the key is
//   appended to `conflicts` (unless both made the same change).
// Keys keep the order of `next`, the app's additions after them.
formats::Value merge_three_way(const formats::Value& base, const formats::Value& current,
                               const formats::Value& next, std::vector<EditConflict>& conflicts);

} // namespace config_init::merge
