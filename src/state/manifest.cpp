#include "state/manifest.h"

#include "formats/format.h"
#include "formats/json_format.h"
#include "formats/json_position.h"
#include "util/error.h"
#include "util/json.h"
#include "util/text.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iterator>
#include <limits>
#include <nlohmann/json.hpp>
#include <string_view>
#include <type_traits>

namespace config_init::state {

namespace {

// --- the schema ----------------------------------------------------------------------
// Each record type of the manifest (the top level, a layer, a file, a source) is described
// once, by a table of its fields in the order they are written and checked. The one
// reader and the one writer below are driven by these tables: a new field is one line.

// What a field holds in JSON.
enum class Kind : uint8_t {
  string,
  integer,    // -2^63 .. 2^63-1, written as a signed number
  unsigned64, // 0 .. 2^64-1
  boolean,
  octal,   // a number written as a string of octal digits (a file mode; its check validates)
  strings, // an array of strings (other items are skipped when read)
  records, // an array of records of another schema
};

enum class Need : uint8_t {
  required, // must be present with its kind
  optional, // absent reads as empty and empty is not written; present, it must have its kind
  lenient,  // anything but a value of its kind reads as empty (false, 0, "")
};

struct Schema;

// One field of a record type. Built by the helpers below, which check the member's type.
struct Field {
  std::string_view name;
  Kind kind;
  Need need;
  // The member as a pointer (string, bool, strings and records kinds).
  void* (*member)(void* record) = nullptr;
  // The member as a number (integer, unsigned64 and octal kinds).
  void (*put)(void* record, uint64_t value) = nullptr;
  uint64_t (*get)(const void* record) = nullptr;
  const Schema* items = nullptr; // records: the schema of each entry
  // A string read with this prefix keeps what follows it; written, the prefix is added back.
  // A string without it is a value of the wrong kind.
  const char* prefix = nullptr;
  // Checks the value once it was read with its kind: `text` is the string (each string of a
  // strings field; the digits of an octal field). Returns the error's cause, or "".
  std::string (*check)(const void* record, const std::string& text) = nullptr;
};

// A record type: its fields, and how a std::vector of its records is handled.
struct Schema {
  const Field* fields;
  size_t count;
  void* (*append)(void* vector) = nullptr; // a new default record at the end
  void (*clear)(void* vector) = nullptr;
  size_t (*size)(const void* vector) = nullptr;
  const void* (*at)(const void* vector, size_t index) = nullptr;
  void (*sort)(void* vector) = nullptr; // after parsing; nullptr keeps the order read
};

template <typename T>
struct member_traits;
template <typename C, typename T>
struct member_traits<T C::*> {
  using record = C;
  using type = T;
};
template <auto M>
using record_of = typename member_traits<decltype(M)>::record;
template <auto M>
using type_of = typename member_traits<decltype(M)>::type;

template <auto M>
void* member(void* record) {
  return &(static_cast<record_of<M>*>(record)->*M);
}
template <auto M>
void put_number(void* record, uint64_t value) {
  static_cast<record_of<M>*>(record)->*M = static_cast<type_of<M>>(value);
}
template <auto M>
uint64_t get_number(const void* record) {
  if constexpr (std::is_signed_v<type_of<M>>) {
    return static_cast<uint64_t>(
        static_cast<int64_t>(static_cast<const record_of<M>*>(record)->*M));
  } else {
    return static_cast<uint64_t>(static_cast<const record_of<M>*>(record)->*M);
  }
}

template <typename Check>
struct check_traits;
template <typename R>
struct check_traits<std::string (*)(const R&, const std::string&)> {
  using record = R;
};
template <auto Check>
std::string checked(const void* record, const std::string& text) {
  using R = typename check_traits<decltype(Check)>::record;
  return Check(*static_cast<const R*>(record), text);
}

// The field builders: text<&Record::member>("name"), ...
template <auto M, auto Check = nullptr>
constexpr Field text(std::string_view name, Need need = Need::required,
                     const char* prefix = nullptr) {
  static_assert(std::is_same_v<type_of<M>, std::string>);
  Field field{name, Kind::string, need, &member<M>};
  field.prefix = prefix;
  if constexpr (Check != nullptr) field.check = &checked<Check>;
  return field;
}
template <auto M>
constexpr Field flag(std::string_view name) {
  static_assert(std::is_same_v<type_of<M>, bool>);
  return Field{name, Kind::boolean, Need::lenient, &member<M>};
}
template <auto M, auto Check = nullptr>
constexpr Field number(std::string_view name, Kind kind) {
  static_assert(std::is_integral_v<type_of<M>> && !std::is_same_v<type_of<M>, bool>);
  Field field{name, kind, Need::required};
  field.put = &put_number<M>;
  field.get = &get_number<M>;
  if constexpr (Check != nullptr) field.check = &checked<Check>;
  return field;
}
template <auto M, auto Check = nullptr>
constexpr Field strings(std::string_view name, Need need = Need::required) {
  static_assert(std::is_same_v<type_of<M>, std::vector<std::string>>);
  Field field{name, Kind::strings, need, &member<M>};
  if constexpr (Check != nullptr) field.check = &checked<Check>;
  return field;
}

template <typename Item>
void* append_record(void* vector) {
  return &static_cast<std::vector<Item>*>(vector)->emplace_back();
}
template <typename Item>
void clear_records(void* vector) {
  static_cast<std::vector<Item>*>(vector)->clear();
}
template <typename Item>
size_t records_size(const void* vector) {
  return static_cast<const std::vector<Item>*>(vector)->size();
}
template <typename Item>
const void* record_at(const void* vector, size_t index) {
  return &(*static_cast<const std::vector<Item>*>(vector))[index];
}
template <auto Key>
void sort_records(void* vector) {
  auto& items = *static_cast<std::vector<record_of<Key>>*>(vector);
  std::sort(items.begin(), items.end(),
            [](const record_of<Key>& a, const record_of<Key>& b) { return a.*Key < b.*Key; });
}

// The schema of the records in a std::vector<Item>.
template <typename Item, size_t N>
constexpr Schema records_schema(const Field (&fields)[N], void (*sort)(void*) = nullptr) {
  return Schema{
      fields,           N,   &append_record<Item>, &clear_records<Item>, &records_size<Item>,
      &record_at<Item>, sort};
}
template <auto M>
constexpr Field records(std::string_view name, const Schema& items, Need need = Need::required) {
  static_assert(std::is_same_v<type_of<M>, std::vector<typename type_of<M>::value_type>>);
  Field field{name, Kind::records, need, &member<M>};
  field.items = &items;
  return field;
}

// --- the checks ------------------------------------------------------------------------

std::string supported_version(const Manifest& manifest, const std::string& /*text*/) {
  if (manifest.version == 1) return "";
  return "manifest version " + std::to_string(manifest.version) +
         " is not supported by this config-init";
}

// The manifest lives in DEST, where the app can rewrite it: its paths must stay inside.
template <typename Record>
std::string inside_destination(const Record& /*record*/, const std::string& path) {
  bool ok = !path.empty() && path.front() != '/' && path.rfind(".config-init", 0) != 0;
  for (size_t start = 0; ok;) {
    const size_t slash = path.find('/', start);
    const std::string_view element = std::string_view(path).substr(start, slash - start);
    ok = !element.empty() && element != "." && element != "..";
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  return ok ? "" : "invalid path '" + path + "' (not inside the destination)";
}

std::string file_mode(const ManifestFile& file, const std::string& digits) {
  if (!digits.empty() && digits.size() <= 7 &&
      digits.find_first_not_of("01234567") == std::string::npos)
    return "";
  return "invalid mode '" + digits + "' for " + file.path;
}

// Absolute layer paths, not destination paths: inside_destination does not apply.
std::string absolute_source(const ManifestSource& /*source*/, const std::string& path) {
  if (!path.empty() && path.front() == '/') return "";
  return "invalid source path '" + path + "' (not absolute)";
}

// --- the tables ------------------------------------------------------------------------

const Field layer_fields[] = {
    text<&ManifestLayer::root>("root"),     flag<&ManifestLayer::present>("present"),
    flag<&ManifestLayer::secret>("secret"), number<&ManifestLayer::files>("files", Kind::integer),
    text<&ManifestLayer::sha256>("sha256"),
};
const Schema layer_schema = records_schema<ManifestLayer>(layer_fields);

const Field file_fields[] = {
    text<&ManifestFile::path, &inside_destination<ManifestFile>>("path"),
    text<&ManifestFile::sha256>("sha256"),
    number<&ManifestFile::size>("size", Kind::integer),
    number<&ManifestFile::mode, &file_mode>("mode", Kind::octal),
    strings<&ManifestFile::layers>("layers"),
    text<&ManifestFile::policy>("policy"),
    flag<&ManifestFile::merged>("merged"),
    flag<&ManifestFile::secret>("secret"),
    text<&ManifestFile::identity>("identity", Need::optional),
    text<&ManifestFile::base_sha256>("base_sha256", Need::optional),
    text<&ManifestFile::schema_sha256>("schema_sha256", Need::optional),
};
const Schema file_schema =
    records_schema<ManifestFile>(file_fields, &sort_records<&ManifestFile::path>);

const Field source_fields[] = {
    text<&ManifestSource::real_path, &absolute_source>("path"),
    text<&ManifestSource::identity>("identity"),
    text<&ManifestSource::sha256>("sha256"),
    number<&ManifestSource::size>("size", Kind::unsigned64),
};
const Schema source_schema =
    records_schema<ManifestSource>(source_fields, &sort_records<&ManifestSource::real_path>);

const Field manifest_fields[] = {
    number<&Manifest::version, &supported_version>("version", Kind::integer),
    text<&Manifest::tool_version>("tool", Need::lenient, "config-init "),
    records<&Manifest::layers>("layers", layer_schema),
    records<&Manifest::files>("files", file_schema),
    strings<&Manifest::directories, &inside_destination<Manifest>>("directories", Need::lenient),
    records<&Manifest::sources>("sources", source_schema, Need::optional),
};
const Schema manifest_schema{manifest_fields, std::size(manifest_fields)};

// --- writing -----------------------------------------------------------------------
// Byte for byte what nlohmann-json's dump(2) gave for the manifest, with strict UTF-8 and
// a trailing newline.

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

// Where the JSON goes: `text`, handed to `sink` (when set) in pieces once it holds at least
// `piece_size` bytes at the end of a record, so that a large manifest is never held whole.
struct Output {
  static constexpr size_t piece_size = 64 * 1024;
  std::string text;
  const std::function<void(std::string_view)>* sink = nullptr;
  const FileRecords* files = nullptr; // when set: the records written as "files"
  void record_done() {
    if (sink && text.size() >= piece_size) {
      (*sink)(text);
      text.clear();
    }
  }
};

void append_string(Output& out, const std::string& text) {
  out.text += '"';
  if (!json::append_string(out.text, text)) throw_invalid_utf8(text);
  out.text += '"';
}

void new_line(Output& out, int indent) {
  out.text += '\n';
  out.text.append(static_cast<size_t>(indent), ' ');
}

bool is_empty(const Field& field, const void* record) {
  void* value = field.member(const_cast<void*>(record));
  switch (field.kind) {
  case Kind::string:
    return static_cast<const std::string*>(value)->empty();
  case Kind::strings:
    return static_cast<const std::vector<std::string>*>(value)->empty();
  case Kind::records:
    return field.items->size(value) == 0;
  default:
    return false;
  }
}

void write_record(Output& out, const Schema& schema, const void* record, int indent);

void write_value(Output& out, const Field& field, const void* record, int indent) {
  void* value = field.member ? field.member(const_cast<void*>(record)) : nullptr;
  switch (field.kind) {
  case Kind::string:
    if (field.prefix) {
      append_string(out, field.prefix + *static_cast<const std::string*>(value));
    } else {
      append_string(out, *static_cast<const std::string*>(value));
    }
    break;
  case Kind::integer:
    out.text += std::to_string(static_cast<int64_t>(field.get(record)));
    break;
  case Kind::unsigned64:
    out.text += std::to_string(field.get(record));
    break;
  case Kind::boolean:
    out.text += *static_cast<const bool*>(value) ? "true" : "false";
    break;
  case Kind::octal: {
    char digits[8]; // at most 7 digits, as always
    std::snprintf(digits, sizeof digits, "%04o", static_cast<unsigned>(field.get(record)));
    append_string(out, digits);
    break;
  }
  case Kind::strings:
  case Kind::records: {
    const bool generated = out.files && field.items == &file_schema;
    const size_t count = field.kind == Kind::strings
                             ? static_cast<const std::vector<std::string>*>(value)->size()
                         : generated ? out.files->count
                                     : field.items->size(value);
    ManifestFile made; // a generated record, reused
    if (count == 0) {
      out.text += "[]";
      break;
    }
    out.text += '[';
    for (size_t i = 0; i < count; ++i) {
      if (i != 0) out.text += ',';
      new_line(out, indent + 2);
      if (field.kind == Kind::strings) {
        append_string(out, (*static_cast<const std::vector<std::string>*>(value))[i]);
      } else if (generated) {
        made = ManifestFile{};
        out.files->fill(i, made);
        write_record(out, file_schema, &made, indent + 2);
        out.record_done();
      } else {
        write_record(out, *field.items, field.items->at(value, i), indent + 2);
        out.record_done();
      }
    }
    new_line(out, indent);
    out.text += ']';
    break;
  }
  }
}

// A record whose "{" is at `indent`.
void write_record(Output& out, const Schema& schema, const void* record, int indent) {
  out.text += '{';
  bool first = true;
  for (const Field* field = schema.fields; field != schema.fields + schema.count; ++field) {
    if (field->need == Need::optional && is_empty(*field, record)) continue;
    if (!first) out.text += ',';
    first = false;
    new_line(out, indent + 2);
    out.text += '"';
    out.text += field->name;
    out.text += "\": ";
    write_value(out, *field, record, indent + 2);
  }
  new_line(out, indent);
  out.text += '}';
}

// --- reading -----------------------------------------------------------------------

using formats::json_position::Cursor;

// What a SAX event carried.
struct Scalar {
  enum class Kind { null, boolean, integer, big_unsigned, floating, string } kind;
  bool flag = false;
  int64_t integer = 0;         // for `integer`
  uint64_t big = 0;            // for `big_unsigned` (above INT64_MAX)
  std::string* text = nullptr; // for `string` (may be moved from)
};

// What was read of one field of the record being read.
struct Slot {
  enum class State : uint8_t { absent, ok, wrong_kind } state = State::absent;
  std::string digits; // octal: the text read
  // records: the error of the first bad entry, if any
  bool entry_failed = false;
  std::string entry_error;
};

// Reads the SAX events straight into the records, as the tables say. A record is checked
// when it ends, in the order of its table, and an entry's error is kept for its array:
// the error reported for a bad manifest is the first in the tables' order (after any
// syntax error), however the text orders its members. A member given twice keeps its
// last value.
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
    if (frame.context == Context::record) frame.field = field_index(*frame.schema, key);
    return true;
  }
  bool end_object() { return close(); }
  bool start_array(std::size_t /*size*/) { return open(true); }
  bool end_array() { return close(); }

