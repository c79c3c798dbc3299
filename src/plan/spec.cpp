#include "plan/spec.h"

#include "formats/format.h"
#include "util/error.h"
#include "util/fs.h"

#include <functional>
#include <map>
#include <optional>

namespace config_init::plan {

namespace {

using formats::Kind;
using formats::Value;

class SpecReader {
public:
  explicit SpecReader(std::string path) : path_(std::move(path)) {}

  [[noreturn]] void fail(const Value& node, const std::string& message) const {
    throw UsageError(path_ + (node.line > 0 ? ":" + std::to_string(node.line) : "") + ": " +
                     message);
  }

  const std::string& string(const Value& node, const std::string& what) const {
    if (node.kind() != Kind::string) {
      fail(node, what + " must be a string, not " + formats::kind_with_article(node.kind()));
    }
    return std::get<std::string>(node.data);
  }

  bool boolean(const Value& node, const std::string& what) const {
    if (node.kind() != Kind::boolean) fail(node, what + " must be true or false");
    return std::get<bool>(node.data);
  }

  unsigned mode(const Value& node, const std::string& what) const {
    if (node.kind() != Kind::string) {
      fail(node, what + " must be a quoted octal string such as \"0644\" (unquoted, YAML reads "
                        "0644 as a decimal number)");
    }
    try {
      return parse_mode(std::get<std::string>(node.data));
    } catch (const UsageError& error) {
      fail(node, what + ": " + error.what());
    }
  }

  std::vector<std::string> strings(const Value& node, const std::string& what) const {
    if (node.kind() == Kind::string) return {std::get<std::string>(node.data)};
    if (!node.is_array()) fail(node, what + " must be a list of strings");
    std::vector<std::string> out;
    for (const Value& item : node.array())
      out.push_back(string(item, what + " entries"));
    return out;
  }

  // Calls the handler of each key of `table`; an unknown key is an error.
  void each_key(const Value& table, const std::string& what,
                const std::map<std::string, std::function<void(const Value&)>>& handlers) const {
    if (!table.is_table()) fail(table, what + " must be a mapping");
    for (const formats::Member& member : table.table()) {
      const auto handler = handlers.find(member.key);
      if (handler == handlers.end()) {
        std::string known;
        for (const auto& entry : handlers)
          known += (known.empty() ? "" : ", ") + entry.first;
        fail(member.value,
             "unknown key '" + member.key + "' in " + what + " (known: " + known + ")");
      }
      handler->second(member.value);
    }
  }

  template <typename F>
  auto checked(const Value& node, F&& parse) const -> decltype(parse()) {
    try {
      return parse();
    } catch (const UsageError& error) {
      fail(node, error.what());
    }
  }

  // A files entry; its `schema` and `schema_mode`, if any, go to `schema`.
  FileRule file_rule(const Value& node, std::optional<SchemaRule>& schema) const {
    FileRule rule;
    std::optional<SchemaMode> schema_mode;
    const Value* schema_mode_node = nullptr;
    each_key(
        node, "a files entry",
        {{"path", [&](const Value& v) { rule.glob = string(v, "path"); }},
         {"schema",
          [&](const Value& v) {
            schema = SchemaRule{};
            schema->file = relative_to_spec(string(v, "schema"));
          }},
         {"schema_mode",
          [&](const Value& v) {
            schema_mode_node = &v;
            schema_mode = checked(v, [&] { return parse_schema_mode(string(v, "schema_mode")); });
          }},
         {"policy",
          [&](const Value& v) {
            rule.policy = checked(v, [&] { return parse_policy(string(v, "policy")); });
          }},
         {"mode", [&](const Value& v) { rule.mode = mode(v, "mode"); }},
         {"arrays",
          [&](const Value& v) {
            rule.arrays =
                checked(v, [&] { return merge::parse_array_strategy(string(v, "arrays")); });
          }},
         {"array_paths",
          [&](const Value& v) {
            each_key_free(v, "array_paths", [&](const std::string& key, const Value& value) {
              rule.array_paths.emplace_back(
                  checked(value, [&] { return merge::parse_key_path(key); }),
                  checked(value, [&] { return merge::parse_array_strategy(string(value, key)); }));
            });
          }},
         {"delete", [&](const Value& v) {
            for (const std::string& key : strings(v, "delete")) {
              rule.deletions.push_back(checked(v, [&] { return merge::parse_key_path(key); }));
            }
          }}});
    if (rule.glob.empty())
      fail(node, "a files entry needs a 'path' (a glob such as settings.json)");
    rule.origin = path_ + (node.line > 0 ? ":" + std::to_string(node.line) : "") +
                  " (path: " + rule.glob + ")";
    if (schema_mode && !schema) fail(*schema_mode_node, "schema_mode needs a schema in its entry");
    if (schema) {
      schema->glob = rule.glob;
      schema->mode = schema_mode;
      schema->origin = rule.origin;
    }
    return rule;
  }

