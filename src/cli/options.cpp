#include "cli/options.h"

#include "cli/commands.h"
#include "merge/key_path.h"
#include "plan/spec.h"
#include "util/error.h"
#include "watch/duration.h"

#include <boost/program_options.hpp>
#include <cstdlib>
#include <sys/stat.h>
#include <unistd.h>

namespace config_init::cli {

namespace po = boost::program_options;

namespace {

enum class Arity { flag, single, list };

// One flag: its name, argument, environment variable (with its list separator), help.
struct Flag {
  const char* name;
  const char* argument; // "" for a boolean flag
  Arity arity;
  const char* variable;
  char separator; // for list variables
  const char* help;
};

const std::vector<Flag>& flags() {
  static const std::vector<Flag> table = {
      {"layer", "DIR", Arity::list, "CONFIG_INIT_LAYERS", ':',
       "a layer directory, lowest precedence first (repeatable)"},
      {"secret-layer", "DIR", Arity::list, "CONFIG_INIT_SECRET_LAYERS", ':',
       "a layer whose files are secret: mode 0600, content never logged (repeatable)"},
      {"dest", "DIR", Arity::single, "CONFIG_INIT_DEST", 0,
       "the destination directory (created if missing)"},
      {"spec", "FILE", Arity::single, "CONFIG_INIT_SPEC", 0,
       "a YAML spec with per-file rules (see docs/spec.md)"},
      {"require", "PATH", Arity::list, "CONFIG_INIT_REQUIRE", ':',
       "the result must contain PATH, else exit 3 (repeatable)"},
      {"policy", "GLOB=POLICY", Arity::list, "CONFIG_INIT_POLICY", ',',
       "merge | replace | seed | ignore for matching files (repeatable)"},
      {"arrays", "GLOB[:KEY]=STRATEGY", Arity::list, "CONFIG_INIT_ARRAYS", ',',
       "replace | append | union: how arrays combine in matching files, or only at the key "
       "path KEY (settings.json:permissions.allow=union) (repeatable)"},
      {"schema", "GLOB=FILE", Arity::list, "CONFIG_INIT_SCHEMA", ',',
       "every result matching GLOB must validate against the JSON Schema (draft-04/06/07) in "
       "FILE before anything is written; else exit 3 naming file, key, keyword (repeatable; "
       "see docs/schemas.md)"},
      {"schema-mode", "[GLOB=]MODE", Arity::list, "CONFIG_INIT_SCHEMA_MODE", ',',
       "enforce (default: a violation is exit 3, nothing written) | warn (log it, write "
       "anyway): for every schema, or for the --schema given with exactly GLOB (repeatable)"},
      {"on-drift", "overwrite|fail", Arity::single, "CONFIG_INIT_ON_DRIFT", 0,
       "a managed non-structured file the app changed: overwrite it (keeping a backup) or fail"},
      {"chown", "UID:GID", Arity::single, "CONFIG_INIT_CHOWN", 0,
       "owner of every file and directory written (needs root)"},
      {"group-writable", "", Arity::flag, "CONFIG_INIT_GROUP_WRITABLE", 0,
       "default modes let the group read and write (0664/0660, directories 0775): fsGroup"},
      {"strict", "", Arity::flag, "CONFIG_INIT_STRICT", 0,
       "a type conflict while merging, or a --policy/--arrays/--schema/spec glob that matches no "
       "file of any layer, is an error (exit 3), not a warning"},
      {"log-format", "FORMAT", Arity::single, "CONFIG_INIT_LOG_FORMAT", 0,
       "text | json (default: text on a terminal, json otherwise)"},
      {"termination-log", "FILE", Arity::single, "CONFIG_INIT_TERMINATION_LOG", 0,
       "where the cause of a failure goes (default: /dev/termination-log if it exists)"},
      {"quiet", "", Arity::flag, "CONFIG_INIT_QUIET", 0,
       "log only warnings, errors and the summary"},
      {"resync", "DURATION", Arity::single, "CONFIG_INIT_RESYNC", 0,
       "watch: re-read every layer this often, for changes inotify missed (default 60s; 0s: "
       "never)"},
      {"debounce", "DURATION", Arity::single, "CONFIG_INIT_DEBOUNCE", 0,
       "watch: wait this long after a change before the run, for changes that follow it "
       "(default 1s)"},
      {"http-bind", "ADDR", Arity::single, "CONFIG_INIT_HTTP_BIND", 0,
       "watch: serve GET /healthz and /metrics on ADDR, such as 127.0.0.1:8080 (default: none)"},
  };
  return table;
}

std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (;;) {
    const size_t end = text.find(separator, start);
    const std::string part = text.substr(start, end == std::string::npos ? end : end - start);
    if (!part.empty()) parts.push_back(part);
    if (end == std::string::npos) return parts;
    start = end + 1;
  }
}

bool parse_bool(const std::string& text, const char* variable) {
  if (text == "1" || text == "true" || text == "yes") return true;
  if (text == "0" || text == "false" || text == "no" || text.empty()) return false;
  throw UsageError(std::string(variable) + "='" + text + "': expected true or false");
}

// "a/./b/" -> "a/b"; rejects absolute paths and "..".
std::string normalize_relative(const std::string& path, const char* what) {
  if (!path.empty() && path[0] == '/') {
    throw UsageError(std::string(what) + " " + path + ": must be relative to the destination");
  }
  std::string out;
  for (const std::string& element : split(path, '/')) {
    if (element == ".") continue;
    if (element == "..")
      throw UsageError(std::string(what) + " " + path + ": must not contain '..'");
    out += (out.empty() ? "" : "/") + element;
  }
  if (out.empty()) throw UsageError(std::string(what) + " '" + path + "': names no file");
  return out;
}

std::pair<std::string, std::string> split_rule(const std::string& text, const char* flag) {
  const size_t equals = text.rfind('=');
  if (equals == std::string::npos || equals == 0 || equals + 1 == text.size()) {
    throw UsageError(std::string("--") + flag + " " + text + ": expected GLOB=VALUE");
  }
  return {text.substr(0, equals), text.substr(equals + 1)};
}

// The values of one flag: from the command line if given there, else from its variable.
struct Collected {
  std::vector<std::pair<std::string, std::string>> ordered; // (flag, value) in argv order
  std::vector<std::string> values(const Flag& flag) const {
    std::vector<std::string> out;
    for (const auto& [name, value] : ordered) {
      if (name == flag.name) out.push_back(value);
    }
    if (!out.empty()) return out;
    const char* env = std::getenv(flag.variable);
    if (!env) return out;
    if (flag.arity == Arity::list) return split(env, flag.separator);
    out.push_back(env);
    return out;
  }
  bool given_on_command_line(const char* name) const {
    for (const auto& entry : ordered) {
      if (entry.first == name) return true;
    }
    return false;
  }
};

void fill_layers(Options& options, const Collected& collected) {
  const bool on_command_line =
      collected.given_on_command_line("layer") || collected.given_on_command_line("secret-layer");
  if (on_command_line) {
    for (const auto& [name, value] : collected.ordered) {
      if (name == "layer") options.layers.push_back({value, false});
      if (name == "secret-layer") options.layers.push_back({value, true});
    }
    return;
  }
  // From the environment: plain layers first, then secret layers (highest precedence).
  for (const char* name : {"layer", "secret-layer"}) {
    for (const Flag& flag : flags()) {
      if (std::string(flag.name) != name) continue;
      for (const std::string& root : collected.values(flag)) {
        options.layers.push_back({root, std::string(name) == "secret-layer"});
      }
    }
  }
}

std::pair<unsigned, unsigned> parse_owner(const std::string& text) {
  const size_t colon = text.find(':');
  const auto number = [&](const std::string& part) -> unsigned {
    if (part.empty() || part.size() > 9 ||
        part.find_first_not_of("0123456789") != std::string::npos) {
      throw UsageError("--chown " + text + ": expected numeric UID:GID, such as 1000:1000");
    }
    return static_cast<unsigned>(std::stoul(part));
  };
  if (colon == std::string::npos) throw UsageError("--chown " + text + ": expected UID:GID");
  const std::pair<unsigned, unsigned> owner{number(text.substr(0, colon)),
                                            number(text.substr(colon + 1))};
  if (::geteuid() != 0 && (owner.first != ::geteuid() || owner.second != ::getegid())) {
    throw UsageError("--chown " + text + " needs root; files written by uid " +
                     std::to_string(::geteuid()) + " belong to it already");
  }
  return owner;
}

const Flag& flag_named(const char* name) {
  for (const Flag& flag : flags()) {
    if (std::string(flag.name) == name) return flag;
  }
  throw std::logic_error(std::string("no flag ") + name);
}

} // namespace

