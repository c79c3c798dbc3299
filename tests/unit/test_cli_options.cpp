// cli::parse_options: flags, their CONFIG_INIT_* variables (a flag wins), the spec file,
// and the usage errors with their exact messages.
#include "cli/options.h"
#include "test_support.h"
#include "util/error.h"

#include <cstdlib>
#include <doctest/doctest.h>
#include <string>
#include <unistd.h>
#include <vector>

extern char** environ;

using namespace config_init;
using test_support::TempDir;
using test_support::write_file;

namespace {

// Clears every CONFIG_INIT_* variable for one test and puts them back afterwards.
class CleanEnvironment {
public:
  CleanEnvironment() {
    for (char** entry = environ; *entry; ++entry) {
      const std::string text = *entry;
      if (text.rfind("CONFIG_INIT_", 0) == 0) saved_.push_back(text);
    }
    for (const std::string& text : saved_)
      ::unsetenv(text.substr(0, text.find('=')).c_str());
  }
  ~CleanEnvironment() {
    for (char** entry = environ; *entry;) {
      const std::string text = *entry;
      if (text.rfind("CONFIG_INIT_", 0) == 0) {
        ::unsetenv(text.substr(0, text.find('=')).c_str());
      } else {
        ++entry;
      }
    }
    for (const std::string& text : saved_) {
      const size_t equals = text.find('=');
      ::setenv(text.substr(0, equals).c_str(), text.substr(equals + 1).c_str(), 1);
    }
  }
  CleanEnvironment(const CleanEnvironment&) = delete;
  CleanEnvironment& operator=(const CleanEnvironment&) = delete;

private:
  std::vector<std::string> saved_;
};

cli::Options parse(std::vector<std::string> arguments) {
  arguments.insert(arguments.begin(), "config-init");
  std::vector<const char*> argv;
  for (const std::string& argument : arguments)
    argv.push_back(argument.c_str());
  argv.push_back(nullptr);
  return cli::parse_options(static_cast<int>(arguments.size()), argv.data());
}

// The UsageError message for `arguments` ("" when they parse).
std::string usage_error(const std::vector<std::string>& arguments) {
  try {
    parse(arguments);
  } catch (const UsageError& error) {
    return error.what();
  }
  return "";
}

std::vector<std::string> roots(const cli::Options& options) {
  std::vector<std::string> out;
  for (const layers::LayerSpec& layer : options.layers)
    out.push_back(layer.root + (layer.secret ? " (secret)" : ""));
  return out;
}

} // namespace

