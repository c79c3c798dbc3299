#include "state/manifest.h"

#include "formats/format.h"
#include "formats/json_format.h"
#include "formats/json_position.h"
#include "util/error.h"
#include "util/json.h"
#include "util/log.h"
#include "util/text.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <iterator>
#include <limits>
#include <nlohmann/json.hpp>
#include <string_view>

namespace config_init::state {

namespace {

// --- writing -----------------------------------------------------------------------
// The manifest is written straight into one string, byte for byte as the document tree
// (formats::Value) emitted it as JSON before: nlohmann-json's dump(2) with strict UTF-8
// and a trailing newline.

// Throws the error the JSON emitter threw for a string that is not valid UTF-8 (the
// message names the first bad byte as nlohmann-json's serializer does).
[[noreturn]] void throw_invalid_utf8(const std::string& text) {
  try {
    static_cast<void>(nlohmann::json(text).dump(-1, ' ', false));
  } catch (const nlohmann::json::type_error& error) {
    throw InputError(std::string(manifest_path) + ": cannot write JSON: " + error.what());
  }
  throw InputError(std::string(manifest_path) + ": cannot write JSON: invalid UTF-8");
}

void append_string(std::string& out, const std::string& text) {
  out += '"';
  if (!json::append_string(out, text)) throw_invalid_utf8(text);
  out += '"';
}

// `"key": ` at `indent` spaces, after the separator from the previous member (none for
// the first member of an object).
void append_key(std::string& out, const char* key, int indent, bool first = false) {
  out += first ? "\n" : ",\n";
  out.append(static_cast<size_t>(indent), ' ');
  out += '"';
  out += key;
  out += "\": ";
}

void append_strings(std::string& out, const std::vector<std::string>& items, int indent) {
  if (items.empty()) {
    out += "[]";
    return;
  }
  out += '[';
  for (size_t i = 0; i < items.size(); ++i) {
    out += i == 0 ? "\n" : ",\n";
    out.append(static_cast<size_t>(indent + 2), ' ');
    append_string(out, items[i]);
  }
  out += '\n';
  out.append(static_cast<size_t>(indent), ' ');
  out += ']';
}

// An array of objects at `indent`; `writer(out, item)` writes the members of each.
template <typename Item, typename Writer>
void append_objects(std::string& out, const std::vector<Item>& items, int indent,
                    const Writer& writer) {
  if (items.empty()) {
    out += "[]";
    return;
  }
  out += '[';
  for (size_t i = 0; i < items.size(); ++i) {
    out += i == 0 ? "\n" : ",\n";
    out.append(static_cast<size_t>(indent + 2), ' ');
    out += '{';
    writer(out, items[i]);
    out += '\n';
    out.append(static_cast<size_t>(indent + 2), ' ');
    out += '}';
  }
  out += '\n';
  out.append(static_cast<size_t>(indent), ' ');
  out += ']';
}

const char* boolean(bool value) {
  return value ? "true" : "false";
}

// A generous guess of the serialized size, so that the string is allocated once.
size_t estimated_size(const Manifest& manifest) {
  size_t size = 256 + manifest.tool_version.size();
  for (const ManifestLayer& layer : manifest.layers)
    size += 160 + layer.root.size() + layer.sha256.size();
  for (const ManifestFile& file : manifest.files) {
    size += 260 + file.path.size() + file.sha256.size() + file.policy.size() +
            file.identity.size() + file.base_sha256.size();
    for (const std::string& layer : file.layers)
      size += 12 + layer.size();
  }
  for (const std::string& directory : manifest.directories)
    size += 8 + directory.size();
  for (const ManifestSource& source : manifest.sources)
    size += 120 + source.real_path.size() + source.identity.size() + source.sha256.size();
  return size + size / 8; // escapes
}

// --- reading -----------------------------------------------------------------------

using formats::json_position::Cursor;

// The members the reader knows, in the objects where they occur.
enum class Field : uint8_t {
  unknown,
  // the top level
  version,
  tool,
  layers,
  files,
  directories,
  sources,
  // a layer, a file or a source
  root,
  present,
  secret,
  file_count, // a layer's "files"
  sha256,
  path,
  size,
  mode,
  file_layers, // a file's "layers"
  policy,
  merged,
  identity,
  base_sha256,
};

constexpr uint32_t bit(Field field) {
  return uint32_t{1} << static_cast<unsigned>(field);
}

// What a SAX event carried, for the fields that take scalars.
struct Scalar {
  enum class Kind { null, boolean, integer, big_unsigned, floating, string } kind;
  bool flag = false;
  int64_t integer = 0;         // for `integer`
  uint64_t big = 0;            // for `big_unsigned` (above INT64_MAX)
  std::string* text = nullptr; // for `string` (may be moved from)
};

// What was read of each entry besides the record itself: which fields were present with
// the right kind (bits of Field), and the values that are checked only afterwards.
struct LayerExtra {
  uint32_t ok = 0;
  int64_t files = 0;
};
struct FileExtra {
  uint32_t ok = 0;
  uint32_t seen = 0; // present with any kind (for the optional fields)
  int64_t size = 0;
  std::string mode;
};

// Reads the manifest's SAX events straight into records. Everything is checked only
// after the whole text parsed, in the order the document-tree parser checked it, so the
// error reported for a bad manifest is the one it always was.
class Reader {
public:
  Reader(std::string_view text, const std::string& name, const char* const& progress)
      : text_(text), name_(name), progress_(progress) {}