Options parse_options(int argc, const char* const* argv) {
  po::options_description description;
  for (const Flag& flag : flags()) {
    if (flag.arity == Arity::flag) {
      description.add_options()(flag.name, flag.help);
    } else if (flag.arity == Arity::single) {
      description.add_options()(flag.name, po::value<std::string>(), flag.help);
    } else {
      description.add_options()(flag.name, po::value<std::vector<std::string>>(), flag.help);
    }
  }
  description.add_options()("help,h", "")("version", "")("args",
                                                         po::value<std::vector<std::string>>(), "");
  po::positional_options_description positional;
  positional.add("args", -1);

  po::parsed_options parsed(&description);
  try {
    parsed =
        po::command_line_parser(argc, const_cast<char**>(argv))
            .options(description)
            .positional(positional)
            .style(po::command_line_style::default_style & ~po::command_line_style::allow_guessing)
            .run();
  } catch (const po::error& error) {
    throw UsageError(std::string(error.what()) + " (see config-init --help)");
  }

  Options options;
  Collected collected;
  std::vector<std::string> arguments;
  for (const po::option& option : parsed.options) {
    if (option.string_key == "help") options.help = true;
    if (option.string_key == "version") options.version = true;
    for (const std::string& value : option.value) {
      if (option.string_key == "args") {
        arguments.push_back(value);
      } else {
        collected.ordered.emplace_back(option.string_key, value);
      }
    }
    if (option.value.empty() && option.string_key != "help" && option.string_key != "version") {
      collected.ordered.emplace_back(option.string_key, "true");
    }
  }
  for (const Flag& flag : flags()) {
    if (flag.arity != Arity::list && collected.given_on_command_line(flag.name)) {
      size_t count = 0;
      for (const auto& entry : collected.ordered)
        count += entry.first == flag.name;
      if (count > 1) throw UsageError(std::string("--") + flag.name + " given more than once");
    }
  }
  if (options.help || options.version) return options;

  if (!arguments.empty() && find_command(arguments.front())) {
    options.command = arguments.front();
    arguments.erase(arguments.begin());
  } else if (!arguments.empty()) {
    const Command* guess = suggest_command(arguments.front());
    throw UsageError("unknown command '" + arguments.front() + "'" +
                     (guess ? std::string("; did you mean '") + guess->name + "'?" : "") +
                     " (see config-init --help)");
  }
  if (options.command == "render" || options.command == "explain") {
    if (arguments.size() != 1) {
      throw UsageError("config-init " + options.command + " needs exactly one PATH");
    }
    options.target = normalize_relative(arguments.front(), "PATH");
  } else if (!arguments.empty()) {
    throw UsageError("unexpected argument '" + arguments.front() + "' (see config-init --help)");
  }

  fill_layers(options, collected);
  const auto single = [&](const char* name) -> std::optional<std::string> {
    const std::vector<std::string> values = collected.values(flag_named(name));
    if (values.empty()) return std::nullopt;
    return values.back();
  };
  options.dest = single("dest").value_or("");
  options.spec = single("spec");
  options.termination_log = single("termination-log");
  if (const auto strict = single("strict"))
    options.rules.strict = parse_bool(*strict, "CONFIG_INIT_STRICT");
  if (const auto quiet = single("quiet")) options.quiet = parse_bool(*quiet, "CONFIG_INIT_QUIET");
  options.log_format = default_log_format();
  if (const auto format = single("log-format")) {
    if (*format == "text") {
      options.log_format = LogFormat::text;
    } else if (*format == "json") {
      options.log_format = LogFormat::json;
    } else {
      throw UsageError("--log-format " + *format + ": expected text or json");
    }
  }

  if (const auto drift = single("on-drift")) {
    if (*drift == "overwrite") {
      options.on_drift = plan::OnDrift::overwrite;
    } else if (*drift == "fail") {
      options.on_drift = plan::OnDrift::fail;
    } else {
      throw UsageError("--on-drift " + *drift + ": expected overwrite or fail");
    }
  }
  if (const auto owner = single("chown")) options.rules.owner = parse_owner(*owner);
  if (const auto group = single("group-writable");
      group && parse_bool(*group, "CONFIG_INIT_GROUP_WRITABLE")) {
    options.rules.file_mode |= 0060;
    options.rules.secret_file_mode |= 0060;
    options.rules.directory_mode |= 0070;
  }

  for (const char* name : {"resync", "debounce", "http-bind"}) {
    if (options.command != "watch" && collected.given_on_command_line(name)) {
      throw UsageError(std::string("--") + name + " is a flag of config-init watch only");
    }
  }
  if (options.command == "watch") { // other commands ignore the variables
    if (const auto resync = single("resync"))
      options.resync = watch::parse_duration(*resync, "resync");
    if (const auto debounce = single("debounce"))
      options.debounce = watch::parse_duration(*debounce, "debounce");
    options.http_bind = single("http-bind").value_or("");
  }

  if (options.spec) plan::load_spec(*options.spec, options.rules, options.layers);
  for (const std::string& path : collected.values(flag_named("require"))) {
    options.rules.required.push_back(normalize_relative(path, "--require"));
  }
  for (const std::string& rule : collected.values(flag_named("policy"))) {
    const auto [glob, value] = split_rule(rule, "policy");
    plan::FileRule file_rule;
    file_rule.glob = glob;
    file_rule.policy = plan::parse_policy(value);
    file_rule.origin = "--policy " + rule;
    options.rules.files.push_back(file_rule);
  }
  for (const std::string& rule : collected.values(flag_named("arrays"))) {
    const auto [target, value] = split_rule(rule, "arrays");
    plan::FileRule file_rule;
    file_rule.origin = "--arrays " + rule;
    // GLOB=STRATEGY for every array of the file, GLOB:KEY.PATH=STRATEGY for one key path.
    const size_t colon = target.find(':');
    file_rule.glob = target.substr(0, colon);
    if (file_rule.glob.empty()) throw UsageError("--arrays " + rule + ": the glob is empty");
    const merge::ArrayStrategy strategy = merge::parse_array_strategy(value);
    if (colon == std::string::npos) {
      file_rule.arrays = strategy;
    } else {
      file_rule.array_paths.emplace_back(merge::parse_key_path(target.substr(colon + 1)), strategy);
    }
    options.rules.files.push_back(file_rule);
  }

  for (const std::string& rule : collected.values(flag_named("schema"))) {
    const size_t equals = rule.find('='); // the first '=': a file name may hold one
    if (equals == std::string::npos || equals == 0 || equals + 1 == rule.size()) {
      throw UsageError("--schema " + rule + ": expected GLOB=FILE");
    }
    options.rules.schemas.push_back(plan::SchemaRule{
        rule.substr(0, equals), rule.substr(equals + 1), std::nullopt, "--schema " + rule});
    // An empty file rule with the same glob: a schema glob that matches no file is warned
    // about (an error under --strict) like every other rule's.
    plan::FileRule file_rule;
    file_rule.glob = rule.substr(0, equals);
    file_rule.origin = "--schema " + rule;
    options.rules.files.push_back(file_rule);
  }
  for (const std::string& setting : collected.values(flag_named("schema-mode"))) {
    const size_t equals = setting.rfind('=');
    if (equals == std::string::npos) {
      options.rules.schema_mode = plan::parse_schema_mode(setting);
      continue;
    }
    const std::string glob = setting.substr(0, equals);
    const plan::SchemaMode mode = plan::parse_schema_mode(setting.substr(equals + 1));
    bool found = false;
    for (plan::SchemaRule& schema : options.rules.schemas) {
      if (schema.glob == glob) {
        schema.mode = mode;
        found = true;
      }
    }
    if (!found) {
      throw UsageError("--schema-mode " + setting +
                       ": no --schema (or spec schema) has the glob '" + glob + "'");
    }
  }

  const bool needs_layers = options.command != "verify" && options.command != "status";
  const bool needs_dest = options.command == "materialize" || options.command == "plan" ||
                          options.command == "verify" || options.command == "watch" ||
                          options.command == "status";
  if (needs_layers && options.layers.empty()) {
    throw UsageError(
        "required flag: --layer DIR (or CONFIG_INIT_LAYERS) must be given at least once");
  }
  if (needs_dest && options.dest.empty()) {
    throw UsageError("required flag: --dest DIR (or CONFIG_INIT_DEST) must be given");
  }
  return options;
}