  bool parse_error(std::size_t position, const std::string& /*last_token*/,
                   const nlohmann::detail::exception& error) {
    fail(position == 0 ? 0 : position - 1, formats::json_position::parse_error_cause(error.what()));
  }

  // The manifest, once the whole text was read; throws InputError for one that is not.
  Manifest finish();

private:
  enum class Context : uint8_t {
    ignored, // inside something the manifest does not use
    record,  // an object read into `target` by `schema`
    records, // an array of records (`target` is the vector)
    strings, // an array of strings (`target` is the vector)
  };
  struct Frame {
    Context context;
    const Schema* schema = nullptr; // record, records: the records' schema
    void* target = nullptr;
    size_t slots = 0; // record: its first slot; records: the slot of the array's field
    int field = -1;   // record: the member whose value comes next (-1: unknown)
  };

  static int field_index(const Schema& schema, std::string_view key) {
    for (size_t i = 0; i < schema.count; ++i) {
      if (key == schema.fields[i].name) return static_cast<int>(i);
    }
    return -1;
  }

  [[noreturn]] void fail(size_t offset, const std::string& cause) const {
    throw InputError(name_ + ":" + text::line_column(text_, offset) + ": " + cause);
  }
  size_t consumed() const { return static_cast<size_t>(progress_ - text_.data()); }