  // A schema path in the spec is relative to the spec's own directory.
  std::string relative_to_spec(const std::string& file) const {
    if (file.empty() || file[0] == '/') return file;
    const size_t slash = path_.rfind('/');
    return slash == std::string::npos ? file : path_.substr(0, slash + 1) + file;
  }

  // Calls `handler` for each key/value of a mapping whose keys are free-form.
  template <typename H>
  void each_key_free(const Value& table, const std::string& what, H&& handler) const {
    if (!table.is_table()) fail(table, what + " must be a mapping");
    for (const formats::Member& member : table.table())
      handler(member.key, member.value);
  }

private:
  std::string path_;
};

} // namespace

unsigned parse_mode(const std::string& text) {
  std::string digits = text;
  if (digits.rfind("0o", 0) == 0) digits = digits.substr(2);
  if (digits.empty() || digits.size() > 4 ||
      digits.find_first_not_of("01234567") != std::string::npos) {
    throw UsageError("mode '" + text + "' is not an octal mode such as 0644");
  }
  const unsigned mode = static_cast<unsigned>(std::stoul(digits, nullptr, 8));
  if (mode > 0777) throw UsageError("mode '" + text + "': only permission bits (at most 0777)");
  return mode;
}

void load_spec(const std::string& path, Rules& rules, std::vector<layers::LayerSpec>& layers) {
  std::string content;
  if (const int error = read_file(path, content)) {
    throw UsageError(errno_message("cannot read spec " + path, error));
  }
  Value root;
  try {
    root = formats::parse(formats::Format::yaml, content, path);
  } catch (const InputError& error) {
    throw UsageError(std::string("invalid spec: ") + error.what());
  }
  const SpecReader reader(path);
  reader.each_key(
      root, "the spec",
      {{"strict", [&](const Value& v) { rules.strict = reader.boolean(v, "strict"); }},
       {"require",
        [&](const Value& v) {
          for (const std::string& file : reader.strings(v, "require"))
            rules.required.push_back(file);
        }},
       {"secret_layers",
        [&](const Value& v) {
          for (const std::string& root_path : reader.strings(v, "secret_layers")) {
            bool found = false;
            for (layers::LayerSpec& layer : layers) {
              if (layer.root == root_path) layer.secret = found = true;
            }
            if (!found) reader.fail(v, "secret_layers: " + root_path + " is not one of the layers");
          }
        }},
       {"defaults",
        [&](const Value& v) {
          reader.each_key(v, "defaults",
                          {{"file_mode",
                            [&](const Value& m) { rules.file_mode = reader.mode(m, "file_mode"); }},
                           {"secret_file_mode",
                            [&](const Value& m) {
                              rules.secret_file_mode = reader.mode(m, "secret_file_mode");
                            }},
                           {"directory_mode", [&](const Value& m) {
                              rules.directory_mode = reader.mode(m, "directory_mode");
                            }}});
        }},
       {"schema_mode",
        [&](const Value& v) {
          rules.schema_mode =
              reader.checked(v, [&] { return parse_schema_mode(reader.string(v, "schema_mode")); });
        }},
       {"files", [&](const Value& v) {
          if (!v.is_array()) reader.fail(v, "files must be a list of rules");
          for (const Value& entry : v.array()) {
            std::optional<SchemaRule> schema;
            rules.files.push_back(reader.file_rule(entry, schema));
            if (schema) rules.schemas.push_back(std::move(*schema));
          }
        }}});
}

} // namespace config_init::plan