LogFormat requested_log_format(int argc, const char* const* argv) {
  const auto parse = [](const std::string& text) -> std::optional<LogFormat> {
    if (text == "text") return LogFormat::text;
    if (text == "json") return LogFormat::json;
    return std::nullopt;
  };
  std::optional<LogFormat> format;
  for (int i = 1; i < argc; ++i) {
    const std::string argument = argv[i];
    if (argument == "--") break;
    if (argument == "--log-format" && i + 1 < argc) {
      if (const auto given = parse(argv[++i])) format = given;
    } else if (argument.rfind("--log-format=", 0) == 0) {
      if (const auto given = parse(argument.substr(13))) format = given;
    }
  }
  if (format) return *format;
  if (const char* env = std::getenv("CONFIG_INIT_LOG_FORMAT")) {
    if (const auto given = parse(env)) return *given;
  }
  return default_log_format();
}

std::string termination_log_path(const Options& options) {
  if (options.termination_log) return *options.termination_log;
  struct stat st {};
  if (::stat("/dev/termination-log", &st) == 0) return "/dev/termination-log";
  return "";
}

run::Settings run_settings(const Options& options) {
  return run::Settings{options.layers, options.dest, options.rules, options.on_drift};
}

std::string help_text() {
  std::string text =
      "config-init: materialise layered configuration into a directory, safely.\n"
      "\n"
      "Usage: config-init [COMMAND] --layer DIR [--layer DIR...] --dest DIR [FLAGS]\n"
      "\n"
      "Layers are read in order, lowest precedence first. A file in one layer is copied\n"
      "byte for byte; a .toml, .yaml/.yml or .json file in several layers is deep-merged\n"
      "key by key; any other file takes the bytes of the highest layer. Kubelet volume\n"
      "internals (..data, ..<timestamp>) are never copied. Everything is validated before\n"
      "anything is written; each file is read back and compared before it atomically\n"
      "replaces the old one, and the manifest in DEST/.config-init records its SHA-256.\n"
      "\n"
      "Commands:\n";
  for (const Command& command : commands()) {
    std::string line = std::string("  ") + command.name + " " + command.synopsis;
    if (line.size() < 34) line.resize(34, ' ');
    text += line + " " + command.summary + "\n";
  }
  text += "\nFlags (each also from its environment variable; a flag wins over its variable):\n";
  for (const Flag& flag : flags()) {
    std::string line = std::string("  --") + flag.name;
    if (*flag.argument) line += std::string(" ") + flag.argument;
    if (line.size() < 34) line.resize(34, ' ');
    text += line + " " + flag.help + "\n";
    std::string variable = std::string(34, ' ') + " [" + flag.variable;
    if (flag.arity == Arity::list) variable += std::string(", '") + flag.separator + "'-separated";
    text += variable + "]\n";
  }
  text += "  -h, --help                       this help\n"
          "      --version                    the version\n"
          "\n"
          "Exit codes: 0 success, 1 unexpected failure, 2 usage error, 3 invalid input\n"
          "(parse error, forbidden symlink, requirement or enforced schema violated; nothing\n"
          "was written; an unreadable or invalid schema file is a usage error, 2),\n"
          "4 I/O failure writing or verifying the destination, 5 verify found drift.\n"
          "watch exits with the first run's code, later 0 on SIGTERM/SIGINT; status exits 0\n"
          "when healthy, 1 when degraded or no run succeeded, 5 on drift it would not merge.\n"
          "\n"
          "Example (an init container: image defaults, then a ConfigMap):\n"
          "  config-init --layer /etc/codex-defaults --layer /etc/codex-config \\\n"
          "              --dest /home/codex/.codex --require config.toml\n"
          "  config-init render --layer /etc/codex-defaults --layer /etc/codex-config config.toml\n"
          "\n"
          "Refusing what the agent would refuse (a misspelt key, a value outside an enum):\n"
          "  config-init --layer /etc/codex-defaults --layer /etc/codex-config \\\n"
          "              --dest /home/codex/.codex --schema config.toml=/etc/schemas/codex.json\n"
          "  (exit 3 naming each file, key path and schema keyword; nothing written. `plan` lists\n"
          "  the violations. --schema-mode config.toml=warn only logs them.)\n";
  return text;
}

} // namespace config_init::cli
