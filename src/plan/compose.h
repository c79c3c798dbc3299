// Composing the layers: for every relative path, the content config-init wants in the
// destination. Reads and validates every input; touches nothing in the destination.
#pragma once

#include "formats/format.h"
#include "layers/layer.h"
#include "merge/merge.h"
#include "plan/rules.h"
#include "state/manifest.h"
#include "util/fs.h"
#include "util/log.h"

#include <optional>
#include <string>
#include <vector>

namespace config_init::plan {

// What one relative path should hold after the run.
struct DesiredFile {
  std::string path;
  std::vector<int> layers; // indexes of the layers that provide the bytes, lowest first
  Policy policy = Policy::merge;
  bool merged = false;         // `content` is the deep merge of several layers
  bool in_memory = false;      // `content` holds the bytes (merged, or a source read once)
  std::string source;          // when !merged: the file whose bytes are copied unchanged
  std::string source_identity; // its identity when it was listed (util/identity.h)
  std::string content;         // when in_memory: the bytes to write
  Digest digest;               // of the bytes to write
  unsigned mode = 0644;
  bool secret = false; // comes from a secret layer: content never logged
  std::vector<merge::TypeConflict> conflicts;
};

// Everything the layers say, sorted by path.
struct Composition {
  std::vector<DesiredFile> files;
  // Per layer: over its files' paths and digests; `size` is its number of files.
  std::vector<Digest> layer_digests;
  // The digests of the layer files hashed (not structured, not secret), for the next run.
  std::vector<state::ManifestSource> sources;
};

// Reads every file of `layers`, validates every structured file (all of them, even ones
// another layer overrides), merges where several layers provide a structured file, and
// hashes what will be written. Throws InputError on a parse error ("path:line:column: ..."),
// a path that is a file in one layer and a directory in another, an unreadable file, or a
// type conflict under `rules.strict`. A file whose identity `known` (the last run's
// manifest) recorded with a digest is not hashed again.
Composition compose(const std::vector<layers::Layer>& layers, const Rules& rules, Log& log,
                    const state::Manifest* known = nullptr);

// A merged document with provenance, for `render` and `explain`.
struct MergedDocument {
  formats::Format format;
  formats::Value tree;
  std::vector<int> layers; // the layers that hold the file, lowest first
  std::vector<merge::TypeConflict> conflicts;
};

// Merges the structured file at relative `path` across `layers` under `rules`.
// Throws InputError when no layer has it, it is not structured, or an input is invalid.
MergedDocument merge_document(const std::vector<layers::Layer>& layers, const Rules& rules,
                              const std::string& path);

// The bytes `file` will hold: its content when in memory, else its source read again.
// Throws InputError when the source cannot be read.
std::string content_of(const DesiredFile& file);

// "layer 2 (/etc/codex-config)": how messages name a layer.
std::string describe_layer(const layers::Layer& layer);

} // namespace config_init::plan