  bool scalar(const Scalar& value);
  bool open(bool array);
  bool close();
  void push_record(const Schema& schema, void* record);
  // Checks the record just read (its slots from `first`); returns the first error's cause.
  std::string check_record(const Schema& schema, void* record, size_t first);
  // An entry of the records array `frame` ended (read into `entry`, slots from `first`).
  void end_entry(const Frame& frame, void* entry, size_t first);

  std::string_view text_;
  const std::string& name_;
  const char* const& progress_;
  std::vector<Frame> stack_;
  std::vector<Slot> slots_; // the slots of the records being read, outermost first
  bool top_is_object_ = false;
  Manifest manifest_;
};

void Reader::push_record(const Schema& schema, void* record) {
  Frame frame{Context::record, &schema, record, slots_.size()};
  slots_.resize(slots_.size() + schema.count);
  stack_.push_back(frame);
}

bool Reader::scalar(const Scalar& value) {
  if (stack_.empty()) return true; // a top level that is not an object
  Frame& frame = stack_.back();
  switch (frame.context) {
  case Context::record: {
    if (frame.field < 0) break;
    const Field& field = frame.schema->fields[frame.field];
    Slot& slot = slots_[frame.slots + static_cast<size_t>(frame.field)];
    slot.entry_failed = false;
    bool ok = false;
    switch (field.kind) {
    case Kind::string:
      if ((ok = value.kind == Scalar::Kind::string))
        *static_cast<std::string*>(field.member(frame.target)) = std::move(*value.text);
      break;
    case Kind::integer:
      if ((ok = value.kind == Scalar::Kind::integer))
        field.put(frame.target, static_cast<uint64_t>(value.integer));
      break;
    case Kind::unsigned64:
      if (value.kind == Scalar::Kind::integer && value.integer >= 0) {
        ok = true;
        field.put(frame.target, static_cast<uint64_t>(value.integer));
      } else if (value.kind == Scalar::Kind::big_unsigned) {
        ok = true;
        field.put(frame.target, value.big);
      }
      break;
    case Kind::boolean:
      ok = true;
      *static_cast<bool*>(field.member(frame.target)) =
          value.kind == Scalar::Kind::boolean && value.flag;
      break;
    case Kind::octal:
      if ((ok = value.kind == Scalar::Kind::string)) slot.digits = std::move(*value.text);
      break;
    case Kind::strings:
    case Kind::records:
      break; // not an array
    }
    slot.state = ok ? Slot::State::ok : Slot::State::wrong_kind;
    break;
  }
  case Context::records: {
    // Not an object: every field of the entry is missing.
    void* entry = frame.schema->append(frame.target);
    const size_t first = slots_.size();
    slots_.resize(first + frame.schema->count);
    end_entry(frame, entry, first);
    slots_.resize(first);
    break;
  }
  case Context::strings:
    if (value.kind == Scalar::Kind::string)
      static_cast<std::vector<std::string>*>(frame.target)->push_back(std::move(*value.text));
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
  if (stack_.empty()) {
    top_is_object_ = !array;
    if (!array) {
      push_record(manifest_schema, &manifest_);
      return true;
    }
  } else if (stack_.back().context == Context::record && stack_.back().field >= 0) {
    const Frame frame = stack_.back();
    const Field& field = frame.schema->fields[frame.field];
    Slot& slot = slots_[frame.slots + static_cast<size_t>(frame.field)];
    slot.entry_failed = false;
    slot.state = Slot::State::wrong_kind;
    if (field.kind == Kind::boolean) *static_cast<bool*>(field.member(frame.target)) = false;
    if (array && field.kind == Kind::strings) {
      slot.state = Slot::State::ok;
      auto* items = static_cast<std::vector<std::string>*>(field.member(frame.target));
      items->clear();
      stack_.push_back(Frame{Context::strings, nullptr, items});
      return true;
    }
    if (array && field.kind == Kind::records) {
      slot.state = Slot::State::ok;
      void* items = field.member(frame.target);
      field.items->clear(items);
      stack_.push_back(Frame{Context::records, field.items, items,
                             frame.slots + static_cast<size_t>(frame.field)});
      return true;
    }
  } else if (stack_.back().context == Context::records) {
    const Frame frame = stack_.back();
    void* entry = frame.schema->append(frame.target);
    if (!array) {
      push_record(*frame.schema, entry);
      return true;
    }
    const size_t first = slots_.size(); // not an object: every field of it is missing
    slots_.resize(first + frame.schema->count);
    end_entry(frame, entry, first);
    slots_.resize(first);
  }
  stack_.push_back(Frame{Context::ignored});
  return true;
}

bool Reader::close() {
  const Frame frame = stack_.back();
  stack_.pop_back();
  // An entry of an array of records ended (the top level is checked by finish).
  if (frame.context == Context::record && !stack_.empty()) {
    end_entry(stack_.back(), frame.target, frame.slots);
    slots_.resize(frame.slots);
  }
  return true;
}

void Reader::end_entry(const Frame& array, void* entry, size_t first) {
  Slot& owner = slots_[array.slots];
  if (owner.entry_failed) return; // only the first bad entry is reported
  std::string error = check_record(*array.schema, entry, first);
  if (!error.empty()) {
    owner.entry_failed = true;
    owner.entry_error = std::move(error);
  }
}

std::string Reader::check_record(const Schema& schema, void* record, size_t first) {
  for (size_t i = 0; i < schema.count; ++i) {
    const Field& field = schema.fields[i];
    Slot& slot = slots_[first + i];
    void* value = field.member ? field.member(record) : nullptr;
    if (slot.state == Slot::State::ok && field.prefix) {
      auto& text = *static_cast<std::string*>(value);
      if (text.rfind(field.prefix, 0) == 0) {
        text.erase(0, std::strlen(field.prefix));
      } else {
        slot.state = Slot::State::wrong_kind;
      }
    }
    if (slot.state != Slot::State::ok) {
      if (field.need == Need::required ||
          (field.need == Need::optional && slot.state == Slot::State::wrong_kind)) {
        const bool vowel = field.kind == Kind::integer || field.kind == Kind::unsigned64 ||
                           field.kind == Kind::strings || field.kind == Kind::records;
        const char* kind = field.kind == Kind::strings || field.kind == Kind::records ? "array"
                           : vowel                                                    ? "integer"
                                                                                      : "string";
        return "not a config-init manifest (field '" + std::string(field.name) +
               "' missing or not " + (vowel ? "an " : "a ") + kind + ")";
      }
      // Empty, as absent (a lenient field of another kind).
      switch (field.kind) {
      case Kind::string:
        static_cast<std::string*>(value)->clear();
        break;
      case Kind::strings:
        static_cast<std::vector<std::string>*>(value)->clear();
        break;
      case Kind::records:
        field.items->clear(value);
        break;
      case Kind::boolean:
        break; // already false
      default:
        field.put(record, 0);
        break;
      }
      continue;
    }
    if (field.check) {
      std::string error;
      switch (field.kind) {
      case Kind::string:
        error = field.check(record, *static_cast<const std::string*>(value));
        break;
      case Kind::octal:
        error = field.check(record, slot.digits);
        break;
      case Kind::strings:
        for (const std::string& item : *static_cast<const std::vector<std::string>*>(value)) {
          if (!(error = field.check(record, item)).empty()) break;
        }
        break;
      default:
        error = field.check(record, std::string());
        break;
      }
      if (!error.empty()) return error;
    }
    if (field.kind == Kind::octal) field.put(record, std::stoul(slot.digits, nullptr, 8));
    if (field.kind == Kind::records) {
      if (slot.entry_failed) return slot.entry_error;
      if (field.items->sort) field.items->sort(value);
    }
  }
  return "";
}

Manifest Reader::finish() {
  if (!top_is_object_) throw InputError(name_ + ": not a config-init manifest (not an object)");
  const std::string error = check_record(manifest_schema, &manifest_, 0);
  if (!error.empty()) throw InputError(name_ + ": " + error);
  // The records grew by doubling while read (up to half of the room unused): trimmed to
  // their size, as a run keeps them while it composes and plans.
  manifest_.files.shrink_to_fit();
  manifest_.sources.shrink_to_fit();
  return std::move(manifest_);
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

namespace {

void serialize_to(const Manifest& manifest, const FileRecords* files,
                  const std::function<void(std::string_view)>& sink) {
  Output out;
  out.sink = &sink;
  out.files = files;
  out.text.reserve(Output::piece_size + 4096);
  write_record(out, manifest_schema, &manifest, 0);
  out.text += '\n';
  sink(out.text);
}

} // namespace

void serialize(const Manifest& manifest, const std::function<void(std::string_view)>& sink) {
  serialize_to(manifest, nullptr, sink);
}

void serialize(const Manifest& manifest, const FileRecords& files,
               const std::function<void(std::string_view)>& sink) {
  serialize_to(manifest, &files, sink);
}

std::string serialize(const Manifest& manifest) {
  Output out;
  write_record(out, manifest_schema, &manifest, 0);
  out.text += '\n';
  return std::move(out.text);
}

Manifest parse_manifest(const std::string& content, const std::string& name, size_t limit) {
  if (content.size() > limit) {
    throw InputError(name + ": " + std::to_string(content.size()) +
                     " bytes is larger than the limit for manifests (" + std::to_string(limit) +
                     " bytes)");
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
