#include "plan/compose.h"

#include "util/error.h"
#include "util/identity.h"
#include "util/sha256.h"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <fcntl.h>
#include <memory>
#include <set>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

namespace config_init::plan {

namespace {

using layers::Layer;
using layers::SourceFile;

// One layer's copy of a path, with its bytes when the file is structured.
struct Source {
  const Layer* layer = nullptr;
  const SourceFile* file = nullptr;
  // As messages show it: "<layer root>/<path>" (made when needed, not kept per file).
  std::string name() const { return layer->spec.root + "/" + file->path; }
  const std::string& path() const { return file->path; }
  std::string content;
  Digest digest;
  bool hashed = false;  // `digest` (or `error`) known already (hash_sources)
  bool keep = false;    // read into `content` once and kept for publishing
  bool changed = false; // its identity changed while it was read
  int error = 0;
  // Parsed once, when the file is to be merged (a pointer: most sources have none).
  std::unique_ptr<formats::Value> tree;
};

// Every source of every path, sorted by path and, for one path, by layer (lowest first): the
// sources of a path are adjacent. One record per file, no map of paths (issue 15).
std::vector<Source> sources_by_path(const std::vector<Layer>& layers) {
  size_t count = 0;
  for (const Layer& layer : layers)
    count += layer.files.size();
  std::vector<Source> all;
  all.reserve(count);
  for (const Layer& layer : layers) {
    for (const SourceFile& file : layer.files) {
      all.emplace_back();
      all.back().layer = &layer;
      all.back().file = &file;
    }
  }
  std::stable_sort(all.begin(), all.end(),
                   [](const Source& a, const Source& b) { return a.path() < b.path(); });
  // A path cannot be a file in one layer and a directory in another.
  const auto find = [&all](std::string_view path) {
    const auto found = std::lower_bound(
        all.begin(), all.end(), path,
        [](const Source& source, std::string_view p) { return source.path() < p; });
    return found != all.end() && found->path() == path ? &*found : nullptr;
  };
  for (size_t i = 0; i < all.size(); ++i) {
    if (i > 0 && all[i].path() == all[i - 1].path()) continue;
    const std::string& path = all[i].path();
    for (size_t slash = path.find('/'); slash != std::string::npos;
         slash = path.find('/', slash + 1)) {
      if (const Source* parent = find(std::string_view(path).substr(0, slash))) {
        throw InputError(parent->name() + " is a file, but " + all[i].name() +
                         " needs it to be a directory");
      }
    }
  }
  return all;
}

// The sources of one path: adjacent records of sources_by_path's result.
class Sources {
public:
  Sources(Source* first, size_t count) : first_(first), count_(count) {}
  Source* begin() const { return first_; }
  Source* end() const { return first_ + count_; }
  Source& back() const { return first_[count_ - 1]; }
  size_t size() const { return count_; }
  Sources last_one() const { return Sources(first_ + count_ - 1, 1); }

private:
  Source* first_;
  size_t count_;
};

// Calls `visit(path, sources)` for each path of `all` (sources_by_path), in path order.
template <typename Visit>
void for_each_path(std::vector<Source>& all, Visit visit) {
  for (size_t first = 0; first < all.size();) {
    size_t end = first + 1;
    while (end < all.size() && all[end].path() == all[first].path())
      ++end;
    visit(all[first].path(), Sources(all.data() + first, end - first));
    first = end;
  }
}

// A parse error of a secret file keeps its location but not its description, which may
// quote the content: "name:line:column: invalid toml (details redacted: secret layer)".
std::string redacted(const std::string& message, const std::string& name, formats::Format format) {
  std::string location = name;
  if (message.compare(0, name.size(), name) == 0) {
    const size_t end = message.find(": ", name.size());
    location = message.substr(0, end == std::string::npos ? name.size() : end);
  }
  return location + ": invalid " + formats::format_name(format) +
         " (details redacted: secret layer)";
}

// Work spread over two threads when there is at least this much to hash.
constexpr uint64_t parallel_hash_bytes = 8 * 1024 * 1024;
// Files to publish up to these sizes are read once and kept in memory until they are
// written (not read again to copy them), up to keep_budget bytes in all: a bound, so that
// memory does not grow with the number of files (the rest are read again to be copied).
constexpr uint64_t keep_file_size = 64 * 1024;
constexpr uint64_t keep_structured_size = 256 * 1024;
constexpr uint64_t keep_budget = 2 * 1024 * 1024;

// Reads `source` whole into its content, and notes whether it changed meanwhile (its
// identity after the read is not the one it was listed with). Returns 0 or an errno value.
int read_whole(Source& source) {
  FileDescriptor fd(::open(source.file->real_path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return errno;
  if (const int error = read_all(fd.get(), source.content, static_cast<size_t>(source.file->size)))
    return error;
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return errno;
  source.changed = source_identity(st) != source.file->identity;
  return 0;
}

// Hashes `sources` (unstructured files), on two threads when they are large; each gets its
// digest or the errno of the failure.
void hash_sources(const std::vector<Source*>& sources) {
  uint64_t total = 0;
  for (const Source* source : sources)
    total += source->file->size;
  std::atomic<size_t> next{0};
  const auto worker = [&] {
    for (size_t i = next++; i < sources.size(); i = next++) {
      Source& source = *sources[i];
      if (source.keep) {
        source.error = read_whole(source);
        source.digest = Digest{Sha256::of(source.content), source.content.size()};
      } else {
        source.error = hash_file(source.file->real_path, source.digest);
      }
      source.hashed = true;
    }
  };
  if (total < parallel_hash_bytes || sources.size() < 2) {
    worker();
    return;
  }
  std::thread helper(worker);
  worker();
  helper.join();
}

InputError changed_while_read(const Source& source) {
  return InputError(source.name() + " changed while config-init was reading it; run again");
}

// Reads (structured) or hashes (other) one source; validates structured files, and keeps
// the parsed tree of one that is `to_merge` (each is parsed once). An unstructured source
// `known` lists with its current identity keeps the recorded digest.
void load(Source& source, std::optional<formats::Format> format, bool to_merge,
          const state::Manifest* known) {
  if (!format) {
    const state::ManifestSource* recorded =
        known ? known->find_source(source.file->real_path) : nullptr;
    if (recorded && recorded->identity == source.file->identity &&
        recorded->size == source.file->size) {
      source.digest = Digest{recorded->sha256, recorded->size};
      return;
    }
    if (!source.hashed) source.error = hash_file(source.file->real_path, source.digest);
    if (source.error) throw InputError(errno_message("cannot read " + source.name(), source.error));
    if (source.changed) throw changed_while_read(source);
    return;
  }
  // Refuse an oversized file before reading it (a sparse 2 GiB file would exhaust memory
  // first), and read at most one byte more than the limit in case it grew meanwhile.
  const auto too_big = [&](uint64_t size) {
    return InputError(source.name() + ": " + std::to_string(size) +
                      " bytes is larger than the limit for structured files (" +
                      std::to_string(formats::max_structured_file_size) + " bytes)");
  };
  if (source.file->size > formats::max_structured_file_size) throw too_big(source.file->size);
  {
    FileDescriptor fd(::open(source.file->real_path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd.valid()) throw InputError(errno_message("cannot read " + source.name(), errno));
    source.content.clear();
    source.content.reserve(static_cast<size_t>(source.file->size));
    char buffer[64 * 1024];
    for (;;) {
      const ssize_t count = ::read(fd.get(), buffer, sizeof buffer);
      if (count < 0 && errno == EINTR) continue;
      if (count < 0) throw InputError(errno_message("cannot read " + source.name(), errno));
      if (count == 0) break;
      source.content.append(buffer, static_cast<size_t>(count));
      if (source.content.size() > formats::max_structured_file_size)
        throw too_big(source.content.size());
    }
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0)
      throw InputError(errno_message("cannot read " + source.name(), errno));
    if (source_identity(st) != source.file->identity) throw changed_while_read(source);
  }
  source.digest = Digest{Sha256::of(source.content), source.content.size()};
  try {
    if (to_merge) {
      source.tree =
          std::make_unique<formats::Value>(formats::parse(*format, source.content, source.name()));
    } else {
      formats::validate(*format, source.content, source.name());
    }
  } catch (const InputError& error) {
    if (!source.layer->spec.secret) throw;
    throw InputError(redacted(error.what(), source.name(), *format));
  }
}

MergedDocument merge_sources(formats::Format format, Sources sources,
                             const PathSettings& settings) {
  MergedDocument merged{format, {}, {}, {}};
  bool first = true;
  for (Source& source : sources) {
    formats::Value tree = std::move(*source.tree); // parsed by load()
    source.tree.reset();
    formats::set_origin(tree, source.layer->index);
    merged.layers.push_back(source.layer->index);
    if (first) {
      merged.tree = std::move(tree);
      first = false;
    } else {
      merge::merge_into(merged.tree, tree, settings.merge, merged.conflicts);
    }
  }
  merge::apply_deletions(merged.tree, settings.merge);
  return merged;
}

// `strict`: the conflict is an error (--strict), not resolved in favour of the higher layer.
std::string describe_conflict(const std::string& path, const merge::TypeConflict& conflict,
                              bool strict) {
  return path + ": type conflict at " + conflict.key_path + ": a lower layer has " +
         formats::kind_with_article(conflict.lower) + ", a higher one " +
         formats::kind_with_article(conflict.higher) +
         (strict ? "; an error under --strict (without it, the higher layer would win)"
                 : "; the higher layer wins");
}

} // namespace

std::string content_of(const DesiredFile& file) {
  if (file.in_memory) return file.content;
  std::string content;
  if (const int error = read_file(file.source, content)) {
    throw InputError(errno_message("cannot read " + file.source, error));
  }
  return content;
}

std::string describe_layer(const Layer& layer) {
  return "layer " + std::to_string(layer.index + 1) + " (" + layer.spec.root + ")";
}

Composition compose(const std::vector<Layer>& layers, const Rules& rules, Log& log,
                    const state::Manifest* known) {
  std::vector<Source> all = sources_by_path(layers);
  std::vector<Sha256> layer_hashes(layers.size());
  Composition composition;

  size_t paths = 0;
  for_each_path(all, [&paths](const std::string&, Sources) { ++paths; });
  composition.files.reserve(paths);
  // The unstructured files to hash (not ignored, not known from the last run), all at once.
  // Small files that will be written are read now and kept, within a budget.
  std::vector<Source*> to_hash;
  uint64_t kept = 0;
  size_t recorded_sources = 0; // composition.sources, counted to allocate it once
  for_each_path(all, [&](const std::string& path, Sources sources) {
    if (formats::format_of_path(path) || settings_for(rules, path).policy == Policy::ignore) return;
    for (Source& source : sources) {
      if (!source.layer->spec.secret) ++recorded_sources;
      const state::ManifestSource* recorded =
          known ? known->find_source(source.file->real_path) : nullptr;
      if (recorded && recorded->identity == source.file->identity) continue;
      const uint64_t size = source.file->size;
      if (&source == &sources.back() && size <= keep_file_size && kept + size <= keep_budget) {
        source.keep = true;
        kept += size;
      }
      to_hash.push_back(&source);
    }
  });
  hash_sources(to_hash);
  std::vector<Source*>().swap(to_hash);
  composition.sources.reserve(recorded_sources);

  for_each_path(all, [&](const std::string& path, Sources sources) {
    const PathSettings settings = settings_for(rules, path);
    if (settings.policy == Policy::ignore) {
      log.info("ignored " + path + " (policy ignore)", {{"action", "ignored"}, {"path", path}});
      return;
    }
    const std::optional<formats::Format> format = formats::format_of_path(path);
    const bool to_merge = format && settings.policy != Policy::replace && sources.size() > 1;
    for (Source& source : sources) {
      load(source, format, to_merge, known);
      if (!format && !source.layer->spec.secret) {
        composition.sources.push_back(
            state::ManifestSource{source.file->real_path, source.file->identity,
                                  source.digest.sha256, source.digest.size});
      }
      layer_hashes[static_cast<size_t>(source.layer->index)].update(source.digest.sha256 + "  " +
                                                                    path + "\n");
    }

    DesiredFile file;
    file.path = path;
    file.policy = settings.policy;
    const Source& top = sources.back();
    for (const Source& source : sources)
      file.secret = file.secret || source.layer->spec.secret;
    if (to_merge) {
      MergedDocument merged = merge_sources(*format, sources, settings);
      file.merged = true;
      file.in_memory = true;
      file.layers = merged.layers;
      file.conflicts = std::move(merged.conflicts);
      file.content = formats::emit(*format, merged.tree, path);
      file.digest = Digest{Sha256::of(file.content), file.content.size()};
    } else {
      file.source = top.file->real_path;
      file.source_identity = top.file->identity;
      file.layers = {top.layer->index};
      file.digest = top.digest;
      file.secret = top.layer->spec.secret;
      // Read once already: keep the bytes for publishing (a structured file within budget).
      const bool keep_structured = format && top.content.size() <= keep_structured_size &&
                                   kept + top.content.size() <= keep_budget;
      if ((top.keep || keep_structured) && top.content.size() == top.digest.size) {
        if (!top.keep) kept += top.content.size();
        file.content = std::move(sources.back().content);
        file.in_memory = true;
      }
    }
    file.mode = settings.mode.value_or(file.secret ? rules.secret_file_mode : rules.file_mode);

    for (const merge::TypeConflict& conflict : file.conflicts) {
      if (rules.strict) throw InputError(describe_conflict(path, conflict, true));
      log.warn(describe_conflict(path, conflict, false),
               {{"path", path}, {"key", conflict.key_path}});
    }
    for (Source& source : sources)
      std::string().swap(source.content); // free as we go
    composition.files.push_back(std::move(file));
  });

  for (size_t i = 0; i < layers.size(); ++i) {
    composition.layer_digests.push_back(
        Digest{layer_hashes[i].hex_digest(), layers[i].files.size()});
  }
  return composition;
}

MergedDocument merge_document(const std::vector<Layer>& layers, const Rules& rules,
                              const std::string& path) {
  const std::optional<formats::Format> format = formats::format_of_path(path);
  if (!format) {
    throw InputError(path + ": not a structured file (.toml, .yaml, .yml or .json)");
  }
  std::vector<Source> all = sources_by_path(layers);
  const auto first = std::lower_bound(
      all.begin(), all.end(), path,
      [](const Source& source, const std::string& p) { return source.path() < p; });
  auto end = first;
  while (end != all.end() && end->path() == path)
    ++end;
  if (first == end) throw InputError(path + ": no layer provides this file");
  Sources sources(&*first, static_cast<size_t>(end - first));
  for (Source& source : sources)
    load(source, format, true, nullptr); // every input is validated; the trees merged
  const PathSettings settings = settings_for(rules, path);
  if (settings.policy == Policy::replace) sources = sources.last_one();
  MergedDocument merged = merge_sources(*format, sources, settings);
  if (rules.strict && !merged.conflicts.empty()) {
    throw InputError(describe_conflict(path, merged.conflicts.front(), true));
  }
  return merged;
}

} // namespace config_init::plan