TEST_SUITE("cli::options") {
  TEST_CASE("materialize is the default command; layers keep their command-line order") {
    const CleanEnvironment clean;
    const cli::Options options =
        parse({"--layer", "/a", "--secret-layer", "/s", "--layer=/b", "--dest", "/d"});
    CHECK(options.command == "materialize");
    CHECK(roots(options) == std::vector<std::string>{"/a", "/s (secret)", "/b"});
    CHECK(options.dest == "/d");
    CHECK(options.on_drift == plan::OnDrift::overwrite);
    CHECK(options.rules.file_mode == 0644);
    CHECK(options.rules.secret_file_mode == 0600);
    CHECK(options.rules.directory_mode == 0755);
    CHECK_FALSE(options.rules.strict);
    CHECK_FALSE(options.quiet);
  }

  TEST_CASE("variables fill what no flag gave; a flag wins over its variable") {
    const CleanEnvironment clean;
    ::setenv("CONFIG_INIT_LAYERS", "/a::/b:", 1);
    ::setenv("CONFIG_INIT_SECRET_LAYERS", "/s", 1);
    ::setenv("CONFIG_INIT_DEST", "/from-env", 1);
    ::setenv("CONFIG_INIT_QUIET", "yes", 1);
    ::setenv("CONFIG_INIT_REQUIRE", "x.toml:./y/./z.json", 1);
    ::setenv("CONFIG_INIT_POLICY", "*.toml=seed,auth.json=replace", 1);
    cli::Options options = parse({});
    // From the environment: the plain layers first, then the secret ones.
    CHECK(roots(options) == std::vector<std::string>{"/a", "/b", "/s (secret)"});
    CHECK(options.dest == "/from-env");
    CHECK(options.quiet);
    CHECK(options.rules.required == std::vector<std::string>{"x.toml", "y/z.json"});
    REQUIRE(options.rules.files.size() == 2);
    CHECK(options.rules.files[0].glob == "*.toml");
    CHECK(options.rules.files[0].policy == plan::Policy::seed);
    CHECK(options.rules.files[0].origin == "--policy *.toml=seed");
    CHECK(options.rules.files[1].policy == plan::Policy::replace);

    options = parse({"--layer", "/flag", "--dest", "/flag-dest"});
    CHECK(roots(options) == std::vector<std::string>{"/flag"}); // no secret layer from env
    CHECK(options.dest == "/flag-dest");
  }

  TEST_CASE("commands and their arguments") {
    const CleanEnvironment clean;
    cli::Options options = parse({"render", "--layer", "/a", "./dir/./config.toml"});
    CHECK(options.command == "render");
    CHECK(options.target == "dir/config.toml");
    options = parse({"verify", "--dest", "/d"}); // verify needs no layer
    CHECK(options.command == "verify");
    CHECK(options.layers.empty());
    CHECK(parse({"--help"}).help);
    CHECK(parse({"--version"}).version);
    CHECK(usage_error({"materialise", "--layer", "/a"}) ==
          "unknown command 'materialise'; did you mean 'materialize'? (see config-init --help)");
    CHECK(usage_error({"frobnicate"}) == "unknown command 'frobnicate' (see config-init --help)");
    CHECK(usage_error({"render", "--layer", "/a"}) == "config-init render needs exactly one PATH");
    CHECK(usage_error({"explain", "--layer", "/a", "x", "y"}) ==
          "config-init explain needs exactly one PATH");
    CHECK(usage_error({"render", "--layer", "/a", "../x"}) == "PATH ../x: must not contain '..'");
    CHECK(usage_error({"materialize", "--layer", "/a", "--dest", "/d", "extra"}) ==
          "unexpected argument 'extra' (see config-init --help)");
  }

  TEST_CASE("missing, repeated and malformed flags are usage errors") {
    const CleanEnvironment clean;
    CHECK(usage_error({"--dest", "/d"}) ==
          "required flag: --layer DIR (or CONFIG_INIT_LAYERS) must be given at least once");
    CHECK(usage_error({"--layer", "/a"}) ==
          "required flag: --dest DIR (or CONFIG_INIT_DEST) must be given");
    CHECK(usage_error({"--layer", "/a", "--dest", "/d", "--dest", "/e"}) ==
          "--dest given more than once");
    CHECK(usage_error({"--layer", "/a", "--dest", "/d", "--log-format", "xml"}) ==
          "--log-format xml: expected text or json");
    CHECK(usage_error({"--layer", "/a", "--dest", "/d", "--on-drift", "ask"}) ==
          "--on-drift ask: expected overwrite or fail");
    CHECK(usage_error({"--layer", "/a", "--dest", "/d", "--chown", "1000"}) ==
          "--chown 1000: expected UID:GID");
    CHECK(usage_error({"--layer", "/a", "--dest", "/d", "--chown", "root:root"}) ==
          "--chown root:root: expected numeric UID:GID, such as 1000:1000");
    CHECK(usage_error({"--layer", "/a", "--dest", "/d", "--require", "/etc/x"}) ==
          "--require /etc/x: must be relative to the destination");
    CHECK(usage_error({"--layer", "/a", "--dest", "/d", "--require", "./"}) ==
          "--require './': names no file");
    CHECK(usage_error({"--layer", "/a", "--dest", "/d", "--policy", "x.toml"}) ==
          "--policy x.toml: expected GLOB=VALUE");
    CHECK(usage_error({"--layer", "/a", "--dest", "/d", "--arrays", ":k=union"}) ==
          "--arrays :k=union: the glob is empty");
    CHECK(usage_error({"--layer", "/a", "--dest", "/d", "--no-such-flag"})
              .find("(see config-init --help)") != std::string::npos);
    // No abbreviations: --dest must be spelled out.
    CHECK(usage_error({"--layer", "/a", "--des", "/d"}) != "");
    ::setenv("CONFIG_INIT_STRICT", "maybe", 1);
    CHECK(usage_error({"--layer", "/a", "--dest", "/d"}) ==
          "CONFIG_INIT_STRICT='maybe': expected true or false");
  }

  TEST_CASE("rules from flags: policies, arrays, on-drift, group-writable, strict") {
    const CleanEnvironment clean;
    const cli::Options options =
        parse({"--layer", "/a", "--dest", "/d", "--arrays", "settings.json=union", "--arrays",
               "config.toml:a.b=append", "--on-drift", "fail", "--group-writable", "--strict",
               "--log-format", "json", "--termination-log", "/tmp/term"});
    REQUIRE(options.rules.files.size() == 2);
    CHECK(options.rules.files[0].glob == "settings.json");
    CHECK(options.rules.files[0].arrays == merge::ArrayStrategy::union_);
    CHECK(options.rules.files[0].origin == "--arrays settings.json=union");
    CHECK(options.rules.files[1].glob == "config.toml");
    CHECK_FALSE(options.rules.files[1].arrays.has_value());
    REQUIRE(options.rules.files[1].array_paths.size() == 1);
    CHECK(options.rules.files[1].array_paths[0].second == merge::ArrayStrategy::append);
    CHECK(options.on_drift == plan::OnDrift::fail);
    CHECK(options.rules.file_mode == 0664);
    CHECK(options.rules.secret_file_mode == 0660);
    CHECK(options.rules.directory_mode == 0775);
    CHECK(options.rules.strict);
    CHECK(options.log_format == LogFormat::json);
    CHECK(cli::termination_log_path(options) == "/tmp/term");
  }

  TEST_CASE("--chown to one's own uid and gid is allowed without root") {
    const CleanEnvironment clean;
    const std::string own = std::to_string(::geteuid()) + ":" + std::to_string(::getegid());
    const cli::Options options = parse({"--layer", "/a", "--dest", "/d", "--chown", own});
    REQUIRE(options.rules.owner.has_value());
    CHECK(options.rules.owner->first == ::geteuid());
    CHECK(options.rules.owner->second == ::getegid());
    if (::geteuid() != 0) {
      CHECK(usage_error({"--layer", "/a", "--dest", "/d", "--chown", "0:0"}) ==
            "--chown 0:0 needs root; files written by uid " + std::to_string(::geteuid()) +
                " belong to it already");
    }
  }

  TEST_CASE("the spec file adds its rules before the flags' rules") {
    const CleanEnvironment clean;
    TempDir tmp;
    write_file(tmp / "spec.yaml", "require: [config.toml]\n"
                                  "defaults:\n  file_mode: \"0640\"\n"
                                  "files:\n  - path: auth.json\n    policy: seed\n");
    const cli::Options options = parse(
        {"--layer", "/a", "--dest", "/d", "--spec", tmp / "spec.yaml", "--policy", "*.log=ignore"});
    CHECK(options.spec == tmp / "spec.yaml");
    CHECK(options.rules.file_mode == 0640);
    CHECK(options.rules.required == std::vector<std::string>{"config.toml"});
    REQUIRE(options.rules.files.size() == 2);
    CHECK(options.rules.files[0].glob == "auth.json");
    CHECK(options.rules.files[0].policy == plan::Policy::seed);
    CHECK(options.rules.files[1].glob == "*.log");
    CHECK(options.rules.files[1].policy == plan::Policy::ignore);
  }

  TEST_CASE("requested_log_format takes the last valid --log-format, then the variable") {
    const CleanEnvironment clean;
    const auto format = [](std::vector<const char*> argv) {
      argv.insert(argv.begin(), "config-init");
      return cli::requested_log_format(static_cast<int>(argv.size()), argv.data());
    };
    CHECK(format({"--log-format", "json", "--log-format=text"}) == LogFormat::text);
    CHECK(format({"--log-format=json", "--log-format", "xml"}) == LogFormat::json);
    CHECK(format({"--", "--log-format=json", "--log-format=text"}) == default_log_format());
    ::setenv("CONFIG_INIT_LOG_FORMAT", "json", 1);
    CHECK(format({}) == LogFormat::json);
    CHECK(format({"--log-format", "text"}) == LogFormat::text);
  }

  TEST_CASE("the help lists every flag with its variable") {
    const std::string help = cli::help_text();
    for (const char* line :
         {"  --layer DIR                      a layer directory, lowest precedence first",
          "                                   [CONFIG_INIT_LAYERS, ':'-separated]",
          "  --on-drift overwrite|fail        ",
          "                                   "
          "[CONFIG_INIT_ON_DRIFT]",
          "  --chown UID:GID                  ", "  --group-writable                 ",
          "  --policy GLOB=POLICY             ", "[CONFIG_INIT_POLICY, ','-separated]",
          "  materialize [FLAGS]              write the merged layers into --dest"}) {
      CAPTURE(line);
      CHECK(help.find(line) != std::string::npos);
    }
  }
}

