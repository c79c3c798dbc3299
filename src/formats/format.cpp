#include "formats/format.h"

#include "formats/json_format.h"
#include "formats/toml_format.h"
#include "formats/yaml_format.h"
#include "util/error.h"

namespace config_init::formats {

namespace {
bool ends_with(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}
void check_size(std::string_view text, const std::string& name) {
  if (text.size() > max_structured_file_size) {
    throw InputError(name + ": " + std::to_string(text.size()) +
                     " bytes is larger than the limit for structured files (" +
                     std::to_string(max_structured_file_size) + " bytes)");
  }
}

} // namespace

std::optional<Format> format_of_path(std::string_view path) {
  if (ends_with(path, ".toml")) return Format::toml;
  if (ends_with(path, ".yaml") || ends_with(path, ".yml")) return Format::yaml;
  if (ends_with(path, ".json")) return Format::json;
  return std::nullopt;
}

const char* format_name(Format format) {
  switch (format) {
  case Format::toml:
    return "toml";
  case Format::yaml:
    return "yaml";
  case Format::json:
    return "json";
  }
  return "?";
}

void validate(Format format, std::string_view text, const std::string& name) {
  check_size(text, name);
  switch (format) {
  case Format::toml:
    toml_format::parse(text, name);
    return;
  case Format::yaml:
    yaml_format::validate(text, name);
    return;
  case Format::json:
    json_format::parse(text, name);
    return;
  }
}

Value parse(Format format, std::string_view text, const std::string& name) {
  check_size(text, name);
  switch (format) {
  case Format::toml:
    return toml_format::parse(text, name);
  case Format::yaml:
    return yaml_format::parse(text, name);
  case Format::json:
    return json_format::parse(text, name);
  }
  return Value{};
}

std::string emit(Format format, const Value& value, const std::string& name) {
  switch (format) {
  case Format::toml:
    return toml_format::emit(value, name);
  case Format::yaml:
    return yaml_format::emit(value, name);
  case Format::json:
    return json_format::emit(value, name);
  }
  return {};
}

} // namespace config_init::formats
