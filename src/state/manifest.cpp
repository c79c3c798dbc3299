#include "state/manifest.h"

#include "formats/format.h"
#include "util/error.h"

#include <algorithm>
#include <cerrno>

namespace config_init::state {

namespace {

using formats::Array;
using formats::Table;
using formats::Value;

const Value& member(const Value& table, const char* key, formats::Kind kind,
                    const std::string& name) {
  const Value* found = table.find(key);
  if (!found || found->kind() != kind) {
    throw InputError(name + ": not a config-init manifest (field '" + key + "' missing or not a " +
                     formats::kind_name(kind) + ")");
  }
  return *found;
}

const std::string& text(const Value& table, const char* key, const std::string& name) {
  return std::get<std::string>(member(table, key, formats::Kind::string, name).data);
}

int64_t number(const Value& table, const char* key, const std::string& name) {
  return std::get<int64_t>(member(table, key, formats::Kind::integer, name).data);
}

bool flag(const Value& table, const char* key) {
  const Value* found = table.find(key);
  return found && found->kind() == formats::Kind::boolean && std::get<bool>(found->data);
}

Array strings(const std::vector<std::string>& items) {
  Array array;
  for (const std::string& item : items)
    array.emplace_back(item);
  return array;
}

} // namespace

const ManifestFile* Manifest::find(const std::string& path) const {
  const auto it =
      std::lower_bound(files.begin(), files.end(), path,
                       [](const ManifestFile& f, const std::string& p) { return f.path < p; });
  return it != files.end() && it->path == path ? &*it : nullptr;
}

std::string serialize(const Manifest& manifest) {
  Value root = Table{};
  root.set("version", int64_t{manifest.version});
  root.set("tool", "config-init " + manifest.tool_version);
  Array layers;
  for (const ManifestLayer& layer : manifest.layers) {
    Value entry = Table{};
    entry.set("root", layer.root);
    entry.set("present", layer.present);
    entry.set("secret", layer.secret);
    entry.set("files", static_cast<int64_t>(layer.files));
    entry.set("sha256", layer.sha256);
    layers.push_back(std::move(entry));
  }
  root.set("layers", std::move(layers));
  Array files;
  for (const ManifestFile& file : manifest.files) {
    Value entry = Table{};
    entry.set("path", file.path);
    entry.set("sha256", file.sha256);
    entry.set("size", static_cast<int64_t>(file.size));
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", file.mode);
    entry.set("mode", std::string(mode));
    entry.set("layers", strings(file.layers));
    entry.set("policy", file.policy);
    entry.set("merged", file.merged);
    entry.set("secret", file.secret);
    files.push_back(std::move(entry));
  }
  root.set("files", std::move(files));
  root.set("directories", strings(manifest.directories));
  return formats::emit(formats::Format::json, root, manifest_path);
}

Manifest parse_manifest(const std::string& content, const std::string& name) {
  const Value root = formats::parse(formats::Format::json, content, name);
  if (!root.is_table()) throw InputError(name + ": not a config-init manifest (not an object)");
  Manifest manifest;
  manifest.version = static_cast<int>(number(root, "version", name));
  if (manifest.version != 1) {
    throw InputError(name + ": manifest version " + std::to_string(manifest.version) +
                     " is not supported by this config-init");
  }
  for (const Value& entry : member(root, "layers", formats::Kind::array, name).array()) {
    ManifestLayer layer;
    layer.root = text(entry, "root", name);
    layer.present = flag(entry, "present");
    layer.secret = flag(entry, "secret");
    layer.files = static_cast<size_t>(number(entry, "files", name));
    layer.sha256 = text(entry, "sha256", name);
    manifest.layers.push_back(std::move(layer));
  }
  // The manifest lives in DEST, where the app can rewrite it: its paths must stay inside.
  const auto checked_path = [&](const std::string& path) {
    bool ok = !path.empty() && path.front() != '/' && path.rfind(".config-init", 0) != 0;
    for (size_t start = 0; ok;) {
      const size_t slash = path.find('/', start);
      const std::string element = path.substr(start, slash - start);
      ok = !element.empty() && element != "." && element != "..";
      if (slash == std::string::npos) break;
      start = slash + 1;
    }
    if (!ok) throw InputError(name + ": invalid path '" + path + "' (not inside the destination)");
    return path;
  };
  for (const Value& entry : member(root, "files", formats::Kind::array, name).array()) {
    ManifestFile file;
    file.path = checked_path(text(entry, "path", name));
    file.sha256 = text(entry, "sha256", name);
    file.size = static_cast<uint64_t>(number(entry, "size", name));
    file.mode = static_cast<unsigned>(std::stoul(text(entry, "mode", name), nullptr, 8));
    for (const Value& layer : member(entry, "layers", formats::Kind::array, name).array()) {
      if (layer.kind() == formats::Kind::string)
        file.layers.push_back(std::get<std::string>(layer.data));
    }
    file.policy = text(entry, "policy", name);
    file.merged = flag(entry, "merged");
    file.secret = flag(entry, "secret");
    manifest.files.push_back(std::move(file));
  }
  if (const Value* directories = root.find("directories"); directories && directories->is_array()) {
    for (const Value& directory : directories->array()) {
      if (directory.kind() == formats::Kind::string) {
        manifest.directories.push_back(checked_path(std::get<std::string>(directory.data)));
      }
    }
  }
  std::sort(manifest.files.begin(), manifest.files.end(),
            [](const ManifestFile& a, const ManifestFile& b) { return a.path < b.path; });
  return manifest;
}

std::optional<std::string> read_manifest_text(const SafeDir& dest) {
  FileDescriptor fd;
  const std::string shown = dest.path() + "/" + manifest_path;
  if (const int error = dest.open_file(manifest_path, fd)) {
    if (error == ENOENT) return std::nullopt;
    throw IoError(errno_message("cannot read " + shown, error));
  }
  std::string content;
  if (const int error = read_all(fd.get(), content)) {
    throw IoError(errno_message("cannot read " + shown, error));
  }
  return content;
}

std::optional<Manifest> load_manifest(const SafeDir& dest) {
  const std::optional<std::string> text = read_manifest_text(dest);
  if (!text) return std::nullopt;
  return parse_manifest(*text, dest.path() + "/" + manifest_path);
}

} // namespace config_init::state
