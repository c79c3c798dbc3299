// The YAML reader (yaml_format::validate and parse): libfyaml's event parser, which checks
// the syntax (it passes the whole yaml-test-suite), feeding a tree builder that applies the
// core schema, the supported tags, duplicate-key checks and the limits of the header.
#include "formats/yaml_format.h"

#include "formats/yaml_scalars.h"
#include "util/error.h"
#include "util/text.h"
#include "util/utf8.h"

#include <algorithm>
#include <libfyaml.h>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <unordered_set>

namespace config_init::formats::yaml_format {

namespace {

const std::string tag_prefix = "tag:yaml.org,2002:";

// The size of a tree, for the expansion budget.
struct Cost {
  size_t nodes = 0;
  size_t bytes = 0;
  int height = 0; // nesting levels of arrays and tables
};

Cost cost_of(const Value& value) {
  Cost cost{1, 0, 0};
  const auto add = [&](const Value& child, size_t key_bytes) {
    const Cost inner = cost_of(child);
    cost.nodes += inner.nodes;
    cost.bytes += inner.bytes + key_bytes;
    cost.height = std::max(cost.height, inner.height + 1);
  };
  if (value.kind() == Kind::string) cost.bytes = std::get<std::string>(value.data).size();
  if (value.is_array()) {
    cost.height = 1;
    for (const Value& item : value.array())
      add(item, 0);
  } else if (value.is_table()) {
    cost.height = 1;
    for (const Member& member : value.table())
      add(member.value, member.key.size());
  }
  return cost;
}

std::string token_text(fy_token* token) {
  if (token == nullptr) return "";
  size_t size = 0;
  const char* text = fy_token_get_text(token, &size);
  return text == nullptr ? std::string() : std::string(text, size);
}

// A position: 0-based line and column (libfyaml's marks), -1 when unknown.
struct Mark {
  int line = -1;
  int column = -1;
};

Mark mark_of(const fy_mark* mark) {
  return mark == nullptr ? Mark{} : Mark{mark->line, mark->column};
}

// Where a node's event starts. libfyaml marks a quoted scalar after its opening quote and an
// alias after its `*`: one column back (both are one character, on the same line).
Mark node_mark(fy_event* event, fy_token* token) {
  Mark mark = mark_of(fy_event_start_mark(event));
  const bool quoted = event->type == FYET_SCALAR && token != nullptr &&
                      (fy_token_scalar_style(token) == FYSS_SINGLE_QUOTED ||
                       fy_token_scalar_style(token) == FYSS_DOUBLE_QUOTED);
  if ((quoted || event->type == FYET_ALIAS) && mark.column > 0) --mark.column;
  return mark;
}

// Builds trees from libfyaml's events, with the limits of the header.
class Builder {
public:
  Builder(const std::string& name, int max_documents)
      : name_(name), max_documents_(max_documents) {}

  Value root = Value(Table{});

  void on(fy_event* event) {
    fy_token* token = fy_event_get_token(event);
    const Mark mark = node_mark(event, token);
    if (mark.line >= 0) last_ = mark;
    switch (event->type) {
    case FYET_DOCUMENT_START:
      if (documents_ >= max_documents_) {
        fail(token != nullptr ? mark_of(fy_token_start_mark(token)) : last_,
             "a second document (a file config-init merges must hold exactly one)");
      }
      ++documents_;
      root = Value(Table{});
      anchors_.clear();
      stack_.clear();
      nodes_ = bytes_ = 0;
      return;
    case FYET_SCALAR:
      scalar(event, token, mark);
      return;
    case FYET_ALIAS:
      alias(token_text(token), mark);
      return;
    case FYET_SEQUENCE_START:
      open(event, "seq", Value(Array{}), mark);
      return;
    case FYET_MAPPING_START:
      open(event, "map", Value(Table{}), mark);
      return;
    case FYET_SEQUENCE_END:
    case FYET_MAPPING_END:
      close();
      return;
    default:
      return;
    }
  }

  [[noreturn]] void fail(Mark mark, const std::string& cause) const {
    if (mark.line < 0) mark = last_;
    const std::string where =
        mark.line < 0 ? ""
                      : ":" + std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1);
    throw InputError(name_ + where + ": " + cause);
  }