TEST_SUITE("cli::options --schema") {
  TEST_CASE("--schema GLOB=FILE splits at the first '='; modes apply by exact glob") {
    const CleanEnvironment clean;
    const cli::Options options =
        parse({"--layer", "/a", "--dest", "/d", "--schema", "config.toml=/s/a=b.json", "--schema",
               "*.json=/s/c.json", "--schema-mode", "warn", "--schema-mode", "*.json=enforce"});
    REQUIRE(options.rules.schemas.size() == 2);
    CHECK(options.rules.schemas[0].glob == "config.toml");
    CHECK(options.rules.schemas[0].file == "/s/a=b.json");
    CHECK_FALSE(options.rules.schemas[0].mode.has_value());
    CHECK(options.rules.schemas[1].mode == plan::SchemaMode::enforce);
    CHECK(options.rules.schema_mode == plan::SchemaMode::warn);
  }

  TEST_CASE("CONFIG_INIT_SCHEMA and CONFIG_INIT_SCHEMA_MODE are ','-separated lists") {
    const CleanEnvironment clean;
    ::setenv("CONFIG_INIT_SCHEMA", "a.toml=/a.json,b.yaml=/b.json", 1);
    ::setenv("CONFIG_INIT_SCHEMA_MODE", "b.yaml=warn", 1);
    const cli::Options options = parse({"--layer", "/a", "--dest", "/d"});
    REQUIRE(options.rules.schemas.size() == 2);
    CHECK(options.rules.schemas[1].file == "/b.json");
    CHECK(options.rules.schemas[1].mode == plan::SchemaMode::warn);
    CHECK(options.rules.schema_mode == plan::SchemaMode::enforce);
  }

  TEST_CASE("usage errors: no '=', an unknown mode, a mode for a glob no schema has") {
    const CleanEnvironment clean;
    CHECK(usage_error({"--layer", "/a", "--dest", "/d", "--schema", "config.toml"}) ==
          "--schema config.toml: expected GLOB=FILE");
    CHECK(usage_error({"--layer", "/a", "--dest", "/d", "--schema-mode", "strict"}) ==
          "unknown schema mode 'strict' (expected enforce or warn)");
    CHECK(usage_error({"--layer", "/a", "--dest", "/d", "--schema", "a.toml=/s.json",
                       "--schema-mode", "b.toml=warn"}) ==
          "--schema-mode b.toml=warn: no --schema (or spec schema) has the glob 'b.toml'");
  }

  TEST_CASE("the spec's schema and schema_mode; a relative schema is beside the spec") {
    const CleanEnvironment clean;
    const TempDir dir;
    write_file(dir / "spec.yaml", "schema_mode: warn\n"
                                  "files:\n"
                                  "  - path: config.toml\n"
                                  "    schema: schemas/codex.json\n"
                                  "    schema_mode: enforce\n"
                                  "  - path: settings.json\n"
                                  "    schema: /abs/claude.json\n");
    const cli::Options options =
        parse({"--layer", "/a", "--dest", "/d", "--spec", dir / "spec.yaml"});
    REQUIRE(options.rules.schemas.size() == 2);
    CHECK(options.rules.schemas[0].file == dir / "schemas/codex.json");
    CHECK(options.rules.schemas[0].mode == plan::SchemaMode::enforce);
    CHECK(options.rules.schemas[1].file == "/abs/claude.json");
    CHECK_FALSE(options.rules.schemas[1].mode.has_value());
    CHECK(options.rules.schema_mode == plan::SchemaMode::warn);
    // a bare --schema-mode wins over the spec's default
    CHECK(parse({"--layer", "/a", "--dest", "/d", "--spec", dir / "spec.yaml", "--schema-mode",
                 "enforce"})
              .rules.schema_mode == plan::SchemaMode::enforce);
  }
}