  // The SAX interface (nlohmann::json::sax_parse).
  bool null() { return scalar({Scalar::Kind::null}); }
  bool boolean(bool value) {
    Scalar s{Scalar::Kind::boolean};
    s.flag = value;
    return scalar(s);
  }
  bool number_integer(int64_t value) {
    Scalar s{Scalar::Kind::integer};
    s.integer = value;
    return scalar(s);
  }
  bool number_unsigned(uint64_t value) {
    Scalar s{Scalar::Kind::integer};
    if (value <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      s.integer = static_cast<int64_t>(value);
    } else {
      s.kind = Scalar::Kind::big_unsigned;
      s.big = value;
    }
    return scalar(s);
  }
  bool number_float(double /*value*/, const std::string& /*text*/) {
    return scalar({Scalar::Kind::floating});
  }
  bool string(std::string& value) {
    Scalar s{Scalar::Kind::string};
    s.text = &value;
    return scalar(s);
  }
  bool binary(nlohmann::json::binary_t& /*value*/) { return false; } // not in JSON
  bool start_object(std::size_t /*size*/) { return open(false); }
  bool key(std::string& key) {
    Frame& frame = stack_.back();
    frame.field = field_of(frame.context, key);
    if (frame.context == Context::top && frame.field == Field::sources) {
      top_seen_ |= bit(Field::sources);
    } else if (frame.context == Context::file) {
      file_extras_.back().seen |= bit(frame.field);
    }
    return true;
  }
  bool end_object() { return close(); }
  bool start_array(std::size_t /*size*/) { return open(true); }
  bool end_array() { return close(); }

  bool parse_error(std::size_t position, const std::string& /*last_token*/,
                   const nlohmann::detail::exception& error) {
    fail(position == 0 ? 0 : position - 1, formats::json_position::parse_error_cause(error.what()));
  }

  // The checks, in the order of the document-tree parser, and the manifest.
  Manifest finish();

private:
  // Where an event lands: the kind of the innermost open object or array.
  enum class Context : uint8_t {
    ignored, // inside something the manifest does not use
    top,     // the top-level object
    layers,
    files,
    directories,
    sources, // the top-level arrays
    layer,
    file,
    source,     // one entry of them
    file_layers // a file's "layers" array
  };
  struct Frame {
    Context context;
    Field field = Field::unknown; // of an object: the member whose value comes next
  };

  static Field field_of(Context context, std::string_view key);

  [[noreturn]] void fail(size_t offset, const std::string& cause) const {
    throw InputError(name_ + ":" + text::line_column(text_, offset) + ": " + cause);
  }
  [[noreturn]] void missing(const char* key, const char* kind) const {
    const bool vowel =
        kind[0] == 'a' || kind[0] == 'e' || kind[0] == 'i' || kind[0] == 'o' || kind[0] == 'u';
    throw InputError(name_ + ": not a config-init manifest (field '" + key + "' missing or not " +
                     (vowel ? "an " : "a ") + kind + ")");
  }

  size_t consumed() const { return static_cast<size_t>(progress_ - text_.data()); }

  bool scalar(const Scalar& value);
  bool open(bool array);
  bool close() {
    stack_.pop_back();
    return true;
  }
  // A top-level member given something other than an array.
  void not_an_array(Field field);
  // A new entry of the array `context` (its members are read when it is an object).
  void add_entry(Context context);
  void entry_scalar(Context context, Field field, const Scalar& value);

  std::string_view text_;
  const std::string& name_;
  const char* const& progress_;
  std::vector<Frame> stack_;

