#include "plan/plan.h"

#include "state/base_store.h"
#include "util/error.h"
#include "util/identity.h"
#include "util/sha256.h"

#include <algorithm>

namespace config_init::plan {

namespace {

using Type = SafeDir::Entry::Type;

class Planner {
public:
  explicit Planner(const PlanContext& context) : context_(context) {}

  Change plan_file(DesiredFile file) {
    const SafeDir* dest = context_.dest;
    if (!dest) return make(std::move(file), Action::create, "new file");
    SafeDir::Entry entry;
    if (const int error = dest->lookup(file.path, entry, &cache_)) {
      throw IoError(errno_message("cannot inspect " + shown(file.path), error));
    }
    switch (entry.type) {
    case Type::missing:
      return make(std::move(file), Action::create, "new file");
    case Type::blocked:
      throw InputError(shown(entry.blocker) + " is a symlink or a file, but " + file.path +
                       " needs it to be a directory; config-init never writes through symlinks");
    case Type::directory:
    case Type::other:
      throw InputError(shown(file.path) + " is " +
                       (entry.type == Type::directory ? "a directory" : "a special file") +
                       " where the layers provide a regular file");
    case Type::symlink:
      if (file.policy == Policy::seed)
        return make(std::move(file), Action::keep, "seed: already exists");
      return make(std::move(file), Action::update, "replaces a symlink with a regular file");
    case Type::file:
      break;
    }
    if (file.policy == Policy::seed)
      return make(std::move(file), Action::keep, "seed: already exists");
    Change change = plan_existing(std::move(file), entry);
    if (change.action == Action::unchanged) change.identity = file_identity(entry.st);
    if (writes_content(change.action) && change.base)
      change.planned_identity = file_identity(entry.st);
    return change;
  }

  // DEST/P is a regular file.
  Change plan_existing(DesiredFile file, const SafeDir::Entry& entry) {
    const state::ManifestFile* previous =
        context_.previous ? context_.previous->find(file.path) : nullptr;
    // Untouched since the last run wrote exactly what the layers want now: no need to read it.
    if (previous && !previous->identity.empty() && previous->identity == file_identity(entry.st) &&
        previous->sha256 == file.digest.sha256 && previous->size == file.digest.size) {
      return same_content(std::move(file), entry.mode);
    }

    // Structured files are read whole (a three-way merge may need them); others only hashed.
    const std::optional<formats::Format> format = formats::format_of_path(file.path);
    std::string current;
    Digest current_digest;
    if (const int error =
            format ? read_dest(file.path, current) : hash_dest(file.path, current_digest)) {
      throw IoError(errno_message("cannot read " + shown(file.path), error));
    }
    if (format) current_digest = Digest{Sha256::of(current), current.size()};

    std::string base;
    const bool have_base = format && previous && state::read_base(*context_.dest, file.path, base);
    // (A file that already is what the layers want needs no merge, whatever the base.)
    if (have_base && current != base && !(current_digest == file.digest)) {
      if (std::optional<Change> merged = three_way(file, *format, base, current, current_digest)) {
        return std::move(*merged);
      }
    }
    if (current_digest == file.digest) return same_content(std::move(file), entry.mode);
    const bool drifted = previous ? current_digest.sha256 != previous->sha256 : true;
    if (!drifted) return make(std::move(file), Action::update, "the layers changed it");
    return on_drift(std::move(file), previous != nullptr);
  }

  // True when the merge base stored for `path` is `base` (whose digest is `digest`) already
  // (as the manifest records it, or else as read).
  bool base_is_stored(const std::string& path, const std::string& base,
                      const std::string& digest) const {
    if (!context_.dest) return false;
    const state::ManifestFile* previous =
        context_.previous ? context_.previous->find(path) : nullptr;
    if (previous && !previous->base_sha256.empty()) return previous->base_sha256 == digest;
    std::string stored;
    return state::read_base(*context_.dest, path, stored) && stored == base;
  }

  // A file config-init wrote last time that no layer provides any more.
  std::optional<Change> plan_stale(const state::ManifestFile& record) {
    DesiredFile file;
    file.path = record.path;
    file.digest = Digest{record.sha256, record.size};
    file.mode = record.mode;
    file.secret = record.secret;
    if (record.policy == policy_name(Policy::seed)) {
      return make(std::move(file), Action::keep,
                  "seeded earlier; config-init no longer manages it");
    }
    SafeDir::Entry entry;
    if (context_.dest->lookup(record.path, entry, &cache_) != 0 || entry.type != Type::file) {
      return std::nullopt; // already gone (or replaced by something that is not ours)
    }
    Digest current{record.sha256, record.size};
    if (record.identity.empty() || record.identity != file_identity(entry.st)) {
      if (const int error = hash_dest(record.path, current)) {
        throw IoError(errno_message("cannot read " + shown(record.path), error));
      }
    }
    if (current.sha256 != record.sha256) {
      return make(std::move(file), Action::keep,
                  "no layer provides it any more, but it changed since the last run: kept");
    }
    return make(std::move(file), Action::remove, "no layer provides it any more");
  }

private:
  std::string shown(const std::string& relative) const {
    return context_.dest->path() + "/" + relative;
  }