  Mark last() const { return last_; }

private:
  struct Frame {
    Value value;
    Mark mark;
    std::string anchor;
    bool want_key = true; // of a map: the next node is a key
    std::string key;
    std::unordered_set<std::string> keys;
  };
  struct Anchor {
    Value value;
    std::optional<std::string> key_text; // a scalar's text, for use as a key
    Cost cost;
  };

  [[noreturn]] void too_deep(Mark mark) const {
    fail(mark, "nesting deeper than " + std::to_string(max_depth) + " levels");
  }

  // The tag of a node ("" when it has none) and where it is written.
  static std::pair<std::string, Mark> tag_of(fy_event* event, Mark node_mark) {
    fy_token* tag = fy_event_get_tag_token(event);
    if (tag == nullptr) return {"", node_mark};
    return {token_text(tag), mark_of(fy_token_start_mark(tag))};
  }

  void scalar(fy_event* event, fy_token* token, Mark mark) {
    const std::string text = token_text(token);
    if (!valid_utf8(text)) fail(mark, "invalid UTF-8 in a scalar");
    if (has_noncharacter(text)) {
      fail(mark, "a Unicode noncharacter (U+FDD0..U+FDEF, U+FFFE, U+FFFF...) in a scalar: "
                 "YAML cannot hold it");
    }
    charge(mark, 1, text.size());
    const bool plain = fy_token_scalar_style(token) == FYSS_PLAIN;
    const auto [tag, tag_mark] = tag_of(event, mark);
    Value value = resolve(tag_mark, tag, plain, text);
    complete(mark, token_text(fy_event_get_anchor_token(event)), std::move(value), &text);
  }

  Value resolve(Mark mark, const std::string& tag, bool plain, const std::string& text) const {
    if (tag == "!" || tag == tag_prefix + "str" || (tag.empty() && !plain)) return Value(text);
    const std::optional<Value> value = yaml_scalars::resolve_plain(text);
    if (tag.empty()) {
      if (!value) {
        fail(mark, "the number " + shortened(text) +
                       " is out of the 64-bit range (config-init keeps numbers exact and "
                       "refuses larger ones rather than change them)");
      }
      return *value;
    }
    const Kind kind = value ? value->kind() : Kind::string;
    const bool is_integer = kind == Kind::integer || kind == Kind::unsigned_integer;
    if (tag == tag_prefix + "int" && is_integer) return *value;
    if (tag == tag_prefix + "float" && kind == Kind::floating) return *value;
    if (tag == tag_prefix + "float" && !value) { // an integer beyond 64 bits, as asked
      if (const std::optional<double> number = yaml_scalars::float_of(text)) return Value(*number);
    }
    if (tag == tag_prefix + "float" && kind == Kind::integer) {
      return Value(static_cast<double>(std::get<int64_t>(value->data)));
    }
    if (tag == tag_prefix + "float" && kind == Kind::unsigned_integer) {
      return Value(static_cast<double>(std::get<uint64_t>(value->data)));
    }
    if (tag == tag_prefix + "bool" && kind == Kind::boolean) return *value;
    if (tag == tag_prefix + "null" && kind == Kind::null) return *value;
    if (tag.rfind(tag_prefix, 0) == 0 && tag != tag_prefix + "seq" && tag != tag_prefix + "map") {
      const std::string type = tag.substr(tag_prefix.size());
      if (type == "int" || type == "float" || type == "bool" || type == "null") {
        fail(mark, "'" + shortened(text) + "' is not a valid !!" + type +
                       (type == "int" && !value ? " within 64 bits" : ""));
      }
    }
    fail(mark, "unsupported tag '" + tag + "'");
  }

  static std::string shortened(const std::string& text) {
    return text.size() <= 40 ? text : text.substr(0, 20) + "..." + text.substr(text.size() - 10);
  }