  bool top_is_object_ = false;
  uint32_t top_ok_ = 0;   // bits of the top-level fields present with the right kind
  uint32_t top_seen_ = 0; // ... and present at all (for the optional "sources")
  int64_t version_ = 0;
  std::string tool_;
  std::vector<ManifestLayer> layers_;
  std::vector<LayerExtra> layer_extras_;
  std::vector<ManifestFile> files_;
  std::vector<FileExtra> file_extras_;
  std::vector<std::string> directories_;
  std::vector<ManifestSource> sources_;
  std::vector<uint32_t> source_ok_;
};

Field Reader::field_of(Context context, std::string_view key) {
  switch (context) {
  case Context::top:
    if (key == "version") return Field::version;
    if (key == "tool") return Field::tool;
    if (key == "layers") return Field::layers;
    if (key == "files") return Field::files;
    if (key == "directories") return Field::directories;
    if (key == "sources") return Field::sources;
    break;
  case Context::layer:
    if (key == "root") return Field::root;
    if (key == "present") return Field::present;
    if (key == "secret") return Field::secret;
    if (key == "files") return Field::file_count;
    if (key == "sha256") return Field::sha256;
    break;
  case Context::file:
    if (key == "path") return Field::path;
    if (key == "sha256") return Field::sha256;
    if (key == "size") return Field::size;
    if (key == "mode") return Field::mode;
    if (key == "layers") return Field::file_layers;
    if (key == "policy") return Field::policy;
    if (key == "merged") return Field::merged;
    if (key == "secret") return Field::secret;
    if (key == "identity") return Field::identity;
    if (key == "base_sha256") return Field::base_sha256;
    break;
  case Context::source:
    if (key == "path") return Field::path;
    if (key == "identity") return Field::identity;
    if (key == "sha256") return Field::sha256;
    if (key == "size") return Field::size;
    break;
  default:
    break;
  }
  return Field::unknown;
}

void Reader::add_entry(Context context) {
  switch (context) {
  case Context::layers:
    layers_.emplace_back();
    layer_extras_.emplace_back();
    break;
  case Context::files:
    files_.emplace_back();
    file_extras_.emplace_back();
    break;
  case Context::sources:
    sources_.emplace_back();
    source_ok_.push_back(0);
    break;
  default:
    break;
  }
}

void Reader::not_an_array(Field field) {
  top_ok_ &= ~bit(field);
  switch (field) {
  case Field::layers:
    layers_.clear();
    layer_extras_.clear();
    break;
  case Field::files:
    files_.clear();
    file_extras_.clear();
    break;
  case Field::directories:
    directories_.clear();
    break;
  case Field::sources:
    sources_.clear();
    source_ok_.clear();
    break;
  default:
    break;
  }
}

// A member of an entry got `value` (a scalar). A member set twice keeps its last value.
void Reader::entry_scalar(Context context, Field field, const Scalar& value) {
  const bool is_string = value.kind == Scalar::Kind::string;
  const bool is_integer = value.kind == Scalar::Kind::integer;
  // Moves a string value into `target` and records whether the member was a string.
  const auto take_string = [&](uint32_t& ok, std::string& target) {
    if (is_string) {
      target = std::move(*value.text);
      ok |= bit(field);
    } else {
      ok &= ~bit(field);
    }
  };
  const bool flag = value.kind == Scalar::Kind::boolean && value.flag;
  if (context == Context::layer) {
    ManifestLayer& layer = layers_.back();
    LayerExtra& extra = layer_extras_.back();
    switch (field) {
    case Field::root:
      take_string(extra.ok, layer.root);
      break;
    case Field::sha256:
      take_string(extra.ok, layer.sha256);
      break;
    case Field::present:
      layer.present = flag;
      break;
    case Field::secret:
      layer.secret = flag;
      break;
    case Field::file_count:
      extra.ok = is_integer ? extra.ok | bit(field) : extra.ok & ~bit(field);
      extra.files = value.integer;
      break;
    default:
      break;
    }
  } else if (context == Context::file) {
    ManifestFile& file = files_.back();
    FileExtra& extra = file_extras_.back();
    switch (field) {
    case Field::path:
      take_string(extra.ok, file.path);
      break;
    case Field::sha256:
      take_string(extra.ok, file.sha256);
      break;
    case Field::mode:
      take_string(extra.ok, extra.mode);
      break;
    case Field::policy:
      take_string(extra.ok, file.policy);
      break;
    case Field::identity:
      take_string(extra.ok, file.identity);
      break;
    case Field::base_sha256:
      take_string(extra.ok, file.base_sha256);
      break;
    case Field::size:
      extra.ok = is_integer ? extra.ok | bit(field) : extra.ok & ~bit(field);
      extra.size = value.integer;
      break;
    case Field::file_layers: // not an array
      extra.ok &= ~bit(field);
      file.layers.clear();
      break;
    case Field::merged:
      file.merged = flag;
      break;
    case Field::secret:
      file.secret = flag;
      break;
    default:
      break;
    }
  } else if (context == Context::source) {
    ManifestSource& source = sources_.back();
    uint32_t& ok = source_ok_.back();
    switch (field) {
    case Field::path:
      take_string(ok, source.real_path);
      break;
    case Field::identity:
      take_string(ok, source.identity);
      break;
    case Field::sha256:
      take_string(ok, source.sha256);
      break;
    case Field::size: // any integer from 0 to UINT64_MAX
      if (is_integer && value.integer >= 0) {
        source.size = static_cast<uint64_t>(value.integer);
        ok |= bit(field);
      } else if (value.kind == Scalar::Kind::big_unsigned) {
        source.size = value.big;
        ok |= bit(field);
      } else {
        ok &= ~bit(field);
      }
      break;
    default:
      break;
    }
  }
}

bool Reader::scalar(const Scalar& value) {
  if (stack_.empty()) return true; // a top level that is not an object
  const Frame& frame = stack_.back();
  switch (frame.context) {
  case Context::top:
    switch (frame.field) {
    case Field::version:
      if (value.kind == Scalar::Kind::integer) {
        version_ = value.integer;
        top_ok_ |= bit(Field::version);
      } else {
        top_ok_ &= ~bit(Field::version);
      }
      break;
    case Field::tool:
      if (value.kind == Scalar::Kind::string) {
        tool_ = std::move(*value.text);
        top_ok_ |= bit(Field::tool);
      } else {
        top_ok_ &= ~bit(Field::tool);
      }
      break;
    case Field::layers:
    case Field::files:
    case Field::directories:
    case Field::sources:
      not_an_array(frame.field);
      break;
    default:
      break;
    }
    break;
  case Context::layers:
  case Context::files:
  case Context::sources:
    add_entry(frame.context); // not an object: every field of it is missing
    break;
  case Context::directories:
    if (value.kind == Scalar::Kind::string) directories_.push_back(std::move(*value.text));
    break;
  case Context::layer:
  case Context::file:
  case Context::source:
    entry_scalar(frame.context, frame.field, value);
    break;
  case Context::file_layers:
    if (value.kind == Scalar::Kind::string) files_.back().layers.push_back(std::move(*value.text));
    break;
  case Context::ignored:
    break;
  }
  return true;
}

bool Reader::open(bool array) {
  if (stack_.size() >= static_cast<size_t>(formats::json_format::max_depth)) {
    fail(consumed() - 1,
         "nesting deeper than " + std::to_string(formats::json_format::max_depth) + " levels");
  }
  Context context = Context::ignored;
  if (stack_.empty()) {
    top_is_object_ = !array;
    if (!array) context = Context::top;
  } else {
    const Frame& frame = stack_.back();
    switch (frame.context) {
    case Context::top:
      switch (frame.field) {
      case Field::layers:
      case Field::files:
      case Field::directories:
      case Field::sources:
        not_an_array(frame.field); // starts afresh (also for a member given twice)
        if (array) {
          top_ok_ |= bit(frame.field);
          context = frame.field == Field::layers        ? Context::layers
                    : frame.field == Field::files       ? Context::files
                    : frame.field == Field::directories ? Context::directories
                                                        : Context::sources;
        }
        break;
      case Field::version:
      case Field::tool:
        top_ok_ &= ~bit(frame.field);
        break;
      default:
        break;
      }
      break;
    case Context::layers:
    case Context::files:
    case Context::sources:
      add_entry(frame.context);
      if (!array) {
        context = frame.context == Context::layers  ? Context::layer
                  : frame.context == Context::files ? Context::file
                                                    : Context::source;
      }
      break;
    case Context::layer:
    case Context::file:
    case Context::source:
      if (frame.context == Context::file && frame.field == Field::file_layers && array) {
        file_extras_.back().ok |= bit(Field::file_layers);
        files_.back().layers.clear();
        context = Context::file_layers;
      } else {
        // A member that takes a scalar (or a file's "layers" given an object) got a
        // container: the same as a scalar of the wrong kind.
        entry_scalar(frame.context, frame.field, Scalar{Scalar::Kind::null});
      }
      break;
    default:
      break;
    }
  }
  stack_.push_back(Frame{context});
  return true;
}

Manifest Reader::finish() {
  const std::string& name = name_;
  if (!top_is_object_) throw InputError(name + ": not a config-init manifest (not an object)");
  Manifest manifest;
  if (!(top_ok_ & bit(Field::version))) missing("version", "integer");
  manifest.version = static_cast<int>(version_);
  if (manifest.version != 1) {
    throw InputError(name + ": manifest version " + std::to_string(manifest.version) +
                     " is not supported by this config-init");
  }
  // The document-tree parser ignored "tool"; it is read back only when it has the form
  // serialize() writes, so that parsing and serializing a manifest gives the same bytes.
  constexpr std::string_view tool_prefix = "config-init ";
  if ((top_ok_ & bit(Field::tool)) && tool_.rfind(tool_prefix, 0) == 0) {
    manifest.tool_version = tool_.substr(tool_prefix.size());
  }
  if (!(top_ok_ & bit(Field::layers))) missing("layers", "array");
  for (size_t i = 0; i < layers_.size(); ++i) {
    const LayerExtra& extra = layer_extras_[i];
    if (!(extra.ok & bit(Field::root))) missing("root", "string");
    if (!(extra.ok & bit(Field::file_count))) missing("files", "integer");
    if (!(extra.ok & bit(Field::sha256))) missing("sha256", "string");
    layers_[i].files = static_cast<size_t>(extra.files);
  }
  manifest.layers = std::move(layers_);
  // The manifest lives in DEST, where the app can rewrite it: its paths must stay inside.
  const auto checked_path = [&](const std::string& path) {
    bool ok = !path.empty() && path.front() != '/' && path.rfind(".config-init", 0) != 0;
    for (size_t start = 0; ok;) {
      const size_t slash = path.find('/', start);
      const std::string_view element = std::string_view(path).substr(start, slash - start);
      ok = !element.empty() && element != "." && element != "..";
      if (slash == std::string::npos) break;
      start = slash + 1;
    }
    if (!ok) throw InputError(name + ": invalid path '" + path + "' (not inside the destination)");
  };
  if (!(top_ok_ & bit(Field::files))) missing("files", "array");
  for (size_t i = 0; i < files_.size(); ++i) {
    ManifestFile& file = files_[i];
    const FileExtra& extra = file_extras_[i];
    if (!(extra.ok & bit(Field::path))) missing("path", "string");
    checked_path(file.path);
    if (!(extra.ok & bit(Field::sha256))) missing("sha256", "string");
    if (!(extra.ok & bit(Field::size))) missing("size", "integer");
    file.size = static_cast<uint64_t>(extra.size);
    if (!(extra.ok & bit(Field::mode))) missing("mode", "string");
    if (extra.mode.empty() || extra.mode.size() > 7 ||
        extra.mode.find_first_not_of("01234567") != std::string::npos) {
      throw InputError(name + ": invalid mode '" + extra.mode + "' for " + file.path);
    }
    file.mode = static_cast<unsigned>(std::stoul(extra.mode, nullptr, 8));
    if (!(extra.ok & bit(Field::file_layers))) missing("layers", "array");
    if (!(extra.ok & bit(Field::policy))) missing("policy", "string");
    // The optional fields: absent is empty, present must be a string.
    if ((extra.seen & bit(Field::identity)) && !(extra.ok & bit(Field::identity)))
      missing("identity", "string");
    if ((extra.seen & bit(Field::base_sha256)) && !(extra.ok & bit(Field::base_sha256)))
      missing("base_sha256", "string");
  }
  manifest.files = std::move(files_);
  if (top_ok_ & bit(Field::directories)) {
    for (const std::string& directory : directories_)
      checked_path(directory);
    manifest.directories = std::move(directories_);
  }
  if ((top_seen_ & bit(Field::sources)) && !(top_ok_ & bit(Field::sources)))
    missing("sources", "array");
  if (top_ok_ & bit(Field::sources)) {
    for (size_t i = 0; i < sources_.size(); ++i) {
      const ManifestSource& source = sources_[i];
      const uint32_t ok = source_ok_[i];
      if (!(ok & bit(Field::path))) missing("path", "string");
      // Absolute layer paths, not destination paths: checked_path does not apply.
      if (source.real_path.empty() || source.real_path.front() != '/') {
        throw InputError(name + ": invalid source path '" + source.real_path + "' (not absolute)");
      }
      if (!(ok & bit(Field::identity))) missing("identity", "string");
      if (!(ok & bit(Field::sha256))) missing("sha256", "string");
      if (!(ok & bit(Field::size))) missing("size", "integer");
    }
    manifest.sources = std::move(sources_);
  }
  std::sort(manifest.files.begin(), manifest.files.end(),
            [](const ManifestFile& a, const ManifestFile& b) { return a.path < b.path; });
  std::sort(
      manifest.sources.begin(), manifest.sources.end(),
      [](const ManifestSource& a, const ManifestSource& b) { return a.real_path < b.real_path; });
  return manifest;
}

} // namespace

const ManifestFile* Manifest::find(const std::string& path) const {
  const auto it =
      std::lower_bound(files.begin(), files.end(), path,
                       [](const ManifestFile& f, const std::string& p) { return f.path < p; });
  return it != files.end() && it->path == path ? &*it : nullptr;
}

const ManifestSource* Manifest::find_source(const std::string& real_path) const {
  const auto it = std::lower_bound(
      sources.begin(), sources.end(), real_path,
      [](const ManifestSource& s, const std::string& p) { return s.real_path < p; });
  return it != sources.end() && it->real_path == real_path ? &*it : nullptr;
}

std::string serialize(const Manifest& manifest) {
  std::string out;
  out.reserve(estimated_size(manifest));
  out += '{';
  append_key(out, "version", 2, true);
  out += std::to_string(int64_t{manifest.version});
  append_key(out, "tool", 2);
  append_string(out, "config-init " + manifest.tool_version);
  append_key(out, "layers", 2);
  append_objects(out, manifest.layers, 2, [](std::string& o, const ManifestLayer& layer) {
    append_key(o, "root", 6, true);
    append_string(o, layer.root);
    append_key(o, "present", 6);
    o += boolean(layer.present);
    append_key(o, "secret", 6);
    o += boolean(layer.secret);
    append_key(o, "files", 6);
    o += std::to_string(static_cast<int64_t>(layer.files));
    append_key(o, "sha256", 6);
    append_string(o, layer.sha256);
  });
  append_key(out, "files", 2);
  append_objects(out, manifest.files, 2, [](std::string& o, const ManifestFile& file) {
    append_key(o, "path", 6, true);
    append_string(o, file.path);
    append_key(o, "sha256", 6);
    append_string(o, file.sha256);
    append_key(o, "size", 6);
    o += std::to_string(static_cast<int64_t>(file.size));
    append_key(o, "mode", 6);
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", file.mode);
    append_string(o, mode);
    append_key(o, "layers", 6);
    append_strings(o, file.layers, 6);
    append_key(o, "policy", 6);
    append_string(o, file.policy);
    append_key(o, "merged", 6);
    o += boolean(file.merged);
    append_key(o, "secret", 6);
    o += boolean(file.secret);
    if (!file.identity.empty()) {
      append_key(o, "identity", 6);
      append_string(o, file.identity);
    }
    if (!file.base_sha256.empty()) {
      append_key(o, "base_sha256", 6);
      append_string(o, file.base_sha256);
    }
  });
  append_key(out, "directories", 2);
  append_strings(out, manifest.directories, 2);
  if (!manifest.sources.empty()) {
    append_key(out, "sources", 2);
    append_objects(out, manifest.sources, 2, [](std::string& o, const ManifestSource& source) {
      append_key(o, "path", 6, true);
      append_string(o, source.real_path);
      append_key(o, "identity", 6);
      append_string(o, source.identity);
      append_key(o, "sha256", 6);
      append_string(o, source.sha256);
      append_key(o, "size", 6);
      o += std::to_string(source.size);
    });
  }
  out += "\n}\n";
  return out;
}

Manifest parse_manifest(const std::string& content, const std::string& name) {
  if (content.size() > formats::max_structured_file_size) {
    throw InputError(name + ": " + std::to_string(content.size()) +
                     " bytes is larger than the limit for structured files (" +
                     std::to_string(formats::max_structured_file_size) + " bytes)");
  }
  const char* progress = content.data();
  Reader reader(content, name, progress);
  try {
    nlohmann::json::sax_parse(Cursor(content.data(), &progress),
                              Cursor(content.data() + content.size(), &progress), &reader);
  } catch (const nlohmann::json::exception& error) { // not expected: errors come as events
    throw InputError(name + ": " + error.what());
  }
  return reader.finish();
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