  // Opens DEST/relative for reading, through the directory of the last lookup when it is
  // the file's.
  int open_dest(const std::string& relative, FileDescriptor& fd) const {
    if (cache_.directory.valid() && cache_.path == split_path(relative).first) {
      return open_regular_file_at(cache_.directory.get(), split_path(relative).second, fd);
    }
    return context_.dest->open_file(relative, fd);
  }

  int read_dest(const std::string& relative, std::string& out) const {
    FileDescriptor fd;
    if (const int error = open_dest(relative, fd)) return error;
    return read_all(fd.get(), out);
  }

  int hash_dest(const std::string& relative, Digest& out) const {
    FileDescriptor fd;
    if (const int error = open_dest(relative, fd)) return error;
    return hash_fd(fd.get(), out);
  }

  Change make(DesiredFile file, Action action, std::string_view reason) const {
    Change change{};
    change.file = std::move(file);
    change.action = action;
    change.reason = reason;
    if (writes_content(action) || action == Action::unchanged || action == Action::chmod) {
      change.base = layers_bytes(change.file);
    }
    return change;
  }

  // The layers' own result for a structured file: the next merge base.
  std::optional<std::string> layers_bytes(const DesiredFile& file) const {
    if (!formats::format_of_path(file.path)) return std::nullopt;
    if (file.in_memory) return file.content;
    std::string content;
    if (const int error = read_file(file.source, content)) {
      throw InputError(errno_message("cannot read " + file.source, error));
    }
    return content;
  }

  Change same_content(DesiredFile file, unsigned current_mode) const {
    if (current_mode != file.mode) return make(std::move(file), Action::chmod, "mode differs");
    return make(std::move(file), Action::unchanged, "same content and mode");
  }

  // `managed`: the last run recorded the file (it changed since), else it was there before.
  Change on_drift(DesiredFile file, bool managed) const {
    const char* why =
        managed ? "changed since the last run" : "existed before config-init managed it";
    if (context_.on_drift == OnDrift::fail) {
      throw InputError(shown(file.path) + " " + why + " (--on-drift fail); nothing was written");
    }
    Change change = make(std::move(file), Action::update,
                         managed ? "changed since the last run; the app's version is kept under "
                                   ".config-init/backup/"
                                 : "existed before config-init managed it; the app's version is "
                                   "kept under .config-init/backup/");
    change.drifted = true;
    change.backup = true;
    change.unmanaged = !context_.previous || !context_.previous->find(change.file.path);
    return change;
  }

  // The app edited a structured file: combine its edits with the layers' new result.
  // nullopt when the current file or the base cannot be parsed (then: plain drift).
  std::optional<Change> three_way(DesiredFile& file, formats::Format format,
                                  const std::string& base, const std::string& current,
                                  const Digest& current_digest) const {
    const std::string next_bytes = *layers_bytes(file);
    formats::Value base_tree, current_tree, next_tree;
    try {
      base_tree = formats::parse(format, base, shown(state::base_path(file.path)));
      current_tree = formats::parse(format, current, shown(file.path));
      next_tree = formats::parse(format, next_bytes, file.path);
    } catch (const InputError&) {
      return std::nullopt;
    }
    std::vector<merge::EditConflict> conflicts;
    const formats::Value result =
        merge::merge_three_way(base_tree, current_tree, next_tree, conflicts);
    SafeDir::Entry entry;
    context_.dest->lookup(file.path, entry);

    Change change{};
    if (result == current_tree) {
      // Nothing to add to what the app has: leave its file (and formatting) as it is.
      file.merged = true;
      file.in_memory = true;
      file.content = current;
      file.digest = current_digest;
      change = same_content(std::move(file), entry.mode);
      change.reason = "keeps the app's edits; the layers add nothing new";
    } else if (result == next_tree) {
      change = make(std::move(file), Action::update, "the layers changed it");
    } else {
      file.merged = true;
      file.in_memory = true;
      file.content = formats::emit(format, result, file.path);
      file.digest = Digest{Sha256::of(file.content), file.content.size()};
      change = make(std::move(file), Action::update,
                    "three-way merge: the app's edits kept, the layers' changes applied");
    }
    change.base = next_bytes;
    change.drifted = true;
    change.conflicts = std::move(conflicts);
    return change;
  }