  void alias(const std::string& anchor, Mark mark) {
    const auto found = anchors_.find(anchor);
    if (found == anchors_.end()) {
      const bool open = std::any_of(stack_.begin(), stack_.end(),
                                    [&](const Frame& frame) { return frame.anchor == anchor; });
      fail(mark, open ? "an alias to an anchor that is not complete yet (a recursive alias)"
                      : "the alias *" + anchor + " names no anchor defined before it");
    }
    const Anchor& target = found->second;
    charge(mark, target.cost.nodes, target.cost.bytes);
    if (static_cast<int>(stack_.size()) + target.cost.height > max_depth) too_deep(mark);
    complete(mark, "", target.value, target.key_text ? &*target.key_text : nullptr);
  }

  void open(fy_event* event, const char* kind, Value container, Mark mark) {
    const auto [tag, tag_mark] = tag_of(event, mark);
    if (!tag.empty() && tag != "!" && tag != tag_prefix + kind) {
      fail(tag_mark, "unsupported tag '" + tag + "'");
    }
    if (!stack_.empty() && stack_.back().value.is_table() && stack_.back().want_key) {
      fail(mark, "a mapping key must be a scalar");
    }
    if (static_cast<int>(stack_.size()) >= max_depth) too_deep(mark);
    charge(mark, 1, 0);
    // An anchor being defined is not complete: an alias to it inside is recursive.
    const std::string anchor = token_text(fy_event_get_anchor_token(event));
    if (!anchor.empty()) anchors_.erase(anchor);
    stack_.push_back(Frame{std::move(container), mark, anchor, true, {}, {}});
  }

  void close() {
    Frame frame = std::move(stack_.back());
    stack_.pop_back();
    complete(frame.mark, frame.anchor, std::move(frame.value), nullptr);
  }

  void charge(Mark mark, size_t nodes, size_t bytes) {
    nodes_ += nodes;
    bytes_ += bytes;
    if (nodes_ > max_nodes) {
      fail(mark,
           "the document has more than " + std::to_string(max_nodes) + " nodes (aliases expanded)");
    }
    if (bytes_ > max_bytes) {
      fail(mark, "the document has more than " + std::to_string(max_bytes) +
                     " bytes of text (aliases expanded)");
    }
  }

  // A finished node: remember its anchor, then attach it to its parent.
  // `key_text` is a scalar's text (nullptr for arrays and tables).
  void complete(Mark mark, const std::string& anchor, Value value, const std::string* key_text) {
    if (mark.line >= 0) value.line = mark.line + 1; // for messages about the document (spec)
    if (!anchor.empty()) {
      const Cost cost = cost_of(value);
      charge(mark, cost.nodes, cost.bytes); // the copy kept for aliases
      anchors_[anchor] =
          Anchor{value, key_text ? std::optional<std::string>(*key_text) : std::nullopt, cost};
    }
    if (stack_.empty()) {
      root = value.is_null() ? Value(Table{}) : std::move(value);
      return;
    }
    Frame& parent = stack_.back();
    if (parent.value.is_array()) {
      parent.value.array().push_back(std::move(value));
    } else if (parent.want_key) {
      if (!key_text) fail(mark, "a mapping key must be a scalar");
      if (!parent.keys.insert(*key_text).second) fail(mark, "duplicate key '" + *key_text + "'");
      parent.key = *key_text;
      parent.want_key = false;
    } else {
      parent.value.table().push_back(Member{std::move(parent.key), std::move(value)});
      parent.want_key = true;
    }
  }

  const std::string& name_;
  int max_documents_;
  int documents_ = 0;
  Mark last_;
  std::vector<Frame> stack_;
  std::map<std::string, Anchor> anchors_;
  size_t nodes_ = 0;
  size_t bytes_ = 0;
};

// libfyaml 0.7.12 can free a simple key twice when a parser that stopped on an error is
// destroyed (fy_parse_cleanup: use after free, a crash; found by fuzz_yaml, regression
// tests/fuzz/regressions/fuzz_yaml/libfyaml-destroy-after-tab-error). A parser that did not
// reach the end of its stream cleanly is therefore never destroyed: it is kept, reachable,
// for the life of the process (a few KiB per refused file; a run stops at its first
// refused file).
class Parser {
public:
  explicit Parser(fy_parse_cfg* config) : parser_(fy_parser_create(config)) {}
  ~Parser() {
    if (parser_ == nullptr) return;
    if (completed_) {
      fy_parser_destroy(parser_);
      return;
    }
    const std::lock_guard<std::mutex> lock(quarantine_mutex());
    quarantine().push_back(parser_);
  }
  Parser(const Parser&) = delete;
  Parser& operator=(const Parser&) = delete;

  fy_parser* get() const { return parser_; }
  void completed() { completed_ = true; }

private:
  // Never destroyed, so the parsers stay reachable (not leaks) until the process ends.
  static std::vector<fy_parser*>& quarantine() {
    static auto* parsers = new std::vector<fy_parser*>();
    return *parsers;
  }
  static std::mutex& quarantine_mutex() {
    static std::mutex mutex;
    return mutex;
  }

  fy_parser* parser_;
  bool completed_ = false;
};

struct DiagDeleter {
  void operator()(fy_diag* diag) const { fy_diag_destroy(diag); }
};

// One event, freed however the builder leaves.
class Event {
public:
  Event(fy_parser* parser, fy_event* event) : parser_(parser), event_(event) {}
  ~Event() { fy_parser_event_free(parser_, event_); }
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;
  fy_event* get() const { return event_; }

private:
  fy_parser* parser_;
  fy_event* event_;
};

// libfyaml stops at a NUL byte (the rest of the text would be dropped) and reads invalid
// UTF-8 as U+FFFD: YAML text (here: UTF-8) can hold neither, so the first is refused.
void check_bytes(std::string_view text, const std::string& name) {
  for (size_t i = 0; i < text.size();) {
    if (text[i] == '\0') {
      throw InputError(name + ":" + text::line_column(text, i) +
                       ": a NUL byte (YAML text cannot hold one; in a string, write \"\\0\")");
    }
    const int length = utf8_sequence(text, i);
    if (length < 0) {
      throw InputError(name + ":" + text::line_column(text, i) +
                       ": invalid UTF-8 (config-init reads YAML as UTF-8)");
    }
    i += static_cast<size_t>(length);
  }
}

// Runs the parser over every document of `text`, at most `max_documents` of them.
Value run(std::string_view text, const std::string& name, int max_documents) {
  check_bytes(text, name);
  fy_diag_cfg diag_config;
  fy_diag_cfg_default(&diag_config);
  diag_config.fp = nullptr;
  diag_config.colorize = false;
  const std::unique_ptr<fy_diag, DiagDeleter> diag(fy_diag_create(&diag_config));
  if (!diag) throw std::bad_alloc();
  fy_diag_set_collect_errors(diag.get(), true);

  fy_parse_cfg config{};
  config.flags = static_cast<fy_parse_cfg_flags>(FYPCF_QUIET | FYPCF_DEFAULT_VERSION_1_2 |
                                                 FYPCF_JSON_NONE | FYPCF_DISABLE_MMAP_OPT);
  config.diag = diag.get();
  Parser parser(&config);
  if (parser.get() == nullptr ||
      fy_parser_set_string(parser.get(), text.data(), text.size()) != 0) {
    throw std::bad_alloc();
  }

  Builder builder(name, max_documents);
  while (fy_event* raw = fy_parser_parse(parser.get())) {
    const Event event(parser.get(), raw);
    builder.on(event.get());
  }
  if (fy_parser_get_stream_error(parser.get())) {
    void* iterator = nullptr;
    if (const fy_diag_error* error = fy_diag_errors_iterate(diag.get(), &iterator)) {
      // libfyaml's collected errors carry 1-based lines and columns.
      builder.fail(Mark{error->line - 1, error->column - 1},
                   error->msg != nullptr ? error->msg : "invalid YAML");
    }
    builder.fail(builder.last(), "invalid YAML");
  }
  parser.completed();
  return std::move(builder.root);
}

} // namespace

void validate(std::string_view text, const std::string& name) {
  run(text, name, std::numeric_limits<int>::max());
}

Value parse(std::string_view text, const std::string& name) {
  return run(text, name, 1);
}

} // namespace config_init::formats::yaml_format