  const PlanContext& context_;
  SafeDir::LookupCache cache_; // the destination is not changed while planning
};

bool is_inside(const std::string& directory, const std::string& path) {
  return path.size() > directory.size() && path.compare(0, directory.size(), directory) == 0 &&
         path[directory.size()] == '/';
}

} // namespace

std::string backup_message(const Plan& plan, const std::string& path, const std::string& backup) {
  const auto change = std::find_if(plan.changes.begin(), plan.changes.end(),
                                   [&](const Change& c) { return c.file.path == path; });
  if (change != plan.changes.end() && change->unmanaged) {
    return path + " existed before config-init managed it; that version is kept as " + backup;
  }
  return path + " was changed by the app since the last run; its version is kept as " + backup;
}

const char* action_verb(Action action) {
  switch (action) {
  case Action::create:
    return "created";
  case Action::update:
    return "updated";
  case Action::chmod:
    return "chmodded";
  case Action::unchanged:
    return "unchanged";
  case Action::keep:
    return "kept";
  case Action::remove:
    return "removed";
  }
  return "?";
}

size_t Plan::count(Action action) const {
  return static_cast<size_t>(std::count_if(changes.begin(), changes.end(),
                                           [&](const Change& c) { return c.action == action; }));
}

Plan make_plan(Composition composition, const PlanContext& context, const Rules& rules) {
  Plan plan;
  Planner planner(context);
  // The provided paths are those of the composition, sorted: looked up by binary search
  // (in `composition` now, in the first `provided` changes once planned), not copied into
  // a set of their own (issue 15: memory per file).
  const size_t provided = composition.files.size();
  // The last run's records no layer provides any more, found before planning so that the
  // changes are allocated once, at their size.
  std::vector<const state::ManifestFile*> stale;
  if (context.dest && context.previous) {
    for (const state::ManifestFile& record : context.previous->files) {
      const auto found = std::lower_bound(
          composition.files.begin(), composition.files.end(), record.path,
          [](const DesiredFile& file, const std::string& path) { return file.path < path; });
      if (found == composition.files.end() || found->path != record.path) stale.push_back(&record);
    }
  }
  plan.changes.reserve(provided + stale.size());
  for (DesiredFile& file : composition.files) {
    Change change = planner.plan_file(std::move(file));
    if (change.base) {
      // A base already stored is not written again: only its digest is kept (for the
      // manifest), not its bytes.
      change.base_sha256 = Sha256::of(*change.base);
      change.base_stored =
          planner.base_is_stored(change.file.path, *change.base, change.base_sha256);
      if (change.base_stored) change.base.reset();
    }
    plan.changes.push_back(std::move(change));
  }
  composition.files = {}; // moved from: only the husks are left
  // The first provided path at or after `path`, or nullptr.
  const auto first_provided_from = [&](const std::string& path) -> const DesiredFile* {
    const auto end = plan.changes.begin() + static_cast<std::ptrdiff_t>(provided);
    const auto found = std::lower_bound(
        plan.changes.begin(), end, path,
        [](const Change& change, const std::string& p) { return change.file.path < p; });
    return found == end ? nullptr : &found->file;
  };
  const auto is_provided = [&](const std::string& path) {
    const DesiredFile* found = first_provided_from(path);
    return found && found->path == path;
  };

  if (context.dest && context.previous) {
    for (const state::ManifestFile* record : stale) {
      if (settings_for(rules, record->path).policy == Policy::ignore) continue;
      if (std::optional<Change> change = planner.plan_stale(*record)) {
        plan.changes.push_back(std::move(*change));
      }
    }
    // Directories config-init created that no provided file needs any more, deepest first.
    // The first provided path at or after "directory/" is inside it if any is (sorted):
    // one lookup per directory, not a scan of every file (quadratic past 10,000 files).
    for (const std::string& directory : context.previous->directories) {
      const DesiredFile* first = first_provided_from(directory + "/");
      const bool needed = first && is_inside(directory, first->path);
      if (!needed) plan.directories_to_remove.push_back(directory);
    }
    std::sort(plan.directories_to_remove.begin(), plan.directories_to_remove.end(),
              [](const std::string& a, const std::string& b) { return a > b; });
  }

  std::vector<std::string> missing;
  for (const std::string& required : rules.required) {
    const bool planned = is_provided(required);
    SafeDir::Entry entry;
    const bool present = context.dest && context.dest->lookup(required, entry) == 0 &&
                         entry.type == SafeDir::Entry::Type::file;
    if (!planned && !present) missing.push_back(required);
  }
  if (!missing.empty()) {
    std::string list;
    for (const std::string& path : missing)
      list += (list.empty() ? "" : ", ") + path;
    throw InputError("required file" + std::string(missing.size() > 1 ? "s" : "") +
                     " missing from the result: " + list + " (no layer provides " +
                     (missing.size() > 1 ? "them" : "it") + ")");
  }
  return plan;
}

} // namespace config_init::plan
